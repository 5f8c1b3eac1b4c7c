"""Pool ↔ worker messages: the Job a request hands over, the Outcome a worker sends back, and the control words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from labelgen.errors import Problem

if TYPE_CHECKING:
    from labelgen.compliance import Report
    from labelgen.layout import PanelSize
    from labelgen.spec import LabelSpec

OutputFormat = Literal["svg", "png", "pdf"]
JobKind = Literal["render", "check", "parse"]
OutcomeKind = Literal[
    "file",
    "report",
    "spec",
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
    print_process: str | None = None  # instead of the spec's own print_process
    view: Literal["flat", "folded"] = "flat"  # a carton's flat dieline, or the folded box (PNG)
    # A check that also answers the parsed spec and its code panel's size (a print run's).
    with_spec: bool = False


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
    # The spec as the worker parsed it (a logo already sanitised), for the registry's checks and
    # signing in the service's process, which must not parse a producer's spec itself.
    spec: LabelSpec | None = None
    code_panel: PanelSize | None = None  # of `spec`, for a print run's imposition
    # A worker that ran out of memory may be left in a bad state: the pool replaces it.
    retire_worker: bool = False
