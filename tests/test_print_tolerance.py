"""Codes with print tolerance (print_process, EAN-13 magnification, QR module, whole thermal dots)
and colour rules for print, as laid out and as reported."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ALL_CASES, EXAMPLES_DIR, LabelCase, example_document
from test_print_pdf_separations import FULL, TYPE_K, Page, separations

from labelgen import codes
from labelgen.cli import main
from labelgen.compliance.layout_rules import _marks
from labelgen.compliance.report import Finding
from labelgen.draw import draw_svg
from labelgen.errors import SpecError
from labelgen.export import export_pdf
from labelgen.layout import layout_set
from labelgen.pipeline import check_set
from labelgen.production.colour import process_inks
from labelgen.spec import LabelSpec, parse_spec

AS_OF = dt.date(2026, 12, 1)
THERMAL = codes.PRINT_PROCESSES["thermal-300dpi"]
TOLERANCE_RULES = {
    "GS1-EAN-PRINT-TOLERANCE",
    "GS1-EAN-REDUCED-MAGNIFICATION",
    "GS1-QR-PRINT-TOLERANCE",
}


def spec_of(document: dict[str, Any]) -> LabelSpec:
    return parse_spec(document, base_dir=EXAMPLES_DIR)


def findings(spec: LabelSpec) -> list[Finding]:
    return check_set(spec, layout_set(spec, spec_dir=EXAMPLES_DIR), as_of=AS_OF).findings


def rule_ids(spec: LabelSpec) -> set[str]:
    return {finding.rule for finding in findings(spec)}


def scaled_back_panel(**changes: Any) -> LabelSpec:
    """The food example on a back panel shrunk to 80 % (its slots with it): an EAN-13 of 82.6 %."""
    document = example_document("hat-sen-say")
    document.update(template="back-panel", size={"width_mm": 64, "height_mm": 96}, **changes)
    return spec_of(document)


@pytest.mark.parametrize("process", ["offset", "thermal-300dpi"])
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.case_id)
def test_every_bundled_code_slot_gives_its_code_the_default_tolerance(
    case: LabelCase, process: str
) -> None:
    spec = case.spec.model_copy(update={"print_process": process})
    label_set = layout_set(spec, spec_dir=EXAMPLES_DIR)
    layout = next(panel for panel in label_set.panels if panel.manifest.id == case.panel)
    if layout.barcode is not None:
        assert layout.barcode.magnification >= codes.EAN_MAGNIFICATION_TOLERANT
    if layout.qr is not None:
        assert layout.qr.module_mm >= codes.QR_MODULE_MM_TOLERANT
    report = check_set(spec, label_set, as_of=AS_OF)
    assert not {finding.rule for finding in report.findings} & TOLERANCE_RULES


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.case_id)
def test_a_thermal_printer_gets_every_module_in_whole_dots(case: LabelCase) -> None:
    spec = case.spec.model_copy(update={"print_process": "thermal-300dpi"})
    layout = next(
        panel
        for panel in layout_set(spec, spec_dir=EXAMPLES_DIR).panels
        if panel.manifest.id == case.panel
    )
    dot_mm = THERMAL.dot_mm
    assert dot_mm is not None
    modules = [code.module_mm for code in (layout.barcode, layout.qr) if code is not None]
    for module_mm in modules:
        assert module_mm / dot_mm == pytest.approx(round(module_mm / dot_mm), abs=1e-9)
    if layout.barcode is not None:
        assert layout.barcode.module_mm == pytest.approx(4 * dot_mm)  # 102.6 %
        assert layout.barcode.bar_reduction_mm == pytest.approx(dot_mm)  # whole dots


def test_each_print_process_narrows_the_bars_by_its_own_amount_unless_the_spec_says() -> None:
    for name, process in codes.PRINT_PROCESSES.items():
        spec = scaled_back_panel(print_process=name)
        layout = layout_set(spec, spec_dir=EXAMPLES_DIR).panels[0]
        assert layout.barcode is not None
        assert layout.barcode.bar_reduction_mm == process.bar_width_reduction_mm
    spec = scaled_back_panel(codes={"bar_width_reduction_mm": 0.03})
    layout = layout_set(spec, spec_dir=EXAMPLES_DIR).panels[0]
    assert layout.barcode is not None
    assert layout.barcode.bar_reduction_mm == 0.03


def test_an_ean_under_100_percent_is_reported_with_what_it_needs() -> None:
    spec = scaled_back_panel()
    found = [finding for finding in findings(spec) if finding.rule.startswith("GS1-EAN-")]
    assert [finding.rule for finding in found] == ["GS1-EAN-PRINT-TOLERANCE"]
    assert found[0].severity == "warning"
    assert "82.6 %" in found[0].message_en
    assert "100 %" in found[0].message_en
    assert "offset" in found[0].message_en


def test_a_spec_may_accept_an_ean_down_to_80_percent_with_a_warning() -> None:
    spec = scaled_back_panel(codes={"ean_magnification_min": 0.8})
    found = [finding for finding in findings(spec) if finding.rule.startswith("GS1-EAN-")]
    assert [(finding.rule, finding.severity) for finding in found] == [
        ("GS1-EAN-REDUCED-MAGNIFICATION", "warning")
    ]
    assert "80 %" in found[0].message_en
    # Accepting less than the symbol has still leaves the symbol under what was accepted.
    assert "GS1-EAN-PRINT-TOLERANCE" in rule_ids(
        scaled_back_panel(codes={"ean_magnification_min": 0.9})
    )


def test_a_qr_under_half_a_millimetre_is_reported() -> None:
    document = example_document("hat-sen-say")
    document.update(template="ocop-classic", size={"width_mm": 70, "height_mm": 49})
    found = [f for f in findings(spec_of(document)) if f.rule == "GS1-QR-PRINT-TOLERANCE"]
    assert len(found) == 1
    assert "0.5 mm" in found[0].message_en
    thermal = spec_of({**document, "print_process": "thermal-300dpi"})
    found = [f for f in findings(thermal) if f.rule == "GS1-QR-PRINT-TOLERANCE"]
    assert "0.508 mm" in found[0].message_en  # 6 dots


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"print_process": "inkjet"}, "print_process", "'offset', 'digital', 'flexo'"),
        ({"codes": {"ean_magnification_min": 0.7}}, "codes.ean_magnification_min", "0.8"),
        ({"codes": {"bar_width_reduction_mm": 0.5}}, "codes.bar_width_reduction_mm", "0.1"),
    ],
)
def test_a_bad_print_setting_is_refused_naming_the_field(
    changes: dict[str, Any], field: str, reason: str
) -> None:
    document = example_document("hat-sen-say")
    document.update(changes)
    with pytest.raises(SpecError) as error:
        spec_of(document)
    assert f"{field}:" in str(error.value)
    assert reason in str(error.value)


def test_the_command_line_picks_the_print_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = str(EXAMPLES_DIR / "hat-sen-say.yaml")
    assert main(["check", example, "--print-process", "inkjet"]) == 2
    assert "print_process 'inkjet' is not one of offset" in capsys.readouterr().err
    output = tmp_path / "label.pdf"
    assert main(["render", example, "--print-process", "thermal-300dpi", "-o", str(output)]) == 0
    assert output.read_bytes().startswith(b"%PDF")


def test_process_inks_separate_black_and_greys_from_brand_mixes() -> None:
    assert process_inks("#000000") == ("K",)
    assert process_inks("#6A6A6A") == ("K",)
    assert process_inks("#FFFFFF") == ()
    assert len(process_inks("#B0306A")) > 1


def test_marks_are_measured_as_printed() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 50 50">'
        '<g fill="#B0306A" transform="translate(5 5) scale(2)"><text font-size="1">x</text></g>'
        '<rect x="0" y="0" width="40" height="0.15" fill="#FFFFFF"/>'
        '<path class="crop-marks" stroke="#000000" stroke-width="0.088" d="M0 0H5"/>'
        '<circle r="3" fill="none" stroke="#2E7D32" stroke-width="0.2"/>'
        "</svg>"
    )
    marks = sorted(_marks(svg), key=lambda mark: mark.kind)
    assert [(mark.kind, round(mark.size, 3), mark.colour) for mark in marks] == [
        ("line", 0.15, "#FFFFFF"),
        ("line", 0.2, "#2E7D32"),
        ("text", round(2 * 72 / 25.4, 3), "#B0306A"),
    ]


def test_small_brand_coloured_text_is_reported_and_the_badge_never_reverses_small_type() -> None:
    document = example_document("hat-sen-say")
    document["template"] = "hang-tag"  # the brand name in 9 pt of the brand colour
    found = findings(spec_of(document))
    mixed = [f for f in found if f.rule == "PRINT-TEXT-PROCESS-INKS"]
    assert mixed and all(f.severity == "warning" for f in mixed)
    assert any("C M Y K" in f.message_en for f in mixed)
    # The badge sets its grade and caption at 7 pt or leaves them out, and drops its fine lines
    # where they would be under 0.2 mm.
    assert not [f for f in found if f.rule.startswith("PRINT-REVERSED")]


@pytest.mark.parametrize("template", ["round-jar", "hang-tag", "bottle-wrap", "ocop-classic"])
def test_no_bundled_badge_reverses_type_under_7_pt_or_lines_under_0_2_mm(template: str) -> None:
    document = example_document("hat-sen-say")
    document["template"] = template
    found = findings(spec_of(document))
    assert not [f.field for f in found if f.rule.startswith("PRINT-REVERSED")]


def test_a_brand_band_shrunk_under_7_pt_is_reported_as_reversed_type() -> None:
    document = example_document("hat-sen-say")
    document["template"] = "back-panel"  # the brand in the paper's colour on a band of ink
    document["brand"]["name"] = "Hợp tác xã Nông nghiệp Dịch vụ Sen Hồng Tháp Mười Đồng Tháp"
    found = findings(spec_of(document))
    reversed_type = [f for f in found if f.rule == "PRINT-REVERSED-TEXT"]
    assert [f.field for f in reversed_type] == ["layout.brand"]
    assert reversed_type[0].severity == "warning"


def test_black_and_grey_text_never_counts_as_a_process_mix() -> None:
    document = example_document("hat-sen-say")
    document["template"] = "back-panel"
    document["brand"]["colors"] = {
        "primary": "#000000",
        "accent": "#444444",
        "text": "#1D1D1B",
        "background": "#FFFFFF",
    }
    ids = rule_ids(spec_of(document))
    assert not ids & {"PRINT-TEXT-PROCESS-INKS", "PRINT-LINE-PROCESS-INKS"}


@pytest.mark.parametrize(("colour", "solid"), [("#272727", True), ("#2A2A2A", False)])
def test_near_black_text_up_to_272727_prints_as_solid_black(colour: str, solid: bool) -> None:
    """The README's threshold, measured on Ghostscript's separations of a CMYK PDF: text of
    #272727 is 100 % K; a lighter grey stays the grey it is, on the black plate alone."""
    document = example_document("hat-sen-say")
    document["template"] = "back-panel"
    document["brand"]["colors"]["text"] = colour
    layout = layout_set(spec_of(document), spec_dir=EXAMPLES_DIR).panels[0]
    page = Page(separations(export_pdf(layout, cmyk=True))[0], layout)
    (facts,) = [block.box for block in layout.texts if block.slot == "facts"]
    rows, columns = page.pixels(facts)
    black = page.plates["Black"][rows, columns]
    inked = black >= TYPE_K
    assert inked.sum() > 1000
    for plate in ("Cyan", "Magenta", "Yellow"):
        assert page.plates[plate][rows, columns][inked].max(initial=0) == 0, plate
    assert (black[inked].max() >= FULL) == solid


def first_bar_width_mm(svg: str) -> float:
    """The width of the EAN-13's first guard bar (one module, less the reduction) as drawn."""
    barcode = svg[svg.index('class="barcode"') :]
    found = re.search(r"M-?[0-9.]+ -?[0-9.]+h([0-9.]+)v", barcode)
    assert found is not None
    return float(found.group(1))


@pytest.mark.parametrize(
    "process",
    ["offset", "digital", "flexo", "thermal-300dpi"],
)
def test_print_drawings_narrow_bars_by_the_layouts_reduction(process: str) -> None:
    layout = layout_set(scaled_back_panel(print_process=process), spec_dir=EXAMPLES_DIR).panels[0]
    barcode = layout.barcode
    assert barcode is not None
    expected_mm = barcode.module_mm - barcode.bar_reduction_mm
    assert first_bar_width_mm(draw_svg(layout, for_print=True)) == pytest.approx(
        expected_mm, abs=0.001
    )
    assert first_bar_width_mm(draw_svg(layout)) == pytest.approx(barcode.module_mm, abs=0.001)
