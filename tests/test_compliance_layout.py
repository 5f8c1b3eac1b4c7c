"""Layout-level rules: for each, a drawn label that breaks it and the untouched label that passes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from labelgen.compliance.layout_rules import check_layout
from labelgen.layout import Layout, TextBlock, layout_label
from labelgen.spec import LabelSpec, parse_spec
from labelgen.templates import Box
from labelgen.text import SetText

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def spec_on(template: str, **product_changes: object) -> LabelSpec:
    document = yaml.safe_load((EXAMPLES / "hat-sen-say.yaml").read_text(encoding="utf-8"))
    document["template"] = template
    document["product"].update(product_changes)
    return parse_spec(document, EXAMPLES)


def with_block(layout: Layout, slot: str, change: Callable[[TextBlock], TextBlock]) -> Layout:
    texts = tuple(change(block) if block.slot == slot else block for block in layout.texts)
    return replace(layout, texts=texts)


def resized(block: TextBlock, font_size_pt: float) -> TextBlock:
    lines = tuple(replace(line, font_size_pt=font_size_pt) for line in block.lines)
    return replace(block, text=replace(block.text, lines=lines))


def moved(block: TextBlock, x_mm: float, y_mm: float) -> TextBlock:
    box = Box(x_mm=x_mm, y_mm=y_mm, width_mm=block.box.width_mm, height_mm=block.box.height_mm)
    return replace(block, box=box, top_mm=y_mm)


def overflowing(block: TextBlock) -> TextBlock:
    text = block.text
    return replace(block, text=SetText(text.lines, text.font_size_pt, text.height_mm, fits=False))


def breaks_net_quantity(layout: Layout) -> Layout:
    return with_block(layout, "net_quantity", lambda block: resized(block, 8))


def breaks_foreign_size(layout: Layout) -> Layout:
    return with_block(layout, "product_name_en", lambda block: resized(block, 30))


def breaks_min_text(layout: Layout) -> Layout:
    return with_block(layout, "facts", lambda block: resized(block, 3))


def breaks_overflow(layout: Layout) -> Layout:
    return with_block(layout, "facts", overflowing)


def breaks_safe_zone(layout: Layout) -> Layout:
    return with_block(layout, "brand", lambda block: moved(block, 1.0, block.top_mm))


def breaks_qr_module(layout: Layout) -> Layout:
    assert layout.qr is not None
    return replace(layout, qr=replace(layout.qr, module_mm=0.3))


def breaks_qr_quiet_zone(layout: Layout) -> Layout:
    assert layout.qr is not None
    qr = layout.qr
    return with_block(layout, "brand", lambda block: moved(block, qr.x_mm + 0.5, qr.y_mm + 0.5))


def breaks_ean_size(layout: Layout) -> Layout:
    assert layout.barcode is not None
    return replace(layout, barcode=replace(layout.barcode, module_mm=0.2))


def breaks_ean_quiet_zone(layout: Layout) -> Layout:
    assert layout.barcode is not None
    barcode = layout.barcode
    return with_block(
        layout, "brand", lambda block: moved(block, barcode.x_mm + 1, barcode.y_mm + 1)
    )


CASES = [
    ("VN-LBL-NETQTY-HEIGHT", "ocop-classic", breaks_net_quantity, "layout.net_quantity"),
    ("VN-LBL-FOREIGN-TEXT-SIZE", "ocop-classic", breaks_foreign_size, "layout.product_name_en"),
    ("PRINT-MIN-TEXT-SIZE", "ocop-classic", breaks_min_text, "layout.facts"),
    ("LAYOUT-TEXT-OVERFLOW", "ocop-classic", breaks_overflow, "layout.facts"),
    ("PRINT-SAFE-ZONE", "ocop-classic", breaks_safe_zone, "layout.brand"),
    ("GS1-QR-MODULE-SIZE", "ocop-classic", breaks_qr_module, "layout.qr"),
    ("GS1-QR-QUIET-ZONE", "ocop-classic", breaks_qr_quiet_zone, "layout.qr"),
    ("GS1-EAN-SIZE", "back-panel", breaks_ean_size, "layout.barcode"),
    ("GS1-EAN-QUIET-ZONE", "back-panel", breaks_ean_quiet_zone, "layout.barcode"),
]


@pytest.mark.parametrize(("rule", "template", "breaker", "field"), CASES, ids=[c[0] for c in CASES])
def test_layout_rule_fires_on_a_broken_label_only(
    rule: str, template: str, breaker: Callable[[Layout], Layout], field: str
) -> None:
    spec = spec_on(template)
    layout = layout_label(spec)
    assert rule not in {finding.rule for finding in check_layout(layout, spec)}
    findings = [finding for finding in check_layout(breaker(layout), spec) if finding.rule == rule]
    assert findings, f"{rule} did not fire"
    assert findings[0].field == field
    assert findings[0].message_vi and findings[0].message_en and findings[0].reference


def test_supplement_phrases_must_be_printed() -> None:
    from labelgen.compliance.printed_rules import check_label_set
    from labelgen.layout import layout_set

    supplement = spec_on("round-jar", category="supplement")
    rules = {finding.rule for finding in check_label_set(layout_set(supplement), supplement)}
    assert "VN-LBL-SUPPLEMENT-PHRASES" in rules  # the jar sticker has no slot for them
    on_back = spec_on("back-panel", category="supplement")
    rules = {finding.rule for finding in check_label_set(layout_set(on_back), on_back)}
    assert "VN-LBL-SUPPLEMENT-PHRASES" not in rules


def test_round_label_safe_zone_is_a_circle() -> None:
    spec = spec_on("round-jar")
    layout = layout_label(spec)
    assert not [f for f in check_layout(layout, spec) if f.rule == "PRINT-SAFE-ZONE"]
    # A box that fits the square's safe zone but pokes out of the circle near a corner.
    cornered = with_block(layout, "brand", lambda block: moved(block, 5.0, 5.0))
    fields = {f.field for f in check_layout(cornered, spec) if f.rule == "PRINT-SAFE-ZONE"}
    assert "layout.brand" in fields


def test_untouched_front_label_is_compliant() -> None:
    from labelgen.pipeline import check_label

    spec = spec_on("ocop-classic")
    report = check_label(spec, layout_label(spec), as_of=dt.date(2026, 11, 28))
    assert report.compliant, report.to_json()
