"""Counterfeit reports: a consumer's report from the verification page → a validated input, a stored row, a record.

A report names the code as the page showed it, one reason from a fixed list and an optional
short text. Nothing about the reporter is taken: no name, phone, e-mail, IP address or user
agent, so a report cannot be traced back to a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelgen.registry.inputs import parse_input
from labelgen.registry.models import REPORT_REASONS, FakeReport
from labelgen.registry.verify import scanned_code

__all__ = ["REPORT_REASONS", "FakeReportRecord", "ReportInput", "add_report", "list_reports"]
from labelgen.spec import normalise_text

MAX_REPORT_TEXT_CHARS = 500
MAX_REPORT_URL_CHARS = 2000
MAX_REPORT_BODY_BYTES = 4096
# More reports of one code than this in a minute are refused: one consumer pressing the button
# again and again, or a script, must not bury the reports the issuer reads.
REPORTS_PER_CODE_PER_MINUTE = 5
ReportReason = Literal["code-mismatch", "unusual-packaging", "suspicious-seller", "other"]
ReportText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=MAX_REPORT_TEXT_CHARS)
]


class ReportInput(BaseModel):
    """A report as sent: one of REPORT_REASONS and an optional text of at most 500 characters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: ReportReason
    text: ReportText | None = None


@dataclass(frozen=True)
class FakeReportRecord:
    id: int
    code_url: str
    gtin: str | None  # GTIN-14
    batch: str | None
    serial: str | None
    reason: str
    text: str | None
    status: str  # the verdict the page showed when the report was made
    created_at: dt.datetime


def parse_report(document: object) -> tuple[ReportReason, str | None]:
    """The reason and text of a report document; RegistryInputError (422) naming the field."""
    if isinstance(document, dict) and isinstance(document.get("text"), str):
        # A text area sends line breaks, which parse_input refuses as control characters.
        document = {**document, "text": " ".join(document["text"].split())}
    report = parse_input(ReportInput, normalise_text(document))
    return report.reason, report.text or None


def add_report(
    session: Session,
    code_url: str,
    reason: str,
    text: str | None,
    status: str,
    now: dt.datetime,
) -> FakeReportRecord:
    """Store one report, with the code's GTIN, batch and serial when its URL holds them."""
    code = scanned_code(code_url)
    report = FakeReport(
        code_url=code_url,
        gtin=code.gtin14 if code is not None else None,
        batch=code.batch if code is not None else None,
        serial=code.serial if code is not None else None,
        reason=reason,
        text=text,
        status=status,
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report_record(report)


def recent_report_count(session: Session, code_url: str, now: dt.datetime) -> int:
    """How many reports of `code_url` arrived in the minute before `now`."""
    since = now - dt.timedelta(minutes=1)
    statement = select(func.count(FakeReport.id)).where(
        FakeReport.code_url == code_url, FakeReport.created_at > since
    )
    return int(session.scalar(statement) or 0)


def list_reports(session: Session, gtin14: str | None) -> list[FakeReportRecord]:
    """Every report, newest first; only those of one GTIN when `gtin14` is given."""
    statement = select(FakeReport).order_by(FakeReport.created_at.desc(), FakeReport.id.desc())
    if gtin14 is not None:
        statement = statement.where(FakeReport.gtin == gtin14)
    return [report_record(report) for report in session.scalars(statement)]


def report_record(report: FakeReport) -> FakeReportRecord:
    return FakeReportRecord(
        id=report.id,
        code_url=report.code_url,
        gtin=report.gtin,
        batch=report.batch,
        serial=report.serial,
        reason=report.reason,
        text=report.text,
        status=report.status,
        created_at=report.created_at,
    )
