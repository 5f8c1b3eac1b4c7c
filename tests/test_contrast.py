"""Text contrast on the laid-out label: WCAG 2 ratios, the colour behind each slot, the findings."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from conftest import EXAMPLES_DIR, FOOD_EXAMPLE, TEMPLATE_IDS, example_document

from labelgen.colors import contrast_ratio, mix, relative_luminance, role_color
from labelgen.compliance import check, get_rule
from labelgen.compliance.contrast_rules import (
    BODY_TEXT_CONTRAST,
    MIN_CONTRAST,
    backdrop_role,
    check_contrast,
    is_large,
    is_large_text,
)
from labelgen.compliance.report import Finding
from labelgen.draw import draw_svg
from labelgen.layout import Layout, layout_label
from labelgen.spec import Colors, LabelSpec, parse_spec
from labelgen.templates import TextSlot

AMBER, CREAM = "#D9A441", "#FFF8F3"


def spec_with_colors(template: str = "ocop-classic", **colors: str) -> LabelSpec:
    document = example_document(FOOD_EXAMPLE)
    document["template"] = template
    document["brand"]["colors"] = {**document["brand"]["colors"], **colors}
    return parse_spec(document, base_dir=EXAMPLES_DIR)


def with_size(layout: Layout, slot: str, font_size_pt: float) -> Layout:
    """The layout with one block's lines set at another size."""
    texts = []
    for block in layout.texts:
        if block.slot == slot:
            lines = tuple(replace(line, font_size_pt=font_size_pt) for line in block.lines)
            block = replace(block, text=replace(block.text, lines=lines))
        texts.append(block)
    return replace(layout, texts=tuple(texts))


def findings_for(spec: LabelSpec, **layout_options: Any) -> list[Finding]:
    return list(check_contrast(layout_label(spec, **layout_options), spec))


def by_field(findings: list[Finding], rule: str) -> set[str]:
    return {finding.field for finding in findings if finding.rule == rule}


# --- WCAG 2 reference values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#FFFFFF", 21.0),
        ("#FFFFFF", "#FFFFFF", 1.0),
        ("#777777", "#FFFFFF", 4.48),  # the grey that just fails AA for body text
        ("#767676", "#FFFFFF", 4.54),  # the lightest grey that passes it
        ("#949494", "#FFFFFF", 3.03),
        ("#FF0000", "#FFFFFF", 4.0),
        ("#0000FF", "#FFFFFF", 8.59),
        ("#008000", "#FFFFFF", 5.14),
        (AMBER, CREAM, 2.14),
    ],
)
def test_contrast_ratios_match_wcag_reference_values(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.005)
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


def test_relative_luminance_runs_from_black_to_white() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1)
    assert relative_luminance("#808080") == pytest.approx(0.2159, abs=1e-4)
    assert relative_luminance("#ff0000") == pytest.approx(0.2126)


def test_roles_map_to_the_brand_colours_and_muted_is_a_blend() -> None:
    colors = Colors(primary="#B0306A", accent="#2E7D32", text="#1D1D1B", background=CREAM)
    assert [role_color(role, colors) for role in ("text", "primary", "accent", "background")] == [
        "#1D1D1B",
        "#B0306A",
        "#2E7D32",
        CREAM,
    ]
    assert role_color("muted", colors) == mix("#1D1D1B", CREAM, 0.35) == "#6C6A67"
    with pytest.raises(KeyError):
        role_color("gold", colors)


@pytest.mark.parametrize("template", TEMPLATE_IDS)
def test_each_block_is_judged_in_the_colour_it_is_drawn_in(template: str) -> None:
    spec = spec_with_colors(template)
    layout = layout_label(spec)
    svg = draw_svg(layout, embed_fonts=False)
    for block in layout.texts:
        [fill] = re.findall(rf'<g class="slot-{block.slot}" fill="([^"]+)"', svg)
        assert fill.upper() == role_color(block.color, layout.colors).upper(), block.slot


# --- what is behind the text ----------------------------------------------------------------


def slot(**fields: Any) -> TextSlot:
    box = {"x_mm": 0, "y_mm": 0, "width_mm": 10, "height_mm": 5}
    return TextSlot.model_validate({"box": box, "content": ["brand"], "max_size_pt": 8, **fields})


def test_text_in_the_background_colour_sits_on_the_primary_band() -> None:
    assert backdrop_role(slot(color="background")) == "primary"
    for role in ("text", "primary", "accent", "muted"):
        assert backdrop_role(slot(color=role)) == "background"


def test_a_slot_that_names_its_backdrop_is_believed() -> None:
    assert backdrop_role(slot(color="text", backdrop="accent")) == "accent"
    assert backdrop_role(slot(color="background", backdrop="background")) == "background"


def test_large_text_is_18_pt_or_14_pt_bold() -> None:
    assert is_large(18, bold=False) and not is_large(17.9, bold=False)
    assert is_large(14, bold=True) and not is_large(13.9, bold=True)


# --- findings on laid-out labels ------------------------------------------------------------


def test_the_examples_colours_pass_on_every_template() -> None:
    for template in TEMPLATE_IDS:
        assert findings_for(spec_with_colors(template)) == [], template


def test_amber_text_on_cream_is_an_error_on_every_block_in_the_text_colour() -> None:
    spec = spec_with_colors(text=AMBER, background=CREAM)
    layout = layout_label(spec)
    findings = list(check_contrast(layout, spec))
    text_slots = {f"layout.{block.slot}" for block in layout.texts if block.color == "text"}
    assert text_slots and text_slots <= by_field(findings, "LAYOUT-TEXT-CONTRAST")
    finding = next(f for f in findings if f.field in text_slots)
    assert finding.severity == "error"
    assert finding.message_vi.startswith("Chữ màu #D9A441 trên nền màu #FFF8F3")
    assert "2,13:1" in finding.message_vi and "2.13:1" in finding.message_en
    assert finding.reference == get_rule("LAYOUT-TEXT-CONTRAST").reference
    report = check(spec, layout_findings=findings)
    assert not report.compliant


def test_a_pale_primary_fails_the_brand_on_its_band_and_the_name_drawn_in_it() -> None:
    spec = spec_with_colors(primary="#F4E9EE", background="#FFFFFF")
    layout = layout_label(spec)
    # Drawn in the slots' own colours, both would be unreadable ...
    as_designed = replace(
        layout,
        texts=tuple(
            replace(block, color=layout.manifest.text_slots[block.slot].color)
            for block in layout.texts
        ),
    )
    errors = by_field(list(check_contrast(as_designed, spec)), "LAYOUT-TEXT-CONTRAST")
    assert {"layout.brand", "layout.product_name"} <= errors
    # ... so the layout sets them in the brand's text colour, which reads on both.
    assert layout.text_block("brand").color == "text"  # type: ignore[union-attr]
    assert layout.text_block("product_name").color == "text"  # type: ignore[union-attr]
    assert not by_field(list(check_contrast(layout, spec)), "LAYOUT-TEXT-CONTRAST")


def test_colours_with_no_readable_pair_are_still_an_error() -> None:
    pale = "#F4E9EE"
    spec = spec_with_colors(primary=pale, text="#FFFFFF", background="#FFFFFF")
    assert "layout.product_name" in by_field(findings_for(spec), "LAYOUT-TEXT-CONTRAST")


def test_between_3_and_4_5_only_body_text_is_warned_about() -> None:
    grey = "#8A8A8A"  # 3.45:1 on white
    assert MIN_CONTRAST < contrast_ratio(grey, "#FFFFFF") < BODY_TEXT_CONTRAST
    spec = spec_with_colors(primary=grey, text=grey, background="#FFFFFF")
    layout = layout_label(spec)
    findings = list(check_contrast(layout, spec))
    # Muted text, the grey taken further toward white, falls under 3:1.
    muted = {f"layout.{block.slot}" for block in layout.texts if block.color == "muted"}
    assert muted and by_field(findings, "LAYOUT-TEXT-CONTRAST") == muted
    judged = {
        f"layout.{block.slot}": is_large_text(block)
        for block in layout.texts
        if block.color != "muted"  # text and the primary band: grey on white, white on grey
    }
    assert not judged["layout.facts"]
    warned = by_field(findings, "LAYOUT-TEXT-CONTRAST-BODY")
    assert warned == {field for field, large in judged.items() if not large}
    assert all(f.severity == "warning" for f in findings if f.field not in muted)
    # Set at 20 pt, the name is large text, for which 3:1 is enough.
    large_name = with_size(layout, "product_name", 20.0)
    assert "layout.product_name" not in {f.field for f in check_contrast(large_name, spec)}
    bold_name = with_size(layout, "product_name", 14.0)
    assert "layout.product_name" not in {f.field for f in check_contrast(bold_name, spec)}
    assert "layout.product_name" in {
        f.field for f in check_contrast(with_size(layout, "product_name", 13.5), spec)
    }


def test_a_black_serial_on_a_dark_background_is_caught() -> None:
    spec = spec_with_colors(
        template="round-jar", text="#FFFFFF", primary="#F2A541", background="#1D1D1B"
    )
    findings = findings_for(spec, serial="SN0001")
    assert "layout.serial" in by_field(findings, "LAYOUT-TEXT-CONTRAST")
    assert "layout.serial" not in {f.field for f in findings_for(spec_with_colors("round-jar"))}


def test_the_rule_texts_state_the_thresholds_the_check_uses() -> None:
    assert "3:1" in get_rule("LAYOUT-TEXT-CONTRAST").message_en
    assert f"{BODY_TEXT_CONTRAST}:1" in get_rule("LAYOUT-TEXT-CONTRAST-BODY").message_en
    assert f"{MIN_CONTRAST:g}:1" in get_rule("LAYOUT-TEXT-CONTRAST").message_vi


def test_a_layout_without_text_has_no_finding() -> None:
    spec = spec_with_colors(text=AMBER, background=CREAM)
    empty = replace(layout_label(spec), texts=(), serial_line=None)
    assert list(check_contrast(empty, spec)) == []
