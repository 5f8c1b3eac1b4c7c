"""A Layout and its LabelSpec → findings on text whose colour does not contrast with what is behind it."""

from __future__ import annotations

import math
from collections.abc import Iterator

from labelgen.colors import (
    BODY_TEXT_CONTRAST,
    CONTRAST_TOLERANCE,
    MIN_CONTRAST,
    backdrop_role,
    contrast_ratio,
    is_large,
    role_color,
)
from labelgen.compliance.catalogue import make_finding
from labelgen.compliance.report import Finding
from labelgen.fonts import BOLD
from labelgen.layout import Layout, TextBlock
from labelgen.spec import LabelSpec

SERIAL_COLOR = "#000000"  # the drawer sets a unit's serial in 100 % black, like its code
_TOLERANCE = CONTRAST_TOLERANCE


def check_contrast(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    """A finding for every text block, and the unit's serial line, that does not contrast
    enough with the colour drawn behind it: LAYOUT-TEXT-CONTRAST under 3:1 (any text),
    LAYOUT-TEXT-CONTRAST-BODY under 4.5:1 for body text."""
    colors = layout.colors
    for block in layout.texts:
        slot = layout.manifest.text_slots[block.slot]
        yield from judge_contrast(
            f"layout.{block.slot}",
            role_color(block.color, colors),
            role_color(backdrop_role(slot), colors),
            large=is_large_text(block),
        )
    if layout.serial_line is not None:
        # Set under the code, on the label's background like every other slot's text.
        yield from judge_contrast("layout.serial", SERIAL_COLOR, colors.background, large=False)


def is_large_text(block: TextBlock) -> bool:
    """Whether every letter of the block is large text in WCAG's sense: 18 pt and up, or 14 pt
    and up in bold. One smaller run (a heading, an English twin) makes it body text."""
    return all(
        is_large(line.font_size_pt * run.scale, bold=run.weight >= BOLD)
        for line in block.lines
        for run in line.runs
        if run.text.strip()
    )


def judge_contrast(
    field: str, text_color: str, backdrop_color: str, *, large: bool
) -> Iterator[Finding]:
    """The finding, if any, on text of `text_color` drawn on `backdrop_color`."""
    ratio = contrast_ratio(text_color, backdrop_color)
    params = {
        "ratio": shown_ratio(ratio),
        "text_color": text_color.upper(),
        "backdrop_color": backdrop_color.upper(),
    }
    if ratio < MIN_CONTRAST - _TOLERANCE:
        yield make_finding("LAYOUT-TEXT-CONTRAST", field, **params)
    elif not large and ratio < BODY_TEXT_CONTRAST - _TOLERANCE:
        yield make_finding("LAYOUT-TEXT-CONTRAST-BODY", field, **params)


def shown_ratio(ratio: float) -> float:
    """A ratio as a message shows it: rounded down to hundredths, so 2.999 never reads as 3."""
    return math.floor(ratio * 100) / 100
