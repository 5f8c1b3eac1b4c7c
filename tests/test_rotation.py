"""Auto-rotation: labels per sheet upright and turned, turned grids worked by hand, and turned runs
read back from the PDF (die-line trims, crop marks, every QR decoded from a raster)."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
import zxingcpp
from test_batch import (
    codes_in_reading_order,
    rasterise_page,
    request_for,
    write_serials,
    write_spec,
)

from labelgen.errors import SheetError
from labelgen.production.imposition import Imposition, ImpositionOptions, Slot, impose
from labelgen.production.run import run_batch
from labelgen.production.serials import read_manifest
from labelgen.templates import load_template

PT_PER_MM = 72 / 25.4
ROUND_OFF_MM = 1e-5
# The die line's placing matrix and its path, as the stamp writes them (CutContour, overprinting).
DIE_LINE = re.compile(rb"/GSCut gs ([-\d. ]+) cm /CSCut CS 1 SCN [\d.]+ w ([-\d. mlchre]+) S Q")


def labels_per_sheet(template: str, sheet: str, rotate: str) -> int:
    manifest = load_template(template).manifest
    options = ImpositionOptions(sheet=sheet, rotate=rotate)  # type: ignore[arg-type]
    try:
        return impose(
            manifest.width_mm, manifest.height_mm, manifest.bleed_mm, options
        ).labels_per_sheet
    except SheetError:
        return 0


# Template → (A4, A3, SRA3) labels per sheet upright ("never") and with "auto", at the defaults
# (10 mm margins, 3 mm bleed, 6 mm gutters, crop marks, slug line).
LABELS_PER_SHEET = {
    "ocop-classic": ((3, 8, 10), (4, 9, 10)),
    "bottle-wrap": ((0, 4, 5), (2, 4, 5)),
    "back-panel": ((4, 6, 9), (4, 8, 9)),
    "hang-tag": ((4, 12, 16), (4, 12, 16)),
    "hang-tag-back": ((4, 12, 16), (4, 12, 16)),
    "round-jar": ((6, 15, 24), (6, 15, 24)),
}


@pytest.mark.parametrize("template", sorted(LABELS_PER_SHEET))
def test_labels_per_sheet_upright_and_with_auto_rotation(template: str) -> None:
    upright, auto = LABELS_PER_SHEET[template]
    sheets = ("A4", "A3", "SRA3")
    assert tuple(labels_per_sheet(template, sheet, "never") for sheet in sheets) == upright
    assert tuple(labels_per_sheet(template, sheet, "auto") for sheet in sheets) == auto


def test_sra3_keeps_100x70_and_200x70_labels_upright() -> None:
    # SRA3 320 × 450, 10 mm margins: 300 × 430 printable. Each end keeps 3 bleed + 8 marks across
    # and 3 + 8 + 4.2 slug band down, so n trims of s with 6 mm gutters fit when
    # (s + 6) n ≤ 300 − 22 + 6 = 284 across and (s + 6) n ≤ 430 − 30.4 + 6 = 405.6 down.
    # 100 × 70 upright: 284 / 106 → 2 across, 405.6 / 76 → 5 down = 10; turned (70 × 100):
    # 284 / 76 → 3, 405.6 / 106 → 3 = 9. The 16 of a bare 4 × 4 grid (4 × 70 ≤ 320, 4 × 100 ≤ 450)
    # needs the margins, bleed and marks away; upright stays, with 10.
    ocop = impose(100, 70, 3, ImpositionOptions(sheet="SRA3"))
    assert (ocop.rotated, ocop.columns, ocop.rows) == (False, 2, 5)
    assert (
        impose(100, 70, 3, ImpositionOptions(sheet="SRA3", rotate="always")).labels_per_sheet == 9
    )
    # 200 × 70 upright: 284 / 206 → 1 across, 5 down = 5; turned (70 × 200): 3 across,
    # 405.6 / 206 → 1 down = 3 (the 8 of a bare grid fails the same way).
    wrap = impose(200, 70, 3, ImpositionOptions(sheet="SRA3"))
    assert (wrap.rotated, wrap.columns, wrap.rows) == (False, 1, 5)
    assert (
        impose(200, 70, 3, ImpositionOptions(sheet="SRA3", rotate="always")).labels_per_sheet == 3
    )


def test_a4_turns_100x70_labels_into_a_2x2_grid() -> None:
    imposition = impose(100, 70, 3, ImpositionOptions(sheet="A4"))
    # A4 210 × 297: (s + 6) n ≤ 190 − 22 + 6 = 174 across, ≤ 277 − 30.4 + 6 = 252.6 down.
    # Upright: 174 / 106 → 1, 252.6 / 76 → 3 = 3. Turned (70 × 100): 174 / 76 → 2, 252.6 / 106 → 2.
    assert (imposition.rotated, imposition.columns, imposition.rows) == (True, 2, 2)
    assert (imposition.label_width_mm, imposition.label_height_mm) == (100, 70)
    # Trims span 2 × 70 + 6 = 146 across → first x (210 − 146) / 2 = 32, then 108;
    # 2 × 100 + 6 = 206 down → first y (297 − 206) / 2 = 45.5, then 151.5.
    trims = [
        (s.trim_x_mm, s.trim_y_mm, s.trim_width_mm, s.trim_height_mm) for s in imposition.slots
    ]
    assert trims == [
        (32, 45.5, 70, 100),
        (108, 45.5, 70, 100),
        (32, 151.5, 70, 100),
        (108, 151.5, 70, 100),
    ]
    assert all(slot.rotated for slot in imposition.slots)
    # Crop marks stand on the turned trims' cut lines, 3 mm beyond the bleed: x 32, 102, 108, 178
    # over the top bleed edge 42.5 (marks 34.5–39.5) and y 45.5, 145.5, 151.5, 251.5.
    vertical = sorted({mark.x1_mm for mark in imposition.marks if mark.x1_mm == mark.x2_mm})
    horizontal = sorted({mark.y1_mm for mark in imposition.marks if mark.y1_mm == mark.y2_mm})
    assert vertical == [32, 102, 108, 178]
    assert horizontal == [45.5, 145.5, 151.5, 251.5]
    top = [mark for mark in imposition.marks if mark.x1_mm == 32 and mark.y1_mm < 45.5]
    assert [(mark.y1_mm, mark.y2_mm) for mark in top] == [(34.5, 39.5)]


def test_a_label_too_wide_upright_is_turned_to_fit() -> None:
    # 200 mm + 2 × 11 = 222 > 190 printable across A4: upright nothing fits, turned 2 do.
    with pytest.raises(SheetError, match=r"^sheet: a 200×70 mm label"):
        impose(200, 70, 3, ImpositionOptions(sheet="A4", rotate="never"))
    imposition = impose(200, 70, 3, ImpositionOptions(sheet="A4"))
    assert (imposition.rotated, imposition.columns, imposition.rows) == (True, 2, 1)


def test_rotate_never_and_always_force_the_orientation() -> None:
    never = impose(100, 70, 3, ImpositionOptions(sheet="A4", rotate="never"))
    always = impose(100, 70, 3, ImpositionOptions(sheet="SRA3", rotate="always"))
    assert not never.rotated and never.labels_per_sheet == 3
    assert always.rotated and (always.columns, always.rows) == (3, 3)
    # A square label is never turned: nothing to gain.
    assert not impose(60, 60, 3, ImpositionOptions(sheet="A4")).rotated
    with pytest.raises(SheetError, match=r"^rotate: "):
        impose(100, 70, 3, ImpositionOptions(sheet="A4", rotate="sideways"))  # type: ignore[arg-type]


def test_given_columns_and_rows_use_the_orientation_they_fit() -> None:
    # Two columns of 100 mm labels do not fit across A4; two columns of turned ones do.
    imposition = impose(100, 70, 3, ImpositionOptions(sheet="A4", columns=2))
    assert imposition.rotated and imposition.columns == 2
    with pytest.raises(SheetError, match=r"^columns: "):
        impose(100, 70, 3, ImpositionOptions(sheet="A4", columns=2, rotate="never"))


def test_pre_cut_sheets_keep_their_layout_and_turn_only_a_turned_label() -> None:
    # L7165: 2 × 4 pre-cut labels of 99.1 × 67.7 mm.
    upright = impose(99.1, 67.7, 0, ImpositionOptions(sheet="L7165"))
    turned = impose(67.7, 99.1, 0, ImpositionOptions(sheet="L7165"))
    assert not upright.rotated and turned.rotated
    assert (turned.columns, turned.rows) == (upright.columns, upright.rows) == (2, 4)
    assert [slot_box(slot) for slot in turned.slots] == [slot_box(slot) for slot in upright.slots]
    assert (turned.label_width_mm, turned.label_height_mm) == (67.7, 99.1)
    with pytest.raises(SheetError, match=r"^sheet: the label is 67.7×99.1 mm"):
        impose(67.7, 99.1, 0, ImpositionOptions(sheet="L7165", rotate="never"))
    with pytest.raises(SheetError, match=r"^sheet: the label is 67.7×99.1 mm"):
        impose(99.1, 67.7, 0, ImpositionOptions(sheet="L7165", rotate="always"))
    # Round pre-cut labels are never turned.
    assert not impose(60, 60, 3, ImpositionOptions(sheet="round-60-12")).rotated


def slot_box(slot: Slot) -> tuple[float, float, float, float]:
    return (slot.trim_x_mm, slot.trim_y_mm, slot.trim_width_mm, slot.trim_height_mm)


# -- turned runs read back from the PDF ------------------------------------------------------------


def die_line_trims_mm(
    content: bytes, sheet_height_mm: float
) -> list[tuple[float, float, float, float]]:
    """Each die line's outline carried through its placing matrix onto the sheet, as a trim box
    (x, y, width, height) in mm from the sheet's top-left corner, in drawing order."""
    trims = []
    for matrix_text, path in DIE_LINE.findall(content):
        a, b, c, d, e, f = (float(value) for value in matrix_text.split())
        points = [(a * x + c * y + e, b * x + d * y + f) for x, y in path_points(path)]
        left, right = min(x for x, _ in points), max(x for x, _ in points)
        bottom, top = min(y for _, y in points), max(y for _, y in points)
        trims.append(
            (
                round(left / PT_PER_MM, 2),
                round(sheet_height_mm - top / PT_PER_MM, 2),
                round((right - left) / PT_PER_MM, 2),
                round((top - bottom) / PT_PER_MM, 2),
            )
        )
    return trims


def path_points(path: bytes) -> list[tuple[float, float]]:
    """The points a path's operators name (an `re` by two opposite corners)."""
    points: list[tuple[float, float]] = []
    numbers: list[float] = []
    for token in path.split():
        if token == b"re":
            x, y, width, height = numbers
            points += [(x, y), (x + width, y + height)]
        elif token in (b"m", b"l", b"c"):
            points += list(zip(numbers[::2], numbers[1::2], strict=True))
        elif token != b"h":
            numbers.append(float(token))
            continue
        numbers = []
    return points


def expected_trims(imposition: Imposition, count: int) -> list[tuple[float, float, float, float]]:
    return [tuple(round(value, 2) for value in slot_box(slot)) for slot in imposition.slots[:count]]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("template", "sheet", "per_sheet"),
    [("ocop-classic", "A4", 4), ("bottle-wrap", "A4", 2), ("back-panel", "A3", 8)],
)
def test_a_turned_run_has_turned_die_lines_and_every_code_decodes(
    tmp_path: Path, template: str, sheet: str, per_sheet: int
) -> None:
    spec_path = write_spec(tmp_path, template)
    count = per_sheet + per_sheet // 2  # a full sheet and a part one
    write_serials(tmp_path / "serials.csv", count)
    options = ImpositionOptions(sheet=sheet, margin_mm=10)
    request = request_for(
        spec_path, tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv", sheet=options
    )
    result = run_batch(request)
    assert result.preflight.passed, result.preflight.format_text()
    assert (result.rotated, result.labels_per_sheet, result.sheets) == (True, per_sheet, 2)
    manifest = load_template(template).manifest
    imposition = impose(manifest.width_mm, manifest.height_mm, manifest.bleed_mm, options)
    units = [unit.content for unit in read_manifest(result.manifest)]
    with pikepdf.open(result.output) as pdf:
        contents = [page.obj.Contents.read_bytes() for page in pdf.pages]
    decoded: list[str] = []
    for page_number, content in enumerate(contents, start=1):
        on_sheet = min(per_sheet, count - (page_number - 1) * per_sheet)
        trims = die_line_trims_mm(content, imposition.sheet.height_mm)
        # One turned trim per label: the label's height across the sheet, its width down.
        assert trims == expected_trims(imposition, on_sheet)
        assert all(
            (width, height) == (manifest.height_mm, manifest.width_mm)
            for _, _, width, height in trims
        )
        assert content.count(b"/Art Do") == on_sheet
        raster = rasterise_page(result.output, page_number, dpi=300)
        results = zxingcpp.read_barcodes(raster, formats=zxingcpp.BarcodeFormat.QRCode)
        # The codes stand turned with their labels (a quarter turn, either way round).
        assert len(results) == on_sheet
        assert all(abs(code.orientation) == 90 for code in results), [
            r.orientation for r in results
        ]
        decoded += codes_in_reading_order(raster)
    assert decoded == units
