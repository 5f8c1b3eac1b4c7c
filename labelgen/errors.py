"""Every exception labelgen raises, in one place; each ends in ``Error``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the dotted path of the field and the reason."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class LabelgenError(Exception):
    """Base class of every error labelgen raises on purpose."""


class SpecError(LabelgenError):
    """The spec cannot be read or is not valid; carries one problem per bad field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class TemplateError(LabelgenError):
    """A template folder is missing, unreadable or its manifest is not valid."""


class FontError(LabelgenError):
    """A requested font family is not bundled, or text holds a character it cannot draw."""


class CodeError(LabelgenError):
    """A barcode or QR code cannot be made from the given data."""


class RenderError(LabelgenError):
    """An output format could not be produced from the drawing."""


class NotCompliantError(LabelgenError):
    """The label breaks a rule marked `error`; `report` holds every finding (render with
    draft=True to get a marked draft anyway)."""

    def __init__(self, report: Any) -> None:
        self.report = report
        errors = [finding for finding in report.findings if finding.severity == "error"]
        rules = ", ".join(sorted({finding.rule for finding in errors}))
        super().__init__(f"the label is not compliant ({len(errors)} error(s): {rules})")
