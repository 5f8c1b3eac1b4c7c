"""Print-run commands: `labelgen batch` / `labelgen sheets` arguments → run files, progress, preflight."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from labelgen.cli import BASE_URL_VARIABLE, EXIT_OK
from labelgen.errors import BatchError
from labelgen.registry.commands import API_KEY_VARIABLE

if TYPE_CHECKING:
    from labelgen.production.registry_process import RegistryProcess

EXIT_PREFLIGHT_FAILED = 1


def add_batch_commands(commands: Any) -> None:
    """Add `batch` and `sheets` to the `labelgen` command parser."""
    batch = commands.add_parser(
        "batch",
        help="print run: many serialised labels imposed on sheets in one print PDF",
        description=(
            "Draws the label once and every unit's QR code and serial on top, imposed on "
            "sheets with crop marks, bleed and a CutContour die line. Serials come from "
            f"--serials, or from the registry when {API_KEY_VARIABLE} holds a producer's key."
        ),
    )
    batch.add_argument("spec", help="label spec (.json, .yaml, .yml)")
    batch.add_argument("-o", "--output", required=True, metavar="RUN.pdf", help="PDF to write")
    batch.add_argument("--count", type=_positive_int, metavar="N", help="how many units")
    batch.add_argument(
        "--serials", type=Path, metavar="FILE", help="CSV or list of serials (UTF-8, BOM or not)"
    )
    batch.add_argument(
        "--sheet",
        default="SRA3",
        help="A4, A3, SRA3, WIDTHxHEIGHTmm or a label-sheet preset (see `labelgen sheets`)",
    )
    batch.add_argument(
        "--columns", type=_positive_int, help="labels across (default: most that fit)"
    )
    batch.add_argument("--rows", type=_positive_int, help="labels down (default: most that fit)")
    batch.add_argument("--gutter", type=float, metavar="MM", help="gap between trims")
    batch.add_argument("--margin", type=float, metavar="MM", help="press sheet's unprinted edge")
    batch.add_argument(
        "--start", type=_positive_int, default=1, metavar="N", help="first free label of sheet 1"
    )
    batch.add_argument(
        "--rotate",
        choices=("auto", "never", "always"),
        default="auto",
        help="turn the labels 90° on the sheet: when that fits more (auto, default), never, always",
    )
    batch.add_argument("--no-marks", action="store_true", help="leave out the crop marks")
    batch.add_argument("--offset", metavar="X,Y", help="printer calibration shift in mm")
    batch.add_argument("--scale", metavar="SX[,SY]", help="printer calibration scale, e.g. 0.998")
    batch.add_argument("--cmyk", action="store_true", help="CMYK with an output intent (PDF/X-4)")
    batch.add_argument(
        "--no-serial-text",
        action="store_true",
        help="leave out the serial printed under each code (the code still holds it)",
    )
    batch.add_argument("--job", help="job name on the slug line (default: the file name)")
    batch.add_argument(
        "--workers", type=_positive_int, metavar="N", help="processes (default: one per core)"
    )
    again = batch.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="carry on an interrupted run")
    again.add_argument(
        "--restart", action="store_true", help="draw the run again with the same serials"
    )
    batch.set_defaults(handler=_batch)

    sheets = commands.add_parser("sheets", help="list the sheet sizes and label-sheet presets")
    sheets.set_defaults(handler=_sheets)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _batch(arguments: argparse.Namespace) -> int:
    spec_path = Path(arguments.spec)
    if arguments.serials is not None or not os.environ.get(API_KEY_VARIABLE):
        return _run(arguments, spec_path, None)
    # Both processes need the spec's module (a sixth of a second to load): loaded once before
    # the fork, rather than twice at once on the same cores.
    import labelgen.spec  # noqa: F401
    from labelgen.production.registry_process import RegistryProcess

    # The registry opens in its own process while this one loads the label stages.
    registry = RegistryProcess(spec_path, _base_url, os.environ.get(API_KEY_VARIABLE))
    try:
        return _run(arguments, spec_path, registry)
    finally:
        registry.close()


def _base_url() -> str:
    from labelgen.traceability import DEFAULT_BASE_URL

    return os.environ.get(BASE_URL_VARIABLE, DEFAULT_BASE_URL)


def _run(arguments: argparse.Namespace, spec_path: Path, registry: RegistryProcess | None) -> int:
    from labelgen.production.run import RunRequest, run_batch
    from labelgen.spec import load_spec

    spec = load_spec(spec_path)
    base_url = _base_url()
    allocate = ask_ahead = None
    if registry is not None:
        # Not waited for here: the registry goes on opening while the label is checked.
        allocate, ask_ahead = registry.allocate, registry.ask
    request = RunRequest(
        spec=spec,
        spec_bytes=spec_path.read_bytes(),
        output=Path(arguments.output),
        count=arguments.count,
        serials_file=arguments.serials,
        allocate=allocate,
        ask_ahead=ask_ahead,
        sheet=_imposition_options(arguments),
        cmyk=arguments.cmyk,
        base_url=base_url,
        job_name=arguments.job,
        workers=arguments.workers or 0,
        resume=arguments.resume,
        restart=arguments.restart,
        show_serials=not arguments.no_serial_text,
        spec_dir=spec_path.parent,
    )
    bar = ProgressBar(sys.stderr)
    result = run_batch(request, bar.update)
    bar.close()
    rate = result.labels_drawn / result.elapsed_s if result.elapsed_s else 0.0
    resumed = ""
    if result.labels_drawn < result.labels:
        resumed = f"{result.labels_drawn:,} drawn now, "
    print(
        f"{result.output} ({result.labels:,} labels on {result.sheets:,} sheets of "
        f"{result.labels_per_sheet}{' turned 90°' if result.rotated else ''}, "
        f"{result.size_bytes:,} bytes, {resumed}"
        f"{result.elapsed_s:.1f} s, {rate:,.0f} labels/s)"
    )
    print(f"{result.manifest} (serials and QR contents, in print order)")
    print(" · ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases_s.items()))
    print(result.preflight.format_text())
    return EXIT_OK if result.preflight.passed else EXIT_PREFLIGHT_FAILED


def _imposition_options(arguments: argparse.Namespace) -> Any:
    from labelgen.production.imposition import Calibration, ImpositionOptions

    offset_x_mm, offset_y_mm = _pair(arguments.offset, "--offset", default=0.0)
    scale_x, scale_y = _pair(arguments.scale, "--scale", default=1.0)
    options: dict[str, Any] = {
        "sheet": arguments.sheet,
        "columns": arguments.columns,
        "rows": arguments.rows,
        "start_position": arguments.start,
        "crop_marks": not arguments.no_marks,
        "rotate": arguments.rotate,
        "calibration": Calibration(offset_x_mm, offset_y_mm, scale_x, scale_y),
    }
    if arguments.gutter is not None:
        options["gutter_mm"] = arguments.gutter
    if arguments.margin is not None:
        options["margin_mm"] = arguments.margin
    return ImpositionOptions(**options)


def _pair(text: str | None, option: str, default: float) -> tuple[float, float]:
    """'X,Y' or a single 'X' for both, as numbers; BatchError naming `option` otherwise."""
    if text is None:
        return default, default
    parts = [part.strip() for part in text.split(",")]
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise BatchError(f"{option}: '{text}' is not a number or a pair X,Y") from None
    if len(numbers) == 1:
        return numbers[0], numbers[0]
    if len(numbers) == 2:
        return numbers[0], numbers[1]
    raise BatchError(f"{option}: '{text}' is not a number or a pair X,Y")


class ProgressBar:
    """A one-line progress bar on a terminal; nothing when the output is a file or a pipe."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = stream.isatty()
        self._last_fraction = -1.0

    def update(self, progress: Any) -> None:
        if not self._shown or progress.labels_total == 0:
            return
        fraction = progress.labels_done / progress.labels_total
        if fraction - self._last_fraction < 0.005 and fraction < 1:
            return
        self._last_fraction = fraction
        filled = round(fraction * self.WIDTH)
        rate = progress.labels_done / progress.elapsed_s if progress.elapsed_s else 0.0
        self._stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{progress.labels_done:,}/{progress.labels_total:,} labels · "
            f"sheet {progress.sheets_done}/{progress.sheets_total} · {rate:,.0f}/s"
        )
        self._stream.flush()

    def close(self) -> None:
        if self._shown and self._last_fraction >= 0:
            self._stream.write("\n")


def _sheets(arguments: argparse.Namespace) -> int:
    from labelgen.production.imposition import list_sheets

    sheets = list_sheets()
    print("press sheets (or WIDTHxHEIGHTmm; labels turned 90° when that fits more, see --rotate):")
    for sheet in sheets:
        if sheet.preset is None:
            print(f"  {sheet.name:<18} {sheet.width_mm:g} × {sheet.height_mm:g} mm")
    print("label-sheet presets (pre-cut):")
    for sheet in sheets:
        preset = sheet.preset
        if preset is None:
            continue
        size = f"{preset.label_width_mm:g} × {preset.label_height_mm:g} mm"
        if preset.shape == "circle":
            size = f"⌀ {preset.label_width_mm:g} mm"
        count = preset.columns * preset.rows
        print(
            f"  {sheet.name:<18} {preset.sheet.name:<5} {count:>3} × {size:<16} {preset.description}"
        )
    return EXIT_OK
