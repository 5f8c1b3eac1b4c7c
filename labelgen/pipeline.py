"""The whole pipeline: a LabelSpec → its label set laid out → checked → exported as SVG, PNG or PDF bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from labelgen.compliance import Report, check
from labelgen.compliance.printed_rules import check_label_set
from labelgen.errors import NotCompliantError, RenderError
from labelgen.layout import LabelSet, Layout, layout_set
from labelgen.spec import LabelSpec
from labelgen.templates import listed_template_ids, load_template
from labelgen.traceability import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from labelgen.packaging.render import CartonFile, View

# The exporters and the carton stage are imported where they are used: checking a label needs
# neither the PDF and PNG libraries nor the carton's. The PNG resolution the API and the
# exporters default to is set here, where the exporters read it, so as not to load them.
DEFAULT_DPI = 300

OutputFormat = Literal["svg", "png", "pdf"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("svg", "png", "pdf")
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class RenderedPanel:
    """One panel of a label set as the bytes of one file; `panel` is its template id."""

    panel: str
    content: bytes


def with_print_process(spec: LabelSpec, name: str | None) -> LabelSpec:
    """`spec` printed by the process `name` instead of its own `print_process` (None: as it
    is); a CodeError naming the known processes when `name` is not one."""
    if name is None:
        return spec
    from labelgen.codes import print_process

    return spec.model_copy(update={"print_process": print_process(name).name})


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
    cmyk: bool = False,
    view: View = "flat",
) -> bytes:
    """The label described by `spec`, as the bytes of an SVG, PNG or PDF file.

    A spec with `package:` is a folding carton: its flat dieline (PDF, SVG, PNG), or with
    `view='folded'` the folded box as PNG (`labelgen.packaging`).

    A PDF holds one page per panel of the label set; with `cmyk` it is press CMYK and PDF/X-4
    (`export_pdf`). An SVG or PNG holds one panel, so a set
    of several panels is drawn with `render_panels`. A label with an `error` finding raises
    NotCompliantError carrying the report, unless `draft` is set: then it is rendered with a
    DRAFT mark and without a traceability QR. `qr_url` replaces the URL the QR code would hold
    (a signed unit's, from the registry).
    """
    if spec.package is not None or view != "flat":
        files = _carton_files(
            spec, output_format, view, dpi, draft, serial, base_url, spec_dir, as_of, qr_url, cmyk
        )
        return files[0].content
    label_set = _checked_set(spec, draft, serial, base_url, spec_dir, as_of, qr_url)
    if output_format == "pdf":
        from labelgen.export import export_pdf_pages

        return export_pdf_pages(list(label_set.panels), cmyk=cmyk)
    if len(label_set.panels) > 1:
        raise RenderError(
            f"this label set has {len(label_set.panels)} panels; an {output_format.upper()} "
            "holds one: write a PDF, or one file per panel"
        )
    return export_layout(label_set.panels[0], output_format, dpi=dpi)


def render_panels(
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
    cmyk: bool = False,
    view: View = "flat",
) -> list[RenderedPanel]:
    """Each panel of `spec`'s label set as its own file, in print order (refused, or drafted,
    as `render` does). A carton gives its flat, or its folded box and listing image."""
    if spec.package is not None or view != "flat":
        files = _carton_files(
            spec, output_format, view, dpi, draft, serial, base_url, spec_dir, as_of, qr_url, cmyk
        )
        return [RenderedPanel(file.suffix or view, file.content) for file in files]
    label_set = _checked_set(spec, draft, serial, base_url, spec_dir, as_of, qr_url)
    return [
        RenderedPanel(panel.manifest.id, export_layout(panel, output_format, dpi=dpi, cmyk=cmyk))
        for panel in label_set.panels
    ]


def _carton_files(
    spec: LabelSpec,
    output_format: OutputFormat,
    view: View,
    dpi: float,
    draft: bool,
    serial: str | None,
    base_url: str,
    spec_dir: Path | None,
    as_of: dt.date | None,
    qr_url: str | None,
    cmyk: bool,
) -> list[CartonFile]:
    from labelgen.packaging.render import checked_carton, render_carton_files

    if spec.package is None:
        raise RenderError(f"view: '{view}' is for a carton; this spec has no package:")
    carton = checked_carton(
        spec,
        draft=draft,
        serial=serial,
        base_url=base_url,
        spec_dir=spec_dir,
        as_of=as_of,
        qr_url=qr_url,
    )
    return render_carton_files(carton, output_format, view=view, dpi=dpi, cmyk=cmyk)


def panel_file_name(stem: str, panel: str, extension: str) -> str:
    """The file one panel of a set is written to: `label-back-panel.png` for `label.png`."""
    return f"{stem}-{panel}.{extension}"


def _checked_set(
    spec: LabelSpec,
    draft: bool,
    serial: str | None,
    base_url: str,
    spec_dir: Path | None,
    as_of: dt.date | None,
    qr_url: str | None,
) -> LabelSet:
    label_set = layout_set(
        spec, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url, qr_url=qr_url
    )
    if not draft:
        report = check_set(spec, label_set, as_of=as_of)
        if not report.compliant:
            report = with_suggestions(report, spec, spec_dir=spec_dir, base_url=base_url)
            raise NotCompliantError(report)
    return label_set


def check_set(spec: LabelSpec, label_set: LabelSet, as_of: dt.date | None = None) -> Report:
    """The compliance report of the spec and of its label set as laid out."""
    return check(spec, as_of=as_of, layout_findings=check_label_set(label_set, spec))


def check_label(spec: LabelSpec, layout: Layout, as_of: dt.date | None = None) -> Report:
    """The compliance report of the spec and of a one-panel label as laid out."""
    return check_set(spec, LabelSet((layout,)), as_of=as_of)


def check_spec(
    spec: LabelSpec,
    *,
    as_of: dt.date | None = None,
    spec_dir: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Report:
    """Lay the label set out and check it, without drawing it; when it does not fit, the
    report suggests the bundled templates and sets it would fit on."""
    if spec.package is not None:
        from labelgen.packaging.render import check_carton_spec

        return check_carton_spec(spec, as_of=as_of, spec_dir=spec_dir, base_url=base_url)
    label_set = layout_set(spec, spec_dir=spec_dir, base_url=base_url)
    report = check_set(spec, label_set, as_of=as_of)
    return with_suggestions(report, spec, spec_dir=spec_dir, base_url=base_url)


# The findings a template or set can cure: the text has no room, or does not print.
FITTING_RULES = frozenset(
    {
        "LAYOUT-TEXT-OVERFLOW",
        "VN-LBL-MANDATORY-NOT-PRINTED",
        "VN-LBL-NETQTY-HEIGHT",
        "VN-LBL-SUPPLEMENT-PHRASES",
        "PRINT-SAFE-ZONE",
        "PRINT-MIN-TEXT-SIZE",
        "GS1-QR-MODULE-SIZE",
        "GS1-QR-QUIET-ZONE",
        "GS1-EAN-SIZE",
        "GS1-EAN-QUIET-ZONE",
    }
)


def with_suggestions(
    report: Report,
    spec: LabelSpec,
    *,
    spec_dir: Path | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> Report:
    """`report` with the bundled templates and sets the label fits on, when a finding of its
    own template is one another template could cure."""
    if not any(finding.rule in FITTING_RULES for finding in report.errors):
        return report
    return dataclasses.replace(
        report, suggestions=tuple(suggest_templates(spec, base_url=base_url))
    )


def suggest_templates(
    spec: LabelSpec, *, base_url: str = DEFAULT_BASE_URL
) -> list[tuple[str, ...]]:
    """The bundled templates and sets on which `spec` lays out with no fitting error and prints
    every mandatory item: its own first template's sets first, then the fewest panels."""
    fitting = []
    for candidate in _candidate_sets(spec):
        trial = spec.model_copy(update={"template": list(candidate), "size": None})
        label_set = layout_set(trial, base_url=base_url)
        findings = check_label_set(label_set, trial)
        if not any(f.severity == "error" and f.rule in FITTING_RULES for f in findings):
            fitting.append(candidate)
        if len(fitting) == MAX_SUGGESTIONS:
            break
    return fitting


def _candidate_sets(spec: LabelSpec) -> list[tuple[str, ...]]:
    listed = listed_template_ids()
    manifests = {template_id: load_template(template_id).manifest for template_id in listed}
    backs = [template_id for template_id in listed if manifests[template_id].role == "back"]
    singles = [(template_id,) for template_id in listed]
    # A front label with a back label; a two-sided tag or a wrap-around has its own back.
    fronts = [t for t in listed if manifests[t].role == "front" and not manifests[t].sides]
    pairs = [(front, back) for front in fronts for back in backs]
    own = spec.template_ids[0]
    candidates = [
        candidate
        for candidate in singles + pairs
        if candidate != spec.template_ids and all(t in listed for t in candidate)
    ]
    # The producer's own choice of front first: what they picked, completed.
    return sorted(candidates, key=lambda candidate: (candidate[0] != own, len(candidate)))


def export_layout(
    layout: Layout, output_format: OutputFormat, *, dpi: float = DEFAULT_DPI, cmyk: bool = False
) -> bytes:
    """A finished panel layout as the bytes of one output format (`cmyk`: a press CMYK PDF)."""
    from labelgen.export import export_pdf, export_png, export_svg

    if output_format == "svg":
        return export_svg(layout)
    if output_format == "png":
        return export_png(layout, dpi)
    if output_format == "pdf":
        return export_pdf(layout, cmyk=cmyk)
    raise RenderError(f"unknown format '{output_format}' (use svg, png or pdf)")
