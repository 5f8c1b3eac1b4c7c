"""A LabelSpec (and the layout stage's findings) → its compliance Report; rules live in catalogue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from labelgen.compliance.catalogue import (
    RULES,
    RULES_BY_ID,
    SUPPLEMENT_PHRASES,
    Bilingual,
    Rule,
    get_rule,
    make_finding,
    render_rules_markdown,
)
from labelgen.compliance.report import Finding, Report, Severity, report_schema, sort_findings
from labelgen.spec import LabelSpec

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "SUPPLEMENT_PHRASES",
    "Bilingual",
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "check",
    "get_rule",
    "make_finding",
    "render_rules_markdown",
    "report_schema",
]


def check(
    spec: LabelSpec,
    as_of: dt.date | None = None,
    layout_findings: Iterable[Finding] = (),
) -> Report:
    """The compliance report of a spec as of a date (today by default).

    `layout_findings` are what the layout stage measured on the drawn label (made with
    `make_finding`); they join the spec-level findings. Errors come first, then warnings, then
    notes.
    """
    # Imported here: the registry loads this package for its findings and rules alone, without
    # what the spec rules load (codes, numpy), a tenth of a second of a print run's start.
    from labelgen.compliance.spec_rules import run_spec_checks

    as_of = as_of or dt.date.today()
    findings = [*run_spec_checks(spec, as_of), *layout_findings]
    return Report(as_of=as_of, findings=sort_findings(findings))
