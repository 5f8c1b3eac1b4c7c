"""Flat drawing: a Carton → one SVG of the flat blank (flaps, each face's artwork placed and
turned, bleed past cut edges; the die's lines or the marks and legend)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from labelgen.draw import MARK_LENGTH_MM, MARK_OFFSET_MM, crop_marks_svg, draw_svg
from labelgen.errors import RenderError
from labelgen.packaging.artwork import Carton, PanelArt
from labelgen.packaging.structures import Dieline, Panel, Rect, Segment

BLEED_MM = 3.0
LEGEND_SIZE_MM = 2.4
LEGEND_LEADING = 1.4
LEGEND_LINES = 4
# Under the marks, outside the trim: the job, the structure, the sizes, what each line is.
LEGEND_HEIGHT_MM = LEGEND_LINES * LEGEND_SIZE_MM * LEGEND_LEADING + 2.0
LEGEND_EM_PER_CHAR = 0.58  # a generous average advance, so an estimated line never overruns
CUT_SCREEN = "#E4007C"  # how a proof shows the die's lines (the print PDF uses spot colours)
CREASE_SCREEN = "#0091D5"
STYLE_NAMES = {
    "reverse-tuck-end": "Reverse tuck end / Nắp gài ngược",
    "straight-tuck-end": "Straight tuck end / Nắp gài cùng chiều",
    "crash-lock": "Crash-lock bottom, tuck top / Đáy khóa tự động, nắp gài",
    "sleeve": "Sleeve / Áo hộp",
}

FlatForm = Literal["screen", "raster", "print", "artwork"]


@dataclass(frozen=True)
class FlatGeometry:
    """Where the trim (the dieline's bounding box) sits on the drawing, in mm."""

    margin_mm: float  # left, right and top of the trim
    width_mm: float  # of the whole drawing
    height_mm: float


def flat_geometry(dieline: Dieline, form: FlatForm) -> FlatGeometry:
    if form == "print":
        margin = BLEED_MM + MARK_OFFSET_MM + MARK_LENGTH_MM + 1.0
        legend = LEGEND_HEIGHT_MM
    else:  # the blank and its bleed: a proof, or the artwork a press sheet steps
        margin = BLEED_MM
        legend = 0.0
    return FlatGeometry(
        margin, dieline.width_mm + 2 * margin, dieline.height_mm + 2 * margin + legend
    )


def draw_flat_svg(carton: Carton, form: FlatForm = "screen", *, press: bool = False) -> str:
    """The flat blank as SVG, sized in mm.

    `screen`: artwork with bleed and the die's cut (solid) and crease (dashed) lines drawn for a
    proof, fonts embedded. `raster`: the same for CairoSVG (fonts from fontconfig, letters pinned).
    `print`: artwork with bleed, crop marks and the legend, without the die's lines (the PDF
    adds them as spot colours); `artwork`: the artwork with its bleed alone (a press sheet
    draws its own marks and lines). `press` draws black as the black plate alone.
    """
    dieline = carton.dieline
    geometry = flat_geometry(dieline, form)
    margin = geometry.margin_mm
    colours = carton.spec.brand.colors
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"',
        f' width="{_n(geometry.width_mm)}mm" height="{_n(geometry.height_mm)}mm"',
        f' viewBox="{_n(-margin)} {_n(-margin)} {_n(geometry.width_mm)} {_n(geometry.height_mm)}"',
        f' role="img" aria-label="{escape(_title(carton), {chr(34): "&quot;"})}">',
        f"<title>{escape(_title(carton))}</title>",
        '<g id="flaps">',
    ]
    dressed = {art.panel.rect for art in carton.art}
    for flap in dieline.flaps:
        if flap.kind == "glue" or _flap_rect(flap.outline) in dressed:
            continue  # glue sticks to bare board; a dressed closure is drawn as a panel
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in flap.outline)
        # The stroke, as wide as twice the bleed, carries the flap's colour past its cut edges.
        parts.append(
            f'<polygon points="{points}" fill="{colours.background}" stroke="{colours.background}"'
            f' stroke-width="{_n(2 * BLEED_MM)}" stroke-linejoin="round"/>'
        )
    for panel in dieline.panels:
        if panel.rect not in dressed and not any(
            flap.kind == "glue" and _flap_rect(flap.outline) == panel.rect for flap in dieline.flaps
        ):
            r = panel.rect
            parts.append(
                f'<rect x="{_n(r.x_mm)}" y="{_n(r.y_mm)}" width="{_n(r.width_mm)}"'
                f' height="{_n(r.height_mm)}" fill="{colours.background}"'
                f' stroke="{colours.background}" stroke-width="{_n(2 * BLEED_MM)}"/>'
            )
    # Glue holds on bare board: no ink where the gluer puts it (a crash-lock's flap patches).
    for area in dieline.glue_areas:
        parts.append(
            f'<rect class="glue" x="{_n(area.x_mm)}" y="{_n(area.y_mm)}"'
            f' width="{_n(area.width_mm)}" height="{_n(area.height_mm)}" fill="#FFFFFF"/>'
        )
    parts.append("</g>")
    # Panels are drawn over the flaps, so a flap's bleed never covers a face's artwork.
    for art in carton.art:
        parts.append(_placed_panel(art, carton, form, press))
    if form in ("screen", "raster"):
        parts.append(_die_lines(dieline))
    elif form == "print":
        parts.append(crop_marks_svg(dieline.width_mm, dieline.height_mm, BLEED_MM))
        parts.append(_legend(carton, geometry))
    parts.append("</svg>")
    drawing = "".join(parts)
    return _font_faces_once(drawing) if form == "screen" else drawing


_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def _font_faces_once(drawing: str) -> str:
    """Each face's embedded font once for the whole flat, not once per panel that uses it (a
    style sheet in an SVG applies to the whole document)."""
    faces = list(dict.fromkeys(_FONT_FACE.findall(drawing)))
    without = _FONT_FACE.sub("", drawing)
    opening = _SVG_OPEN.search(without)
    if opening is None:
        raise RenderError("the flat drawing has no <svg> element")
    style = f"<style>{''.join(faces)}</style>"
    return without[: opening.end()] + style + without[opening.end() :]


def _title(carton: Carton) -> str:
    package = carton.dieline.package
    return (
        f"{carton.spec.product.name} — {package.style} "
        f"{_n(package.length_mm)} × {_n(package.width_mm)} × {_n(package.depth_mm)} mm"
    )


def _flap_rect(outline: tuple[tuple[float, float], ...]) -> Rect:
    xs = [point[0] for point in outline]
    ys = [point[1] for point in outline]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def panel_bleeds(panel: Panel, carton: Carton) -> tuple[float, float, float, float]:
    """Bleed past each edge of a panel (left, top, right, bottom on the flat): none toward
    another dressed face (its own artwork runs to the fold) or the glue flap (glue needs bare
    board), the full bleed elsewhere, over cut edges and the flaps beyond folds."""
    neighbours = [art.panel.rect for art in carton.art if art.panel != panel]
    neighbours += [_flap_rect(flap.outline) for flap in carton.dieline.flaps if flap.kind == "glue"]
    r = panel.rect

    def touches(edge: Segment) -> bool:
        return any(_edge_touches(edge, other) for other in neighbours)

    left = Segment((r.x_mm, r.y_mm), (r.x_mm, r.bottom_mm))
    top = Segment((r.x_mm, r.y_mm), (r.right_mm, r.y_mm))
    right = Segment((r.right_mm, r.y_mm), (r.right_mm, r.bottom_mm))
    bottom = Segment((r.x_mm, r.bottom_mm), (r.right_mm, r.bottom_mm))
    return tuple(0.0 if touches(edge) else BLEED_MM for edge in (left, top, right, bottom))  # type: ignore[return-value]


def _edge_touches(edge: Segment, other: Rect, tolerance: float = 1e-6) -> bool:
    (x0, y0), (x1, y1) = edge.start, edge.end
    if abs(x0 - x1) < tolerance:  # vertical edge
        on_line = abs(other.x_mm - x0) < tolerance or abs(other.right_mm - x0) < tolerance
        return on_line and min(y1, other.bottom_mm) - max(y0, other.y_mm) > tolerance
    on_line = abs(other.y_mm - y0) < tolerance or abs(other.bottom_mm - y0) < tolerance
    return on_line and min(x1, other.right_mm) - max(x0, other.x_mm) > tolerance


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def _placed_panel(art: PanelArt, carton: Carton, form: FlatForm, press: bool) -> str:
    """A face's own drawing nested at its place on the flat, clipped to its trim plus the bleeds
    `panel_bleeds` allows, turned 180° when the panel lies upside down on the flat."""
    panel = art.panel
    drawing = draw_svg(
        art.layout,
        for_print=True,
        crop_marks=False,
        embed_fonts=form == "screen",
        pin_words=form == "raster",
        press=press,
    )
    left, top, right, bottom = panel_bleeds(panel, carton)
    r = panel.rect
    # The viewport on the flat, then where it lies before the turn (a 180° turn about the
    # panel's centre maps the flat region [a, b] to [2c - b, 2c - a]).
    flat_x0, flat_x1 = r.x_mm - left, r.right_mm + right
    flat_y0, flat_y1 = r.y_mm - top, r.bottom_mm + bottom
    if panel.rotation == 180:
        centre_x2, centre_y2 = 2 * r.x_mm + r.width_mm, 2 * r.y_mm + r.height_mm
        flat_x0, flat_x1 = centre_x2 - flat_x1, centre_x2 - flat_x0
        flat_y0, flat_y1 = centre_y2 - flat_y1, centre_y2 - flat_y0
    width, height = flat_x1 - flat_x0, flat_y1 - flat_y0
    opening = (
        f'<svg x="{_n(flat_x0)}" y="{_n(flat_y0)}" width="{_n(width)}" height="{_n(height)}"'
        f' viewBox="{_n(flat_x0 - r.x_mm)} {_n(flat_y0 - r.y_mm)} {_n(width)} {_n(height)}"'
        ' overflow="hidden">'
    )
    nested = _SVG_OPEN.sub(lambda _match: opening, drawing, count=1)
    transform = ""
    if panel.rotation == 180:
        transform = (
            f' transform="rotate(180 {_n(r.x_mm + r.width_mm / 2)} {_n(r.y_mm + r.height_mm / 2)})"'
        )
    return f'<g class="panel panel-{panel.face}"{transform}>{nested}</g>'


def _die_lines(dieline: Dieline) -> str:
    cut = "".join(_path(segment) for segment in dieline.cuts)
    crease = "".join(_path(segment) for segment in dieline.creases)
    return (
        f'<g id="dieline" fill="none" stroke-width="0.3">'
        f'<path class="cut" stroke="{CUT_SCREEN}" d="{cut}"/>'
        f'<path class="crease" stroke="{CREASE_SCREEN}" stroke-dasharray="2 1.2" d="{crease}"/>'
        "</g>"
    )


def _path(segment: Segment) -> str:
    return (
        f"M{_n(segment.start[0])} {_n(segment.start[1])}L{_n(segment.end[0])} {_n(segment.end[1])}"
    )


def legend_lines(carton: Carton) -> list[str]:
    """What the legend under the trim says: the job, the structure, the sizes, the die's lines."""
    package = carton.dieline.package
    dieline = carton.dieline
    return [
        f"{carton.spec.product.name} — {STYLE_NAMES[package.style]}",
        f"L {_n(package.length_mm)} × W {_n(package.width_mm)} × D {_n(package.depth_mm)} mm "
        f"inside / lòng hộp, board {_n(package.board_mm)} mm",
        f"flat / trải phẳng {_n(dieline.width_mm)} × {_n(dieline.height_mm)} mm, bleed 3 mm",
        "CutContour: cut / cắt — Crease: fold / gấp — glue flap unprinted / vạt dán không in",
    ]


def _legend(carton: Carton, geometry: FlatGeometry) -> str:
    y = carton.dieline.height_mm + geometry.margin_mm + LEGEND_SIZE_MM
    texts = legend_lines(carton)
    longest = max(len(text) for text in texts)
    # A narrow blank (a sleeve) sets its legend smaller rather than past the page.
    size = min(LEGEND_SIZE_MM, carton.dieline.width_mm / (longest * LEGEND_EM_PER_CHAR))
    lines = []
    for index, text in enumerate(texts):
        lines.append(
            f'<text x="0" y="{_n(y + index * size * LEGEND_LEADING)}"'
            f' font-size="{_n(size)}" fill="#000000">{escape(text)}</text>'
        )
    family = escape(carton.spec.brand.font, {'"': "&quot;"})
    return f'<g class="legend" font-family="{family}">{"".join(lines)}</g>'


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
