"""Carton rendering: a spec with `package:` → checked carton → the flat as PDF, SVG or PNG, or
the folded box and its listing image as PNG."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from labelgen.compliance import Report
from labelgen.errors import NotCompliantError, RenderError
from labelgen.packaging.artwork import Carton, check_carton, layout_carton
from labelgen.packaging.flat import draw_flat_svg
from labelgen.packaging.folded import DEFAULT_WIDTH_PX, folded_pngs
from labelgen.packaging.pdf import export_carton_pdf
from labelgen.spec import LabelSpec
from labelgen.traceability import DEFAULT_BASE_URL

View = Literal["flat", "folded"]
VIEWS: tuple[View, ...] = ("flat", "folded")
MAX_FLAT_PNG_PIXELS = 80_000_000


@dataclass(frozen=True)
class CartonFile:
    """One file a carton render gives: `suffix` None for the file asked for, else what the
    extra file is (`listing`: the square marketplace image beside a folded preview)."""

    suffix: str | None
    content: bytes


def checked_carton(
    spec: LabelSpec,
    *,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    spec_dir: Path | None = None,
    as_of: dt.date | None = None,
    qr_url: str | None = None,
) -> Carton:
    """The carton laid out and checked; one with an `error` finding raises NotCompliantError,
    unless `draft` (then every face carries the DRAFT mark and no QR)."""
    carton = layout_carton(
        spec, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url, qr_url=qr_url
    )
    if not draft:
        report = check_carton(carton, as_of=as_of)
        if not report.compliant:
            raise NotCompliantError(report)
    return carton


def check_carton_spec(
    spec: LabelSpec,
    *,
    as_of: dt.date | None = None,
    spec_dir: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Report:
    """The compliance report of a carton: the spec, and every face as laid out."""
    return check_carton(layout_carton(spec, spec_dir=spec_dir, base_url=base_url), as_of=as_of)


def render_carton_files(
    carton: Carton,
    output_format: str,
    *,
    view: View = "flat",
    dpi: float = 300,
    cmyk: bool = False,
) -> list[CartonFile]:
    """The files of one carton render: the flat as PDF (one page), SVG or PNG; or, with
    `view='folded'`, the folded box as PNG and the square listing image beside it."""
    if view == "folded":
        if output_format != "png":
            raise RenderError("view: the folded box is drawn as PNG; write a .png")
        folded, listing = folded_pngs(carton, _folded_width_px(dpi))
        return [CartonFile(None, folded), CartonFile("listing", listing)]
    if output_format == "pdf":
        return [CartonFile(None, export_carton_pdf(carton, cmyk=cmyk))]
    if output_format == "svg":
        return [CartonFile(None, draw_flat_svg(carton, "screen").encode("utf-8"))]
    if output_format == "png":
        return [CartonFile(None, _flat_png(carton, dpi))]
    raise RenderError(f"unknown format '{output_format}' (use svg, png or pdf)")


def _folded_width_px(dpi: float) -> int:
    """The folded picture's width: 1600 px at the default 300 dpi, in proportion otherwise."""
    return max(200, min(4000, round(DEFAULT_WIDTH_PX * dpi / 300)))


def _flat_png(carton: Carton, dpi: float) -> bytes:
    if not 10 <= dpi <= 1200:
        raise RenderError(f"dpi must be between 10 and 1200 for a carton's flat, not {dpi}")
    dieline = carton.dieline
    pixels = (dieline.width_mm / 25.4 * dpi) * (dieline.height_mm / 25.4 * dpi)
    if pixels > MAX_FLAT_PNG_PIXELS:
        raise RenderError(f"{dpi} dpi makes a {pixels / 1e6:.0f}-megapixel image; lower the dpi")
    from cairosvg import svg2png

    png = svg2png(bytestring=draw_flat_svg(carton, "raster").encode("utf-8"), dpi=dpi)
    if not isinstance(png, bytes):
        raise RenderError("the flat could not be drawn")
    return png
