"""Pool ↔ worker messages: the Job a request hands over, the Outcome a worker sends back, and the control words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from labelgen.errors import Problem

if TYPE_CHECKING:
    from labelgen.compliance import Report

OutputFormat = Literal["svg", "png", "pdf"]
JobKind = Literal["render", "check"]
OutcomeKind = Literal[
    "file",
    "report",
    "invalid-spec",
    "not-compliant",
    "malformed-body",
    "cannot-render",
    "too-complex",
    "failed",
]

READY = "ready"
PING = "ping"
PONG = "pong"
STOP = None


@dataclass(frozen=True)
class Job:
    """What a request asks of a worker: the body exactly as received, and the query."""

    kind: JobKind
    body: bytes
    base_url: str
    output_format: OutputFormat = "svg"
    dpi: float = 300
    draft: bool = False
    serial: str | None = None
    as_of: dt.date | None = None
    # The signed URL of a serialised unit, made by the registry in the service's process.
    qr_url: str | None = None
    panel: str | None = None  # one panel of a label set, for an SVG or PNG
    cmyk: bool = False  # a PDF in press CMYK, PDF/X-4


@dataclass(frozen=True)
class Outcome:
    """What a worker answers: a file, a report, or why neither could be made."""

    kind: OutcomeKind
    data: bytes = b""
    filename: str = ""
    media_type: str = ""  # of a file: the format's own, or a ZIP of a set's panels
    report: Report | None = None
    problems: tuple[Problem, ...] = ()
    detail: str = ""
    # A worker that ran out of memory may be left in a bad state: the pool replaces it.
    retire_worker: bool = False
