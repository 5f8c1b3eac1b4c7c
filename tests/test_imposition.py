"""Imposition: grids, crop marks, slug, pre-cut sheets and calibration against hand-worked tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labelgen.errors import SheetError
from labelgen.production.imposition import (
    Calibration,
    Imposition,
    ImpositionOptions,
    Mark,
    Slot,
    impose,
    list_sheets,
    load_presets,
    resolve_sheet,
)

# Every length below is worked by hand from the rules in the module docstring: crop marks start
# 3 mm outside the bleed and are 5 mm long (8 mm per end); the slug band under the grid is 1 mm
# gap + 2.5 mm ascent + 0.7 mm descent = 4.2 mm, and kept free over the grid too (it is centred).

Box = tuple[float, float, float, float]  # x, y, width, height
# Positions are rounded to the nanometre (1e-6 mm), so two of them may disagree by a few.
ROUND_OFF_MM = 1e-5


def trim_positions(imposition: Imposition, *indexes: int) -> list[tuple[float, float]]:
    return [
        (imposition.slots[index].trim_x_mm, imposition.slots[index].trim_y_mm) for index in indexes
    ]


def bleeds(slot: Slot) -> tuple[float, float, float, float]:
    """left, top, right, bottom."""
    return (slot.bleed_left_mm, slot.bleed_top_mm, slot.bleed_right_mm, slot.bleed_bottom_mm)


# -- press sheets --------------------------------------------------------------------------------


def test_sra3_60mm_labels_with_default_gutter() -> None:
    imposition = impose(60, 60, 3, ImpositionOptions(sheet="SRA3", margin_mm=10))
    # Across: 320 − 2 × 10 = 300 printable; each end keeps 3 bleed + 8 marks = 11, so the trims
    # and 6 mm gutters get 278: 60n + 6(n − 1) ≤ 278 → 66n ≤ 284 → 4 (5 would need 324).
    # Down: 450 − 20 = 430; each end keeps 3 + 8 + 4.2 = 15.2 → 66n − 6 ≤ 399.6 → 66n ≤ 405.6 → 6.
    assert (imposition.columns, imposition.rows, imposition.labels_per_sheet) == (4, 6, 24)
    # Trims span 4 × 60 + 3 × 6 = 258 across → first x (320 − 258) / 2 = 31, pitch 66;
    # 6 × 60 + 5 × 6 = 390 down → first y (450 − 390) / 2 = 30. Last slot: row 5, column 3.
    assert trim_positions(imposition, 0, 1, 4, 23) == [(31, 30), (97, 30), (31, 96), (229, 360)]
    last = imposition.slots[23]
    assert (last.index, last.row, last.column) == (23, 5, 3)
    assert all(bleeds(slot) == (3, 3, 3, 3) for slot in imposition.slots)
    # Slug: bottom bleed 360 + 60 + 3 = 423, marks to 431, gap 1 → box top 432, baseline 434.5,
    # across the printable width from the 10 mm margin.
    assert (imposition.slug_x_mm, imposition.slug_y_mm, imposition.slug_width_mm) == (
        10,
        434.5,
        300,
    )


def test_given_columns_and_rows_are_centred() -> None:
    imposition = impose(60, 60, 3, ImpositionOptions(sheet="SRA3", columns=2, rows=3))
    # 2 × 60 + 6 = 126 across → (320 − 126) / 2 = 97; 3 × 60 + 2 × 6 = 192 down → (450 − 192) / 2 = 129.
    assert imposition.labels_per_sheet == 6
    assert trim_positions(imposition, 0, 1, 2, 5) == [(97, 129), (163, 129), (97, 195), (163, 261)]


def test_custom_sheet_size() -> None:
    imposition = impose(100, 100, 2, ImpositionOptions(sheet="500 x 700 mm", margin_mm=15))
    assert imposition.sheet.name == "500x700mm"
    assert (imposition.sheet.width_mm, imposition.sheet.height_mm) == (500, 700)
    # Printable 470 × 670; gutter 2 × 2 = 4. Across each end keeps 2 + 8 = 10:
    # 104n − 4 ≤ 450 → 104n ≤ 454 → 4. Down each end keeps 2 + 8 + 4.2 = 14.2:
    # 104n − 4 ≤ 641.6 → 104n ≤ 645.6 → 6.
    assert (imposition.columns, imposition.rows) == (4, 6)
    # Spans 4 × 100 + 3 × 4 = 412 → x0 = 44; 6 × 100 + 5 × 4 = 620 → y0 = 40; last at
    # (44 + 3 × 104, 40 + 5 × 104).
    assert trim_positions(imposition, 0, 23) == [(44, 40), (356, 560)]


def test_a4_with_a_2mm_gutter_clips_the_inner_bleed() -> None:
    imposition = impose(50, 30, 3, ImpositionOptions(sheet="A4", gutter_mm=2))
    # Printable 190 × 277. Across: 52n − 2 ≤ 190 − 22 → 52n ≤ 170 → 3.
    # Down: 32n − 2 ≤ 277 − 30.4 → 32n ≤ 248.6 → 7.
    assert (imposition.columns, imposition.rows) == (3, 7)
    # Spans 3 × 50 + 2 × 2 = 154 → x0 = 28, pitch 52; 7 × 30 + 6 × 2 = 222 → y0 = 37.5, pitch 32.
    assert trim_positions(imposition, 0, 1, 2, 20) == [
        (28, 37.5),
        (80, 37.5),
        (132, 37.5),
        (132, 229.5),
    ]
    # A 2 mm gutter holds 1 mm of each neighbour's bleed; the outer sides keep all 3 mm.
    assert bleeds(imposition.slots[0]) == (3, 3, 1, 1)
    assert bleeds(imposition.slots[10]) == (1, 1, 1, 1)  # row 3, column 1: all inner
    assert bleeds(imposition.slots[20]) == (1, 1, 3, 3)


def test_crop_marks_of_a_2x2_grid() -> None:
    imposition = impose(50, 40, 3, ImpositionOptions(sheet="A4", columns=2, rows=2))
    # Spans 2 × 50 + 6 = 106 → x0 = (210 − 106) / 2 = 52: trims 52–102 and 108–158.
    # 2 × 40 + 6 = 86 → y0 = (297 − 86) / 2 = 105.5: trims 105.5–145.5 and 151.5–191.5.
    # Outer bleed edges: left 49, right 161, top 102.5, bottom 194.5; marks 3 mm off, 5 mm long.
    expected = set()
    for x in (52, 102, 108, 158):
        expected.add(Mark(x, 94.5, x, 99.5))  # over the grid: 102.5 − 8 to 102.5 − 3
        expected.add(Mark(x, 197.5, x, 202.5))  # under it: 194.5 + 3 to 194.5 + 8
    for y in (105.5, 145.5, 151.5, 191.5):
        expected.add(Mark(41, y, 46, y))  # left: 49 − 8 to 49 − 3
        expected.add(Mark(164, y, 169, y))  # right: 161 + 3 to 161 + 8
    assert len(imposition.marks) == 16
    assert set(imposition.marks) == expected


def test_a_zero_gutter_shares_cut_lines_and_marks() -> None:
    imposition = impose(50, 40, 0, ImpositionOptions(sheet="A4", columns=2, rows=2, gutter_mm=0))
    # Trims 55–105–155 across ((210 − 100) / 2 = 55) and 108.5–148.5–188.5 down: three cut
    # lines each way, two marks each.
    xs = sorted({mark.x1_mm for mark in imposition.marks if mark.x1_mm == mark.x2_mm})
    ys = sorted({mark.y1_mm for mark in imposition.marks if mark.y1_mm == mark.y2_mm})
    assert (xs, ys) == ([55, 105, 155], [108.5, 148.5, 188.5])
    assert len(imposition.marks) == 12


def test_crop_marks_take_room_and_can_be_turned_off() -> None:
    # 69 mm labels, 3 mm bleed, 6 mm gutters on SRA3 (300 printable across): 4 × 69 + 3 × 6 +
    # 2 × 3 = 300 exactly, so 4 fit without marks; with marks (+16) only 3.
    with_marks = impose(69, 69, 3, ImpositionOptions(sheet="SRA3"))
    without = impose(69, 69, 3, ImpositionOptions(sheet="SRA3", crop_marks=False))
    assert (with_marks.columns, without.columns) == (3, 4)
    assert without.marks == ()
    # The outer bleed edges sit exactly on the margins: (320 − 294) / 2 − 3 = 10.
    assert without.slots[0].trim_x_mm - 3 == 10
    assert without.slots[3].trim_x_mm + 69 + 3 == 310


def test_start_position_leaves_the_first_slots_of_the_first_sheet_empty() -> None:
    imposition = impose(60, 60, 3, ImpositionOptions(sheet="SRA3", start_position=5))
    assert imposition.labels_per_sheet == 24
    sheet, slot = imposition.place(0)
    assert (sheet, slot.index) == (0, 4)
    sheet, slot = imposition.place(19)  # the 20th label fills slot 24 of sheet 1
    assert (sheet, slot.index) == (0, 23)
    sheet, slot = imposition.place(20)  # later sheets start at slot 1
    assert (sheet, slot.index) == (1, 0)
    assert imposition.sheets_needed(0) == 0
    assert imposition.sheets_needed(20) == 1
    assert imposition.sheets_needed(21) == 2
    # 20,000 stickers: (20,000 + 4 skipped) / 24 = 833.5 → 834 sheets.
    assert imposition.sheets_needed(20_000) == 834
    sheet, slot = imposition.place(19_999)
    assert (sheet, slot.index) == (833, 11)  # 20,003 = 833 × 24 + 11


# -- pre-cut label sheets ------------------------------------------------------------------------


def test_l7163_preset_clips_bleed_to_half_the_gaps() -> None:
    imposition = impose(99.1, 38.1, 3, ImpositionOptions(sheet="l7163"))
    assert imposition.preset is not None
    assert imposition.sheet.name == "L7163"
    assert (imposition.columns, imposition.rows, imposition.labels_per_sheet) == (2, 7, 14)
    assert imposition.marks == ()  # the sheet is cut already
    # Left 4.65, top 15.15, pitch 101.6 × 38.1: column 1 at 4.65 + 101.6 = 106.25; row 3 at
    # 15.15 + 3 × 38.1 = 129.45; row 6 at 15.15 + 6 × 38.1 = 243.75.
    assert trim_positions(imposition, 0, 1, 7, 13) == [
        (4.65, 15.15),
        (106.25, 15.15),
        (106.25, 129.45),
        (106.25, 243.75),
    ]
    # Gaps: 101.6 − 99.1 = 2.5 across → 1.25 each side; none down → 0. Outer sides: 3 mm (the
    # sheet edges are 4.65 and 15.15 mm away).
    assert bleeds(imposition.slots[0]) == (3, 3, 1.25, 0)
    assert bleeds(imposition.slots[1]) == (1.25, 3, 3, 0)
    assert bleeds(imposition.slots[7]) == (1.25, 0, 3, 0)
    assert bleeds(imposition.slots[13]) == (1.25, 0, 3, 3)
    # Slug: bottom bleed 243.75 + 38.1 + 3 = 284.85; band 297 − 284.85 = 12.15; the 3.2 mm box
    # centred → top 284.85 + (12.15 − 3.2) / 2 = 289.325, baseline + 2.5 = 291.825; x at the
    # 5 mm inset (more than 4.65), 210 − 2 × 5 = 200 wide.
    assert (imposition.slug_x_mm, imposition.slug_y_mm, imposition.slug_width_mm) == (
        5,
        291.825,
        200,
    )


def test_a6_design_on_a4_quarters_is_centred_with_no_room_for_bleed() -> None:
    imposition = impose(105, 148, 3, ImpositionOptions(sheet="A4-quarters"))
    # The quarters are 105 × 148.5, edge to edge: a 148 mm design sits 0.25 mm in from the
    # quarter's top and bottom, which is all the bleed it can keep.
    assert trim_positions(imposition, 0, 3) == [(0, 0.25), (105, 148.75)]
    assert bleeds(imposition.slots[0]) == (0, 0.25, 0, 0.25)
    assert bleeds(imposition.slots[3]) == (0, 0.25, 0, 0.25)
    assert imposition.slug_width_mm == 0  # no free band on the sheet


def test_round_preset_keeps_bleed_that_fits_its_gaps() -> None:
    # ⌀ 60 mm, left 8, top 18, pitch 67: gaps of 7 mm hold 3.5 mm of bleed each side.
    three = impose(60, 60, 3, ImpositionOptions(sheet="round-60-12"))
    assert all(bleeds(slot) == (3, 3, 3, 3) for slot in three.slots)
    five = impose(60, 60, 5, ImpositionOptions(sheet="round-60-12"))
    assert bleeds(five.slots[0]) == (5, 5, 3.5, 3.5)  # the sheet edges are 8 and 18 mm away
    assert bleeds(five.slots[4]) == (3.5, 3.5, 3.5, 3.5)  # row 1, column 1
    assert trim_positions(five, 4, 11) == [
        (75, 85),
        (142, 219),
    ]  # 8 + 67, 18 + 67; 8 + 134, 18 + 201


def test_bundled_presets_lie_symmetrically_on_a4() -> None:
    presets = load_presets()
    assert len(presets) >= 4
    for preset in presets.values():
        assert (preset.sheet.width_mm, preset.sheet.height_mm) == (210, 297)
        right_mm = 210 - (
            preset.left_mm + (preset.columns - 1) * preset.pitch_x_mm + preset.label_width_mm
        )
        bottom_mm = 297 - (
            preset.top_mm + (preset.rows - 1) * preset.pitch_y_mm + preset.label_height_mm
        )
        assert right_mm == pytest.approx(preset.left_mm, abs=0.01), preset.name
        assert bottom_mm == pytest.approx(preset.top_mm, abs=0.01), preset.name
        assert preset.source and preset.description
    counts = {name: preset.columns * preset.rows for name, preset in presets.items()}
    assert counts == {
        "L7160": 21,
        "L7163": 14,
        "L7165": 8,
        "round-60-12": 12,
        "round-40-24": 24,
        "A4-quarters": 4,
    }


GOOD_PRESET = """
presets:
  - name: test-sheet
    description: two labels
    source: written for this test
    sheet: A4
    shape: {shape}
    label_width_mm: {width}
    label_height_mm: 50
    columns: 2
    rows: 1
    left_mm: 10
    top_mm: 10
    pitch_x_mm: {pitch}
    pitch_y_mm: 60
"""


def write_presets(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "label-sheets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_preset_file_loads(tmp_path: Path) -> None:
    path = write_presets(tmp_path, GOOD_PRESET.format(shape="rect", width=50, pitch=60))
    preset = load_presets(path)["test-sheet"]
    assert (preset.columns, preset.gap_x_mm) == (2, 10)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD_PRESET.format(shape="rect", width=50, pitch=45), "overlap"),  # pitch < width
        (GOOD_PRESET.format(shape="rect", width=150, pitch=160), "past the 210 mm sheet"),
        (GOOD_PRESET.format(shape="circle", width=40, pitch=60), "as wide as it is high"),
        (GOOD_PRESET.format(shape="star", width=50, pitch=60), "shape"),
        (GOOD_PRESET.format(shape="rect", width=50, pitch=60).replace("A4", "B9"), "sheet"),
        (
            GOOD_PRESET.format(shape="rect", width=50, pitch=60).replace("test-sheet", "sra3"),
            "reads as a press sheet",
        ),
        (GOOD_PRESET.format(shape="rect", width=50, pitch=60) + "    colour: red\n", "colour"),
        (
            GOOD_PRESET.format(shape="rect", width=50, pitch=60)
            + GOOD_PRESET.format(shape="rect", width=50, pitch=60).replace("presets:\n", ""),
            "named twice",
        ),
    ],
)
def test_a_wrong_preset_file_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = write_presets(tmp_path, text)
    with pytest.raises(SheetError, match=r"^label-sheets\.yaml: ") as caught:
        load_presets(path)
    assert reason in str(caught.value)


# -- sheets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "width_mm", "height_mm"),
    [
        ("A4", "A4", 210, 297),
        ("a3", "A3", 297, 420),
        (" sra3 ", "SRA3", 320, 450),
        ("320x450mm", "320x450mm", 320, 450),
        ("320 x 450 mm", "320x450mm", 320, 450),
        ("450X320MM", "450x320mm", 450, 320),  # landscape is a custom size
        ("297.5×420mm", "297.5x420mm", 297.5, 420),
        ("round-40-24", "round-40-24", 210, 297),
    ],
)
def test_resolve_sheet(text: str, name: str, width_mm: float, height_mm: float) -> None:
    sheet, preset = resolve_sheet(text)
    assert (sheet.name, sheet.width_mm, sheet.height_mm) == (name, width_mm, height_mm)
    assert (preset is not None) == (name == "round-40-24")


def test_list_sheets_names_press_sheets_then_presets() -> None:
    names = [entry.name for entry in list_sheets()]
    assert names[:3] == ["A4", "A3", "SRA3"]
    assert set(names[3:]) == set(load_presets())


# -- calibration ---------------------------------------------------------------------------------


def test_identity_calibration_matrix() -> None:
    imposition = impose(60, 60, 3, ImpositionOptions())
    assert imposition.calibration_matrix_pt() == (1, 0, 0, 1, 0, 0)


def test_calibration_matrix_numbers() -> None:
    calibration = Calibration(offset_x_mm=1.5, offset_y_mm=-0.5, scale_x=0.998, scale_y=1.002)
    imposition = impose(60, 60, 3, ImpositionOptions(sheet="SRA3", calibration=calibration))
    # u = 72 / 25.4 = 2.834645669 pt/mm. e = u × 0.998 × 1.5 = u × 1.497 = 4.243464567;
    # f = u × (450 × (1 − 1.002) − 1.002 × (−0.5)) = u × (−0.9 + 0.501) = u × (−0.399) = −1.131023622.
    a, b, c, d, e, f = imposition.calibration_matrix_pt()
    assert (a, b, c, d) == (0.998, 0, 0, 1.002)
    assert e == pytest.approx(4.243464567, abs=1e-9)
    assert f == pytest.approx(-1.131023622, abs=1e-9)


def test_calibration_cancels_a_measured_printer_error() -> None:
    # A printer that puts a point meant for p at k × p + e (about the sheet's top-left corner,
    # mm, y down) is cancelled by scale 1/k and offset −e.
    k_x, k_y, e_x, e_y = 1.004, 0.997, 1.2, -0.8
    calibration = Calibration(offset_x_mm=-e_x, offset_y_mm=-e_y, scale_x=1 / k_x, scale_y=1 / k_y)
    imposition = impose(50, 30, 3, ImpositionOptions(sheet="A4", calibration=calibration))
    a, _, _, d, e, f = imposition.calibration_matrix_pt()
    pt_per_mm = 72 / 25.4
    for x_mm, y_mm in ((0, 0), (28, 37.5), (210, 297), (105, 10)):
        # Design mm → PDF points (y up from the bottom), through `cm`, back to mm (y down).
        x_pt, y_pt = x_mm * pt_per_mm, (297 - y_mm) * pt_per_mm
        drawn_x_mm = (a * x_pt + e) / pt_per_mm
        drawn_y_mm = 297 - (d * y_pt + f) / pt_per_mm
        printed = (k_x * drawn_x_mm + e_x, k_y * drawn_y_mm + e_y)
        assert printed == pytest.approx((x_mm, y_mm), abs=1e-9)


def test_a_slots_printed_box_in_points_follows_the_calibration() -> None:
    # Content offset (mm, right and down), then scaled about the top-left corner: a corner at
    # p (mm, y down) lands at s × (p + o), which PDF points count from the bottom-left.
    calibration = Calibration(offset_x_mm=2.5, offset_y_mm=-1.5, scale_x=0.995, scale_y=1.004)
    imposition = impose(50, 30, 3, ImpositionOptions(sheet="A4", calibration=calibration))
    pt_per_mm = 72 / 25.4
    for slot in (imposition.slots[0], imposition.slots[-1]):
        x_mm, y_mm, width_mm, height_mm = slot.bleed_box_mm
        left_mm = 0.995 * (x_mm + 2.5)
        right_mm = 0.995 * (x_mm + width_mm + 2.5)
        top_mm = 1.004 * (y_mm - 1.5)
        bottom_mm = 1.004 * (y_mm + height_mm - 1.5)
        expected = (
            left_mm * pt_per_mm,
            (297 - bottom_mm) * pt_per_mm,
            right_mm * pt_per_mm,
            (297 - top_mm) * pt_per_mm,
        )
        assert imposition.bleed_box_pt(slot) == pytest.approx(expected, abs=1e-9)


# -- errors name the option ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "options", "message"),
    [
        (
            (60, 60, 3),
            ImpositionOptions(sheet="A5x"),
            "sheet: 'A5x' is not A4, A3, SRA3, WIDTHxHEIGHTmm or a preset name (L7160",
        ),
        ((60, 60, 3), ImpositionOptions(sheet="320x450"), "sheet: '320x450' is not"),
        ((60, 60, 3), ImpositionOptions(sheet="20x450mm"), "sheet: '20x450mm' has a side of 20 mm"),
        (
            (60, 60, 3),
            ImpositionOptions(sheet="320x1200mm"),
            "sheet: '320x1200mm' has a side of 1200 mm",
        ),
        # 9 × 60 + 8 × 6 + 2 × 11 = 610
        (
            (60, 60, 3),
            ImpositionOptions(columns=9),
            "columns: 9 labels of 60 mm do not fit across 320 mm: with 6 mm gutters, bleed and "
            "crop marks they need 610 mm",
        ),
        # 9 × 60 + 8 × 6 + 2 × 15.2 = 618.4
        (
            (60, 60, 3),
            ImpositionOptions(rows=9),
            "rows: 9 labels of 60 mm do not fit down 450 mm: with 6 mm gutters, bleed, crop marks "
            "and the slug line they need 618.4 mm",
        ),
        ((60, 60, 3), ImpositionOptions(columns=0), "columns: must be 1 or more, not 0"),
        # 400 + 2 × 11 = 422 across; 60 + 2 × 15.2 = 90.4 down
        (
            (400, 60, 3),
            ImpositionOptions(),
            "sheet: a 400×60 mm label with 3 mm bleed, crop marks and the slug line needs "
            "422×90.4 mm; SRA3 (320×450 mm) has 300×430 mm inside its 10 mm margins",
        ),
        (
            (60, 60, 3),
            ImpositionOptions(start_position=25),
            "start_position: 25 is beyond the 24 slots of one SRA3 sheet",
        ),
        (
            (60, 60, 3),
            ImpositionOptions(start_position=0),
            "start_position: must be 1 or more, not 0",
        ),
        ((60, 60, 3), ImpositionOptions(gutter_mm=-1), "gutter_mm: must be 0 mm or more, not -1"),
        ((60, 60, 3), ImpositionOptions(margin_mm=-2), "margin_mm: must be 0 mm or more, not -2"),
        (
            (60, 60, 3),
            ImpositionOptions(sheet="A4", margin_mm=105),
            "margin_mm: 105 mm on each side leaves nothing",
        ),
        (
            (60, 60, 3),
            ImpositionOptions(calibration=Calibration(scale_x=1.2)),
            "calibration.scale_x: 1.2 is outside 0.9–1.1",
        ),
        (
            (60, 60, 3),
            ImpositionOptions(calibration=Calibration(scale_y=0.85)),
            "calibration.scale_y: 0.85 is outside",
        ),
        (
            (60, 60, 3),
            ImpositionOptions(calibration=Calibration(offset_y_mm=-25)),
            "calibration.offset_y_mm: -25 mm is outside ±20 mm",
        ),
        ((0, 60, 3), ImpositionOptions(), "label_width_mm: must be more than 0 mm"),
        ((60, float("nan"), 3), ImpositionOptions(), "label_height_mm: must be more than 0 mm"),
        ((60, 60, -1), ImpositionOptions(), "bleed_mm: must be 0 mm or more"),
        (
            (60, 40, 3),
            ImpositionOptions(sheet="L7163"),
            "sheet: the label is 60×40 mm but the pre-cut labels of L7163 are 99.1×38.1 mm (± 0.5 mm)",
        ),
        (
            (99.1, 38.6, 3),
            ImpositionOptions(sheet="L7163"),
            "sheet: a 38.6 mm label is larger than the 38.1 mm pre-cut labels of L7163 down",
        ),
        (
            (99.1, 38.1, 3),
            ImpositionOptions(sheet="L7163", columns=3),
            "columns: the pre-cut sheet L7163 has 2 columns, not 3",
        ),
        (
            (99.1, 38.1, 3),
            ImpositionOptions(sheet="L7163", gutter_mm=2),
            "gutter_mm: the gaps of the pre-cut sheet L7163 are fixed",
        ),
        (
            (99.1, 38.1, 3),
            ImpositionOptions(sheet="L7163", start_position=15),
            "start_position: 15 is beyond the 14 slots of one L7163 sheet",
        ),
    ],
)
def test_errors_name_the_option_and_the_reason(
    size: tuple[float, float, float], options: ImpositionOptions, message: str
) -> None:
    with pytest.raises(SheetError) as caught:
        impose(*size, options)
    assert str(caught.value).startswith(message)


def test_run_arguments_are_checked() -> None:
    imposition = impose(60, 60, 3, ImpositionOptions())
    with pytest.raises(SheetError, match=r"^count: must be 0 or more"):
        imposition.sheets_needed(-1)
    with pytest.raises(SheetError, match=r"^unit_index: must be 0 or more"):
        imposition.place(-1)


# -- properties ----------------------------------------------------------------------------------


def overlaps(first: Box, second: Box) -> bool:
    """Interiors meet (touching edges do not count; round-off is forgiven)."""
    return (
        first[0] < second[0] + second[2] - ROUND_OFF_MM
        and second[0] < first[0] + first[2] - ROUND_OFF_MM
        and first[1] < second[1] + second[3] - ROUND_OFF_MM
        and second[1] < first[1] + first[3] - ROUND_OFF_MM
    )


def inside(box: Box, outer: Box) -> bool:
    return (
        box[0] >= outer[0] - ROUND_OFF_MM
        and box[1] >= outer[1] - ROUND_OFF_MM
        and box[0] + box[2] <= outer[0] + outer[2] + ROUND_OFF_MM
        and box[1] + box[3] <= outer[1] + outer[3] + ROUND_OFF_MM
    )


def mark_box(mark: Mark) -> Box:
    return (
        min(mark.x1_mm, mark.x2_mm),
        min(mark.y1_mm, mark.y2_mm),
        abs(mark.x2_mm - mark.x1_mm),
        abs(mark.y2_mm - mark.y1_mm),
    )


def mark_enters(mark: Mark, box: Box) -> bool:
    """A segment enters a box when it touches it at all (marks are zero-width lines)."""
    x, y, width, height = mark_box(mark)
    return (
        x <= box[0] + box[2] + ROUND_OFF_MM
        and box[0] <= x + width + ROUND_OFF_MM
        and y <= box[1] + box[3] + ROUND_OFF_MM
        and box[1] <= y + height + ROUND_OFF_MM
    )


def check_geometry(imposition: Imposition, printable: Box) -> None:
    sheet_box = (0.0, 0.0, imposition.sheet.width_mm, imposition.sheet.height_mm)
    boxes = sorted(slot.bleed_box_mm for slot in imposition.slots)
    for index, box in enumerate(boxes):
        assert inside(box, sheet_box) and inside(box, printable), box
        # Sorted by left edge: only the boxes starting before this one ends can overlap it.
        for other in boxes[index + 1 :]:
            if other[0] >= box[0] + box[2]:
                break
            assert not overlaps(box, other), (box, other)
    for mark in imposition.marks:
        assert inside(mark_box(mark), printable), mark
        assert not any(mark_enters(mark, box) for box in boxes), mark
    if imposition.slug_width_mm > 0:
        slug = imposition.slug_box_mm
        assert inside(slug, sheet_box) and inside(slug, printable), slug
        assert not any(overlaps(slug, box) for box in boxes)
        assert not any(mark_enters(mark, slug) for mark in imposition.marks)
    assert [slot.index for slot in imposition.slots] == list(range(imposition.labels_per_sheet))


sheets = st.one_of(
    st.sampled_from(["A4", "A3", "SRA3"]),
    st.tuples(st.integers(100, 700), st.integers(100, 700)).map(
        lambda size: f"{size[0]}x{size[1]}mm"
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    sheet=sheets,
    width_mm=st.floats(10, 150),
    height_mm=st.floats(10, 150),
    bleed_mm=st.floats(0, 5),
    gutter_mm=st.none() | st.floats(0, 20),
    margin_mm=st.floats(0, 20),
    crop_marks=st.booleans(),
)
def test_press_sheet_geometry_holds(
    sheet: str,
    width_mm: float,
    height_mm: float,
    bleed_mm: float,
    gutter_mm: float | None,
    margin_mm: float,
    crop_marks: bool,
) -> None:
    options = ImpositionOptions(
        sheet=sheet, gutter_mm=gutter_mm, margin_mm=margin_mm, crop_marks=crop_marks
    )
    try:
        imposition = impose(width_mm, height_mm, bleed_mm, options)
    except SheetError as error:
        # Only a label too large for the sheet is refused here.
        assert str(error).startswith("sheet: a ")
        return
    width, height = imposition.sheet.width_mm, imposition.sheet.height_mm
    check_geometry(
        imposition, (margin_mm, margin_mm, width - 2 * margin_mm, height - 2 * margin_mm)
    )
    assert bool(imposition.marks) == crop_marks
    # A turned grid holds the label's height across and its width down, in every slot.
    across, down = (height_mm, width_mm) if imposition.rotated else (width_mm, height_mm)
    assert all(slot.rotated == imposition.rotated for slot in imposition.slots)
    assert all(
        (slot.trim_width_mm, slot.trim_height_mm) == (across, down) for slot in imposition.slots
    )
    # "auto" never fits fewer labels than the label standing as it is.
    upright = dataclasses.replace(options, rotate="never")
    try:
        assert (
            imposition.labels_per_sheet
            >= impose(width_mm, height_mm, bleed_mm, upright).labels_per_sheet
        )
    except SheetError:
        assert imposition.rotated
    # Computed counts are the most that fit in the chosen orientation: one more column (or row)
    # is refused.
    kept = "always" if imposition.rotated else "never"
    for more in (
        ImpositionOptions(sheet=sheet, gutter_mm=gutter_mm, margin_mm=margin_mm,
                          crop_marks=crop_marks, columns=imposition.columns + 1, rotate=kept),
        ImpositionOptions(sheet=sheet, gutter_mm=gutter_mm, margin_mm=margin_mm,
                          crop_marks=crop_marks, rows=imposition.rows + 1, rotate=kept),
    ):  # fmt: skip
        with pytest.raises(SheetError):
            impose(width_mm, height_mm, bleed_mm, more)


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(sorted(load_presets())),
    width_offset_mm=st.floats(-0.5, 0.5),
    height_offset_mm=st.floats(-0.5, 0.5),
    bleed_mm=st.floats(0, 6),
    start_position=st.integers(1, 30),
)
def test_preset_geometry_holds(
    name: str, width_offset_mm: float, height_offset_mm: float, bleed_mm: float, start_position: int
) -> None:
    preset = load_presets()[name]
    width_mm = preset.label_width_mm + width_offset_mm
    height_mm = preset.label_height_mm + height_offset_mm
    options = ImpositionOptions(sheet=name, start_position=start_position)
    try:
        imposition = impose(width_mm, height_mm, bleed_mm, options)
    except SheetError as error:
        # A label larger than a pre-cut label whose gap cannot take it, or a start past the end.
        assert str(error).startswith(("sheet: a ", "start_position: "))
        assert (
            width_offset_mm > 0
            or height_offset_mm > 0
            or start_position > preset.columns * preset.rows
        )
        return
    check_geometry(imposition, (0.0, 0.0, preset.sheet.width_mm, preset.sheet.height_mm))
    assert imposition.marks == ()
    for slot in imposition.slots:
        assert max(bleeds(slot)) <= bleed_mm + ROUND_OFF_MM
    # Three sheets' worth of labels: each gets its own slot, none before the start position on
    # the first sheet, and the sheets used are the sheets needed.
    count = 3 * imposition.labels_per_sheet
    places = [imposition.place(unit) for unit in range(count)]
    used = {(sheet_index, slot.index) for sheet_index, slot in places}
    assert len(used) == count
    assert min(used) == (0, start_position - 1)
    assert imposition.sheets_needed(count) == max(sheet_index for sheet_index, _ in used) + 1
