"""The bundled example specs, checked on the date the examples were written for."""

from __future__ import annotations

from pathlib import Path

import pytest
from compliance_specs import AS_OF

from labelgen.compliance import check
from labelgen.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", ["hat-sen-say", "chieu-dinh-yen"])
def test_compliant_examples_have_no_error(name: str) -> None:
    report = check(load_spec(EXAMPLES / f"{name}.yaml"), as_of=AS_OF)
    assert report.errors == (), report.to_json()
    assert report.compliant


def test_the_lotus_seed_label_has_no_finding_at_all() -> None:
    report = check(load_spec(EXAMPLES / "hat-sen-say.yaml"), as_of=AS_OF)
    assert report.findings == ()


def test_the_district_issued_three_star_mat_stays_valid() -> None:
    report = check(load_spec(EXAMPLES / "chieu-dinh-yen.yaml"), as_of=AS_OF)
    rules = {finding.rule for finding in report.findings}
    assert not rules & {"OCOP-ISSUER-LEVEL", "OCOP-CERT-EXPIRED", "OCOP-VALID-UNTIL"}
    # Its issuer, a district, no longer exists: a note, not a fault.
    [note] = [finding for finding in report.findings if finding.rule == "OCOP-ISSUER-FORMER-UNIT"]
    assert note.severity == "info"


def test_the_expired_badge_gives_exactly_the_expired_certificate() -> None:
    report = check(load_spec(EXAMPLES / "nem-expired-badge.yaml"), as_of=AS_OF)
    [error] = report.errors
    assert error.rule == "OCOP-CERT-EXPIRED"
    assert error.field == "certification.valid_until"
    assert "15/06/2025" in error.message_vi
    assert not report.compliant
