"""A carton's print outputs: the flat dieline PDF (spot lines, boxes, text, codes), CMYK PDF/X-4, SVG and PNG."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pikepdf
import pytest
from corpus_support import missing_items, pdf_texts, pdftotext_available
from imaging import decode_codes, open_png, rasterise_pdf, trim_origin_px

from labelgen.packaging.artwork import Carton, layout_carton
from labelgen.packaging.flat import draw_flat_svg
from labelgen.packaging.pdf import export_carton_pdf
from labelgen.packaging.render import render_carton_files
from labelgen.production.colour import find_rgb
from labelgen.production.preflight import preflight_pdf
from labelgen.spec import LabelSpec, load_spec
from labelgen.traceability import DEFAULT_BASE_URL

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PT_PER_MM = 72 / 25.4
AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def spec() -> LabelSpec:
    return load_spec(EXAMPLES / "tra-sen-box.yaml")


@pytest.fixture(scope="module")
def carton(spec: LabelSpec) -> Carton:
    return layout_carton(spec)


@pytest.fixture(scope="module")
def pdf(carton: Carton) -> bytes:
    return export_carton_pdf(carton)


def _boxes(pdf: bytes) -> dict[str, list[float]]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        return {
            name: [float(value) for value in page.obj[f"/{name}"]]
            for name in ("MediaBox", "TrimBox", "BleedBox")
        }


def test_trim_box_is_the_dielines_bounding_box_and_bleed_3_mm_outside(
    pdf: bytes, carton: Carton
) -> None:
    boxes = _boxes(pdf)
    trim, bleed, media = boxes["TrimBox"], boxes["BleedBox"], boxes["MediaBox"]
    assert (trim[2] - trim[0]) / PT_PER_MM == pytest.approx(carton.dieline.width_mm, abs=0.01)
    assert (trim[3] - trim[1]) / PT_PER_MM == pytest.approx(carton.dieline.height_mm, abs=0.01)
    assert carton.dieline.width_mm == pytest.approx(296.6)
    for inner, outer, sign in zip(trim, bleed, (-1, -1, 1, 1), strict=True):
        assert (outer - inner) * sign / PT_PER_MM == pytest.approx(3.0, abs=0.01)
    # The crop marks and the legend lie outside the bleed, on the page.
    assert media[0] < bleed[0] and media[1] < bleed[1] - 10 * PT_PER_MM


def _separations(document: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    spaces = document.pages[0].obj.Resources.ColorSpace
    found = {}
    for key in spaces:
        space = spaces[key]
        if isinstance(space, pikepdf.Array) and space[0] == pikepdf.Name.Separation:
            found[str(space[1])[1:]] = key
    return found


def test_cut_and_crease_are_overprinted_spot_colours(pdf: bytes, carton: Carton) -> None:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        separations = _separations(document)
        assert set(separations) >= {"CutContour", "Crease"}
        # The die's lines are the last content stream, drawn over the artwork.
        die = page.obj.Contents[-1].read_bytes().decode("ascii")
        state_name = re.search(r"/(\w+) gs", die)
        assert state_name is not None
        state = page.obj.Resources.ExtGState[f"/{state_name.group(1)}"]
        assert bool(state.OP) and bool(state.op) and int(state.OPM) == 1
        crease_at = die.index(f"{separations['Crease']} CS")
        cut_at = die.index(f"{separations['CutContour']} CS")
        creases = len(re.findall(r" m ", die[crease_at:cut_at]))
        cuts = len(re.findall(r" m ", die[cut_at:]))
        assert (creases, cuts) == (len(carton.dieline.creases), len(carton.dieline.cuts))
        assert creases == 12


@pytest.mark.skipif(not pdftotext_available(), reason="poppler's pdftotext is not installed")
def test_the_pdf_text_holds_every_mandatory_item(pdf: bytes, spec: LabelSpec) -> None:
    texts = pdf_texts(pdf)
    assert missing_items(spec, texts) == []
    assert "CutContour" in texts[1] and "Crease" in texts[1]  # the legend, outside the trim
    assert "296.6 × 271.6 mm" in texts[1]


def test_qr_and_ean_decode_from_the_rasterised_flat(
    pdf: bytes, spec: LabelSpec, carton: Carton
) -> None:
    dpi = 200
    image = rasterise_pdf(pdf, dpi)
    # The decoder is given the codes' face alone (the whole sheet costs it seconds).
    left, top = trim_origin_px(pdf, dpi)
    face = carton.dieline.panel("left").rect
    px = dpi / 25.4
    crop = (
        left + round(face.x_mm * px),
        top + round(face.y_mm * px),
        left + round(face.right_mm * px),
        top + round(face.bottom_mm * px),
    )
    found = decode_codes(image.crop(crop))
    assert found.get("EAN13") == [spec.product.gtin]
    (qr,) = found["QRCode"]
    assert qr.startswith(f"{DEFAULT_BASE_URL}/01/0{spec.product.gtin}/10/{spec.product.batch}")


def test_cmyk_pdf_is_pdfx4_with_spots_kept(carton: Carton) -> None:
    pdf = export_carton_pdf(carton, cmyk=True, created_at=dt.datetime(2026, 11, 28, 9, 0))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert find_rgb(document) == []
        assert len(document.Root.OutputIntents) == 1
        assert set(_separations(document)) >= {"CutContour", "Crease"}
        metadata = document.open_metadata()
        assert metadata.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"


def test_cmyk_pdf_passes_the_print_shops_preflight(carton: Carton, tmp_path: Path) -> None:
    """The same preflight as print runs: boxes, fonts, no RGB, OutputIntent, a CutContour die
    line on the page, and the QR decoded from the rasterised page."""
    path = tmp_path / "box.pdf"
    path.write_bytes(export_carton_pdf(carton, cmyk=True))
    qr = carton.label_set.code_panel.qr_content
    assert qr is not None
    report = preflight_pdf(path, cmyk=True, expected_codes={0: [qr]}, dpi=200, workers=1)
    assert report.passed, report.format_text()


def test_the_same_carton_gives_the_same_pdf_bytes(carton: Carton, pdf: bytes) -> None:
    assert export_carton_pdf(carton) == pdf


def test_flat_svg_places_every_face_and_the_die_lines(carton: Carton) -> None:
    svg = draw_flat_svg(carton, "screen")
    for face in ("front", "back", "left", "right", "top"):
        assert f'class="panel panel-{face}"' in svg
    assert 'class="cut"' in svg and 'class="crease"' in svg
    # Self-contained for a browser, each face of the font embedded once for the whole flat.
    faces = re.findall(r"@font-face\{[^}]*\}", svg)
    assert faces and len(faces) == len(set(faces))
    assert 'class="panel panel-top" transform="rotate(180' in svg


def test_flat_png_spans_the_blank_and_its_bleed(carton: Carton) -> None:
    (file,) = render_carton_files(carton, "png", dpi=50)
    image = open_png(file.content)
    expected_w = round((carton.dieline.width_mm + 6) / 25.4 * 50)
    expected_h = round((carton.dieline.height_mm + 6) / 25.4 * 50)
    assert abs(image.width - expected_w) <= 1 and abs(image.height - expected_h) <= 1
    # Transparent outside the blank (the corners of the sheet), paper where the front is.
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0


@pytest.mark.parametrize("example", ["tra-sen-box", "mat-ong-crash-lock"])
def test_glue_areas_stay_unprinted(example: str) -> None:
    """Glue holds on bare board: nothing is printed where the gluer puts it (the glue flap;
    a crash-lock bottom's flap patches too)."""
    carton = layout_carton(load_spec(EXAMPLES / f"{example}.yaml"))
    dpi = 50
    pdf = export_carton_pdf(carton)
    image = rasterise_pdf(pdf, dpi)
    left, top = trim_origin_px(pdf, dpi)
    assert len(carton.dieline.glue_areas) == (1 if example == "tra-sen-box" else 3)
    for glue in carton.dieline.glue_areas:
        x = left + round((glue.x_mm + glue.width_mm / 2) / 25.4 * dpi)
        y = top + round((glue.y_mm + glue.height_mm / 2) / 25.4 * dpi)
        assert image.getpixel((x, y)) == (255, 255, 255), glue
