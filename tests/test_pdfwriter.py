"""The PDF writer: what it draws itself, what it hands to WeasyPrint, and the text it maps back."""

from __future__ import annotations

import dataclasses
import io
import subprocess

import pikepdf
import pytest
from conftest import EXAMPLES_DIR, example_document, example_spec, panel_layout

from labelgen.export import export_pdf, export_pdf_pages
from labelgen.fonts import font_face, glyph_texts, shape_text
from labelgen.layout import Layout
from labelgen.pdfwriter import UnsupportedDrawing, write_pdf
from labelgen.spec import parse_spec

GRADIENT = (
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#FF0000"/></linearGradient></defs>'
)


def front_layout() -> Layout:
    return panel_layout(example_spec("hat-sen-say", "ocop-classic"), "ocop-classic")


def with_drawing(layout: Layout, extra: str) -> Layout:
    """`layout` whose template drawing also holds `extra` SVG (as a template folder might)."""
    template = dataclasses.replace(
        layout.template, drawing_source=layout.template.drawing_source + extra
    )
    return dataclasses.replace(layout, template=template)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()


def test_svg_beyond_the_writer_is_refused_by_it() -> None:
    with pytest.raises(UnsupportedDrawing, match="defs"):
        write_pdf([with_drawing(front_layout(), GRADIENT)])


def test_a_drawing_the_writer_cannot_draw_is_drawn_whole_by_weasyprint() -> None:
    layout = with_drawing(front_layout(), GRADIENT)
    pdf = export_pdf(layout)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "WeasyPrint" in str(document.docinfo.get("/Producer", ""))
        assert "/TrimBox" in document.pages[0].obj
    assert layout.title.split(" — ")[0] in " ".join(pdf_text(pdf).split())


def test_the_writer_draws_the_bundled_templates_itself() -> None:
    pdf = export_pdf(front_layout())
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "WeasyPrint" not in str(document.docinfo.get("/Producer", ""))


def test_a_label_set_shares_one_subset_per_face_across_its_pages() -> None:
    spec = parse_spec(example_document("hat-sen-say"), base_dir=EXAMPLES_DIR)
    assert spec.template_ids == ("ocop-classic", "back-panel")
    panels = [panel_layout(spec, "ocop-classic"), panel_layout(spec, "back-panel")]
    pdf = export_pdf_pages(panels)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 2
        fonts = [
            str(obj.BaseFont)
            for obj in document.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Type0
        ]
    assert len(fonts) == len(set(fonts)), fonts
    text = " ".join(pdf_text(pdf).split())
    assert "Hạt sen sấy giòn" in text
    assert "Thành phần" in text  # the back panel's text, on page 2


def test_a_letter_set_as_two_glyphs_maps_back_once() -> None:
    # The face has no ḉ: HarfBuzz sets it as ç and a combining acute, two glyphs for one letter.
    face = font_face("Be Vietnam Pro")
    text = "a\u1e09b"
    assert len(shape_text(face, text)) == 4
    assert glyph_texts(face, text) == ("a", "\u1e09", "", "b")
    # One glyph a letter, base and mark alike, when the text itself is decomposed.
    assert glyph_texts(face, "q\u0323") == ("q", "\u0323")
