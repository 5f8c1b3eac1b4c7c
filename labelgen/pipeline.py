"""The whole pipeline: a LabelSpec → laid out → drawn → exported as SVG, PNG or PDF bytes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from labelgen.compliance import Report, check
from labelgen.compliance.layout_rules import check_layout
from labelgen.errors import NotCompliantError, RenderError
from labelgen.export import DEFAULT_DPI, export_pdf, export_png, export_svg
from labelgen.layout import Layout, layout_label
from labelgen.spec import LabelSpec
from labelgen.traceability import DEFAULT_BASE_URL

OutputFormat = Literal["svg", "png", "pdf"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("svg", "png", "pdf")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def render(
    spec: LabelSpec,
    output_format: OutputFormat,
    *,
    dpi: float = DEFAULT_DPI,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    spec_dir: Path | None = None,
    as_of: dt.date | None = None,
    qr_url: str | None = None,
) -> bytes:
    """The label described by `spec`, as the bytes of an SVG, PNG or PDF file.

    A label with an `error` finding raises NotCompliantError carrying the report, unless
    `draft` is set: then it is rendered with a DRAFT mark and without a traceability QR.
    `qr_url` replaces the URL the QR code would hold (a signed unit's, from the registry).
    """
    layout = layout_label(
        spec, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url, qr_url=qr_url
    )
    if not draft:
        report = check_label(spec, layout, as_of=as_of)
        if not report.compliant:
            raise NotCompliantError(report)
    return export_layout(layout, output_format, dpi=dpi)


def check_label(spec: LabelSpec, layout: Layout, as_of: dt.date | None = None) -> Report:
    """The compliance report of the spec and of the label as laid out."""
    return check(spec, as_of=as_of, layout_findings=check_layout(layout, spec))


def check_spec(
    spec: LabelSpec,
    *,
    as_of: dt.date | None = None,
    spec_dir: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Report:
    """Lay the label out and check it, without drawing it."""
    layout = layout_label(spec, spec_dir=spec_dir, base_url=base_url)
    return check_label(spec, layout, as_of=as_of)


def export_layout(
    layout: Layout, output_format: OutputFormat, *, dpi: float = DEFAULT_DPI
) -> bytes:
    """A finished layout as the bytes of one output format."""
    if output_format == "svg":
        return export_svg(layout)
    if output_format == "png":
        return export_png(layout, dpi)
    if output_format == "pdf":
        return export_pdf(layout)
    raise RenderError(f"unknown format '{output_format}' (use svg, png or pdf)")
