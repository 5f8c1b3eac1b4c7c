"""A LabelSpec and a date → the findings of every spec-level rule, checks keyed by rule id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from labelgen.compliance import (
    address_rules,
    content_rules,
    date_rules,
    gs1_rules,
    ocop_rules,
    origin_rules,
    quantity_rules,
)
from labelgen.compliance._checks import Check
from labelgen.compliance.catalogue import RULES
from labelgen.compliance.report import Finding
from labelgen.spec import LabelSpec

_CHECKS_BY_MODULE: tuple[Mapping[str, Check], ...] = (
    content_rules.CHECKS,
    date_rules.CHECKS,
    origin_rules.CHECKS,
    quantity_rules.CHECKS,
    ocop_rules.CHECKS,
    address_rules.CHECKS,
    gs1_rules.CHECKS,
)

SPEC_CHECKS: Mapping[str, Check] = {
    rule_id: check for checks in _CHECKS_BY_MODULE for rule_id, check in checks.items()
}
"""The check of every spec-stage rule, by rule id."""


def run_spec_checks(spec: LabelSpec, as_of: dt.date) -> list[Finding]:
    """Every spec-level finding, in catalogue order."""
    findings: list[Finding] = []
    for rule in RULES:
        check = SPEC_CHECKS.get(rule.id)
        if check is not None:
            findings.extend(check(spec, as_of))
    return findings
