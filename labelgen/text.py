"""Text setting: paragraphs of styled runs + a box in mm → broken, measured lines at the largest size that fits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labelgen.fonts import MM_PER_PT, REGULAR, font_face

SIZE_STEP_PT = 0.25
PARAGRAPH_GAP_EM = 0.3


@dataclass(frozen=True)
class Run:
    """A stretch of text in one weight and style; `scale` sets it smaller than its line."""

    text: str
    weight: int = REGULAR
    italic: bool = False
    scale: float = 1.0


@dataclass(frozen=True)
class Paragraph:
    """Runs set together; `scale` sets it smaller than the block's size (English twins)."""

    runs: tuple[Run, ...]
    field: str
    language: str = "vi"
    scale: float = 1.0


@dataclass(frozen=True)
class Line:
    """One set line: its runs, where its baseline sits below the block's top, and its size."""

    runs: tuple[Run, ...]
    field: str
    language: str
    font_size_pt: float
    width_mm: float
    baseline_mm: float


@dataclass(frozen=True)
class SetText:
    """The outcome of setting a block: its lines, the size chosen and whether it fitted."""

    lines: tuple[Line, ...]
    font_size_pt: float
    height_mm: float
    fits: bool


@dataclass(frozen=True)
class _Word:
    pieces: tuple[Run, ...]
    space_before: bool


def set_text(
    paragraphs: Sequence[Paragraph],
    *,
    family: str,
    width_mm: float,
    height_mm: float,
    max_size_pt: float,
    min_size_pt: float,
    leading: float = 1.18,
    max_lines: int | None = None,
    balance: bool = False,
) -> SetText:
    """Set `paragraphs` at the largest size from max to min (in 0.25 pt steps) that fits the box.

    When nothing fits even at `min_size_pt`, the text is set at that floor and `fits` is False:
    the caller reports it; the text is never cut. `balance` evens out the lengths of a headline's
    lines ("Hạt sen / sấy giòn" rather than "Hạt sen sấy / giòn").
    """
    size_pt = max_size_pt
    while True:
        attempt = _set_at(paragraphs, family, width_mm, size_pt, min_size_pt, leading)
        line_count_ok = max_lines is None or len(attempt.lines) <= max_lines
        if attempt.height_mm <= height_mm + 1e-6 and line_count_ok:
            if balance and len(attempt.lines) > 1:
                return _balance(paragraphs, family, width_mm, attempt, min_size_pt, leading)
            return attempt
        if size_pt - SIZE_STEP_PT < min_size_pt - 1e-9:
            return SetText(attempt.lines, attempt.font_size_pt, attempt.height_mm, fits=False)
        size_pt = round(size_pt - SIZE_STEP_PT, 4)


def _balance(
    paragraphs: Sequence[Paragraph],
    family: str,
    width_mm: float,
    fitted: SetText,
    min_size_pt: float,
    leading: float,
) -> SetText:
    """The same text at the same size, broken at the narrowest width that keeps its line count."""
    narrow_mm, wide_mm = width_mm / len(fitted.lines), width_mm
    best = fitted
    for _ in range(12):  # bisection to well under 0.1 mm
        middle_mm = (narrow_mm + wide_mm) / 2
        attempt = _set_at(paragraphs, family, middle_mm, fitted.font_size_pt, min_size_pt, leading)
        if attempt.fits and len(attempt.lines) == len(fitted.lines):
            best, wide_mm = attempt, middle_mm
        else:
            narrow_mm = middle_mm
    return best


def _set_at(
    paragraphs: Sequence[Paragraph],
    family: str,
    width_mm: float,
    size_pt: float,
    min_size_pt: float,
    leading: float,
) -> SetText:
    lines: list[Line] = []
    fits = True
    for paragraph in paragraphs:
        # A smaller twin never drops under the block's floor (the legal minimum text size).
        paragraph_size_pt = round(max(size_pt * paragraph.scale, min(size_pt, min_size_pt)), 3)
        line_height_mm = paragraph_size_pt * MM_PER_PT * leading
        gap_mm = paragraph_size_pt * MM_PER_PT * PARAGRAPH_GAP_EM
        first_of_paragraph = True
        for runs, line_width_mm in _break_lines(paragraph, family, width_mm, paragraph_size_pt):
            if not lines:
                # Room above the first line for Vietnamese marks stacked on capitals (Ấ, Ể).
                baseline_mm = _ascent_mm(family, paragraph_size_pt)
            else:
                baseline_mm = lines[-1].baseline_mm + line_height_mm
                if first_of_paragraph:
                    baseline_mm += gap_mm
            first_of_paragraph = False
            fits = fits and line_width_mm <= width_mm + 1e-6
            lines.append(
                Line(
                    runs,
                    paragraph.field,
                    paragraph.language,
                    paragraph_size_pt,
                    line_width_mm,
                    baseline_mm,
                )
            )
    height_mm = 0.0
    if lines:
        last = lines[-1]
        height_mm = last.baseline_mm + _descent_mm(family, last.font_size_pt)
    # A single word wider than the box makes the block unfit at this size however tall it is.
    return SetText(tuple(lines), size_pt, height_mm if fits else float("inf"), fits)


def _break_lines(
    paragraph: Paragraph, family: str, width_mm: float, size_pt: float
) -> list[tuple[tuple[Run, ...], float]]:
    """Greedy line breaking at spaces (Vietnamese separates every syllable with one)."""
    space_mm = _run_width_mm(Run(" "), family, size_pt)
    result: list[tuple[tuple[Run, ...], float]] = []
    current: list[Run] = []
    current_width_mm = 0.0
    for word in _words(paragraph.runs):
        word_width_mm = sum(_run_width_mm(piece, family, size_pt) for piece in word.pieces)
        gap_mm = space_mm if current and word.space_before else 0.0
        if current and current_width_mm + gap_mm + word_width_mm > width_mm + 1e-6:
            result.append((_merge_runs(current), current_width_mm))
            current, current_width_mm, gap_mm = [], 0.0, 0.0
        if gap_mm:
            first = word.pieces[0]
            current.append(Run(" ", first.weight, first.italic, first.scale))
        current.extend(word.pieces)
        current_width_mm += gap_mm + word_width_mm
    if current:
        result.append((_merge_runs(current), current_width_mm))
    return result


def _words(runs: Sequence[Run]) -> list[_Word]:
    """Runs cut into words; a word may span runs ("NSX:" bold then "20/11" regular, no space)."""
    words: list[_Word] = []
    pending: list[Run] = []
    pending_space = False
    space_seen = False
    for run in runs:
        for index, chunk in enumerate(run.text.split(" ")):
            if index > 0:
                if pending:
                    words.append(_Word(tuple(pending), pending_space))
                    pending = []
                space_seen = True
            if chunk:
                if not pending:
                    pending_space, space_seen = space_seen, False
                pending.append(Run(chunk, run.weight, run.italic, run.scale))
    if pending:
        words.append(_Word(tuple(pending), pending_space))
    return words


def _merge_runs(runs: Sequence[Run]) -> tuple[Run, ...]:
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and (last.weight, last.italic, last.scale) == (run.weight, run.italic, run.scale):
            merged[-1] = Run(last.text + run.text, run.weight, run.italic, run.scale)
        else:
            merged.append(run)
    return tuple(merged)


def _run_width_mm(run: Run, family: str, size_pt: float) -> float:
    face = font_face(family, run.weight, run.italic)
    return face.text_width_mm(run.text, size_pt * run.scale)


def _ascent_mm(family: str, size_pt: float) -> float:
    return font_face(family).ascent_mm(size_pt) * 0.92


def _descent_mm(family: str, size_pt: float) -> float:
    return font_face(family).descent_mm(size_pt)
