"""A carton's PDFs drawn by the PDF writer: without WeasyPrint, the same picture WeasyPrint
draws, text and codes kept, and WeasyPrint still drawing a flat the writer refuses."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from corpus_support import pdf_texts, pdftotext_available
from imaging import ImageDifference, compare_images, decode_codes, rasterise_pdf, trim_origin_px

from labelgen.packaging import pdf as carton_pdf
from labelgen.packaging.artwork import Carton, layout_carton
from labelgen.packaging.flat import FlatForm, draw_flat_svg, legend_lines
from labelgen.packaging.pdf import export_carton_pdf, flat_page_pdf, weasyprint_flat_pdf
from labelgen.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CARTON_EXAMPLES = ("tra-sen-box", "keo-dua-straight-tuck", "mat-ong-crash-lock", "tra-sen-sleeve")
GRADIENT = (
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#FF0000"/></linearGradient></defs>'
)
DPI = 152.4  # 6 px per mm, as the renderer-agreement tests compare
# Compared after a 1.5 px blur, as in test_renderers_agree: both renderers shape with HarfBuzz
# and draw the same geometry, so only anti-aliasing differs (measured on the four examples: no
# pixel past 64 levels, channel means 0.04-0.13). Faces left unclipped to their viewports give
# 0.15 % and means of 0.3-0.5; a missing face, code or line of text far more.
MAX_LARGE_FRACTION = 0.0005
MAX_CHANNEL_MEAN = 0.25
BLUR_PX = 1.5


def carton_for(example: str) -> Carton:
    return layout_carton(load_spec(EXAMPLES / f"{example}.yaml"))


def raster_difference(written: bytes, reference: bytes) -> ImageDifference:
    """How far the two pages' rasters are apart, over the area both cover (a page size that
    lands on a whole pixel may round to one more column in one of them)."""
    actual, expected = rasterise_pdf(written, DPI), rasterise_pdf(reference, DPI)
    box = (0, 0, min(actual.width, expected.width), min(actual.height, expected.height))
    assert box[2] >= actual.width - 1 and box[3] >= actual.height - 1
    return compare_images(actual.crop(box), expected.crop(box), blur_px=BLUR_PX)


def producer(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return str(document.docinfo.get("/Producer", ""))


def test_a_carton_pdf_and_press_sheet_are_made_without_loading_weasyprint() -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from labelgen.packaging.artwork import layout_carton\n"
        "from labelgen.packaging.pdf import export_carton_pdf\n"
        "from labelgen.packaging.sheet import export_carton_sheet_pdf\n"
        "from labelgen.spec import load_spec\n"
        f"carton = layout_carton(load_spec(Path({str(EXAMPLES / 'tra-sen-box.yaml')!r})))\n"
        "assert export_carton_pdf(carton).startswith(b'%PDF')\n"
        "assert export_carton_pdf(carton, cmyk=True).startswith(b'%PDF')\n"
        "assert export_carton_sheet_pdf(carton, cmyk=True).startswith(b'%PDF')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'weasyprint'))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert completed.stdout.strip() == "[]", completed.stdout


@pytest.mark.parametrize("example", CARTON_EXAMPLES)
def test_the_writer_draws_the_flat_as_weasyprint_does(example: str) -> None:
    carton = carton_for(example)
    form: FlatForm = "print"
    written = flat_page_pdf(carton, form)
    assert "WeasyPrint" not in producer(written)
    reference = weasyprint_flat_pdf(carton, form, draw_flat_svg(carton, form))
    assert "WeasyPrint" in producer(reference)
    difference = raster_difference(written, reference)
    assert difference.large_fraction <= MAX_LARGE_FRACTION, difference.describe()
    assert difference.worst_channel_mean <= MAX_CHANNEL_MEAN, difference.describe()


def test_the_press_artwork_agrees_with_weasyprint_too() -> None:
    carton = carton_for("mat-ong-crash-lock")
    form: FlatForm = "artwork"
    written = flat_page_pdf(carton, form, press=True)
    reference = weasyprint_flat_pdf(carton, form, draw_flat_svg(carton, form, press=True))
    difference = raster_difference(written, reference)
    assert difference.large_fraction <= MAX_LARGE_FRACTION, difference.describe()
    assert difference.worst_channel_mean <= MAX_CHANNEL_MEAN, difference.describe()


@pytest.mark.skipif(not pdftotext_available(), reason="poppler's pdftotext is not installed")
@pytest.mark.parametrize("example", ["keo-dua-straight-tuck", "tra-sen-sleeve"])
def test_the_written_flat_keeps_its_text_and_embeds_subset_fonts(example: str) -> None:
    carton = carton_for(example)
    pdf = export_carton_pdf(carton)
    assert "WeasyPrint" not in producer(pdf)
    text = " ".join(" ".join(pdf_texts(pdf)).split())
    assert carton.spec.product.name in text
    assert " ".join(legend_lines(carton)[3].split()) in text
    with pikepdf.open(io.BytesIO(pdf)) as document:
        fonts = [
            obj
            for obj in document.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == pikepdf.Name.Type0
        ]
        assert fonts
        for font in fonts:
            assert "/ToUnicode" in font
            (descendant,) = font.DescendantFonts
            assert "/FontFile2" in descendant.FontDescriptor
            assert str(font.BaseFont)[7] == "+"  # a subset's tag


@pytest.mark.parametrize("example", ["mat-ong-crash-lock", "keo-dua-straight-tuck"])
def test_the_codes_decode_from_the_written_flat(example: str) -> None:
    carton = carton_for(example)
    pdf = export_carton_pdf(carton, cmyk=True)
    dpi = 200
    image = rasterise_pdf(pdf, dpi)
    left, top = trim_origin_px(pdf, dpi)
    px = dpi / 25.4
    found: dict[str, list[str]] = {}
    for art in carton.art:
        face = art.panel.rect
        crop = (
            left + round(face.x_mm * px),
            top + round(face.y_mm * px),
            left + round(face.right_mm * px),
            top + round(face.bottom_mm * px),
        )
        for kind, texts in decode_codes(image.crop(crop)).items():
            found.setdefault(kind, []).extend(texts)
    product = carton.spec.product
    assert found.get("EAN13") == [product.gtin]
    (qr,) = found["QRCode"]
    assert f"/01/0{product.gtin}/10/{product.batch}" in qr


def test_a_flat_the_writer_refuses_is_drawn_whole_by_weasyprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    carton = carton_for("tra-sen-box")

    def with_gradient(carton: Carton, form: FlatForm = "screen", *, press: bool = False) -> str:
        svg = draw_flat_svg(carton, form, press=press)
        return svg.replace("</svg>", GRADIENT + "</svg>", 1)

    monkeypatch.setattr(carton_pdf, "draw_flat_svg", with_gradient)
    pdf = export_carton_pdf(carton)
    assert "WeasyPrint" in producer(pdf)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "/TrimBox" in document.pages[0].obj
