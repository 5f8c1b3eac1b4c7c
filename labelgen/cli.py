"""Command line: `labelgen` arguments → files written, reports printed, exit codes 0 / 1 / 2."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelgen.errors import LabelgenError, NotCompliantError, SpecError
from labelgen.files import write_atomically

if TYPE_CHECKING:
    from labelgen.service.settings import Settings

EXIT_OK = 0
EXIT_NOT_COMPLIANT = 1
EXIT_BAD_INPUT = 2
BASE_URL_VARIABLE = "LABELGEN_BASE_URL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    arguments = parser.parse_args(argv)
    try:
        result: int = arguments.handler(arguments)
        return result
    except SpecError as error:
        _print_problems(error)
        return EXIT_BAD_INPUT
    except NotCompliantError as error:
        print(format_report(error.report), file=sys.stderr)
        # Only a single label can be drafted; a print run of a draft would be printed.
        remedy = " or render with --draft" if arguments.command == "render" else ""
        print(f"labelgen: nothing written; fix the errors{remedy}", file=sys.stderr)
        return EXIT_NOT_COMPLIANT
    except LabelgenError as error:
        print(f"labelgen: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (`labelgen check … | head`): stop quietly, as other tools do.
        sys.stderr.close()
        return EXIT_OK


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labelgen",
        description="Compliant OCOP packaging labels as SVG, PNG and print-ready PDF.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = commands.add_parser("render", help="write a label as SVG, PNG or PDF")
    render.add_argument("spec", help="label spec (.json, .yaml, .yml) or - for stdin")
    render.add_argument("-o", "--output", required=True, help="file to write")
    render.add_argument("--format", choices=("svg", "png", "pdf"), help="default: OUT's extension")
    render.add_argument("--dpi", type=_positive_number, default=300, help="PNG resolution")
    render.add_argument("--draft", action="store_true", help="mark the label BẢN NHÁP / DRAFT")
    render.add_argument("--as-of", type=_date, metavar="DATE", help="check as of YYYY-MM-DD")
    render.add_argument("--serial", help="per-unit serial to put in the QR")
    render.add_argument(
        "--cmyk", action="store_true", help="PDF in press CMYK, PDF/X-4 with the OutputIntent"
    )
    render.add_argument("--print-process", metavar="PROCESS", help=PRINT_PROCESS_HELP)
    render.add_argument(
        "--view",
        choices=("flat", "folded"),
        default="flat",
        help="a carton (package:): its flat dieline, or the folded box as PNG (with OUT-listing.png)",
    )
    render.add_argument(
        "--sheet",
        help="a carton's PDF: its blanks stepped on a press sheet (1000x700mm, SRA3, WxHmm)",
    )
    render.add_argument(
        "--nest",
        action="store_true",
        help="with --sheet: every other row turned head to head when that fits more blanks",
    )
    render.set_defaults(handler=_render)

    check = commands.add_parser("check", help="print the compliance report of a spec")
    check.add_argument("spec", help="label spec (.json, .yaml, .yml) or - for stdin")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--as-of", type=_date, metavar="DATE", help="check as of YYYY-MM-DD")
    check.add_argument("--print-process", metavar="PROCESS", help=PRINT_PROCESS_HELP)
    check.set_defaults(handler=_check)

    templates = commands.add_parser("templates", help="list the bundled templates")
    templates.set_defaults(handler=_templates)

    serve = commands.add_parser("serve", help="run the HTTP service and the designer page")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to listen on (default 8000)")
    serve.add_argument(
        "--workers", type=int, metavar="N", help="server processes (default: one per core)"
    )
    serve.add_argument(
        "--render-workers",
        type=int,
        metavar="N",
        help="render worker processes, shared among the server processes (2)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="comma-separated addresses or networks of trusted reverse proxies, whose "
        "X-Forwarded-For names the client (LABELGEN_TRUSTED_PROXIES)",
    )
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker",
        help="draw queued print runs (PostgreSQL: LABELGEN_DATABASE_URL, LABELGEN_RUN_STORE_DIR)",
        description="Take print runs queued in the PostgreSQL database of LABELGEN_DATABASE_URL "
        "and draw them, one at a time on every core, into the run store LABELGEN_RUN_STORE_DIR "
        "(a directory every server and worker mounts). SIGTERM or Ctrl-C stops the run at its "
        "next sheet and puts it back in the queue; see docs/deploy.md.",
    )
    worker.set_defaults(handler=_worker)

    # Only argparse is imported here; each registry handler imports what it needs when it runs.
    from labelgen.production.commands import add_batch_commands
    from labelgen.registry.commands import add_registry_commands, add_verify_command

    add_batch_commands(commands)
    add_registry_commands(commands)
    add_verify_command(commands)
    return parser


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number from 1 to 65535")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date written YYYY-MM-DD") from None


PRINT_PROCESS_HELP = (
    "offset, digital, flexo or thermal-300dpi: the codes' print tolerance (instead of the "
    "spec's print_process)"
)


def _check(arguments: argparse.Namespace) -> int:
    from labelgen.pipeline import check_spec, with_print_process
    from labelgen.spec import load_spec
    from labelgen.traceability import DEFAULT_BASE_URL

    spec = with_print_process(load_spec(arguments.spec), arguments.print_process)
    spec_dir = Path.cwd() if arguments.spec == "-" else Path(arguments.spec).parent
    base_url = os.environ.get(BASE_URL_VARIABLE, DEFAULT_BASE_URL)
    report = check_spec(spec, as_of=arguments.as_of, spec_dir=spec_dir, base_url=base_url)
    # Warnings only when a registry is set up here: what its QR code would answer.
    from labelgen.compliance.registry_rules import with_findings
    from labelgen.registry.commands import registry_check_findings

    spec_name = "SPEC" if arguments.spec == "-" else arguments.spec
    report = with_findings(report, registry_check_findings(spec, spec_name))
    print(report.to_json() if arguments.json else format_report(report))
    return EXIT_OK if report.compliant else EXIT_NOT_COMPLIANT


SEVERITY_HEADINGS = {
    "error": "LỖI — phải sửa trước khi in / ERRORS — must be fixed before printing",
    "warning": "CẢNH BÁO / WARNINGS",
    "info": "GHI CHÚ / NOTES",
}


def format_report(report: Any) -> str:
    """The report for a person: grouped by severity, Vietnamese first with the English under it."""
    verdict = "ĐẠT / COMPLIANT" if report.compliant else "KHÔNG ĐẠT / NOT COMPLIANT"
    lines = [
        f"Kiểm tra nhãn ngày {report.as_of:%d/%m/%Y} / Label check as of {report.as_of}: {verdict}"
    ]
    for severity, heading in SEVERITY_HEADINGS.items():
        findings = [finding for finding in report.findings if finding.severity == severity]
        if not findings:
            continue
        lines += ["", f"{heading} ({len(findings)})"]
        for finding in findings:
            lines += [
                f"  • [{finding.rule}] {finding.field}",
                f"    {finding.message_vi}",
                f"    {finding.message_en}",
                f"    ↳ {finding.reference}",
            ]
    if report.suggestions:
        lines += ["", "VỪA VỚI MẪU NHÃN / FITS ON (template:)"]
        lines += [f"  • {format_template_choice(choice)}" for choice in report.suggestions]
    return "\n".join(lines)


def format_template_choice(template_ids: Sequence[str]) -> str:
    """A template or set as a spec writes it: `back-panel`, `[ocop-classic, back-panel]`."""
    if len(template_ids) == 1:
        return template_ids[0]
    return "[" + ", ".join(template_ids) + "]"


def _render(arguments: argparse.Namespace) -> int:
    # Imported here so `labelgen templates` and `--help` start without loading the renderers.
    from labelgen.pipeline import (
        OUTPUT_FORMATS,
        panel_file_name,
        render,
        render_panels,
        with_print_process,
    )
    from labelgen.spec import load_spec
    from labelgen.traceability import DEFAULT_BASE_URL

    output = Path(arguments.output)
    output_format = arguments.format or output.suffix.lower().lstrip(".")
    if output_format not in OUTPUT_FORMATS:
        print(
            f"labelgen: cannot tell the format from '{output.name}': "
            "end it in .svg, .png or .pdf, or give --format",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if arguments.cmyk and output_format != "pdf":
        print("labelgen: --cmyk is for a PDF; an SVG or PNG stays RGB", file=sys.stderr)
        return EXIT_BAD_INPUT
    spec = with_print_process(load_spec(arguments.spec), arguments.print_process)
    spec_dir = Path.cwd() if arguments.spec == "-" else Path(arguments.spec).parent
    options = {
        "dpi": arguments.dpi,
        "draft": arguments.draft,
        "serial": arguments.serial,
        "base_url": os.environ.get(BASE_URL_VARIABLE, DEFAULT_BASE_URL),
        "spec_dir": spec_dir,
        "as_of": arguments.as_of,
    }
    if arguments.view == "folded" and output_format != "png":
        print("labelgen: --view folded draws a PNG; end OUT in .png", file=sys.stderr)
        return EXIT_BAD_INPUT
    if arguments.nest and arguments.sheet is None:
        print("labelgen: --nest lays out a press sheet: give --sheet", file=sys.stderr)
        return EXIT_BAD_INPUT
    if arguments.sheet is not None and (spec.package is None or output_format != "pdf"):
        print("labelgen: --sheet steps a carton's blanks on a press sheet: a PDF", file=sys.stderr)
        return EXIT_BAD_INPUT
    if arguments.sheet is not None:
        from labelgen.packaging.render import checked_carton
        from labelgen.packaging.sheet import export_carton_sheet_pdf
        from labelgen.production.imposition import ImpositionOptions

        carton = checked_carton(
            spec,
            draft=arguments.draft,
            serial=arguments.serial,
            base_url=options["base_url"],
            spec_dir=spec_dir,
            as_of=arguments.as_of,
        )
        sheet_options = ImpositionOptions(sheet=arguments.sheet)
        sheet_pdf = export_carton_sheet_pdf(
            carton, sheet_options, cmyk=arguments.cmyk, nested=arguments.nest
        )
        files = [(output, sheet_pdf)]
    elif spec.package is not None:
        # A carton: its flat as one file, or its folded box and the listing image beside it.
        pieces = render_panels(
            spec, output_format, cmyk=arguments.cmyk, view=arguments.view, **options
        )
        files = [
            (output, piece.content)
            if index == 0
            else (
                output.with_name(panel_file_name(output.stem, piece.panel, output_format)),
                piece.content,
            )
            for index, piece in enumerate(pieces)
        ]
    elif arguments.view != "flat":
        print("labelgen: --view folded is for a carton (a spec with package:)", file=sys.stderr)
        return EXIT_BAD_INPUT
    elif output_format == "pdf":
        files = [(output, render(spec, output_format, cmyk=arguments.cmyk, **options))]
    else:
        # An SVG or PNG holds one panel: a set is written as one file per panel.
        panels = render_panels(spec, output_format, **options)
        files = [
            (output, panel.content)
            if len(panels) == 1
            else (
                output.with_name(panel_file_name(output.stem, panel.panel, output_format)),
                panel.content,
            )
            for panel in panels
        ]
    for path, data in files:
        write_atomically(path, data)
        print(f"{path} ({output_format.upper()}, {len(data):,} bytes)")
    return EXIT_OK


def _templates(arguments: argparse.Namespace) -> int:
    from labelgen.templates import listed_template_ids, load_template

    for template_id in listed_template_ids():
        manifest = load_template(template_id).manifest
        size = f"{manifest.width_mm:g} × {manifest.height_mm:g} mm"
        if manifest.shape.kind == "circle":
            size = f"⌀ {manifest.width_mm:g} mm"
        print(f"{template_id:<14} {size:<16} {manifest.description.vi}")
        print(f"{'':<14} {'':<16} {manifest.description.en}")
    from labelgen.packaging.artwork import bundled_carton_styles, load_carton_style

    for style_id in bundled_carton_styles():  # for a spec with package: (sized by it)
        description = load_carton_style(style_id).manifest.description
        print(f"{style_id:<14} {'carton':<16} {description.vi}")
        print(f"{'':<14} {'':<16} {description.en}")
    return EXIT_OK


def _serve(arguments: argparse.Namespace) -> int:
    # The web stack is imported by the helpers, so the other commands start without it.
    flags = {
        "host": arguments.host,
        "port": arguments.port,
        "workers": arguments.workers,
        "render_workers": arguments.render_workers,
        "trusted_proxies": arguments.forwarded_allow_ips,
    }
    settings = _service_settings(flags)
    if settings is None:
        return EXIT_BAD_INPUT
    run_server(settings)
    return EXIT_OK


def _worker(arguments: argparse.Namespace) -> int:
    from labelgen.service.queue import run_worker

    settings = _service_settings({})
    if settings is None:
        return EXIT_BAD_INPUT
    run_worker(settings)
    return EXIT_OK


def _service_settings(flags: dict[str, Any]) -> Settings | None:
    """Settings from LABELGEN_* variables and the given flags; None (the problems printed, one
    per setting) when they are not valid."""
    from pydantic import ValidationError

    from labelgen.service.settings import Settings

    try:
        return Settings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        print(f"labelgen: invalid service settings: {problems}", file=sys.stderr)
        return None


def run_server(settings: Settings) -> None:
    """Serve the app with uvicorn (uvloop and httptools) in `settings.workers` processes.

    One process serves the app built here. Several are started by uvicorn's supervisor, each
    building its app from LABELGEN_* variables (set here from `settings`), with its share of
    the render workers; the registry is migrated once first, so that they do not race to.
    """
    import uvicorn

    from labelgen.service.app import create_app
    from labelgen.service.registry import open_registry
    from labelgen.service.settings import MAX_DEFAULT_WORKERS

    workers = settings.workers or min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        # On SIGTERM the renders in progress get their whole time limit to finish.
        "timeout_graceful_shutdown": int(settings.render_timeout_s) + 5,
        "server_header": False,
        # An access log would write every scanner's IP address, which the service never keeps.
        "access_log": False,
        # Forwarded headers are read by the app, from LABELGEN_TRUSTED_PROXIES only.
        "proxy_headers": False,
        "loop": "uvloop" if sys.platform != "win32" else "auto",
        "http": "httptools",
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    registry, _ = open_registry(settings, None)
    registry.close()
    os.environ.update(_worker_environment(settings, workers))
    uvicorn.run("labelgen.service.app:create_app", factory=True, workers=workers, **options)


def _worker_environment(settings: Settings, workers: int) -> dict[str, str]:
    """The LABELGEN_* variables that give each server process the settings built here."""
    per_process = math.ceil(settings.render_workers / workers)
    return {
        "LABELGEN_RENDER_WORKERS": str(per_process),
        "LABELGEN_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
    }


def _print_problems(error: SpecError) -> None:
    print("labelgen: the spec is not valid:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def run() -> None:
    """The `labelgen` program: `main` on the command line's arguments, then exit with its code."""
    exit_code = main()
    # The command is over: the interpreter's last collection at exit would walk every object
    # the imports made (a tenth of a second of a short command) to free memory the process is
    # about to give back anyway.
    gc.freeze()
    sys.exit(exit_code)


if __name__ == "__main__":
    run()
