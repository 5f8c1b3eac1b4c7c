"""PDF writing stage: a label's drawing (the SVG `draw_svg` makes) or a carton's flat → PDF pages, written directly.

Each panel becomes one page: the drawing's shapes as vector paths, its text as real text in
embedded TrueType subsets (with a ToUnicode map, so it can be searched and copied), its images
as image XObjects, then the print boxes and the CutContour die line. Glyphs are placed where
HarfBuzz puts them (`labelgen.fonts.shape_text`), which is where the layout measured them.

The stages, in order:

1. `_Interpreter` reads the drawing: `g`, `rect`, `circle`, `ellipse`, `line`, `polyline`,
   `polygon`, `path`, `text`/`tspan`, PNG `image` and nested `svg` viewports (how a carton's
   flat places each face's drawing), with the presentation attributes our templates, badge,
   codes and flats use. Anything else raises `UnsupportedDrawing`: the exporter then draws that
   label or flat the other way (WeasyPrint), never a part of it left out.
2. `_Resources` collects what the operators call: fonts (glyphs used, and the text each glyph
   stands for), opacity states and images.
3. `write_pdf` assembles the pages with pikepdf, so that the press conversion, the output intent
   and the subset tags are the very functions every other PDF of the project goes through.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from xml.etree import ElementTree

import pikepdf
import uharfbuzz as hb
from isal import isal_zlib
from PIL import Image

from labelgen.draw import TEXT_STYLE_RULE, draw_svg, print_margin_mm
from labelgen.errors import RenderError
from labelgen.fonts import FontFace, ShapedGlyph, font_face, glyph_texts, shape_text
from labelgen.layout import Layout
from labelgen.production.writer import COMPRESSION_LEVEL, compress_content

PT_PER_MM = 72 / 25.4
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
KAPPA = 0.5522847498  # Bézier handle length for a quarter circle
ToUnicodeText = dict[int, str]


class UnsupportedDrawing(Exception):
    """The drawing uses SVG this writer does not draw (a template folder's own gradient, say)."""


# --- the drawing → content operators -------------------------------------------------------------


@dataclass
class _Resources:
    """What a document's content streams call, in the order they first call it."""

    fonts: dict[FontFace, str] = field(default_factory=dict)
    glyph_text: dict[FontFace, ToUnicodeText] = field(default_factory=dict)
    alphas: dict[tuple[str, float], str] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)

    def font(self, face: FontFace) -> str:
        if face not in self.fonts:
            self.fonts[face] = f"F{len(self.fonts) + 1}"
            self.glyph_text[face] = {}
        return self.fonts[face]

    def alpha(self, key: str, value: float) -> str:
        """An ExtGState name setting `key` (`ca` fill, `CA` stroke) to `value`."""
        if (key, value) not in self.alphas:
            self.alphas[(key, value)] = f"GA{len(self.alphas) + 1}"
        return self.alphas[(key, value)]

    def image(self, data_uri: str) -> str:
        if data_uri not in self.images:
            self.images[data_uri] = f"Im{len(self.images) + 1}"
        return self.images[data_uri]


Style = dict[str, str]
# What an element passes on to its children (SVG's inherited presentation attributes).
INHERITED = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-dasharray",
        "stroke-opacity",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "letter-spacing",
    }
)
# Read where they apply, or meaning nothing to print (names, accessibility, screen hints).
NOT_INHERITED = frozenset(
    {
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "width",
        "height",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "d",
        "points",
        "transform",
        "href",
        "preserveAspectRatio",
        "class",
        "id",
        "role",
        "aria-label",
        "shape-rendering",
        "xmlns",
        "version",
        "viewBox",
        "overflow",
    }
)
INITIAL_STYLE: Style = {
    "fill": "#000000",
    "stroke": "none",
    "stroke-width": "1",
    "font-size": "16",
    "font-weight": "400",
    "font-style": "normal",
    "text-anchor": "start",
}
SHAPES = frozenset({"rect", "circle", "ellipse", "line", "polyline", "polygon", "path"})
SKIPPED = frozenset({"title", "desc"})
LINE_JOINS = {"miter": "0", "round": "1", "bevel": "2"}
ALIGNMENTS = frozenset(f"x{x}Y{y}" for x in ("Min", "Mid", "Max") for y in ("Min", "Mid", "Max"))


class _Interpreter:
    """Turns a drawing's elements into content operators in its own units (mm, y down)."""

    def __init__(self, resources: _Resources, own_style_rule: str) -> None:
        self._resources = resources
        self._own_style_rule = own_style_rule
        self.operators: list[str] = []

    def draw_root(self, root: ElementTree.Element) -> None:
        if root.tag != f"{SVG_NAMESPACE}svg":
            raise UnsupportedDrawing(f"the root element is {root.tag}")
        self._svg_children(root, INITIAL_STYLE)

    def _svg_children(self, svg: ElementTree.Element, style: Style) -> None:
        for child in svg:
            if child.tag == f"{SVG_NAMESPACE}style":
                # The drawing's own rule (no kerning or ligatures, spaces kept) is what the writer
                # does anyway; any other style sheet is not read here.
                if (child.text or "") != self._own_style_rule:
                    raise UnsupportedDrawing("a style sheet")
                continue
            self._element(child, style)

    def _element(self, element: ElementTree.Element, inherited: Style) -> None:
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith(SVG_NAMESPACE):
            raise UnsupportedDrawing(f"the element {tag}")
        name = tag[len(SVG_NAMESPACE) :]
        if name in SKIPPED:
            return
        style = dict(inherited)
        for key, value in element.attrib.items():
            if key in INHERITED:
                style[key] = value
            elif key not in NOT_INHERITED:
                raise UnsupportedDrawing(f"the attribute {key} on <{name}>")
        if name == "svg":
            self._nested_svg(element, style)
            return
        transform = element.get("transform")
        if transform is not None:
            self.operators.append(f"q {_transform(transform)} cm")
        if name == "g":
            for child in element:
                self._element(child, style)
        elif name in SHAPES:
            self._shape(name, element, style)
        elif name == "text":
            self._text(element, style)
        elif name == "image":
            self._image(element)
        else:
            raise UnsupportedDrawing(f"the element <{name}>")
        if transform is not None:
            self.operators.append("Q")

    def _shape(self, name: str, element: ElementTree.Element, style: Style) -> None:
        path = _shape_path(name, element)
        fill = _colour(style["fill"]) if name not in ("line", "polyline") else None
        stroke = _colour(style["stroke"])
        if not path or (fill is None and stroke is None):
            return
        states = []
        if fill is not None:
            states.append(f"{fill} rg")
            states.extend(self._opacity("ca", style.get("fill-opacity")))
        if stroke is not None:
            states.append(f"{stroke} RG {_n(_number(style['stroke-width']))} w")
            states.extend(self._opacity("CA", style.get("stroke-opacity")))
            if style.get("stroke-linecap", "butt") != "butt":
                caps = {"round": "1", "square": "2"}
                if style["stroke-linecap"] not in caps:
                    raise UnsupportedDrawing(f"stroke-linecap {style['stroke-linecap']}")
                states.append(f"{caps[style['stroke-linecap']]} J")
            join = style.get("stroke-linejoin", "miter")
            if join not in LINE_JOINS:
                raise UnsupportedDrawing(f"stroke-linejoin {join}")
            if join != "miter":
                states.append(f"{LINE_JOINS[join]} j")
            dashes = style.get("stroke-dasharray", "none")
            if dashes != "none":
                states.append(f"[{' '.join(_n(value) for value in _numbers(dashes))}] 0 d")
        even_odd = style.get("fill-rule", "nonzero") == "evenodd"
        if fill is not None and stroke is not None:
            paint = "B*" if even_odd else "B"
        elif fill is not None:
            paint = "f*" if even_odd else "f"
        else:
            paint = "S"
        self.operators.append(f"q {' '.join(states)} {path} {paint} Q")

    def _nested_svg(self, element: ElementTree.Element, style: Style) -> None:
        """A nested <svg>: its children drawn through the viewBox-to-viewport transform,
        clipped to the viewport (a nested viewport hides its overflow unless told otherwise)."""
        if "transform" in element.attrib:
            raise UnsupportedDrawing("a transform on a nested <svg>")
        if element.get("overflow", "hidden") not in ("hidden", "scroll"):
            raise UnsupportedDrawing(f"overflow {element.get('overflow')} on a nested <svg>")
        x, y = _number(element.get("x", "0")), _number(element.get("y", "0"))
        width, height = _number(element.get("width")), _number(element.get("height"))
        if width < 0 or height < 0:
            raise UnsupportedDrawing("a nested <svg> of negative size")
        if width == 0 or height == 0:
            return  # SVG draws nothing in a viewport of no area
        matrix = viewport_matrix(
            (x, y, width, height),
            element.get("viewBox"),
            element.get("preserveAspectRatio", "xMidYMid meet"),
        )
        self.operators.append(
            f"q {_n(x)} {_n(y)} {_n(width)} {_n(height)} re W n "
            + " ".join(_n(value, 6) for value in matrix)
            + " cm"
        )
        self._svg_children(element, style)
        self.operators.append("Q")

    def _opacity(self, key: str, value: str | None) -> list[str]:
        if value is None or float(value) >= 1:
            return []
        return [f"/{self._resources.alpha(key, round(float(value), 4))} gs"]

    def _text(self, element: ElementTree.Element, style: Style) -> None:
        if any(key in element.attrib for key in ("dx", "dy", "rotate", "textLength")):
            raise UnsupportedDrawing("positioned glyphs")
        x_mm, y_mm = _number(element.get("x", "0")), _number(element.get("y", "0"))
        pieces = list(_text_pieces(element, style))
        anchor = style["text-anchor"]
        if anchor != "start":
            width_mm = sum(self._piece_width_mm(text, piece) for text, piece in pieces)
            if anchor == "middle":
                x_mm -= width_mm / 2
            elif anchor == "end":
                x_mm -= width_mm
            else:
                raise UnsupportedDrawing(f"text-anchor {anchor}")
        for text, piece in pieces:
            x_mm = self._text_piece(text, piece, x_mm, y_mm)

    def _piece_width_mm(self, text: str, style: Style) -> float:
        face, size_mm, spacing_mm = _text_face(style)
        glyphs = shape_text(face, text)
        return _advance_mm(face, glyphs, size_mm) + spacing_mm * len(glyphs)

    def _text_piece(self, text: str, style: Style, x_mm: float, y_mm: float) -> float:
        """Operators setting `text` from (x, y); returns where the next piece starts."""
        face, size_mm, spacing_mm = _text_face(style)
        glyphs = shape_text(face, text)
        name = self._resources.font(face)
        known = self._resources.glyph_text[face]
        for glyph_id, letters in zip(
            (glyph.glyph_id for glyph in glyphs), glyph_texts(face, text), strict=True
        ):
            if glyph_id == 0:
                raise RenderError(f"the font {face.family} has no glyph for {letters!r}")
            known.setdefault(glyph_id, letters)
        fill = _colour(style["fill"])
        if fill is None or not glyphs:
            return x_mm + _advance_mm(face, glyphs, size_mm) + spacing_mm * len(glyphs)
        states = [f"{fill} rg", *self._opacity("ca", style.get("fill-opacity"))]
        # Text space is flipped back upright inside the drawing's y-down units; character
        # spacing (Tc) is in unscaled text units, so the letter-spacing is divided by the size.
        spacing = f"{_n(spacing_mm / size_mm, 6)} Tc " if spacing_mm else ""
        body = _glyph_runs(face, glyphs, size_mm, spacing_mm, x_mm, y_mm)
        self.operators.append(f"q {' '.join(states)} BT /{name} 1 Tf {spacing}{body} ET Q")
        return x_mm + _advance_mm(face, glyphs, size_mm) + spacing_mm * len(glyphs)

    def _image(self, element: ElementTree.Element) -> None:
        uri = element.get("href", "")
        if not uri.startswith("data:image/png;base64,"):
            raise UnsupportedDrawing("an image that is not an embedded PNG")
        if element.get("preserveAspectRatio", "xMidYMid meet") != "xMidYMid meet":
            raise UnsupportedDrawing("an image not fitted xMidYMid meet")
        box_x, box_y = _number(element.get("x", "0")), _number(element.get("y", "0"))
        box_width, box_height = _number(element.get("width")), _number(element.get("height"))
        width_px, height_px = _image_streams(uri).size
        scale = min(box_width / width_px, box_height / height_px)
        width, height = width_px * scale, height_px * scale
        x = box_x + (box_width - width) / 2
        y = box_y + (box_height - height) / 2
        name = self._resources.image(uri)
        # An image fills the unit square upward; the drawing's y runs down, so it is flipped.
        self.operators.append(
            f"q {_n(width)} 0 0 {_n(-height)} {_n(x)} {_n(y + height)} cm /{name} Do Q"
        )


def _text_pieces(element: ElementTree.Element, style: Style) -> Iterator[tuple[str, Style]]:
    """The text of a <text> and its <tspan>s, in order, each with its own style."""
    if element.text:
        yield element.text, style
    for child in element:
        if child.tag != f"{SVG_NAMESPACE}tspan":
            raise UnsupportedDrawing(f"the element {child.tag} inside text")
        child_style = dict(style)
        for key, value in child.attrib.items():
            if key not in INHERITED:
                raise UnsupportedDrawing(f"the attribute {key} on <tspan>")
            child_style[key] = value
        yield from _text_pieces(child, child_style)
        if child.tail:
            yield child.tail, style


def _text_face(style: Style) -> tuple[FontFace, float, float]:
    weight = int(style["font-weight"])
    italic = style["font-style"] == "italic"
    if "font-family" not in style:
        raise UnsupportedDrawing("text with no font-family")
    face = font_face(style["font-family"].strip("'\""), weight, italic)
    return face, _number(style["font-size"]), _number(style.get("letter-spacing", "0"))


def _advance_mm(face: FontFace, glyphs: tuple[ShapedGlyph, ...], size_mm: float) -> float:
    return sum(glyph.advance_units for glyph in glyphs) / face.units_per_em * size_mm


def _glyph_runs(
    face: FontFace,
    glyphs: tuple[ShapedGlyph, ...],
    size_mm: float,
    spacing_mm: float,
    x_mm: float,
    y_mm: float,
) -> str:
    """`Tm` and `TJ` operators for the glyphs: a run advances by the font's own widths (the /W
    array) plus the character spacing (`Tc`), and a glyph HarfBuzz moved (a mark, say) is
    placed by a matrix of its own."""
    scale = size_mm / face.units_per_em
    widths = _widths(face)
    parts = []
    run: list[str] = []
    pen_mm = x_mm
    for glyph in glyphs:
        moved = glyph.x_offset_units or glyph.y_offset_units
        if moved or glyph.advance_units != widths(glyph.glyph_id):
            if run:
                parts.append(f"[<{''.join(run)}>] TJ")
                run = []
            gx = pen_mm + glyph.x_offset_units * scale
            gy = y_mm - glyph.y_offset_units * scale
            parts.append(
                f"{_n(size_mm)} 0 0 {_n(-size_mm)} {_n(gx)} {_n(gy)} Tm <{glyph.glyph_id:04x}> Tj"
            )
        else:
            if not run:
                parts.append(f"{_n(size_mm)} 0 0 {_n(-size_mm)} {_n(pen_mm)} {_n(y_mm)} Tm")
            run.append(f"{glyph.glyph_id:04x}")
        pen_mm += glyph.advance_units * scale + spacing_mm
    if run:
        parts.append(f"[<{''.join(run)}>] TJ")
    return " ".join(parts)


@lru_cache(maxsize=32)
def _widths(face: FontFace) -> _AdvanceTable:
    return _AdvanceTable(face)


class _AdvanceTable:
    """A face's horizontal advances by glyph id, read once each."""

    def __init__(self, face: FontFace) -> None:
        self._font = face._hb_font
        self._cache: dict[int, int] = {}

    def __call__(self, glyph_id: int) -> int:
        advance = self._cache.get(glyph_id)
        if advance is None:
            advance = self._cache[glyph_id] = self._font.get_glyph_h_advance(glyph_id)
        return advance


# --- SVG geometry --------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"([MmLlHhVvCcSsQqTtAaZz])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_TRANSFORM = re.compile(r"\s*(matrix|translate|scale|rotate)\s*\(([^)]*)\)\s*,?")


def viewport_matrix(
    viewport: tuple[float, float, float, float], view_box: str | None, aspect: str
) -> tuple[float, ...]:
    """The matrix taking a viewBox's units to its viewport (x, y, width, height), fitted as
    `preserveAspectRatio` says (SVG 1.1, 7.8: meet or slice, aligned on each axis; or none)."""
    x, y, width, height = viewport
    if view_box is None:
        return (1.0, 0.0, 0.0, 1.0, x, y)
    box = _numbers(view_box)
    if len(box) != 4 or box[2] <= 0 or box[3] <= 0:
        raise UnsupportedDrawing(f"the viewBox {view_box!r}")
    box_x, box_y, box_width, box_height = box
    scale_x, scale_y = width / box_width, height / box_height
    words = aspect.split()
    align = words[0] if words else ""
    fit = words[1] if len(words) == 2 else "meet"
    if len(words) not in (1, 2) or fit not in ("meet", "slice"):
        raise UnsupportedDrawing(f"preserveAspectRatio {aspect!r}")
    if align != "none":
        if align not in ALIGNMENTS:
            raise UnsupportedDrawing(f"preserveAspectRatio {aspect!r}")
        scale_x = scale_y = (min if fit == "meet" else max)(scale_x, scale_y)
    translate_x = x - box_x * scale_x
    translate_y = y - box_y * scale_y
    share = {"Min": 0.0, "Mid": 0.5, "Max": 1.0}
    if align != "none":
        translate_x += share[align[1:4]] * (width - box_width * scale_x)
        translate_y += share[align[5:8]] * (height - box_height * scale_y)
    return (scale_x, 0.0, 0.0, scale_y, translate_x, translate_y)


def _number(value: str | None) -> float:
    if value is None:
        raise UnsupportedDrawing("a missing length")
    try:
        return float(value)
    except ValueError:
        raise UnsupportedDrawing(f"the length {value!r} (only plain numbers)") from None


def _numbers(text: str) -> list[float]:
    return [float(value) for value in _NUMBER.findall(text)]


def _n(value: float, places: int = 4) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@lru_cache(maxsize=256)
def _colour(value: str) -> str | None:
    """`r g b` operands for a #RRGGBB colour; None for `none`."""
    if value == "none":
        return None
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise UnsupportedDrawing(f"the colour {value!r}")
    return " ".join(_n(int(value[index : index + 2], 16) / 255) for index in (1, 3, 5))


def _transform(text: str) -> str:
    """The `cm` operands of an SVG transform list."""
    matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    position = 0
    while position < len(text.rstrip()):
        match = _TRANSFORM.match(text, position)
        if match is None:
            raise UnsupportedDrawing(f"the transform {text!r}")
        kind, values = match.group(1), _numbers(match.group(2))
        matrix = _multiply(matrix, _transform_matrix(kind, values))
        position = match.end()
    return " ".join(_n(value, 6) for value in matrix)


def _transform_matrix(kind: str, values: list[float]) -> tuple[float, ...]:
    if kind == "matrix" and len(values) == 6:
        return tuple(values)
    if kind == "translate" and len(values) in (1, 2):
        return (1, 0, 0, 1, values[0], values[1] if len(values) == 2 else 0)
    if kind == "scale" and len(values) in (1, 2):
        return (values[0], 0, 0, values[-1], 0, 0)
    if kind == "rotate" and len(values) in (1, 3):
        angle = math.radians(values[0])
        cos, sin = math.cos(angle), math.sin(angle)
        cx, cy = (values[1], values[2]) if len(values) == 3 else (0.0, 0.0)
        return (cos, sin, -sin, cos, cx - cos * cx + sin * cy, cy - sin * cx - cos * cy)
    raise UnsupportedDrawing(f"the transform {kind}{values}")


def _multiply(first: tuple[float, ...], second: tuple[float, ...]) -> tuple[float, ...]:
    """`first` applied after `second` (SVG lists outer transforms first)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = second
    return (
        a1 * a2 + c1 * b2,
        b1 * a2 + d1 * b2,
        a1 * c2 + c1 * d2,
        b1 * c2 + d1 * d2,
        a1 * e2 + c1 * f2 + e1,
        b1 * e2 + d1 * f2 + f1,
    )


def ellipse_path(cx: float, cy: float, rx: float, ry: float, places: int = 4) -> str:
    """PDF path operators for an ellipse as four Bézier quarters."""
    kx, ky = rx * KAPPA, ry * KAPPA

    def p(*values: float) -> str:
        return " ".join(_n(value, places) for value in values)

    return (
        f"{p(cx + rx, cy)} m "
        f"{p(cx + rx, cy + ky, cx + kx, cy + ry, cx, cy + ry)} c "
        f"{p(cx - kx, cy + ry, cx - rx, cy + ky, cx - rx, cy)} c "
        f"{p(cx - rx, cy - ky, cx - kx, cy - ry, cx, cy - ry)} c "
        f"{p(cx + kx, cy - ry, cx + rx, cy - ky, cx + rx, cy)} c h"
    )


def _shape_path(name: str, element: ElementTree.Element) -> str:
    get = element.get
    if name == "rect":
        if get("rx") not in (None, "0") or get("ry") not in (None, "0"):
            raise UnsupportedDrawing("a rounded rect")
        width, height = _number(get("width")), _number(get("height"))
        if width <= 0 or height <= 0:
            return ""
        x, y = _number(get("x", "0")), _number(get("y", "0"))
        return f"{_n(x)} {_n(y)} {_n(width)} {_n(height)} re"
    if name in ("circle", "ellipse"):
        cx, cy = _number(get("cx", "0")), _number(get("cy", "0"))
        if name == "circle":
            rx = ry = _number(get("r"))
        else:
            rx, ry = _number(get("rx")), _number(get("ry"))
        return ellipse_path(cx, cy, rx, ry) if rx > 0 and ry > 0 else ""
    if name == "line":
        return (
            f"{_n(_number(get('x1', '0')))} {_n(_number(get('y1', '0')))} m "
            f"{_n(_number(get('x2', '0')))} {_n(_number(get('y2', '0')))} l"
        )
    if name in ("polyline", "polygon"):
        values = _numbers(get("points", ""))
        if len(values) < 4:
            return ""
        points = [f"{_n(x)} {_n(y)}" for x, y in zip(values[::2], values[1::2], strict=False)]
        path = f"{points[0]} m " + " ".join(f"{point} l" for point in points[1:])
        return path + (" h" if name == "polygon" else "")
    return _path_data(get("d", ""))


_PARAMETERS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}


@lru_cache(maxsize=512)
def _path_data(data: str) -> str:
    """PDF path operators for SVG path data (every command; arcs and quadratics as cubics)."""
    out: list[str] = []
    x = y = start_x = start_y = 0.0
    last_control: tuple[float, float] | None = None
    last_quadratic: tuple[float, float] | None = None
    command = ""
    numbers: list[float] = []
    tokens = _PATH_TOKEN.findall(data)
    index = 0
    while index < len(tokens):
        letter, _ = tokens[index]
        if letter:
            command = letter
            index += 1
        elif not command:
            raise UnsupportedDrawing(f"path data {data[:40]!r}")
        count = _PARAMETERS[command.upper()]
        numbers = []
        while len(numbers) < count:
            if index >= len(tokens) or tokens[index][0]:
                raise UnsupportedDrawing(f"path data {data[:40]!r}")
            numbers.append(float(tokens[index][1]))
            index += 1
        relative = command.islower()
        kind = command.upper()
        control: tuple[float, float] | None = None
        quadratic: tuple[float, float] | None = None
        if kind == "M":
            x, y = (x + numbers[0], y + numbers[1]) if relative else (numbers[0], numbers[1])
            start_x, start_y = x, y
            out.append(f"{_n(x)} {_n(y)} m")
            command = "l" if relative else "L"  # further pairs are line-tos
        elif kind in ("L", "H", "V"):
            if kind == "L":
                x, y = (x + numbers[0], y + numbers[1]) if relative else (numbers[0], numbers[1])
            elif kind == "H":
                x = x + numbers[0] if relative else numbers[0]
            else:
                y = y + numbers[0] if relative else numbers[0]
            out.append(f"{_n(x)} {_n(y)} l")
        elif kind in ("C", "S"):
            if kind == "C":
                first = _point(numbers[0], numbers[1], x, y, relative)
                rest = numbers[2:]
            else:
                first = (
                    (2 * x - last_control[0], 2 * y - last_control[1]) if last_control else (x, y)
                )
                rest = numbers
            second = _point(rest[0], rest[1], x, y, relative)
            end = _point(rest[2], rest[3], x, y, relative)
            out.append(_curve(first, second, end))
            control = second
            x, y = end
        elif kind in ("Q", "T"):
            if kind == "Q":
                middle = _point(numbers[0], numbers[1], x, y, relative)
                end = _point(numbers[2], numbers[3], x, y, relative)
            else:
                middle = (
                    (2 * x - last_quadratic[0], 2 * y - last_quadratic[1])
                    if last_quadratic
                    else (x, y)
                )
                end = _point(numbers[0], numbers[1], x, y, relative)
            out.append(_quadratic(x, y, middle, end))
            quadratic = middle
            x, y = end
        elif kind == "A":
            end = _point(numbers[5], numbers[6], x, y, relative)
            out.extend(_arc(x, y, numbers[0], numbers[1], numbers[2], numbers[3], numbers[4], end))
            x, y = end
        else:  # Z
            out.append("h")
            x, y = start_x, start_y
        last_control, last_quadratic = control, quadratic
    return " ".join(out)


def _point(px: float, py: float, x: float, y: float, relative: bool) -> tuple[float, float]:
    return (x + px, y + py) if relative else (px, py)


def _curve(
    first: tuple[float, float], second: tuple[float, float], end: tuple[float, float]
) -> str:
    return (
        f"{_n(first[0])} {_n(first[1])} {_n(second[0])} {_n(second[1])} {_n(end[0])} {_n(end[1])} c"
    )


def _quadratic(x: float, y: float, middle: tuple[float, float], end: tuple[float, float]) -> str:
    # The cubic with handles two thirds of the way to the quadratic's control is the same curve.
    first = (x + 2 / 3 * (middle[0] - x), y + 2 / 3 * (middle[1] - y))
    second = (end[0] + 2 / 3 * (middle[0] - end[0]), end[1] + 2 / 3 * (middle[1] - end[1]))
    return _curve(first, second, end)


def _arc(
    x1: float,
    y1: float,
    rx: float,
    ry: float,
    rotation_deg: float,
    large: float,
    sweep: float,
    end: tuple[float, float],
) -> list[str]:
    """An SVG elliptical arc as cubic Béziers of at most 90° each (SVG 1.1, appendix F.6)."""
    x2, y2 = end
    if (x1, y1) == (x2, y2):
        return []
    rx, ry = abs(rx), abs(ry)
    if rx == 0 or ry == 0:
        return [f"{_n(x2)} {_n(y2)} l"]
    phi = math.radians(rotation_deg)
    cos_phi, sin_phi = math.cos(phi), math.sin(phi)
    dx, dy = (x1 - x2) / 2, (y1 - y2) / 2
    x1p = cos_phi * dx + sin_phi * dy
    y1p = -sin_phi * dx + cos_phi * dy
    scale = (x1p / rx) ** 2 + (y1p / ry) ** 2
    if scale > 1:
        rx, ry = rx * math.sqrt(scale), ry * math.sqrt(scale)
    numerator = rx**2 * ry**2 - rx**2 * y1p**2 - ry**2 * x1p**2
    denominator = rx**2 * y1p**2 + ry**2 * x1p**2
    factor = math.sqrt(max(numerator, 0.0) / denominator) if denominator else 0.0
    if bool(large) == bool(sweep):
        factor = -factor
    cxp, cyp = factor * rx * y1p / ry, -factor * ry * x1p / rx
    cx = cos_phi * cxp - sin_phi * cyp + (x1 + x2) / 2
    cy = sin_phi * cxp + cos_phi * cyp + (y1 + y2) / 2

    def angle(ux: float, uy: float, vx: float, vy: float) -> float:
        return math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)

    start = angle(1, 0, (x1p - cxp) / rx, (y1p - cyp) / ry)
    delta = angle((x1p - cxp) / rx, (y1p - cyp) / ry, (-x1p - cxp) / rx, (-y1p - cyp) / ry)
    if not sweep and delta > 0:
        delta -= 2 * math.pi
    elif sweep and delta < 0:
        delta += 2 * math.pi
    segments = max(1, math.ceil(abs(delta) / (math.pi / 2) - 1e-9))
    step = delta / segments
    handle = 4 / 3 * math.tan(step / 4)
    out = []
    for index in range(segments):
        a1 = start + index * step
        a2 = a1 + step
        c1, s1, c2, s2 = math.cos(a1), math.sin(a1), math.cos(a2), math.sin(a2)
        unit = [
            (c1 - handle * s1, s1 + handle * c1),
            (c2 + handle * s2, s2 - handle * c2),
            (c2, s2),
        ]
        points = [
            (cx + rx * ux * cos_phi - ry * uy * sin_phi, cy + rx * ux * sin_phi + ry * uy * cos_phi)
            for ux, uy in unit
        ]
        out.append(_curve(points[0], points[1], points[2]))
    return out


# --- fonts and images ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _font_program(face: FontFace, glyph_ids: frozenset[int]) -> bytes:
    """The face cut down to `glyph_ids` (numbers kept, so content streams use the face's own),
    hinting and layout tables dropped, deflated for /FontFile2."""
    subset_input = hb.SubsetInput()
    subset_input.glyph_set.update(glyph_ids | {0})
    subset_input.flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_HINTING
    for tag in ("GSUB", "GPOS", "GDEF"):
        subset_input.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    subset = hb.subset(face._hb_font.face, subset_input)
    if subset is None:
        raise RenderError(f"the font {face.family} could not be subset")
    return compress_bytes(subset.blob.data)


def compress_bytes(data: bytes) -> bytes:
    """Raw bytes as FlateDecode stream data, deflated as the run writer deflates its pages."""
    return isal_zlib.compress(data, COMPRESSION_LEVEL)


@dataclass(frozen=True)
class _ImageStreams:
    size: tuple[int, int]
    colour: bytes  # 8-bit RGB, deflated
    alpha: bytes | None  # 8-bit soft mask, deflated; None when opaque


@lru_cache(maxsize=16)
def _image_streams(data_uri: str) -> _ImageStreams:
    """A PNG data URI's pixels as PDF image data (a logo is re-used render after render)."""
    import base64

    raw = base64.b64decode(data_uri.split(",", 1)[1], validate=True)
    with Image.open(io.BytesIO(raw)) as image:
        if image.format != "PNG":
            raise RenderError("an embedded image that is not a PNG")
        picture = image.convert("RGBA")
    alpha = picture.getchannel("A")
    opaque = alpha.getextrema() == (255, 255)
    return _ImageStreams(
        picture.size,
        compress_bytes(picture.convert("RGB").tobytes()),
        None if opaque else compress_bytes(alpha.tobytes()),
    )


def _font_objects(pdf: pikepdf.Pdf, face: FontFace, glyph_text: ToUnicodeText) -> pikepdf.Object:
    """A Type 0 font over a CIDFontType2 subset of `face`, with widths and a ToUnicode map."""
    glyph_ids = frozenset(glyph_text)
    metrics = face.pdf_metrics
    per_mille = 1000 / face.units_per_em
    advances = _widths(face)
    widths: list[object] = []
    for glyph_id in sorted(glyph_ids):
        widths.extend([glyph_id, [Decimal(_n(advances(glyph_id) * per_mille, 3))]])
    style = {
        (400, False): "Regular",
        (700, False): "Bold",
        (400, True): "Italic",
        (700, True): "BoldItalic",
    }.get((face.weight, face.italic), f"W{face.weight}{'Italic' if face.italic else ''}")
    # A placeholder tag: `tag_subsets_by_content` names each subset by its own glyph data.
    name = pikepdf.Name(f"/AAAAAA+{face.family.replace(' ', '-')}-{style}")
    program = pikepdf.Stream(pdf, _font_program(face, glyph_ids))
    program.Filter = pikepdf.Name.FlateDecode
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=name,
        Flags=4 | (64 if face.italic else 0),
        FontBBox=[int(value) for value in metrics.bbox],
        ItalicAngle=metrics.italic_angle,
        Ascent=metrics.ascent,
        Descent=metrics.descent,
        CapHeight=metrics.cap_height,
        StemV=80 if face.weight < 600 else 140,
        FontFile2=pdf.make_indirect(program),
    )
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=name,
        CIDSystemInfo=pikepdf.Dictionary(
            Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"), Supplement=0
        ),
        FontDescriptor=pdf.make_indirect(descriptor),
        W=pikepdf.Array(widths),
        CIDToGIDMap=pikepdf.Name.Identity,
    )
    to_unicode = pikepdf.Stream(pdf, compress_bytes(_to_unicode(glyph_text)))
    to_unicode.Filter = pikepdf.Name.FlateDecode
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type0,
            BaseFont=name,
            Encoding=pikepdf.Name("/Identity-H"),
            DescendantFonts=[pdf.make_indirect(descendant)],
            ToUnicode=pdf.make_indirect(to_unicode),
        )
    )


def _to_unicode(glyph_text: ToUnicodeText) -> bytes:
    """A ToUnicode CMap: each two-byte glyph code → the text it was set for."""
    entries = [
        f"<{glyph_id:04X}> <{text.encode('utf-16-be').hex().upper()}>"
        for glyph_id, text in sorted(glyph_text.items())
        if text
    ]
    chunks = [
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
        for chunk in (entries[start : start + 100] for start in range(0, len(entries), 100))
    ]
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(chunks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")


def _image_object(pdf: pikepdf.Pdf, data_uri: str) -> pikepdf.Object:
    streams = _image_streams(data_uri)
    image = _image_stream(pdf, streams.colour, streams.size, pikepdf.Name.DeviceRGB)
    if streams.alpha is not None:
        mask = _image_stream(pdf, streams.alpha, streams.size, pikepdf.Name.DeviceGray)
        image.SMask = pdf.make_indirect(mask)
    return pdf.make_indirect(image)


def _image_stream(
    pdf: pikepdf.Pdf, deflated: bytes, size: tuple[int, int], colour_space: pikepdf.Name
) -> pikepdf.Stream:
    """An 8-bit image XObject of `size` pixels whose samples are `deflated`."""
    image = pikepdf.Stream(pdf, deflated)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = size
    image.ColorSpace = colour_space
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.FlateDecode
    return image


# --- what every print PDF of the project shares: boxes, die line, subset tags -------------------

CUT_CONTOUR = "CutContour"
DIE_LINE_PT = 0.25  # the thinnest line print shops accept


def set_print_boxes(page: pikepdf.Page, layout: Layout, left_pt: float, top_pt: float) -> None:
    """TrimBox on the label's trim, whose top-left corner is at (`left_pt`, `top_pt`) in page
    space, and BleedBox the label's bleed outside it."""
    trim = (
        left_pt,
        top_pt - layout.height_mm * PT_PER_MM,
        left_pt + layout.width_mm * PT_PER_MM,
        top_pt,
    )
    bleed_pt = layout.bleed_mm * PT_PER_MM
    page.obj.TrimBox = pikepdf.Array([_round_pt(value) for value in trim])
    page.obj.BleedBox = pikepdf.Array(
        [
            _round_pt(trim[0] - bleed_pt),
            _round_pt(trim[1] - bleed_pt),
            _round_pt(trim[2] + bleed_pt),
            _round_pt(trim[3] + bleed_pt),
        ]
    )


def die_line_operators(layout: Layout, left_pt: float, top_pt: float) -> str:
    """The label's outline stroked in the `CutContour` separation (`/CSCut`), overprinting
    (`/GSCut`): the cutter reads it and the press never prints it."""
    path = die_line_path(layout, left_pt, top_pt)
    return f"q /GSCut gs /CSCut CS 1 SCN {DIE_LINE_PT} w {path} S Q\n"


def make_cut_contour_space(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The `CutContour` separation (shown as magenta on screen), as an indirect object of `pdf`."""
    return make_separation_space(pdf, CUT_CONTOUR, (0, 1, 0, 0))


def make_separation_space(
    pdf: pikepdf.Pdf, name: str, screen_cmyk: tuple[float, float, float, float]
) -> pikepdf.Object:
    """The spot colour `name`, shown on screen as `screen_cmyk` at full tint, as an indirect
    object of `pdf` (a die's line: read by the cutter, never printed)."""
    return pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Name.Separation,
                pikepdf.Name(f"/{name}"),
                pikepdf.Name.DeviceCMYK,
                pdf.make_indirect(
                    pikepdf.Dictionary(
                        FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=list(screen_cmyk), N=1
                    )
                ),
            ]
        )
    )


def make_overprint_state(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A graphics state that overprints, so a die line knocks nothing out of the artwork."""
    return pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=True, op=True, OPM=1)
    )


def die_line_path(layout: Layout, left_pt: float, top_pt: float) -> str:
    """PDF path operators for the label's cut outline, in page points."""
    shape = layout.manifest.shape
    width_pt = layout.width_mm * PT_PER_MM
    height_pt = layout.height_mm * PT_PER_MM
    bottom_pt = top_pt - height_pt
    if shape.kind == "circle":
        outline = _ellipse(
            left_pt + width_pt / 2, bottom_pt + height_pt / 2, width_pt / 2, height_pt / 2
        )
    else:
        radius_pt = min(shape.corner_radius_mm * PT_PER_MM, width_pt / 2, height_pt / 2)
        outline = _rounded_rect(left_pt, bottom_pt, width_pt, height_pt, radius_pt)
    if shape.hole_diameter_mm and shape.hole_center_mm:
        radius_pt = shape.hole_diameter_mm / 2 * PT_PER_MM
        center_x_pt = left_pt + shape.hole_center_mm[0] * PT_PER_MM
        center_y_pt = top_pt - shape.hole_center_mm[1] * PT_PER_MM
        outline += " " + _ellipse(center_x_pt, center_y_pt, radius_pt, radius_pt)
    return outline


def _ellipse(center_x: float, center_y: float, radius_x: float, radius_y: float) -> str:
    return ellipse_path(center_x, center_y, radius_x, radius_y, places=3)


def _rounded_rect(x: float, y: float, width: float, height: float, radius: float) -> str:
    if radius <= 0:
        return f"{x:.3f} {y:.3f} {width:.3f} {height:.3f} re"
    k = radius * (1 - KAPPA)
    right, top = x + width, y + height
    return (
        f"{x + radius:.3f} {y:.3f} m {right - radius:.3f} {y:.3f} l "
        f"{right - k:.3f} {y:.3f} {right:.3f} {y + k:.3f} {right:.3f} {y + radius:.3f} c "
        f"{right:.3f} {top - radius:.3f} l "
        f"{right:.3f} {top - k:.3f} {right - k:.3f} {top:.3f} {right - radius:.3f} {top:.3f} c "
        f"{x + radius:.3f} {top:.3f} l "
        f"{x + k:.3f} {top:.3f} {x:.3f} {top - k:.3f} {x:.3f} {top - radius:.3f} c "
        f"{x:.3f} {y + radius:.3f} l "
        f"{x:.3f} {y + k:.3f} {x + k:.3f} {y:.3f} {x + radius:.3f} {y:.3f} c h"
    )


_SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")


def tag_subsets_by_content(pdf: pikepdf.Pdf) -> None:
    """Give every embedded font subset a tag made from its own glyph data.

    The renderer's tags are not unique: two panels, or two jobs a shop gangs on one sheet, carry
    different subsets under one name, and a RIP that takes equal names for equal fonts drops
    glyphs. A tag from the subset's bytes is equal only for equal subsets.
    """
    for font in pdf.objects:
        if not isinstance(font, pikepdf.Dictionary) or font.get("/Type") != pikepdf.Name.Font:
            continue
        if font.get("/Subtype") == pikepdf.Name.Type0:
            continue  # renamed with its descendant, below
        descriptor = font.get("/FontDescriptor")
        name = str(font.get("/BaseFont", ""))
        if descriptor is None or not _SUBSET_TAG.match(name):
            continue
        program = next(
            (
                descriptor[key]
                for key in ("/FontFile2", "/FontFile3", "/FontFile")
                if key in descriptor
            ),
            None,
        )
        if program is None:
            continue
        digest = hashlib.sha256(program.read_raw_bytes()).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        renamed = f"/{tag}+{name[8:]}"
        font.BaseFont = pikepdf.Name(renamed)
        descriptor.FontName = pikepdf.Name(renamed)
        for parent in _type0_parents(pdf, font):
            parent.BaseFont = pikepdf.Name(f"/{tag}+{str(parent.BaseFont)[8:]}")


def _type0_parents(pdf: pikepdf.Pdf, descendant: pikepdf.Object) -> list[pikepdf.Object]:
    return [
        font
        for font in pdf.objects
        if isinstance(font, pikepdf.Dictionary)
        and font.get("/Subtype") == pikepdf.Name.Type0
        and any(child.objgen == descendant.objgen for child in font.get("/DescendantFonts", []))
    ]


# --- pages and the document ----------------------------------------------------------------------


@dataclass(frozen=True)
class _PageContent:
    width_mm: float
    height_mm: float
    operators: str  # in page space


@dataclass(frozen=True)
class _DrawnPage:
    layout: Layout
    margin_mm: float
    operators: str  # the artwork and crop marks, in page space

    @property
    def content(self) -> _PageContent:
        return _PageContent(
            self.layout.width_mm + 2 * self.margin_mm,
            self.layout.height_mm + 2 * self.margin_mm,
            self.operators,
        )


def _interpret(svg: str, resources: _Resources) -> tuple[ElementTree.Element, list[str]]:
    """The drawing's root element and its content operators, in the drawing's own units."""
    if "<!" in svg:
        raise UnsupportedDrawing("a DOCTYPE, CDATA or comment in the drawing")
    root = ElementTree.fromstring(svg)
    interpreter = _Interpreter(resources, TEXT_STYLE_RULE)
    interpreter.draw_root(root)
    return root, interpreter.operators


def _draw_page(
    layout: Layout, resources: _Resources, press: bool, crop_marks: bool = True
) -> _DrawnPage:
    margin_mm = print_margin_mm(layout) if crop_marks else layout.bleed_mm
    svg = draw_svg(layout, for_print=True, crop_marks=crop_marks, embed_fonts=False, press=press)
    _, drawn = _interpret(svg, resources)
    page_height_pt = (layout.height_mm + 2 * margin_mm) * PT_PER_MM
    # The drawing's units are mm with y down from the trim's top-left corner.
    matrix = (
        f"{_n(PT_PER_MM, 6)} 0 0 {_n(-PT_PER_MM, 6)} {_n(margin_mm * PT_PER_MM, 6)} "
        f"{_n(page_height_pt - margin_mm * PT_PER_MM, 6)}"
    )
    operators = f"q {matrix} cm\n" + "\n".join(drawn) + "\nQ\n"
    return _DrawnPage(layout, margin_mm, operators)


def write_svg_pdf(svg: str) -> bytes:
    """A whole drawing sized in mm (`width="…mm"`, a viewBox) → one PDF page of that size,
    drawn as labels' pages are (a carton's flat: each face's drawing a nested <svg>).

    Raises UnsupportedDrawing when the drawing uses SVG this writer does not draw.
    """
    resources = _Resources()
    root, drawn = _interpret(svg, resources)
    width_mm, height_mm = _length_mm(root.get("width")), _length_mm(root.get("height"))
    fitted = viewport_matrix(
        (0.0, 0.0, width_mm, height_mm),
        root.get("viewBox"),
        root.get("preserveAspectRatio", "xMidYMid meet"),
    )
    # Page space is points with y up from the bottom-left corner.
    page = (PT_PER_MM, 0.0, 0.0, -PT_PER_MM, 0.0, height_mm * PT_PER_MM)
    matrix = " ".join(_n(value, 6) for value in _multiply(page, fitted))
    operators = f"q {matrix} cm\n" + "\n".join(drawn) + "\nQ\n"
    pdf = _document([_PageContent(width_mm, height_mm, operators)], resources)
    pdf.docinfo["/Creator"] = "labelgen"
    return _saved(pdf)


def _length_mm(value: str | None) -> float:
    if value is None or not value.endswith("mm"):
        raise UnsupportedDrawing(f"a drawing size {value!r} not in mm")
    return _number(value[:-2])


def write_artwork_pdf(layout: Layout, *, press: bool = False) -> bytes:
    """The artwork alone on a page of trim plus bleed, without marks, boxes or die line (what a
    print run draws once and places on its sheets; `press`: black drawn as solid black)."""
    resources = _Resources()
    drawn = [_draw_page(layout, resources, press, crop_marks=False)]
    pdf = _document([page.content for page in drawn], resources)
    pdf.docinfo["/Title"] = layout.title
    pdf.docinfo["/Creator"] = "labelgen"
    return _saved(pdf)


def write_pdf(
    layouts: Sequence[Layout], *, cmyk: bool = False, created_at: datetime | None = None
) -> bytes:
    """The print PDF of `layouts`, one page each: artwork with bleed, crop marks,
    TrimBox/BleedBox, the die line as a spot colour; with `cmyk`, press CMYK and PDF/X-4.

    Raises UnsupportedDrawing when a drawing uses SVG this writer does not draw.
    """
    # Imported here: the press colour stage loads colour management, which RGB does without.
    if cmyk:
        from labelgen.production.colour import (
            add_output_intent,
            convert_pdf_to_cmyk,
            set_pdfx4_metadata,
        )

    resources = _Resources()
    drawn = [_draw_page(layout, resources, cmyk) for layout in layouts]
    pdf = _document([page.content for page in drawn], resources)
    if cmyk:
        # Before the die line goes in: only the artwork is converted to press colours.
        convert_pdf_to_cmyk(pdf)
    cut_space = make_cut_contour_space(pdf)
    overprint = make_overprint_state(pdf)
    for page, pdf_page in zip(drawn, pdf.pages, strict=True):
        _add_boxes_and_die_line(pdf, pdf_page, page, cut_space, overprint)
    first = layouts[0]
    pdf.docinfo["/Title"] = first.title
    pdf.docinfo["/Creator"] = "labelgen"
    if cmyk:
        add_output_intent(pdf)
        set_pdfx4_metadata(pdf, first.title, created_at=created_at)
    return _saved(pdf)


def _document(pages: Sequence[_PageContent], resources: _Resources) -> pikepdf.Pdf:
    """A document holding the drawn pages, sharing one resource dictionary."""
    pdf = pikepdf.new()
    pdf_resources = pikepdf.Dictionary()
    if resources.fonts:
        pdf_resources.Font = pikepdf.Dictionary(
            {
                f"/{name}": _font_objects(pdf, face, resources.glyph_text[face])
                for face, name in resources.fonts.items()
            }
        )
    if resources.alphas:
        pdf_resources.ExtGState = pikepdf.Dictionary(
            {
                f"/{name}": pikepdf.Dictionary(
                    {"/Type": pikepdf.Name.ExtGState, f"/{key}": Decimal(str(value))}
                )
                for (key, value), name in resources.alphas.items()
            }
        )
    if resources.images:
        pdf_resources.XObject = pikepdf.Dictionary(
            {f"/{name}": _image_object(pdf, uri) for uri, name in resources.images.items()}
        )
    shared_resources = pdf.make_indirect(pdf_resources)
    for page in pages:
        width_pt = page.width_mm * PT_PER_MM
        height_pt = page.height_mm * PT_PER_MM
        content = pikepdf.Stream(pdf, compress_content(page.operators))
        content.Filter = pikepdf.Name.FlateDecode
        pdf.pages.append(
            pikepdf.Page(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Page,
                    MediaBox=[0, 0, _round_pt(width_pt), _round_pt(height_pt)],
                    Resources=shared_resources,
                    Contents=pdf.make_indirect(content),
                )
            )
        )
    return pdf


def _saved(pdf: pikepdf.Pdf) -> bytes:
    """The document's bytes, each subset named by its glyph data and the id made from content."""
    tag_subsets_by_content(pdf)
    output = io.BytesIO()
    # PDF 1.7, as the HTML renderer wrote: PDF/X-4 asks for at least 1.6.
    pdf.save(output, deterministic_id=True, compress_streams=True, min_version="1.7")
    return output.getvalue()


def _add_boxes_and_die_line(
    pdf: pikepdf.Pdf,
    pdf_page: pikepdf.Page,
    page: _DrawnPage,
    cut_space: pikepdf.Object,
    overprint: pikepdf.Object,
) -> None:
    """TrimBox, BleedBox and the CutContour die line, with the page's own resources for it."""
    layout, margin_mm = page.layout, page.margin_mm
    height_pt = (layout.height_mm + 2 * margin_mm) * PT_PER_MM
    left_pt = margin_mm * PT_PER_MM
    top_pt = height_pt - margin_mm * PT_PER_MM
    set_print_boxes(pdf_page, layout, left_pt, top_pt)
    # The page's own resources: the artwork's, shared by every page, plus the die line's.
    shared = pdf_page.obj.Resources
    own = pikepdf.Dictionary({str(key): value for key, value in shared.items()})
    own.ColorSpace = pikepdf.Dictionary({**_entries(shared, "/ColorSpace"), "/CSCut": cut_space})
    own.ExtGState = pikepdf.Dictionary({**_entries(shared, "/ExtGState"), "/GSCut": overprint})
    pdf_page.obj.Resources = own
    die_line = pikepdf.Stream(pdf, compress_content(die_line_operators(layout, left_pt, top_pt)))
    die_line.Filter = pikepdf.Name.FlateDecode
    pdf_page.contents_add(pdf.make_indirect(die_line), prepend=False)


def _entries(holder: pikepdf.Object, key: str) -> dict[str, pikepdf.Object]:
    inner = holder.get(key)
    return {} if inner is None else {str(name): value for name, value in inner.items()}


def _round_pt(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")
