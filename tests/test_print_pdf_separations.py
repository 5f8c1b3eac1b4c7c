"""CMYK print PDFs → Ghostscript's separations and qpdf's check: solid black, marks off the die line's plate."""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pikepdf
import pytest
from conftest import EXAMPLES_DIR, FOOD_EXAMPLE, HANDICRAFT_EXAMPLE, example_spec, panel_layout
from corpus_support import AS_OF
from fastapi.testclient import TestClient
from PIL import Image
from service_support import service_settings, spec_document

from labelgen.cli import main
from labelgen.draw import print_margin_mm
from labelgen.export import export_pdf
from labelgen.layout import Layout
from labelgen.pipeline import render
from labelgen.production.colour import find_rgb, pdfx_output_intents
from labelgen.service.app import create_app
from labelgen.spec import load_spec
from labelgen.templates import Box

DPI = 300
PROCESS = ("Cyan", "Magenta", "Yellow", "Black")
FULL = 0.99  # tiffsep writes 8-bit plates: 100 % is 255, and nothing less is solid
TYPE_K = 0.5  # black plate coverage from which a pixel is type or a code's bar, not a tint
INK_LIMIT = 3.0 + 0.02  # 300 %, and the 8-bit plates' rounding

Plates = dict[str, npt.NDArray[np.float64]]


def separations(pdf: bytes, dpi: int = DPI) -> list[Plates]:
    """Each page's plates from Ghostscript's tiffsep device, as ink coverage 0..1 a pixel."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "in.pdf")
        source.write_bytes(pdf)
        subprocess.run(
            [
                *("gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffsep", f"-r{dpi}"),
                *(f"-sOutputFile={folder}/p%d.tif", str(source)),
            ],
            check=True,
        )
        pages = []
        for number in range(1, len(pikepdf.open(source).pages) + 1):
            plates: Plates = {}
            for plate in Path(folder).glob(f"p{number}(*).tif"):
                name = plate.name[len(f"p{number}(") : -len(").tif")]
                # tiffsep writes 255 for no ink and 0 for solid ink.
                plates[name] = 1 - np.asarray(Image.open(plate), dtype=np.float64) / 255
            pages.append(plates)
        return pages


@dataclass(frozen=True)
class Page:
    """A label's page: its plates and where its trim starts, in pixels."""

    plates: Plates
    layout: Layout
    dpi: int = DPI

    def pixels(self, box: Box) -> tuple[slice, slice]:
        margin = print_margin_mm(self.layout)

        def px(mm: float) -> int:
            return round((margin + mm) / 25.4 * self.dpi)

        return (slice(px(box.y_mm), px(box.bottom_mm)), slice(px(box.x_mm), px(box.right_mm)))


@pytest.fixture(scope="module")
def food_set_pages() -> list[Page]:
    """The food example as it is, a front and back label set, in CMYK."""
    spec = load_spec(EXAMPLES_DIR / f"{FOOD_EXAMPLE}.yaml")
    pdf = render(spec, "pdf", cmyk=True, as_of=AS_OF, spec_dir=EXAMPLES_DIR)
    layouts = [panel_layout(spec, panel) for panel in spec.template_ids]
    return [Page(plates, layout) for plates, layout in zip(separations(pdf), layouts, strict=True)]


@pytest.fixture(scope="module")
def hang_tag_pages() -> list[Page]:
    """Both sides of the handicraft hang tag: the QR on its front, the EAN-13 on its back."""
    spec = example_spec(HANDICRAFT_EXAMPLE, "hang-tag")
    layouts = [panel_layout(spec, panel) for panel in ("hang-tag", "hang-tag-back")]
    return [Page(separations(export_pdf(layout, cmyk=True))[0], layout) for layout in layouts]


def test_a_cmyk_label_set_is_pdfx4_with_its_output_intent() -> None:
    spec = load_spec(EXAMPLES_DIR / f"{FOOD_EXAMPLE}.yaml")
    data = render(spec, "pdf", cmyk=True, as_of=AS_OF, spec_dir=EXAMPLES_DIR)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        checked = subprocess.run(["qpdf", "--check", file.name], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == len(spec.template_ids)
        assert find_rgb(pdf) == []
        (intent,) = pdfx_output_intents(pdf)
        assert intent.DestOutputProfile.Filter == pikepdf.Name.FlateDecode
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-4"
        for page in pdf.pages:
            assert "/TrimBox" in page.obj and "/BleedBox" in page.obj


def test_body_text_and_codes_are_solid_black_on_the_black_plate_alone(
    food_set_pages: list[Page], hang_tag_pages: list[Page]
) -> None:
    checked = 0
    for page in [*food_set_pages, *hang_tag_pages]:
        layout = page.layout
        boxes = [block.box for block in layout.texts if block.color == "text"]
        if layout.qr is not None:
            qr = layout.qr
            boxes.append(Box(x_mm=qr.x_mm, y_mm=qr.y_mm, width_mm=qr.size_mm, height_mm=qr.size_mm))
        if layout.barcode is not None:
            code = layout.barcode
            boxes.append(
                Box(
                    x_mm=code.x_mm,
                    y_mm=code.y_mm,
                    width_mm=code.width_mm,
                    height_mm=code.bar_height_mm,
                )
            )
        for box in boxes:
            rows, columns = page.pixels(box)
            black = page.plates["Black"][rows, columns]
            # Type and modules, not the light brand tints a text box may reach into.
            inked = black >= TYPE_K
            for plate in ("Cyan", "Magenta", "Yellow"):
                assert page.plates[plate][rows, columns][inked].max(initial=0) == 0, plate
            assert black[inked].min(initial=1) >= FULL
            checked += int(inked.sum())
    assert checked > 10_000


def test_the_english_twin_is_a_grey_on_the_black_plate_alone(food_set_pages: list[Page]) -> None:
    page = food_set_pages[0]
    muted = [block.box for block in page.layout.texts if block.color == "muted"]
    assert muted
    for box in muted:
        rows, columns = page.pixels(box)
        inked = page.plates["Black"][rows, columns] >= TYPE_K
        assert inked.any()
        for plate in ("Cyan", "Magenta", "Yellow"):
            assert page.plates[plate][rows, columns][inked].max(initial=0) == 0, plate


def test_total_ink_stays_within_300_percent(food_set_pages: list[Page]) -> None:
    for page in food_set_pages:
        total = sum(page.plates[plate] for plate in PROCESS)
        assert total.max() <= INK_LIMIT


def test_the_cut_contour_plate_holds_the_die_line_alone(food_set_pages: list[Page]) -> None:
    for page in food_set_pages:
        layout = page.layout
        cut = page.plates["CutContour"]
        assert cut.any()
        # The die line follows the trim: everything on the plate lies within 1 mm of it, and
        # the crop marks, 5 mm out, are not on it.
        near_trim = Box(
            x_mm=-1, y_mm=-1, width_mm=layout.width_mm + 2, height_mm=layout.height_mm + 2
        )
        rows, columns = page.pixels(near_trim)
        outside = cut.copy()
        outside[rows, columns] = 0
        assert not outside.any()
        black = page.plates["Black"].copy()
        black[rows, columns] = 0
        assert black.any()  # the crop marks are on the black plate


def test_a_print_runs_crop_marks_are_on_every_process_plate_but_not_the_cutters(
    tmp_path: Path,
) -> None:
    output = tmp_path / "run.pdf"
    assert (
        main(
            [
                "batch",
                str(EXAMPLES_DIR / "hat-sen-say.yaml"),
                "--serials",
                str(EXAMPLES_DIR / "serials.csv"),
                "--sheet",
                "A4",
                "--cmyk",
                "-o",
                str(output),
            ]
        )
        == 0
    )
    (plates, *_) = separations(output.read_bytes(), dpi=100)
    cut = plates["CutContour"] > 0
    # Registration colour is all four plates solid (400 %): the artwork, held to 300 %, never is.
    marks = np.logical_and.reduce([plates[plate] >= FULL for plate in PROCESS])
    assert marks.sum() > 100
    assert cut.any()
    assert not (marks & cut).any()


def test_cmyk_is_refused_for_an_svg_or_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = EXAMPLES_DIR / f"{FOOD_EXAMPLE}.yaml"
    assert main(["render", str(spec), "-o", str(tmp_path / "label.png"), "--cmyk"]) == 2
    assert "--cmyk is for a PDF" in capsys.readouterr().err


def test_a_set_has_no_unused_colour_space_and_one_subset_tag_a_glyph_set() -> None:
    spec = load_spec(EXAMPLES_DIR / f"{FOOD_EXAMPLE}.yaml")
    data = render(spec, "pdf", as_of=AS_OF, spec_dir=EXAMPLES_DIR)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        listed = subprocess.run(["pdffonts", file.name], capture_output=True, text=True, check=True)
    rows = [line.split() for line in listed.stdout.splitlines()[2:]]
    names = [row[0] for row in rows]
    assert all(name[6] == "+" for name in names)
    # One page's regular subset is not the other's: equal tags only for equal glyph sets.
    assert len(set(names)) == len(names)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            assert set(page.obj.Resources.ColorSpace.keys()) == {"/CSCut"}


def test_the_api_answers_a_cmyk_label_set_with_cmyk_true() -> None:
    document = spec_document(as_set=True)
    with TestClient(create_app(service_settings())) as client:
        answers = {
            cmyk: client.post(f"/api/v1/labels?format=pdf&cmyk={cmyk}", json=document)
            for cmyk in ("true", "false")
        }
    for response in answers.values():
        assert response.status_code == 200, response.text
    with pikepdf.open(io.BytesIO(answers["true"].content)) as pdf:
        assert len(pdf.pages) == 2
        assert find_rgb(pdf) == []
        assert pdfx_output_intents(pdf)
    with pikepdf.open(io.BytesIO(answers["false"].content)) as pdf:
        assert find_rgb(pdf)
        assert not pdfx_output_intents(pdf)
