"""The PNG drawn by cairo directly (`labelgen.raster`) against CairoSVG's drawing of the same
label's SVG, the renderer it replaced: the same picture but for anti-aliasing and glyphs placed
at the measured x rather than CairoSVG's rounded one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import cairocffi as cairo
import pytest
from imaging import compare_images, on_white, open_png
from PIL import Image

from labelgen import raster
from labelgen.errors import RenderError
from labelgen.export import _cairosvg_surface, export_png
from labelgen.fonts import BOLD, REGULAR, bundled_faces, font_face
from labelgen.raster import _check_cairo_face, _select_font, raster_layout

if TYPE_CHECKING:
    from conftest import LabelCase

DPI = 100
# Measured on the bundled examples and golden specs at 100 dpi: 0.06-0.6 % of pixels over 64
# levels apart and channel means under 0.9, all of it glyph edges a fraction of a pixel apart
# (centred figures under a barcode, badge lettering). A missing line of text, the QR code drawn
# with anti-aliasing (1-2 %) or a shape left out is well over.
MAX_LARGE_FRACTION = 0.008
MAX_CHANNEL_MEAN = 1.2


def _image(surface: cairo.ImageSurface) -> Image.Image:
    return Image.frombuffer(
        "RGBA",
        (surface.get_width(), surface.get_height()),
        bytes(surface.get_data()),
        "raw",
        "BGRa",
        surface.get_stride(),
        1,
    )


def test_direct_png_agrees_with_cairosvg(label_case: LabelCase) -> None:
    direct = on_white(open_png(export_png(label_case.layout, DPI)))
    cairosvg = on_white(_image(_cairosvg_surface(label_case.layout, DPI)))
    assert direct.size == cairosvg.size
    difference = compare_images(direct, cairosvg)
    assert difference.large_fraction < MAX_LARGE_FRACTION, difference.describe()
    assert difference.worst_channel_mean < MAX_CHANNEL_MEAN, difference.describe()


def test_the_surface_is_as_large_as_cairosvgs(label_case: LabelCase) -> None:
    for dpi in (72, 150, 300):
        ours = raster_layout(label_case.layout, dpi)
        theirs = _cairosvg_surface(label_case.layout, dpi)
        assert (ours.get_width(), ours.get_height()) == (theirs.get_width(), theirs.get_height())


def test_a_face_cairo_draws_from_another_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Asked for Be Vietnam Pro, cairo hands over Noto Serif: another file, other glyph ids.
    monkeypatch.setattr(raster, "_CHECKED_FACES", set())  # checked by earlier tests, else
    regular = font_face("Be Vietnam Pro", REGULAR)
    context = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))
    context.select_font_face("Noto Serif")
    with pytest.raises(RenderError, match="another font"):
        _check_cairo_face(regular, context.get_scaled_font())


@pytest.mark.parametrize("weight", [REGULAR, BOLD])
def test_the_bundled_faces_are_the_ones_cairo_draws(weight: int) -> None:
    context = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))
    for family in bundled_faces():
        _select_font(context, font_face(family, weight))  # raises if cairo drew another file
