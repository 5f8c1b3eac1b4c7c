"""Text setting: paragraphs of styled runs + a box in mm → broken, measured lines at the largest size that fits."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from labelgen.fonts import MM_PER_PT, REGULAR, font_face
from labelgen.linebreak import compound_gaps, no_break_gaps

SIZE_STEP_PT = 0.25
PARAGRAPH_GAP_EM = 0.3
# The print norm's smallest text (REGULATIONS §7), which a run set smaller than its line (the
# net-quantity heading at half the figures' size) must not go under either.
MIN_RUN_SIZE_PT = 6.0
# What a headline pays for a break: inside a compound word ("sầu / riêng") only when no other
# break keeps the text in its box; leaving one syllable alone on a line ("Hạt / sen sấy giòn")
# about as much as two lines one of which is twice as long as the other (BALANCE_WEIGHT times the
# squared relative distance of each line from the even length).
COMPOUND_BREAK_COST = 1_000_000.0
ORPHAN_COST = 30.0
BALANCE_WEIGHT = 100.0


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
    """Text between two break opportunities: a syllable, or words glued by a no-break rule
    ("500 g", a phone number, a headline's "sầu riêng") with the spaces inside as pieces."""

    pieces: tuple[Run, ...]
    space_before: bool
    parts: tuple[_Word, ...] = ()  # the words glued into this one, for when it cannot fit a line
    break_cost: float = 0.0  # what a line break just before this word costs a headline


@dataclass(frozen=True)
class _Breaking:
    """How a paragraph may be broken. Strictly first: glued words are never split and a
    headline's compounds are glued too. Leniently only when nothing fits strictly: a glued word
    wider than the box is split at its spaces, and a headline's compounds are only costly."""

    headline: bool
    strict: bool


@dataclass(frozen=True)
class _Measured:
    """A paragraph's words at one size: the width of each and of the space before it (0 for the
    first word), all in mm."""

    words: Sequence[_Word]
    widths: Sequence[float]
    spaces: Sequence[float]

    def line(self, start: int, end: int) -> tuple[tuple[Run, ...], float]:
        """words[start:end] as one line: its runs, merged, and its width."""
        runs: list[Run] = []
        width_mm = self.widths[start]
        runs.extend(self.words[start].pieces)
        for index in range(start + 1, end):
            word = self.words[index]
            if word.space_before:
                runs.append(_space_run(word))
            runs.extend(word.pieces)
            width_mm += self.spaces[index] + self.widths[index]
        return _merge_runs(runs), width_mm


@dataclass(frozen=True)
class _Attempt:
    """The paragraphs set at one size, with what the next step needs to know about it."""

    text: SetText
    line_counts: tuple[int, ...]  # lines of each paragraph, to balance each at the same count
    relaxable: bool  # whether breaking leniently could set the text differently


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
    the caller reports it; the text is never cut. Lines never break between a figure and its unit,
    inside a phone number, a date or a GTIN (see `labelgen.linebreak`). `balance` marks a headline:
    its compound words stay on one line and its lines are evened out ("Hạt sen / sấy giòn" rather
    than "Hạt sen sấy / giòn" or "Hạt / sen sấy giòn").
    """
    paragraphs = _cache_key(tuple(paragraphs))
    for strict in (True, False):
        breaking = _Breaking(headline=balance, strict=strict)
        relaxable = False
        size_pt = max_size_pt
        while True:
            attempt = _set_at(paragraphs, family, width_mm, size_pt, min_size_pt, leading, breaking)
            relaxable = relaxable or attempt.relaxable
            text = attempt.text
            line_count_ok = max_lines is None or len(text.lines) <= max_lines
            if text.height_mm <= height_mm + 1e-6 and line_count_ok:
                if balance and len(text.lines) > 1:
                    balanced = _set_at(
                        paragraphs,
                        family,
                        width_mm,
                        size_pt,
                        min_size_pt,
                        leading,
                        breaking,
                        attempt.line_counts,
                    )
                    return balanced.text
                return text
            if size_pt - SIZE_STEP_PT < min_size_pt - 1e-9:
                break
            size_pt = round(size_pt - SIZE_STEP_PT, 4)
        if not relaxable:
            break  # breaking leniently would set the same lines: no need to try every size again
    return SetText(text.lines, text.font_size_pt, text.height_mm, fits=False)


class _Paragraphs(tuple[Paragraph, ...]):
    """Paragraphs hashed once: `_set_at` is asked about the same paragraphs at a dozen sizes,
    and hashing them (every run of every paragraph) on each ask cost more than the setting."""

    _hash: int

    def __hash__(self) -> int:
        return self._hash


@lru_cache(maxsize=1024)
def _cache_key(paragraphs: tuple[Paragraph, ...]) -> _Paragraphs:
    """The one `_Paragraphs` for paragraphs equal to these: a later layout's paragraphs are new
    objects equal to the last one's, and through this they are compared in depth once per
    `set_text`, not on each of its `_set_at` cache hits (there the same object is found)."""
    key = _Paragraphs(paragraphs)
    key._hash = hash(paragraphs)
    return key


# Kept between calls: the fitting search sets the same paragraphs at the same size again and
# again, in boxes of other heights (each headline step re-sets the text chained below it, and
# each height is searched from the top size down): two thirds of a label's settings repeat.
# The result depends on the arguments alone, so a repeat is the very same setting.
@lru_cache(maxsize=4096)
def _set_at(
    paragraphs: tuple[Paragraph, ...],
    family: str,
    width_mm: float,
    size_pt: float,
    min_size_pt: float,
    leading: float,
    breaking: _Breaking,
    balance_counts: tuple[int, ...] | None = None,
) -> _Attempt:
    """The paragraphs set at `size_pt`: greedily, or with each paragraph's lines evened out at
    the count in `balance_counts`."""
    lines: list[Line] = []
    line_counts: list[int] = []
    fits = True
    relaxable = False
    for index, paragraph in enumerate(paragraphs):
        # A smaller twin never drops under the block's floor (the legal minimum text size).
        paragraph_size_pt = round(max(size_pt * paragraph.scale, min(size_pt, min_size_pt)), 3)
        line_height_mm = paragraph_size_pt * MM_PER_PT * leading
        gap_mm = paragraph_size_pt * MM_PER_PT * PARAGRAPH_GAP_EM
        runs = _floor_runs(paragraph.runs, paragraph_size_pt)
        words, has_compounds = _breakable_words(runs, paragraph.language, breaking)
        measured, overlong = _measure(words, family, width_mm, paragraph_size_pt, breaking)
        relaxable = relaxable or has_compounds or overlong
        if balance_counts is None:
            broken = _break_lines(measured, width_mm)
        else:
            broken = _break_balanced(measured, width_mm, balance_counts[index])
        line_counts.append(len(broken))
        first_of_paragraph = True
        for line_runs, line_width_mm in broken:
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
                    line_runs,
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
    text = SetText(tuple(lines), size_pt, height_mm if fits else float("inf"), fits)
    return _Attempt(text, tuple(line_counts), relaxable)


def _floor_runs(runs: Sequence[Run], size_pt: float) -> tuple[Run, ...]:
    """Runs set smaller than their line raised to MIN_RUN_SIZE_PT, but never above the line."""
    floor_scale = min(1.0, MIN_RUN_SIZE_PT / size_pt)
    return tuple(
        run if run.scale >= floor_scale else replace(run, scale=floor_scale) for run in runs
    )


@lru_cache(maxsize=512)
def _breakable_words(
    runs: tuple[Run, ...], language: str, breaking: _Breaking
) -> tuple[tuple[_Word, ...], bool]:
    """The paragraph's words with the no-break rules applied (the same at every size, so kept),
    and whether it holds compound words a lenient headline may break."""
    words = _words(runs)
    texts = tuple("".join(piece.text for piece in word.pieces) for word in words)
    glue = no_break_gaps(texts)
    compounds = compound_gaps(texts) if breaking.headline and language == "vi" else frozenset()
    if breaking.strict:
        glue = glue | compounds
    else:
        # Kept breakable but costly: the headline balancer breaks there only as a last resort.
        words = [
            replace(word, break_cost=COMPOUND_BREAK_COST) if index - 1 in compounds else word
            for index, word in enumerate(words)
        ]
    return tuple(_glue(words, glue)), bool(compounds)


def _glue(words: Sequence[_Word], gaps: frozenset[int]) -> list[_Word]:
    """`words` with each space in `gaps` (gap i follows words[i]) made unbreakable: the words on
    either side become one, the space a piece of it in the style it is drawn in."""
    glued: list[_Word] = []
    for index, word in enumerate(words):
        if index - 1 not in gaps or not glued:
            glued.append(word)
            continue
        previous = glued.pop()
        parts = previous.parts or (previous,)
        space = (_space_run(word),) if word.space_before else ()
        pieces = previous.pieces + space + word.pieces
        glued.append(_Word(pieces, previous.space_before, (*parts, word), previous.break_cost))
    return glued


def _measure(
    words: Sequence[_Word], family: str, width_mm: float, size_pt: float, breaking: _Breaking
) -> tuple[_Measured, bool]:
    """`words` measured at `size_pt`, and whether a glued one is wider than the box; breaking
    leniently, such a word goes back to the words it was glued from."""
    kept: list[_Word] = []
    widths: list[float] = []
    overlong = False
    for word in words:
        word_width_mm = _word_width_mm(word, family, size_pt)
        if word.parts and word_width_mm > width_mm + 1e-6:
            overlong = True
            if not breaking.strict:  # however it is broken, it cannot stand on one line
                kept.extend(word.parts)
                widths.extend(_word_width_mm(part, family, size_pt) for part in word.parts)
                continue
        kept.append(word)
        widths.append(word_width_mm)
    spaces = [
        _space_width_mm(_space_run(word), family, size_pt) if index and word.space_before else 0.0
        for index, word in enumerate(kept)
    ]
    return _Measured(kept, widths, spaces), overlong


def _break_lines(measured: _Measured, width_mm: float) -> list[tuple[tuple[Run, ...], float]]:
    """Greedy line breaking at spaces (Vietnamese separates every syllable with one)."""
    result: list[tuple[tuple[Run, ...], float]] = []
    start = 0
    line_width_mm = 0.0
    for index, (word_width_mm, space_mm) in enumerate(
        zip(measured.widths, measured.spaces, strict=True)
    ):
        if index > start and line_width_mm + space_mm + word_width_mm > width_mm + 1e-6:
            result.append(measured.line(start, index))
            start, line_width_mm = index, word_width_mm
        else:
            line_width_mm += (space_mm if index > start else 0.0) + word_width_mm
    if measured.words:
        result.append(measured.line(start, len(measured.words)))
    return result


def _break_balanced(
    measured: _Measured, width_mm: float, line_count: int
) -> list[tuple[tuple[Run, ...], float]]:
    """A headline broken into `line_count` lines that fit `width_mm`, at the breaks of least cost:
    lines far from even, a line of one syllable, a compound split (see `_Headline`)."""
    headline = _Headline(measured, width_mm, list(itertools.accumulate(measured.spaces)))
    starts = headline.cheapest_line_starts(line_count)
    if starts is None:
        return _break_lines(measured, width_mm)  # fewer words than lines
    bounds = [*starts, len(measured.words)]
    return [measured.line(start, end) for start, end in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class _Headline:
    """A headline's measured words, and what each way of breaking them into lines costs."""

    measured: _Measured
    width_mm: float
    spaces_before: Sequence[float]  # the spaces before each word, added up from the first

    def line_width_mm(self, start: int, end: int) -> float:
        widths = self.measured.widths
        spaces = self.spaces_before[end - 1] - self.spaces_before[start]
        return sum(widths[start:end]) + spaces

    def line_cost(self, start: int, end: int, even_mm: float) -> float | None:
        """What setting words[start:end] as one line costs; None when it is wider than the box."""
        line_width_mm = self.line_width_mm(start, end)
        if line_width_mm > self.width_mm + 1e-6 and end - start > 1:
            return None
        words = self.measured.words
        cost = BALANCE_WEIGHT * ((line_width_mm - even_mm) / even_mm) ** 2
        if end - start == 1 and not words[start].parts:
            cost += ORPHAN_COST
        if end < len(words):
            cost += words[end].break_cost
        return cost

    def cheapest_line_starts(self, line_count: int) -> list[int] | None:
        """Where each of `line_count` lines starts in the cheapest breaking, by dynamic
        programming over where the last line starts (a headline has a handful of words)."""
        count = len(self.measured.words)
        even_mm = max(self.line_width_mm(0, count) / line_count, 1e-6) if count else 1.0
        # best[k][j]: the least cost of setting words[:j] on k lines, and where the kth starts.
        best: list[list[tuple[float, int] | None]] = [
            [None] * (count + 1) for _ in range(line_count + 1)
        ]
        best[0][0] = (0.0, 0)
        for lines in range(1, line_count + 1):
            for end in range(1, count + 1):
                for start in range(end):
                    before = best[lines - 1][start]
                    cost = None if before is None else self.line_cost(start, end, even_mm)
                    if before is None or cost is None:
                        continue
                    current = best[lines][end]
                    if current is None or before[0] + cost < current[0] - 1e-9:
                        best[lines][end] = (before[0] + cost, start)
        starts: list[int] = []
        end = count
        for lines in range(line_count, 0, -1):
            entry = best[lines][end]
            if entry is None:
                return None
            end = entry[1]
            starts.insert(0, end)
        return starts


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


def _space_run(word: _Word) -> Run:
    """The space before `word`, drawn (and so measured) in the style of the word's first piece."""
    first = word.pieces[0]
    return Run(" ", first.weight, first.italic, first.scale)


def _merge_runs(runs: Sequence[Run]) -> tuple[Run, ...]:
    merged: list[Run] = []
    for run in runs:
        last = merged[-1] if merged else None
        if last and (last.weight, last.italic, last.scale) == (run.weight, run.italic, run.scale):
            merged[-1] = Run(last.text + run.text, run.weight, run.italic, run.scale)
        else:
            merged.append(run)
    return tuple(merged)


def _word_width_mm(word: _Word, family: str, size_pt: float) -> float:
    return sum(_run_width_mm(piece, family, size_pt) for piece in word.pieces)


@lru_cache(maxsize=256)
def _space_width_mm(space: Run, family: str, size_pt: float) -> float:
    return _run_width_mm(space, family, size_pt)


def _run_width_mm(run: Run, family: str, size_pt: float) -> float:
    face = font_face(family, run.weight, run.italic)
    return face.text_width_mm(run.text, size_pt * run.scale)


def _ascent_mm(family: str, size_pt: float) -> float:
    return font_face(family).ascent_mm(size_pt) * 0.92


def _descent_mm(family: str, size_pt: float) -> float:
    return font_face(family).descent_mm(size_pt)
