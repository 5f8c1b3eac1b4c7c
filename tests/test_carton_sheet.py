"""Cartons stepped on a press sheet: slots from the imposition engine, die lines on every blank."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from imaging import decode_codes, rasterise_pdf

from labelgen.errors import SheetError
from labelgen.fonts import shape_text_once
from labelgen.packaging.artwork import Carton, layout_carton
from labelgen.packaging.nesting import PlacedBlank, nest
from labelgen.packaging.sheet import export_carton_sheet_pdf, impose_carton
from labelgen.production.colour import find_rgb
from labelgen.production.imposition import ImpositionOptions
from labelgen.production.outlines import glyph_outline, text_face
from labelgen.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def carton() -> Carton:
    return layout_carton(load_spec(EXAMPLES / "tra-sen-box.yaml"))


def test_a_b1_sheet_takes_six_rte_blanks(carton: Carton) -> None:
    """296.6 × 271.6 mm blanks with 3 mm bleed and a 6 mm gutter inside 10 mm margins:
    3 across 1000 mm (908 mm) and 2 down 700 mm (549 mm); turned, no more would fit."""
    imposition = impose_carton(carton, ImpositionOptions(sheet="1000x700mm"))
    assert (imposition.columns, imposition.rows) == (3, 2)
    assert not imposition.rotated


def test_every_blank_has_its_die_lines_and_the_sheet_its_marks(carton: Carton) -> None:
    pdf = export_carton_sheet_pdf(carton, ImpositionOptions(sheet="1000x700mm"))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        content = page.obj.Contents.read_bytes().decode("ascii")
        assert content.count("/Blank Do") == 6
        assert content.count("/CSCut CS") == 6 and content.count("/CSCrease CS") == 6
        moves = len(re.findall(r" m ", content))
        dieline = carton.dieline
        marks = content[content.rindex("1 1 1 1 K") :]
        assert moves == 6 * (len(dieline.cuts) + len(dieline.creases)) + marks.count(" m ")
        assert marks.count(" m ") > 0
        spaces = page.obj.Resources.ColorSpace
        names = {str(spaces[key][1]) for key in spaces}
        assert names == {"/CutContour", "/Crease"}


def test_a_turned_sheet_keeps_the_codes_readable_and_cmyk_clean(carton: Carton) -> None:
    options = ImpositionOptions(sheet="SRA3", rotate="always")
    pdf = export_carton_sheet_pdf(carton, options, cmyk=True)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert find_rgb(document) == []
        assert len(document.Root.OutputIntents) == 1
    found = decode_codes(rasterise_pdf(pdf, 200).rotate(-90, expand=True))
    assert found.get("EAN13") == [carton.spec.product.gtin]
    assert len(found.get("QRCode", [])) == 1


def test_a_sheet_too_small_for_one_blank_is_refused(carton: Carton) -> None:
    with pytest.raises(SheetError):
        export_carton_sheet_pdf(carton, ImpositionOptions(sheet="A4"))


def test_cli_steps_a_carton_on_a_sheet(tmp_path: Path) -> None:
    root = EXAMPLES.parent
    output = tmp_path / "sheet.pdf"
    command = [sys.executable, "-m", "labelgen.cli", "render", str(EXAMPLES / "tra-sen-box.yaml")]
    result = subprocess.run(
        [*command, "-o", str(output), "--sheet", "1000x700mm", "--as-of", "2026-11-28"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with pikepdf.open(output) as document:
        assert document.pages[0].obj.Contents.read_bytes().count(b"/Blank Do") == 6
    refused = subprocess.run(
        [*command, "-o", str(tmp_path / "sheet.png"), "--sheet", "SRA3"],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert refused.returncode == 2 and "--sheet" in refused.stderr


def _cut_points(carton: Carton, blank: PlacedBlank, step_mm: float = 0.5) -> np.ndarray:
    """Points every `step_mm` along a placed blank's cut path, in sheet millimetres."""
    dieline = carton.dieline
    points = []
    for cut in dieline.cuts:
        count = max(1, int(cut.length_mm / step_mm))
        for index in range(count + 1):
            t = index / count
            x = cut.start[0] + (cut.end[0] - cut.start[0]) * t
            y = cut.start[1] + (cut.end[1] - cut.start[1]) * t
            if blank.turned:
                x, y = dieline.width_mm - x, dieline.height_mm - y
            points.append((blank.x_mm + x, blank.y_mm + y))
    return np.array(points)


def test_nesting_turns_every_other_row_and_fits_more_blanks(carton: Carton) -> None:
    """On a 700 × 1000 mm sheet the grid holds 2 × 3 RTE blanks; head to head, the turned rows'
    tucks step between the upright rows' flaps and 2 × 4 fit, never nearer each other than the
    two bleeds (6 mm) anywhere along their cut paths."""
    grid = impose_carton(carton, ImpositionOptions(sheet="700x1000mm", rotate="never"))
    assert len(grid.slots) == 6
    layout = nest(carton.dieline, 700, 1000, 10, 3)
    assert len(layout.blanks) == 8
    assert [blank.turned for blank in layout.blanks[::2]] == [False, True, False, True]
    assert sum(layout.row_steps_mm) < 2 * (carton.dieline.height_mm + 6)
    points = [_cut_points(carton, blank, step_mm=1.0) for blank in layout.blanks]
    nearest = float("inf")
    for first in range(len(points)):
        for second in range(first + 1, len(points)):
            a, b = points[first], points[second]
            # Only the points near the other blank's bounds can be near its cuts.
            low, high = b.min(axis=0) - 10, b.max(axis=0) + 10
            a = a[np.all((a >= low) & (a <= high), axis=1)]
            if len(a) == 0:
                continue
            distances = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
            nearest = min(nearest, float(distances.min()))
    # 1 mm sampling and the 0.5 mm grid the nest is found on may each take half a millimetre.
    assert 6 - 1.0 <= nearest < 8
    for blank in layout.blanks:  # inside the 10 mm margins, bleed included
        assert blank.x_mm - 3 >= 10 - 1e-6 and blank.y_mm - 3 >= 10 - 1e-6
        assert blank.x_mm + carton.dieline.width_mm + 3 <= 690 + 1e-6
        assert blank.y_mm + carton.dieline.height_mm + 3 <= 990 + 1e-6


def test_a_nested_sheet_places_turned_blanks_with_their_die_lines(carton: Carton) -> None:
    pdf = export_carton_sheet_pdf(carton, ImpositionOptions(sheet="700x1000mm"), nested=True)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        content = document.pages[0].obj.Contents.read_bytes().decode("ascii")
    assert content.count("/Blank Do") == 8
    assert content.count("-1 0 0 -1 ") == 4  # the turned blanks
    assert content.count("/CSCut CS") == 8
    # Nesting that fits no more than the grid leaves the grid as it was.
    plain = export_carton_sheet_pdf(carton, ImpositionOptions(sheet="1000x700mm"), nested=True)
    with pikepdf.open(io.BytesIO(plain)) as document:
        assert document.pages[0].obj.Contents.read_bytes().count(b"-1 0 0 -1 ") == 0


SLUG_DAY = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def glyph_forms_called(pdf: bytes) -> set[int]:
    """The glyph ids whose forms (`G…`) the sheet's page holds: the slug line's letters."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        xobjects = document.pages[0].obj.Resources.XObject
        return {int(str(name)[2:]) for name in xobjects if str(name).startswith("/G")}


def test_a_sheet_says_what_it_holds_in_a_slug_line_clear_of_the_blanks(carton: Carton) -> None:
    options = ImpositionOptions(sheet="1000x700mm")
    pdf = export_carton_sheet_pdf(carton, options, created_at=SLUG_DAY)
    slug = "Trà sen Tháp Mười · reverse-tuck-end 90 × 50 × 140 mm · 6 hộp/blanks · 07/12/2026"
    face = text_face(carton.label_set.panels[0].font_family)
    letters = {
        glyph.glyph_id
        for glyph in shape_text_once(face, slug)
        if glyph_outline(face, glyph.glyph_id)
    }
    assert glyph_forms_called(pdf) == letters
    # Drawn in its band, which no blank, bleed or mark reaches.
    imposition = impose_carton(carton, options)
    x_mm, y_mm, width_mm, height_mm = imposition.slug_box_mm
    for slot in imposition.slots:
        left, top, width, height = slot.bleed_box_mm
        assert (
            y_mm >= top + height
            or y_mm + height_mm <= top
            or x_mm >= left + width
            or x_mm + width_mm <= left
        )
    dpi = 100
    raster = np.asarray(rasterise_pdf(pdf, dpi).convert("L"))
    px = dpi / 25.4
    band = raster[
        round(y_mm * px) : round((y_mm + height_mm) * px),
        round(x_mm * px) : round((x_mm + width_mm) * px),
    ]
    assert (band < 128).sum() > 200  # the letters


def test_a_nested_sheet_keeps_its_slug_line_off_the_blanks(carton: Carton) -> None:
    options = ImpositionOptions(sheet="700x1000mm")
    pdf = export_carton_sheet_pdf(carton, options, nested=True, created_at=SLUG_DAY)
    layout = nest(carton.dieline, 700, 1000, options.margin_mm, 3)
    x_mm, y_mm, width_mm, height_mm = impose_carton(carton, options).slug_box_mm
    reach_mm = 3 + 8  # the bleed, and the corner marks beyond it
    clear = all(
        y_mm >= blank.y_mm + carton.dieline.height_mm + reach_mm
        or y_mm + height_mm <= blank.y_mm - reach_mm
        or x_mm >= blank.x_mm + carton.dieline.width_mm + reach_mm
        or x_mm + width_mm <= blank.x_mm - reach_mm
        for blank in layout.blanks
    )
    assert bool(glyph_forms_called(pdf)) == clear
