"""The PDF writer's whole-drawing pages: nested <svg> viewports (viewBox, preserveAspectRatio,
clipping), stroke joins, and what it still refuses."""

from __future__ import annotations

import io

import pikepdf
import pytest
from imaging import rasterise_pdf

from labelgen.pdfwriter import UnsupportedDrawing, viewport_matrix, write_svg_pdf

RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
DPI = 254  # 10 px per mm
PX_PER_MM = DPI / 25.4


def drawing(body: str, width_mm: float = 40, height_mm: float = 20) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
        f' width="{width_mm}mm" height="{height_mm}mm" viewBox="0 0 {width_mm} {height_mm}">'
        f"{body}</svg>"
    )


def pixel(pdf: bytes, x_mm: float, y_mm: float) -> tuple[int, int, int]:
    image = rasterise_pdf(pdf, DPI)
    return image.getpixel((round(x_mm * PX_PER_MM), round(y_mm * PX_PER_MM)))


def page_operators(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return document.pages[0].obj.Contents.read_bytes().decode("ascii")


def test_a_nested_viewport_clips_what_lies_outside_it() -> None:
    # A red square larger than the 10 × 10 mm viewport at (5, 5): only the viewport is painted.
    pdf = write_svg_pdf(
        drawing(
            '<svg x="5" y="5" width="10" height="10" viewBox="0 0 10 10">'
            '<rect x="-5" y="-5" width="30" height="15" fill="#FF0000"/></svg>'
        )
    )
    assert pixel(pdf, 10, 10) == RED
    assert pixel(pdf, 2, 2) == WHITE  # left of and above the viewport
    assert pixel(pdf, 20, 10) == WHITE  # right of it, where the rect reaches
    assert pixel(pdf, 10, 17) == WHITE  # below it


def test_a_shape_wholly_outside_the_viewport_is_not_drawn() -> None:
    pdf = write_svg_pdf(
        drawing(
            '<svg x="0" y="0" width="10" height="10" overflow="hidden">'
            '<rect x="2" y="2" width="6" height="6" fill="#0000FF"/>'
            '<rect x="25" y="5" width="10" height="10" fill="#FF0000"/></svg>'
        )
    )
    assert pixel(pdf, 5, 5) == BLUE
    assert pixel(pdf, 30, 10) == WHITE


def test_the_viewbox_is_fitted_and_centred_by_default() -> None:
    # A 10 × 10 viewBox in a 30 × 10 viewport: scale 1 (meet), centred, so it spans x 10-20.
    pdf = write_svg_pdf(
        drawing(
            '<svg x="0" y="0" width="30" height="10" viewBox="0 0 10 10">'
            '<rect x="0" y="0" width="10" height="10" fill="#FF0000"/></svg>'
        )
    )
    assert pixel(pdf, 15, 5) == RED
    assert pixel(pdf, 5, 5) == WHITE
    assert pixel(pdf, 25, 5) == WHITE


def test_preserve_aspect_ratio_aligns_and_slices() -> None:
    assert viewport_matrix((0, 0, 30, 10), "0 0 10 10", "xMinYMin meet") == (1, 0, 0, 1, 0, 0)
    assert viewport_matrix((0, 0, 30, 10), "0 0 10 10", "xMaxYMid") == (1, 0, 0, 1, 20, 0)
    assert viewport_matrix((0, 0, 30, 10), "0 0 10 10", "none") == (3, 0, 0, 1, 0, 0)
    # Slice: scaled to cover the viewport (3×), centred, the overflow cut by the clip.
    assert viewport_matrix((0, 0, 30, 10), "0 0 10 10", "xMidYMid slice") == (3, 0, 0, 3, 0, -10)
    assert viewport_matrix((4, 6, 10, 10), "-2 -1 5 5", "xMidYMid") == (2, 0, 0, 2, 8, 8)
    assert viewport_matrix((4, 6, 10, 10), None, "xMidYMid") == (1, 0, 0, 1, 4, 6)


def test_a_sliced_viewbox_is_drawn_scaled_and_clipped() -> None:
    # Left half red, right half blue, in a 10 × 10 viewBox sliced into a 30 × 10 viewport at
    # x 0-30: scaled 3×, centred vertically; red covers x 0-15, blue 15-30, clipped at y 10.
    pdf = write_svg_pdf(
        drawing(
            '<svg x="0" y="0" width="30" height="10" viewBox="0 0 10 10"'
            ' preserveAspectRatio="xMidYMid slice">'
            '<rect x="0" y="0" width="5" height="10" fill="#FF0000"/>'
            '<rect x="5" y="0" width="5" height="10" fill="#0000FF"/></svg>'
        )
    )
    assert pixel(pdf, 7, 5) == RED
    assert pixel(pdf, 22, 5) == BLUE
    assert pixel(pdf, 22, 15) == WHITE


def test_stroke_joins_and_caps_are_written() -> None:
    pdf = write_svg_pdf(
        drawing(
            '<polygon points="5,5 15,5 10,15" fill="#FF0000" stroke="#0000FF"'
            ' stroke-width="2" stroke-linejoin="round"/>'
            '<polyline points="20,5 30,5" stroke="#0000FF" stroke-linejoin="bevel"'
            ' stroke-linecap="square"/>'
        )
    )
    operators = page_operators(pdf)
    assert " 1 j " in operators
    assert " 2 j " in operators and " 2 J " in operators


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('<polygon points="0,0 5,0 5,5" stroke="#000000" stroke-linejoin="arcs"/>', "linejoin"),
        ('<svg x="0" y="0" width="5" height="5" overflow="visible"/>', "overflow"),
        ('<svg x="0" y="0" width="5" height="5" transform="scale(2)"/>', "transform"),
        ('<svg x="0" y="0" width="5mm" height="5"/>', "length"),
        ('<svg width="5" height="5" viewBox="0 0 5 5" preserveAspectRatio="defer none"/>', "pre"),
        ('<svg width="5" height="5" viewBox="0 0 0 5"/>', "viewBox"),
        ('<svg width="5" height="5"><style>rect{fill:red}</style></svg>', "style sheet"),
    ],
)
def test_what_the_writer_does_not_draw_is_refused(body: str, reason: str) -> None:
    with pytest.raises(UnsupportedDrawing, match=reason):
        write_svg_pdf(drawing(body))


def test_a_drawing_not_sized_in_mm_is_refused() -> None:
    with pytest.raises(UnsupportedDrawing, match="mm"):
        write_svg_pdf(
            '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50" viewBox="0 0 100 50"/>'
        )
