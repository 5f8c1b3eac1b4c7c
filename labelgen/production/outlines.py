"""Outline stage: text in a bundled face → glyph outlines as PDF form XObjects and the operators that place them.

A print run sets only short, varying lines itself (a unit's serial, the sheet's slug line).
Drawing them as filled glyph outlines keeps them vector and needs no font embedded in the
run's PDF: each glyph used is one small form XObject, and a line is a row of `Do` operators.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from labelgen.fonts import MM_PER_PT, REGULAR, FontFace, ShapedGlyph, font_face

PT_PER_MM = 1 / MM_PER_PT


@dataclass(frozen=True)
class PlacedText:
    """Content operators that draw a line of text, and the glyphs they call."""

    operators: str
    glyph_ids: frozenset[int]


def glyph_resource_name(glyph_id: int) -> str:
    """The name a glyph's form XObject has in a run's resources (`G339`)."""
    return f"G{glyph_id}"


def text_face(family: str) -> FontFace:
    """The face a run sets its own lines in: the label's family, regular."""
    return font_face(family, REGULAR)


def place_glyphs(
    face: FontFace, glyphs: tuple[ShapedGlyph, ...], size_pt: float, x_pt: float, baseline_pt: float
) -> PlacedText:
    """Operators drawing the shaped `glyphs` with their baseline starting at (`x_pt`,
    `baseline_pt`) in PDF page space (y up), in the current fill colour.

    The line is scaled once to font units; each glyph is then reached by a move in whole font
    units from the one before, so the numbers are exact and quick to write.
    """
    scale = size_pt / face.units_per_em
    operators = [f"q {scale:.6f} 0 0 {scale:.6f} {x_pt:.3f} {baseline_pt:.3f} cm"]
    glyph_ids = set()
    pen_units = 0
    at_x_units = 0
    at_y_units = 0
    for glyph in glyphs:
        x_units = pen_units + glyph.x_offset_units
        y_units = glyph.y_offset_units
        pen_units += glyph.advance_units
        if not glyph_outline(face, glyph.glyph_id):
            continue  # a space: nothing to draw
        glyph_ids.add(glyph.glyph_id)
        operators.append(
            f"1 0 0 1 {x_units - at_x_units} {y_units - at_y_units} cm "
            f"/{glyph_resource_name(glyph.glyph_id)} Do"
        )
        at_x_units = x_units
        at_y_units = y_units
    operators.append("Q")
    return PlacedText(" ".join(operators), frozenset(glyph_ids))


@lru_cache(maxsize=4096)
def glyph_outline(face: FontFace, glyph_id: int) -> str:
    """The glyph's outline as PDF path operators in font units (y up), filled non-zero; empty
    for a glyph with no outline."""
    pen = _PdfPathPen()
    face._hb_font.draw_glyph_with_pen(glyph_id, pen)
    return pen.operators()


def glyph_bbox_units(face: FontFace, glyph_id: int) -> tuple[int, int, int, int]:
    """A box holding the glyph's outline, in font units (a form XObject needs one)."""
    extents = face._hb_font.get_glyph_extents(glyph_id)
    if extents is None:
        return (0, 0, 0, 0)
    left = extents.x_bearing
    top = extents.y_bearing
    return (left - 1, top + extents.height - 1, left + extents.width + 1, top + 1)


class _PdfPathPen:
    """A HarfBuzz drawing pen writing PDF path operators; quadratic curves become cubic."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._current = (0.0, 0.0)

    def operators(self) -> str:
        return " ".join(self._parts) + " f" if self._parts else ""

    def moveTo(self, point: tuple[float, float]) -> None:
        self._parts.append(f"{_n(point[0])} {_n(point[1])} m")
        self._current = point

    def lineTo(self, point: tuple[float, float]) -> None:
        self._parts.append(f"{_n(point[0])} {_n(point[1])} l")
        self._current = point

    def curveTo(
        self, first: tuple[float, float], second: tuple[float, float], end: tuple[float, float]
    ) -> None:
        self._parts.append(
            f"{_n(first[0])} {_n(first[1])} {_n(second[0])} {_n(second[1])} "
            f"{_n(end[0])} {_n(end[1])} c"
        )
        self._current = end

    def qCurveTo(self, control: tuple[float, float], end: tuple[float, float]) -> None:
        # The cubic with handles two thirds of the way to the quadratic's control point is the
        # same curve.
        start = self._current
        first = (
            start[0] + 2 / 3 * (control[0] - start[0]),
            start[1] + 2 / 3 * (control[1] - start[1]),
        )
        second = (end[0] + 2 / 3 * (control[0] - end[0]), end[1] + 2 / 3 * (control[1] - end[1]))
        self.curveTo(first, second, end)

    def closePath(self) -> None:
        self._parts.append("h")


def _n(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


GlyphForms = dict[int, tuple[str, tuple[int, int, int, int]]]


def glyph_forms(family: str, glyph_ids: Iterable[int]) -> GlyphForms:
    """Each glyph of the family's regular face as a form's content (its outline, filled) and
    bounding box in font units, by glyph id: what `place_glyphs` calls."""
    face = text_face(family)
    return {
        glyph_id: (glyph_outline(face, glyph_id), glyph_bbox_units(face, glyph_id))
        for glyph_id in glyph_ids
    }
