"""Label sets and the fitting layout: panels, flowing mandatory text, what is printed, the
steps taken before a label is refused, and the templates suggested when it does not fit."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import example_document
from corpus_support import AS_OF, corpus_paths, missing_items, pdf_texts

from labelgen.compliance import limits
from labelgen.compliance.layout_rules import text_extent
from labelgen.errors import SpecError
from labelgen.fonts import BOLD, font_face
from labelgen.layout import LabelSet, Layout, layout_set
from labelgen.pipeline import check_set, check_spec, render
from labelgen.spec import LabelSpec, load_spec, parse_spec
from labelgen.templates import Box, listed_template_ids, load_template

FOOD = "hat-sen-say"
LONG_INGREDIENTS = ", ".join(
    f"{name} {share}%"
    for name, share in [
        ("Hạt sen Tháp Mười", 62),
        ("đường phèn", 12),
        ("mạch nha", 8),
        ("nước cốt dừa Bến Tre", 6),
        ("bột gạo nếp", 4),
        ("mè rang", 3),
        ("đậu phộng rang", 2),
        ("muối hồng", 1),
        ("lá dứa", 1),
        ("vani tự nhiên", 1),
    ]
)


def spec_with(template: str | list[str], **product: Any) -> LabelSpec:
    document = example_document(FOOD)
    document["template"] = template
    document["product"].update(product)
    return parse_spec(document)


def panel(label_set: LabelSet, panel_id: str) -> Layout:
    return next(layout for layout in label_set.panels if layout.manifest.id == panel_id)


def rules_of(spec: LabelSpec) -> dict[str, list[str]]:
    findings: dict[str, list[str]] = {}
    for finding in check_spec(spec, as_of=AS_OF).findings:
        findings.setdefault(finding.rule, []).append(finding.field)
    return findings


# --- sets and their panels ------------------------------------------------------------------


def test_a_set_is_laid_out_panel_by_panel_in_print_order() -> None:
    label_set = layout_set(spec_with(["ocop-classic", "back-panel"]))
    assert [layout.manifest.id for layout in label_set.panels] == ["ocop-classic", "back-panel"]


def test_a_hang_tag_brings_its_back_side() -> None:
    label_set = layout_set(spec_with("hang-tag"))
    assert [layout.manifest.id for layout in label_set.panels] == ["hang-tag", "hang-tag-back"]
    assert "hang-tag-back" not in listed_template_ids()  # chosen with its front, not alone


@pytest.mark.parametrize(
    ("template", "size", "field"),
    [
        (["back-panel", "back-panel"], None, "template"),
        (["ocop-classic", "back-panel"], {"width_mm": 90, "height_mm": 60}, ""),
        ([], None, "template"),
    ],
)
def test_a_set_that_cannot_be_printed_is_refused_naming_the_field(
    template: list[str], size: dict[str, float] | None, field: str
) -> None:
    document = example_document(FOOD)
    document["template"] = template
    if size is not None:
        document["size"] = size
    with pytest.raises(SpecError) as caught:
        parse_spec(document)
    assert [problem.field for problem in caught.value.problems] == [field]


def test_one_set_has_one_traceability_code() -> None:
    label_set = layout_set(spec_with(["round-jar", "back-panel"]))
    with_qr = [layout.manifest.id for layout in label_set.panels if layout.qr is not None]
    with_ean = [layout.manifest.id for layout in label_set.panels if layout.barcode is not None]
    assert with_qr == ["round-jar"]  # the first panel with a QR slot: the jar's lid
    assert with_ean == ["back-panel"]


def test_the_pdf_of_a_set_has_a_page_per_panel_with_its_own_trim(tmp_path: Path) -> None:
    pdf = render(spec_with(["round-jar", "back-panel"]), "pdf", as_of=AS_OF)
    pages = pikepdf.open(io.BytesIO(pdf)).pages
    trims_mm = [
        [round(float(value) * 25.4 / 72, 1) for value in page.obj.TrimBox] for page in pages
    ]
    assert [(round(x1 - x0), round(y1 - y0)) for x0, y0, x1, y1 in trims_mm] == [
        (60, 60),
        (80, 120),
    ]


# --- what is printed --------------------------------------------------------------------------


def test_mandatory_text_goes_to_the_back_panel_and_leaves_the_front_clear() -> None:
    label_set = layout_set(spec_with(["ocop-classic", "back-panel"]))
    front = panel(label_set, "ocop-classic")
    back = panel(label_set, "back-panel")
    assert front.text_block("facts") is None
    back_fields = {line.field for block in back.texts for line in block.lines}
    assert {"product.ingredients", "producer", "product.origin"} <= back_fields
    assert not label_set.unplaced


def test_what_the_back_panel_cannot_hold_flows_on_to_the_front() -> None:
    spec = spec_with(
        ["ocop-classic", "back-panel"],
        ingredients=LONG_INGREDIENTS,
        usage="Dùng ngay sau khi mở bao bì, dùng hết trong 7 ngày. " * 8,
        storage="Nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp. " * 8,
    )
    label_set = layout_set(spec)
    front_fields = {
        line.field for block in panel(label_set, "ocop-classic").texts for line in block.lines
    }
    assert "producer" in front_fields or "product.origin" in front_fields
    assert not label_set.unplaced


def test_a_front_label_alone_reports_each_mandatory_item_it_does_not_print() -> None:
    findings = rules_of(spec_with("round-jar"))
    not_printed = set(findings["VN-LBL-MANDATORY-NOT-PRINTED"])
    assert {"producer.name", "producer.address", "product.origin", "product.ingredients"} <= (
        not_printed
    )
    report = check_spec(spec_with("round-jar"), as_of=AS_OF)
    message = next(f for f in report.errors if f.field == "product.ingredients").message_en
    assert "back-panel" in message  # names the bundled panel that would carry it


def test_the_same_product_with_its_back_label_prints_everything() -> None:
    spec = spec_with(["round-jar", "back-panel"])
    report = check_spec(spec, as_of=AS_OF)
    assert report.compliant, report.to_json()
    texts = pdf_texts(render(spec, "pdf", as_of=AS_OF))
    assert missing_items(spec, texts) == []


def test_the_alcohol_warning_and_strength_are_printed_once(tmp_path: Path) -> None:
    document = example_document(FOOD)
    document["template"] = "bottle-wrap"
    document["product"].update(
        name="Rượu Bàu Đá",
        category="alcohol",
        net_quantity={"value": 750, "unit": "ml"},
        ethanol_percent=40,
        ingredients="Gạo, men lá, nước",
        warnings="Uống rượu, bia có hại cho sức khỏe.",
        name_en=None,
        ingredients_en=None,
    )
    spec = parse_spec(document)
    label_set = layout_set(spec)
    layout = label_set.panels[0]
    ethanol = layout.text_block("ethanol")
    assert ethanol is not None and "40% vol" in "".join(r.text for r in ethanol.lines[0].runs)
    quantity = layout.text_block("net_quantity")
    assert quantity is not None and len(quantity.lines) == 1  # its own line, not shared
    printed = " ".join(
        run.text for block in layout.texts for line in block.lines for run in line.runs
    )
    assert printed.count("có hại cho sức khỏe") == 1
    assert "VN-LBL-NETQTY-HEIGHT" not in rules_of(spec)


def test_a_small_label_may_say_where_the_rest_is_printed() -> None:
    document = example_document(FOOD)
    document["template"] = "back-panel"
    document["size"] = {"width_mm": 50, "height_mm": 75}  # 37,5 cm²: a small label
    document["languages"] = ["vi"]
    document["product"]["ingredients"] = LONG_INGREDIENTS
    without = parse_spec(document)
    assert rules_of(without)["VN-LBL-MANDATORY-NOT-PRINTED"]
    document["elsewhere"] = {"where": "xem trên hộp ngoài"}
    small = parse_spec(document)
    assert "VN-LBL-MANDATORY-NOT-PRINTED" not in rules_of(small)
    printed = layout_set(small).printed_fields
    assert {"elsewhere", "producer", "product.origin", "product.name"} <= printed


def test_saying_where_the_rest_is_does_not_excuse_a_label_big_enough() -> None:
    document = example_document(FOOD)
    document["template"] = "round-jar"
    document["elsewhere"] = {"where": "xem trên hộp ngoài"}
    findings = rules_of(parse_spec(document))
    # The jar sticker is small, but the name of the producer and the origin must stay on it.
    assert {"producer.name", "product.origin"} <= set(findings["VN-LBL-MANDATORY-NOT-PRINTED"])


# --- the fitting steps, in order ------------------------------------------------------------


def test_a_one_line_name_leaves_no_hole_under_it() -> None:
    back = layout_set(spec_with("back-panel", name="Hạt sen")).panels[0]
    declared = load_template("back-panel").manifest.text_slots["net_quantity"].box
    quantity = back.text_block("net_quantity")
    assert quantity is not None and quantity.top_mm < declared.y_mm - 2


def test_a_name_that_needs_three_lines_gets_them_before_it_is_refused() -> None:
    name = "Hạt sen sấy giòn vị mật ong hoa cà phê và lá dứa thơm của Hợp tác xã Tháp Mười"
    back = layout_set(spec_with("back-panel", name=name)).panels[0]
    block = back.text_block("product_name")
    assert block is not None and block.text.fits and len(block.lines) == 3


def test_the_headline_is_set_smaller_before_mandatory_text_is_refused() -> None:
    short = layout_set(spec_with("ocop-classic", name_en=None)).panels[0]
    long = layout_set(spec_with("ocop-classic", name_en=None, ingredients=LONG_INGREDIENTS)).panels[
        0
    ]
    short_name, long_name = short.text_block("product_name"), long.text_block("product_name")
    assert short_name is not None and long_name is not None
    assert long_name.text.font_size_pt < short_name.text.font_size_pt
    assert long_name.text.font_size_pt >= 12  # never under the slot's floor


def test_english_makes_way_for_the_vietnamese_and_says_so() -> None:
    spec = spec_with("ocop-classic")
    label_set = layout_set(spec)
    assert "product.ingredients_en" in label_set.english_left_out
    findings = rules_of(spec)
    assert "product.ingredients_en" in findings["LAYOUT-ENGLISH-LEFT-OUT"]
    assert "VN-LBL-MANDATORY-NOT-PRINTED" not in findings
    assert "product.ingredients" in label_set.printed_fields


def test_text_too_long_for_its_box_is_not_drawn_and_is_measured() -> None:
    brand = "Hợp tác xã Nông nghiệp và Dịch vụ Sen Hồng Tháp Mười tỉnh Đồng Tháp"
    spec = spec_with("round-jar")
    document = example_document(FOOD)
    document["template"] = "round-jar"
    document["brand"]["name"] = brand * 2
    spec = parse_spec(document)
    layout = layout_set(spec).panels[0]
    block = layout.text_block("brand")
    assert block is not None and not block.text.fits
    assert block.overflow_characters > len(brand)  # most of it did not fit
    for line in block.lines:  # what is drawn stays in the box
        assert line.width_mm <= block.box.width_mm + 1e-6
        assert line.baseline_mm <= block.box.height_mm
    finding = next(
        f for f in check_spec(spec, as_of=AS_OF).errors if f.rule == "LAYOUT-TEXT-OVERFLOW"
    )
    assert finding.field == "layout.brand"
    assert str(block.overflow_characters) in finding.message_en


QUANTITY_BANDS = [(40, "g"), (180, "g"), (950, "g"), (5, "kg")]


@pytest.mark.parametrize("template_id", listed_template_ids())
@pytest.mark.parametrize(("value", "unit"), QUANTITY_BANDS)
def test_every_net_quantity_band_of_a_template_reaches_its_legal_height(
    template_id: str, value: float, unit: str
) -> None:
    manifest = load_template(template_id).manifest
    assert manifest.quantity_range is not None, "each template documents its range"
    grams = value * (1000 if unit == "kg" else 1)
    if not manifest.quantity_range.min <= grams <= manifest.quantity_range.max:
        return  # a band the template is not made for (its range is documented)
    spec = spec_with(template_id, net_quantity={"value": value, "unit": unit})
    findings = rules_of(spec)
    assert "VN-LBL-NETQTY-HEIGHT" not in findings
    quantity_layouts = [
        layout for layout in layout_set(spec).panels if layout.text_block("net_quantity")
    ]
    assert quantity_layouts
    for layout in quantity_layouts:
        block = layout.text_block("net_quantity")
        assert block is not None and block.text.fits
        figures = block.lines[-1].runs[-1]
        size_pt = block.lines[-1].font_size_pt * figures.scale
        needed_mm = limits.net_quantity_min_height_mm(spec.product.net_quantity)  # type: ignore[arg-type]
        assert font_face(layout.font_family, BOLD).cap_height_mm(size_pt) >= needed_mm - 1e-6


# --- suggestions ------------------------------------------------------------------------------


def test_a_label_that_does_not_fit_is_told_what_would() -> None:
    report = check_spec(spec_with("round-jar"), as_of=AS_OF)
    assert not report.compliant
    assert report.suggestions[0] == ("round-jar", "back-panel")  # the producer's own front first
    for suggestion in report.suggestions:
        trial = spec_with(list(suggestion))
        assert check_set(trial, layout_set(trial), as_of=AS_OF).compliant
    assert report.to_dict()["suggestions"][0] == ["round-jar", "back-panel"]


def test_a_label_that_fits_gets_no_suggestion() -> None:
    assert check_spec(spec_with(["ocop-classic", "back-panel"]), as_of=AS_OF).suggestions == ()


def test_a_refusal_for_another_reason_gets_no_suggestion() -> None:
    document = example_document(FOOD)
    document["template"] = ["ocop-classic", "back-panel"]
    document["certification"]["issued_on"] = "2021-01-10"  # long expired
    report = check_spec(parse_spec(document), as_of=AS_OF)
    assert not report.compliant and report.suggestions == ()


# --- nothing drawn over codes or outside the trim, on the whole corpus ----------------------


def _code_zones(layout: Layout) -> list[Box]:
    zones = []
    if layout.qr is not None:
        side_mm = layout.qr.size_mm
        zones.append(
            Box(x_mm=layout.qr.x_mm, y_mm=layout.qr.y_mm, width_mm=side_mm, height_mm=side_mm)
        )
    if layout.barcode is not None:
        barcode = layout.barcode
        zones.append(
            Box(
                x_mm=barcode.x_mm,
                y_mm=barcode.y_mm,
                width_mm=barcode.width_mm,
                height_mm=barcode.bar_height_mm,
            )
        )
    return zones


@pytest.mark.parametrize("path", corpus_paths("dev"), ids=lambda path: path.stem)
def test_no_text_is_drawn_over_codes_or_outside_its_box(path: Path) -> None:
    spec = load_spec(path)
    for layout in layout_set(spec, spec_dir=path.parent).panels:
        for block in layout.texts:
            if not block.lines:
                continue
            extent = text_extent(block, layout.font_family)
            assert extent.x_mm >= block.box.x_mm - 0.05, (path.stem, block.slot)
            assert extent.right_mm <= block.box.right_mm + 0.05, (path.stem, block.slot)
            assert extent.bottom_mm <= block.box.bottom_mm + 0.05, (path.stem, block.slot)
            assert extent.y_mm >= -0.05 and extent.bottom_mm <= layout.height_mm
            for zone in _code_zones(layout):
                assert not extent.overlaps(zone), (path.stem, layout.manifest.id, block.slot)
