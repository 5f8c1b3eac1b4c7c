"""The rule catalogue: ids, severities, links to the checks, findings built from it, docs/rules.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labelgen.compliance import RULES, RULES_BY_ID, Bilingual, Rule, get_rule, make_finding
from labelgen.compliance.catalogue import (
    MANDATORY_RULE_BY_CATEGORY,
    SUPPLEMENT_PHRASES,
    render_rules_markdown,
)
from labelgen.compliance.spec_rules import SPEC_CHECKS
from labelgen.spec import Category

RULES_MD = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
LAYOUT_RULE_IDS = {
    "VN-LBL-NETQTY-HEIGHT",
    "VN-LBL-FOREIGN-TEXT-SIZE",
    "GS1-QR-MODULE-SIZE",
    "GS1-QR-QUIET-ZONE",
    "GS1-EAN-SIZE",
    "GS1-EAN-QUIET-ZONE",
    "GS1-EAN-PRINT-TOLERANCE",
    "GS1-EAN-REDUCED-MAGNIFICATION",
    "GS1-QR-PRINT-TOLERANCE",
    "PRINT-TEXT-PROCESS-INKS",
    "PRINT-LINE-PROCESS-INKS",
    "PRINT-REVERSED-TEXT",
    "PRINT-REVERSED-LINE",
    "PRINT-SAFE-ZONE",
    "PRINT-CODE-ON-FOLD",
    "PRINT-MIN-TEXT-SIZE",
    "LAYOUT-TEXT-OVERFLOW",
    "VN-LBL-MANDATORY-NOT-PRINTED",
    "LAYOUT-CONTENT-NOT-PRINTED",
    "LAYOUT-ENGLISH-LEFT-OUT",
    "LAYOUT-TEXT-INK-CHANGED",
    "LAYOUT-TEXT-CONTRAST",
    "LAYOUT-TEXT-CONTRAST-BODY",
}


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"(VN-LBL|OCOP|GS1|PRINT|LAYOUT)(-[A-Z0-9]+)+", rule_id), rule_id


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_severity_follows_the_confidence_marker(rule: Rule) -> None:
    if rule.basis == "C":
        assert rule.severity == "error"
    elif rule.basis in ("S", "U"):
        assert rule.severity == "warning"
        assert rule.why, "a warning says why it is not an error"
    else:
        assert rule.severity in ("warning", "info")
        assert rule.why, "advice says why it never blocks"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_both_messages_take_the_same_parameters(rule: Rule) -> None:
    def names(template: str) -> set[str]:
        return set(re.findall(r"{(\w+)}", template))

    assert names(rule.message_vi) == names(rule.message_en)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_references_put_the_current_decree_first(rule: Rule) -> None:
    reference = rule.reference
    assert reference
    if "43/2017" in reference:
        assert reference.index("37/2026") < reference.index("43/2017")
        assert "trước đây Nghị định 43/2017" in reference


def test_every_spec_rule_has_exactly_one_check_and_every_check_a_rule() -> None:
    spec_rule_ids = {rule.id for rule in RULES if rule.stage == "spec"}
    assert set(SPEC_CHECKS) == spec_rule_ids


def test_layout_rules_are_catalogued_for_the_layout_stage() -> None:
    layout_rule_ids = {rule.id for rule in RULES if rule.stage == "layout"}
    assert layout_rule_ids >= LAYOUT_RULE_IDS
    assert layout_rule_ids - LAYOUT_RULE_IDS == {"VN-LBL-SUPPLEMENT-PHRASES"}


def test_every_category_but_other_has_its_mandatory_items_rule() -> None:
    assert set(MANDATORY_RULE_BY_CATEGORY) == set(Category.__args__) - {"other"}
    for rule_id in MANDATORY_RULE_BY_CATEGORY.values():
        assert get_rule(rule_id).items


def test_the_supplement_phrases_are_exposed_for_the_drawer() -> None:
    assert SUPPLEMENT_PHRASES == (
        "Thực phẩm bảo vệ sức khỏe",
        "Thực phẩm này không phải là thuốc và không có tác dụng thay thế thuốc chữa bệnh",
    )


def test_make_finding_fills_the_messages_per_language() -> None:
    finding = make_finding(
        "VN-LBL-NETQTY-HEIGHT",
        "layout.net_quantity",
        height_mm=2.5,
        min_height_mm=3.0,
        quantity=Bilingual("200 g", "200 g"),
    )
    assert finding.severity == "error"
    assert finding.field == "layout.net_quantity"
    assert finding.message_vi == (
        "Chữ số và đơn vị của định lượng cao 2,5 mm, thấp hơn mức tối thiểu 3 mm cho định "
        "lượng 200 g."
    )
    assert finding.message_en == (
        "The net-quantity figures are 2.5 mm high, below the 3 mm minimum for 200 g."
    )
    assert finding.reference == RULES_BY_ID["VN-LBL-NETQTY-HEIGHT"].reference


def test_make_finding_refuses_an_unknown_rule() -> None:
    with pytest.raises(KeyError, match="NO-SUCH-RULE"):
        make_finding("NO-SUCH-RULE", "product.name")


def test_make_finding_names_a_missing_parameter() -> None:
    with pytest.raises(TypeError, match="quiet_zone_modules"):
        make_finding("GS1-QR-QUIET-ZONE", "layout.qr")


def test_docs_rules_md_is_generated_from_the_catalogue() -> None:
    assert RULES_MD.read_text(encoding="utf-8") == render_rules_markdown(), (
        "regenerate with: python -m labelgen.compliance > docs/rules.md"
    )


def test_the_rules_page_documents_every_rule() -> None:
    page = render_rules_markdown()
    for rule in RULES:
        assert f"## {rule.id}\n" in page
        assert rule.reference in page
