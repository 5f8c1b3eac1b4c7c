"""PDF output: a Carton → one print-ready page of the flat dieline (artwork, CutContour and
Crease spot lines, boxes, marks; RGB or CMYK PDF/X-4)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pikepdf

from labelgen.export import (
    CUT_CONTOUR,
    PT_PER_MM,
    add_die_line_resources,
    draw_over_page,
    make_cut_contour_space,
    saved_print_pdf,
    weasyprint_svg_page,
)
from labelgen.packaging.artwork import Carton
from labelgen.packaging.flat import BLEED_MM, FlatForm, draw_flat_svg, flat_geometry
from labelgen.packaging.structures import Dieline, Segment
from labelgen.pdfwriter import UnsupportedDrawing, make_separation_space, write_svg_pdf
from labelgen.production.colour import convert_pdf_to_cmyk

CREASE = "Crease"
DIE_STROKE_PT = 0.5


def export_carton_pdf(
    carton: Carton, *, cmyk: bool = False, created_at: datetime | None = None
) -> bytes:
    """The flat dieline as one PDF page.

    TrimBox is the dieline's bounding box, BleedBox 3 mm outside it; the cut path is stroked in
    the `CutContour` separation and the folds in the `Crease` separation, both overprinting, so
    neither knocks anything out nor prints. With `cmyk`, the artwork is press CMYK and the file
    PDF/X-4, as labels are.
    """
    dieline = carton.dieline
    geometry = flat_geometry(dieline, "print")
    raw = flat_page_pdf(carton, "print", press=cmyk)
    title = f"{carton.spec.product.name} — {dieline.package.style}"
    with pikepdf.open(io.BytesIO(raw)) as pdf:
        if cmyk:
            # Before the die's lines go in: only the artwork is converted; spots stay spots.
            convert_pdf_to_cmyk(pdf)
        page = pdf.pages[0]
        media_top_pt = float(page.mediabox[3])
        left_pt = float(page.mediabox[0]) + geometry.margin_mm * PT_PER_MM
        top_pt = media_top_pt - geometry.margin_mm * PT_PER_MM
        trim = [
            left_pt,
            top_pt - dieline.height_mm * PT_PER_MM,
            left_pt + dieline.width_mm * PT_PER_MM,
            top_pt,
        ]
        bleed = BLEED_MM * PT_PER_MM
        page.obj.TrimBox = pikepdf.Array([_pt(value) for value in trim])
        page.obj.BleedBox = pikepdf.Array(
            [_pt(trim[0] - bleed), _pt(trim[1] - bleed), _pt(trim[2] + bleed), _pt(trim[3] + bleed)]
        )

        def to_page(point: tuple[float, float]) -> tuple[float, float]:
            return left_pt + point[0] * PT_PER_MM, top_pt - point[1] * PT_PER_MM

        add_die_resources(pdf, page)
        draw_over_page(pdf, page, die_line_operators(dieline, to_page))
        return saved_print_pdf(pdf, title, cmyk=cmyk, created_at=created_at)


def flat_page_pdf(carton: Carton, form: FlatForm, *, press: bool = False) -> bytes:
    """A one-page PDF of the flat drawing in `form` (`print`: with marks and legend;
    `artwork`: the blank and its bleed alone, what a press sheet steps).

    `labelgen.pdfwriter` draws it; a drawing that uses SVG the writer does not draw goes to
    WeasyPrint instead, whole, never with a part of it left out.
    """
    svg = draw_flat_svg(carton, form, press=press)
    try:
        return write_svg_pdf(svg)
    except UnsupportedDrawing:
        return weasyprint_flat_pdf(carton, form, svg)


def weasyprint_flat_pdf(carton: Carton, form: FlatForm, svg: str) -> bytes:
    """WeasyPrint's one-page PDF of the flat drawing `svg` in `form`."""
    geometry = flat_geometry(carton.dieline, form)
    return weasyprint_svg_page(svg, geometry.width_mm, geometry.height_mm, "")


def die_line_operators(
    dieline: Dieline, to_page: Callable[[tuple[float, float]], tuple[float, float]]
) -> str:
    """The die's lines as PDF operators: creases then cuts, each in its separation (named
    /CSCrease and /CSCut in the page's resources) under the overprinting state /GSCut."""
    return (
        f"q /GSCut gs {DIE_STROKE_PT} w 1 J 1 j\n"
        f"/CSCrease CS 1 SCN {_segments(dieline.creases, to_page)} S\n"
        f"/CSCut CS 1 SCN {_segments(dieline.cuts, to_page)} S\nQ\n"
    )


def add_die_resources(pdf: pikepdf.Pdf, page: pikepdf.Page) -> None:
    """The two separations and the overprinting state the die's lines are drawn with."""
    # Crease is shown cyan on screen; like CutContour it is read by the die-maker, never printed.
    crease = make_separation_space(pdf, CREASE, (1, 0, 0, 0))
    add_die_line_resources(pdf, page, {"/CSCut": make_cut_contour_space(pdf), "/CSCrease": crease})


def _segments(
    segments: tuple[Segment, ...], to_page: Callable[[tuple[float, float]], tuple[float, float]]
) -> str:
    parts = []
    for segment in segments:
        x0, y0 = to_page(segment.start)
        x1, y1 = to_page(segment.end)
        parts.append(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l")
    return " ".join(parts)


def _pt(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


__all__ = ["CREASE", "CUT_CONTOUR", "export_carton_pdf"]
