"""The report: its CONTRACT §2 shape, `compliant`, ordering, and the shipped JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jsonschema
import pytest
from compliance_specs import AS_OF, DELETE, report_for, spec_with

from labelgen.compliance import Finding, Report, check, make_finding, report_schema

VALIDATOR = jsonschema.Draft202012Validator(
    report_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def finding(severity: str) -> Finding:
    return Finding(
        rule="VN-LBL-DATE-ORDER",
        severity=severity,  # type: ignore[arg-type]
        field="product.expires_on",
        message_vi="Hạn sử dụng phải sau ngày sản xuất.",
        message_en="The expiry date must be after the manufacture date.",
        reference="Nghị định 37/2026/NĐ-CP, Phụ lục III",
    )


def test_the_report_dict_has_the_contract_shape() -> None:
    report = Report(as_of=AS_OF, findings=(finding("error"),))
    assert report.to_dict() == {
        "compliant": False,
        "as_of": "2026-11-28",
        "findings": [
            {
                "rule": "VN-LBL-DATE-ORDER",
                "severity": "error",
                "field": "product.expires_on",
                "message_vi": "Hạn sử dụng phải sau ngày sản xuất.",
                "message_en": "The expiry date must be after the manufacture date.",
                "reference": "Nghị định 37/2026/NĐ-CP, Phụ lục III",
            }
        ],
        "suggestions": [],
    }


def test_json_keeps_vietnamese_readable() -> None:
    text = Report(as_of=AS_OF, findings=(finding("error"),)).to_json()
    assert "Hạn sử dụng" in text
    assert json.loads(text) == Report(as_of=AS_OF, findings=(finding("error"),)).to_dict()


@pytest.mark.parametrize(
    ("severities", "compliant"),
    [((), True), (("warning", "info"), True), (("warning", "error"), False), (("error",), False)],
)
def test_compliant_exactly_when_no_error(severities: tuple[str, ...], compliant: bool) -> None:
    report = Report(as_of=AS_OF, findings=tuple(finding(s) for s in severities))
    assert report.compliant is compliant


def test_a_finding_refuses_an_unknown_severity() -> None:
    with pytest.raises(ValueError, match="severity"):
        finding("fatal")


def test_findings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        finding("error").severity = "info"  # type: ignore[misc]


def test_check_puts_errors_first_and_keeps_layout_findings() -> None:
    spec_changes = {"product.origin.country": "Vietnam", "product.storage": DELETE}
    layout = make_finding("GS1-QR-QUIET-ZONE", "layout.qr", quiet_zone_modules=2)
    report = check(spec_with(spec_changes), as_of=AS_OF, layout_findings=[layout])
    assert [f.severity for f in report.findings] == ["error", "error", "warning"]
    assert layout in report.findings
    assert not report.compliant


def test_check_uses_today_by_default() -> None:
    assert check(spec_with()).as_of == dt.date.today()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"product.storage": DELETE, "product.origin.country": "VN"},
        {"certification.issued_by": "UBND huyện Lấp Vò", "producer.address": "Tỉnh Tiền Giang"},
        {"product.batch": "Lô 01", "certification.stars": 2},
    ],
)
def test_reports_validate_against_the_shipped_schema(changes: dict[str, Any]) -> None:
    VALIDATOR.validate(report_for(changes).to_dict())


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.update(compliant=True),
        lambda d: d.update(as_of="28/11/2026"),
        lambda d: d["findings"][0].update(severity="fatal"),
        lambda d: d["findings"][0].pop("reference"),
        lambda d: d["findings"][0].update(rule="not an id"),
        lambda d: d.pop("findings"),
    ],
)
def test_the_schema_rejects_reports_that_break_the_contract(tamper: Any) -> None:
    document = report_for({"product.storage": DELETE}).to_dict()
    VALIDATOR.validate(document)
    tamper(document)
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(document)


def test_the_schema_rejects_a_non_compliant_report_without_an_error() -> None:
    document = report_for({"product.origin.country": "Vietnam"}).to_dict()
    assert document["compliant"] is True
    document["compliant"] = False
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(document)


def test_the_schema_ships_inside_the_package() -> None:
    from importlib import resources

    assert resources.files("labelgen.compliance").joinpath("report.schema.json").is_file()
