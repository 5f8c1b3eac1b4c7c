"""The whole pipeline: a LabelSpec → laid out → drawn → exported as SVG, PNG or PDF bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from labelgen.errors import RenderError
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
) -> bytes:
    """The label described by `spec`, as the bytes of an SVG, PNG or PDF file."""
    layout = layout_label(spec, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url)
    return export_layout(layout, output_format, dpi=dpi)


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
