"""Compliance findings → a Report in the CONTRACT §2 dict/JSON shape, and its JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SCHEMA_FILE = "report.schema.json"


@dataclass(frozen=True)
class Finding:
    """One thing the checker found: which rule, how serious, which field, why, and on what basis."""

    rule: str
    severity: Severity
    field: str
    message_vi: str
    message_en: str
    reference: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "field": self.field,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class Report:
    """Every finding about one label as of one date; compliant exactly when none is an error."""

    as_of: dt.date
    findings: tuple[Finding, ...] = field(default=())
    # Bundled templates or sets the label would fit on, when it does not fit its own.
    suggestions: tuple[tuple[str, ...], ...] = field(default=())

    @property
    def compliant(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return self.with_severity("error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return self.with_severity("warning")

    def with_severity(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "as_of": self.as_of.isoformat(),
            "findings": [finding.to_dict() for finding in self.findings],
            "suggestions": [list(suggestion) for suggestion in self.suggestions],
        }

    def to_json(self, indent: int | None = 2) -> str:
        # Vietnamese stays readable in the JSON instead of \u escapes.
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then notes; rule order is kept within each severity."""
    return tuple(sorted(findings, key=lambda finding: SEVERITIES.index(finding.severity)))


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every Report.to_dict() validates against."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@cache
def _schema_text() -> str:
    return resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
