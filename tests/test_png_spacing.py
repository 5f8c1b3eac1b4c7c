"""PNG word spacing: at every resolution each word of a line is drawn where the layout measured it,
so the spaces between words survive as columns of background (no "ViệtNam" at 72 dpi)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from PIL import Image

import labelgen
from labelgen.fonts import font_face
from labelgen.layout import Layout, TextBlock, layout_label
from labelgen.spec import LabelSpec, parse_spec
from labelgen.text import Line

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
MM_PER_INCH = 25.4
# A column counts as background when no pixel of it, between the x-height and the baseline, is
# further than this from the line's background in any channel: the faint anti-aliased fringe of a
# neighbouring letter is allowed, a letter is not.
CLEAR_THRESHOLD = 48


@dataclass(frozen=True)
class WordGap:
    """The space between two neighbouring words of one line, as measured by the layout (mm)."""

    before: str
    after: str
    start_mm: float  # where the first word's advance ends
    end_mm: float  # where the second word starts
    top_mm: float
    baseline_mm: float


def word_gaps(layout: Layout) -> Iterator[WordGap]:
    for block in layout.texts:
        for line in block.lines:
            yield from _line_gaps(layout, block, line)


def _line_gaps(layout: Layout, block: TextBlock, line: Line) -> Iterator[WordGap]:
    x_mm = block.line_x_mm(line)
    baseline_mm = block.top_mm + line.baseline_mm
    previous: tuple[str, float] | None = None
    for run in line.runs:
        face = font_face(layout.font_family, run.weight, run.italic)
        size_pt = line.font_size_pt * run.scale
        for index, word in enumerate(run.text.split(" ")):
            if index > 0:
                x_mm += face.text_width_mm(" ", size_pt)
            if not word:
                continue
            if previous is not None and x_mm > previous[1] + 1e-6:
                top_mm = baseline_mm - face.x_height_mm(line.font_size_pt)
                yield WordGap(previous[0], word, previous[1], x_mm, top_mm, baseline_mm)
            x_mm += face.text_width_mm(word, size_pt)
            previous = (word, x_mm)


def clearest_column(image: Image.Image, gap: WordGap, dpi: float) -> int:
    """The smallest ink level of the pixel columns the gap covers (0: a clean background column)."""
    px_per_mm = dpi / MM_PER_INCH
    left = int(gap.start_mm * px_per_mm)
    right = int(gap.end_mm * px_per_mm)
    top = round(gap.top_mm * px_per_mm)
    bottom = max(round(gap.baseline_mm * px_per_mm), top + 1)
    band = image.crop((left - 2, top, right + 3, bottom))
    colours = band.getcolors(band.width * band.height) or []
    background = max(colours)[1]
    levels = []
    for x in range(2, band.width - 2):
        column = [band.getpixel((x, y)) for y in range(band.height)]
        levels.append(
            max(max(abs(a - b) for a, b in zip(pixel, background, strict=True)) for pixel in column)
        )
    return min(levels)


@pytest.fixture(scope="module")
def front_label() -> LabelSpec:
    """The food example on its front-label template alone (one panel, so one PNG)."""
    document = yaml.safe_load((EXAMPLES_DIR / "hat-sen-say.yaml").read_text(encoding="utf-8"))
    document["template"] = "ocop-classic"
    return parse_spec(document, base_dir=EXAMPLES_DIR)


@pytest.mark.parametrize("dpi", [72, 96, 150, 300, 600])
def test_every_word_space_shows_in_the_png(front_label: LabelSpec, dpi: int) -> None:
    png = labelgen.render(front_label, "png", dpi=dpi, spec_dir=EXAMPLES_DIR)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    gaps = list(word_gaps(layout_label(front_label, spec_dir=EXAMPLES_DIR)))
    assert len(gaps) > 40  # every line of the label, not one lucky pair
    lost = [
        f"{gap.before!r}|{gap.after!r} (ink {level})"
        for gap in gaps
        if (level := clearest_column(image, gap, dpi)) > CLEAR_THRESHOLD
    ]
    assert not lost, f"{dpi} dpi: no space between " + ", ".join(lost)
