"""Render jobs: a Job (raw JSON body and query) → an Outcome (file, report or refusal), run inside a worker."""

from __future__ import annotations

import io
import json
import logging
import re
import unicodedata
import zipfile
from typing import Any

from labelgen.errors import (
    CodeError,
    LabelgenError,
    MalformedBodyError,
    NotCompliantError,
    Problem,
    SpecError,
)
from labelgen.layout import code_panel_size
from labelgen.packaging.artwork import bundled_carton_styles
from labelgen.pipeline import (
    MEDIA_TYPES,
    check_spec,
    panel_file_name,
    render,
    render_panels,
    with_print_process,
)
from labelgen.service.limits import MAX_JSON_DEPTH, json_too_deep
from labelgen.service.protocol import Job, Outcome
from labelgen.spec import LabelSpec, parse_spec
from labelgen.templates import bundled_template_ids

logger = logging.getLogger(__name__)

_FIELD_PREFIX = re.compile(r"^(?P<field>[a-z_]+(?:\.[a-z_]+)+): (?P<reason>.+)$", re.S)


def run_job(job: Job) -> Outcome:
    """Decode, parse and check or render; every failure becomes an Outcome, never an exception."""
    try:
        spec = with_print_process(parse_service_spec(decode_body(job.body)), job.print_process)
        if job.kind == "parse":
            return Outcome("spec", spec=spec)
        if job.kind == "check":
            report = check_spec(spec, as_of=job.as_of, base_url=job.base_url)
            if job.with_spec:
                # A carton has no one panel a print run stamps: it is not a print run's label.
                code_panel = None if spec.package is not None else code_panel_size(spec)
                return Outcome("report", report=report, spec=spec, code_panel=code_panel)
            return Outcome("report", report=report)
        return _render_file(spec, job)
    except MalformedBodyError as error:
        return Outcome("malformed-body", detail=str(error))
    except SpecError as error:
        return Outcome("invalid-spec", problems=tuple(error.problems))
    except NotCompliantError as error:
        return Outcome("not-compliant", report=error.report)
    except CodeError as error:
        return Outcome("invalid-spec", problems=(problem_from_message(str(error)),))
    except LabelgenError as error:
        return Outcome("cannot-render", detail=str(error))
    except (MemoryError, RecursionError):
        return Outcome("too-complex", retire_worker=True)
    except Exception:
        # Logged here, in the service's own output; the client is told only that it failed.
        logger.exception("render job failed")
        return Outcome("failed")


def _render_file(spec: LabelSpec, job: Job) -> Outcome:
    """The PDF of the whole set; an SVG or PNG of one panel (the one asked for, or the only
    one), else a ZIP holding one file per panel."""
    options: dict[str, Any] = {
        "dpi": job.dpi,
        "draft": job.draft,
        "serial": job.serial,
        "base_url": job.base_url,
        "as_of": job.as_of,
        "qr_url": job.qr_url,
    }
    output_format = job.output_format
    name = download_name(spec, output_format)
    media_type = MEDIA_TYPES[output_format]
    if output_format == "pdf":
        data = render(spec, output_format, cmyk=job.cmyk, view=job.view, **options)
        return Outcome("file", data=data, filename=name, media_type=media_type)
    panels = render_panels(spec, output_format, view=job.view, **options)
    if spec.package is not None and job.panel is None:
        # A carton's folded view also makes the listing image; asked for by `panel=listing`.
        panels = panels[:1]
    if job.panel is not None:
        chosen = [panel for panel in panels if panel.panel == job.panel]
        if not chosen:
            known = ", ".join(panel.panel for panel in panels)
            raise SpecError([Problem("panel", f"is not a panel of this label set ({known})")])
        panels = chosen
    stem = name.rsplit(".", 1)[0]
    if len(panels) == 1:
        if job.panel is not None:  # one side of a set, named after it
            name = panel_file_name(stem, panels[0].panel, output_format)
        return Outcome("file", data=panels[0].content, filename=name, media_type=media_type)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for panel in panels:
            bundle.writestr(panel_file_name(stem, panel.panel, output_format), panel.content)
    return Outcome(
        "file", data=archive.getvalue(), filename=f"{stem}.zip", media_type="application/zip"
    )


def decode_body(body: bytes) -> dict[str, Any]:
    """The JSON object in a request body (UTF-8, a BOM tolerated); MalformedBodyError otherwise."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedBodyError(f"the body is not UTF-8 (byte {error.start})") from None
    if json_too_deep(body):
        raise MalformedBodyError(
            f"the body is nested too deeply: at most {MAX_JSON_DEPTH} levels of objects and arrays"
        )
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise MalformedBodyError(
            f"the body is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except (ValueError, RecursionError):
        raise MalformedBodyError(
            "the body is not acceptable JSON (NaN or Infinity, a number too long, "
            "or nesting too deep)"
        ) from None
    if not isinstance(document, dict):
        raise MalformedBodyError("the body must be a JSON object (the label spec)")
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_service_spec(document: dict[str, Any]) -> LabelSpec:
    """A LabelSpec from a document sent over HTTP: only bundled templates, logos only inline.

    A template folder is a path on the server's disk, so over HTTP `template` must name a
    bundled template; a logo must be a data: URI (parse_spec without base_dir refuses paths).
    """
    problems = []
    template = document.get("template")
    templates = template if isinstance(template, list) else [template]
    if template is not None and not all(
        isinstance(item, str) and _is_bundled(item) for item in templates
    ):
        known = ", ".join(bundled_template_ids())
        problems.append(
            Problem(
                "template",
                f"must be one of the bundled templates ({known}); "
                "template folders are accepted by the command line only",
            )
        )
        document = {key: value for key, value in document.items() if key != "template"}
    try:
        spec = parse_spec(document)
    except SpecError as error:
        raise SpecError([*problems, *error.problems]) from None
    if problems:
        raise SpecError(problems)
    return spec


def _is_bundled(template: str) -> bool:
    name = unicodedata.normalize("NFC", template).strip()
    return name in bundled_template_ids() or name in bundled_carton_styles()


def problem_from_message(message: str) -> Problem:
    """A CodeError's 'field.path: reason' message as a Problem (the whole text when unprefixed)."""
    match = _FIELD_PREFIX.match(message)
    if match is None:
        return Problem("", message)
    return Problem(match["field"], match["reason"])


def download_name(spec: LabelSpec, output_format: str) -> str:
    """An ASCII file name for the download: the product name without diacritics, slugged."""
    name = spec.product.name.replace("đ", "d").replace("Đ", "D")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60].strip("-")
    return f"{slug or 'label'}.{output_format}"
