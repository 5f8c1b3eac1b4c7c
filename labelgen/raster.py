"""Raster stage: a label's drawing (the one SVG `draw_svg` makes) → pixels, drawn by cairo directly.

The drawing is read by the PDF writer's interpreter (`labelgen.pdfwriter`), so the PNG shows
what the PDF prints, shape for shape and glyph for glyph, and its operators are replayed on a
cairo image surface. Handing the SVG to CairoSVG drew the same picture with the same library in
five times the time, most of it spent placing text letter by letter in Python.

What is copied from CairoSVG, so that pictures drawn before and after agree to the pixel but for
anti-aliasing: the page scaling (the surface as many pixels as the size in mm gives, rounded;
mm scaled by dpi / 25.4 with no rounding), the default anti-aliasing, none where a shape asks for
`shape-rendering="crispEdges"` (the QR code), and fonts opened as CairoSVG opens them (cairo's
own font selection, through fontconfig, which `labelgen.fonts` points at the bundled fonts
alone). Glyphs are placed where HarfBuzz puts them, which is where the layout measured them;
a face cairo opens that is not the bundled one is an error, never a substitute.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from xml.etree import ElementTree

import cairocffi as cairo
from PIL import Image

from labelgen.draw import TEXT_STYLE_RULE, draw_svg
from labelgen.errors import RenderError
from labelgen.fonts import BOLD, REGULAR, FontFace, shape_text
from labelgen.layout import Layout
from labelgen.pdfwriter import Style, _Interpreter, _Resources, _widths

MM_PER_INCH = 25.4
CRISP, SMOOTH = "crisp", "smooth"  # the replay's own operators around a crispEdges shape
# Checked against cairo's choice of file for each face: letters, Vietnamese tones and figures.
FONT_PROBE = "Hạt sen Việt Nam ĐƯỜNG 0123456789"
_TOKEN = re.compile(
    r"\[<(?P<run>[0-9a-f]*)>\]|<(?P<glyph>[0-9a-f]*)>|\[(?P<array>[^\]]*)\]"
    r"|/(?P<name>[^\s/\[\]<>()]+)|(?P<number>-?(?:\d+\.?\d*|\.\d+))|(?P<operator>[A-Za-z*]+)"
)
_CAPS = (cairo.LINE_CAP_BUTT, cairo.LINE_CAP_ROUND, cairo.LINE_CAP_SQUARE)
Operand = float | str | list[float]


def raster_layout(layout: Layout, dpi: float) -> cairo.ImageSurface:
    """The label's screen drawing (trim size, transparent outside its shape) at `dpi`."""
    resources = _Resources()
    interpreter = _RasterInterpreter(resources, TEXT_STYLE_RULE)
    interpreter.draw_root(ElementTree.fromstring(draw_svg(layout, embed_fonts=False)))
    width_px = layout.width_mm * dpi / MM_PER_INCH
    height_px = layout.height_mm * dpi / MM_PER_INCH
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, round(width_px), round(height_px))
    context = cairo.Context(surface)
    context.rectangle(0, 0, width_px, height_px)
    context.clip()
    context.scale(dpi / MM_PER_INCH, dpi / MM_PER_INCH)
    replay = _Replay(
        context,
        faces={name: face for face, name in resources.fonts.items()},
        alphas={name: key_value for key_value, name in resources.alphas.items()},
        images={name: uri for uri, name in resources.images.items()},
    )
    replay.run(" ".join(interpreter.operators))
    surface.flush()
    return surface


class _RasterInterpreter(_Interpreter):
    """The PDF writer's interpreter, marking the shapes to draw without anti-aliasing."""

    def _shape(self, name: str, element: ElementTree.Element, style: Style) -> None:
        crisp = element.get("shape-rendering") == "crispEdges"
        if crisp:
            self.operators.append(CRISP)
        super()._shape(name, element, style)
        if crisp:
            self.operators.append(SMOOTH)


@dataclass
class _Paint:
    """The graphics state the operators set that cairo's own state does not keep."""

    fill: tuple[float, ...] = (0.0, 0.0, 0.0)
    stroke: tuple[float, ...] = (0.0, 0.0, 0.0)
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    spacing: float = 0.0  # Tc, in text-space units


@dataclass
class _Replay:
    """Replays the interpreter's content operators (the subset it writes) on a cairo context."""

    context: cairo.Context
    faces: dict[str, FontFace]
    alphas: dict[str, tuple[str, float]]
    images: dict[str, str]
    _paint: _Paint = field(default_factory=_Paint)
    _saved: list[_Paint] = field(default_factory=list)
    _face: FontFace | None = None
    _text_matrix: list[float] = field(default_factory=list)

    def run(self, operators: str) -> None:
        operands: list[Operand] = []
        for match in _TOKEN.finditer(operators):
            kind = match.lastgroup
            value = match.group(kind or 0)
            if kind == "operator":
                self._operator(value, operands)
                operands = []
            elif kind == "number":
                operands.append(float(value))
            elif kind == "array":
                operands.append([float(item) for item in value.split()])
            else:  # a name, or glyph ids (4 hex digits each)
                operands.append(value)

    def _operator(self, operator: str, operands: list[Operand]) -> None:
        context, paint = self.context, self._paint
        numbers = [value for value in operands if isinstance(value, float)]
        if operator == "q":
            context.save()
            self._saved.append(_Paint(**vars(paint)))
        elif operator == "Q":
            context.restore()
            self._paint = self._saved.pop()
        elif operator == "cm":
            context.transform(cairo.Matrix(*numbers))
        elif operator == "rg":
            paint.fill = tuple(numbers)
        elif operator == "RG":
            paint.stroke = tuple(numbers)
        elif operator == "w":
            context.set_line_width(numbers[0])
        elif operator == "J":
            context.set_line_cap(_CAPS[int(numbers[0])])
        elif operator == "d":
            dashes = operands[0]
            assert isinstance(dashes, list)
            context.set_dash(dashes, numbers[0])
        elif operator == "gs":
            key, alpha = self.alphas[str(operands[0])]
            if key == "ca":
                paint.fill_alpha = alpha
            else:
                paint.stroke_alpha = alpha
        elif operator == "m":
            context.move_to(*numbers)
        elif operator == "l":
            context.line_to(*numbers)
        elif operator == "c":
            context.curve_to(*numbers)
        elif operator == "h":
            context.close_path()
        elif operator == "re":
            context.rectangle(*numbers)
        elif operator in ("f", "f*", "B", "B*", "S"):
            self._paint_path(operator)
        elif operator == CRISP:
            context.set_antialias(cairo.ANTIALIAS_NONE)
        elif operator == SMOOTH:
            context.set_antialias(cairo.ANTIALIAS_DEFAULT)
        elif operator in ("BT", "ET"):
            pass
        elif operator == "Tf":
            self._face = self.faces[str(operands[0])]
            _select_font(context, self._face)
        elif operator == "Tc":
            paint.spacing = numbers[0]
        elif operator == "Tm":
            self._text_matrix = numbers
        elif operator in ("TJ", "Tj"):
            self._show(str(operands[0]))
        elif operator == "Do":
            self._image(self.images[str(operands[0])])
        else:
            raise RenderError(f"the PNG renderer does not know the operator {operator!r}")

    def _paint_path(self, operator: str) -> None:
        context, paint = self.context, self._paint
        even_odd = operator.endswith("*")
        context.set_fill_rule(cairo.FILL_RULE_EVEN_ODD if even_odd else cairo.FILL_RULE_WINDING)
        if operator != "S":
            context.set_source_rgba(*paint.fill, paint.fill_alpha)
            context.fill_preserve()
        if operator != "f" and operator != "f*":
            context.set_source_rgba(*paint.stroke, paint.stroke_alpha)
            context.stroke_preserve()
        context.new_path()

    def _show(self, glyph_hex: str) -> None:
        """Glyphs from the text matrix's origin, each advanced by its width and the spacing
        (how `TJ` sets them); the matrix is left where the next glyph would go."""
        face = self._face
        if face is None:
            raise RenderError("text before a font was chosen")
        size, _, _, _, x, y = self._text_matrix
        widths = _widths(face)
        glyphs = []
        for start in range(0, len(glyph_hex), 4):
            glyph_id = int(glyph_hex[start : start + 4], 16)
            glyphs.append((glyph_id, x, y))
            x += widths(glyph_id) / face.units_per_em * size + self._paint.spacing * size
        self.context.set_font_size(size)
        self.context.set_source_rgba(*self._paint.fill, self._paint.fill_alpha)
        self.context.show_glyphs(glyphs)
        self._text_matrix = [size, 0.0, 0.0, -size, x, y]

    def _image(self, data_uri: str) -> None:
        """The image over the unit square the current matrix maps (its top row at y = 1)."""
        picture = _picture(data_uri)
        context = self.context
        context.save()
        context.translate(0, 1)
        context.scale(1 / picture.get_width(), -1 / picture.get_height())
        context.set_source_surface(picture, 0, 0)
        context.paint()
        context.restore()


def _select_font(context: cairo.Context, face: FontFace) -> None:
    """Select `face` as CairoSVG selects a font (cairo's toy font faces), checked to be it."""
    if face.weight not in (REGULAR, BOLD):
        raise RenderError(
            f"the font {face.family} at weight {face.weight}: the PNG renderer draws regular "
            "and bold only"
        )
    slant = cairo.FONT_SLANT_ITALIC if face.italic else cairo.FONT_SLANT_NORMAL
    weight = cairo.FONT_WEIGHT_BOLD if face.weight == BOLD else cairo.FONT_WEIGHT_NORMAL
    context.select_font_face(face.family, slant, weight)
    _check_cairo_face(face, context.get_scaled_font())


# Faces whose glyphs cairo was found to draw from the bundled file (checked once each).
_CHECKED_FACES: set[FontFace] = set()


def _check_cairo_face(face: FontFace, scaled_font: cairo.ScaledFont) -> None:
    """Refuse a face cairo found elsewhere than in the bundled file: its glyphs would differ."""
    if face in _CHECKED_FACES:
        return
    cairo_glyphs = [glyph[0] for glyph in scaled_font.text_to_glyphs(0, 0, FONT_PROBE, False)]
    ours = [glyph.glyph_id for glyph in shape_text(face, FONT_PROBE)]
    if cairo_glyphs != ours:
        raise RenderError(
            f"cairo opened another font than the bundled {face.family} "
            f"({face.weight}{' italic' if face.italic else ''}): its glyphs differ"
        )
    _CHECKED_FACES.add(face)


@lru_cache(maxsize=16)
def _picture(data_uri: str) -> cairo.ImageSurface:
    """An embedded PNG as a cairo surface (premultiplied BGRA, as cairo keeps pixels)."""
    data = base64.b64decode(data_uri.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    pixels = bytearray(rgba.tobytes("raw", "BGRa"))
    return cairo.ImageSurface.create_for_data(
        pixels, cairo.FORMAT_ARGB32, rgba.width, rgba.height, rgba.width * 4
    )
