"""Benchmark: labelgen beside the plain stacks a developer would write, measured in one run.

- One label, warm, in this process: labelgen's `render` (spec checked, laid out, drawn) against
  segno + Jinja + WeasyPrint (PDF), segno + Jinja + CairoSVG (PNG at 300 dpi) and segno + Jinja
  (SVG), each drawing the same label's band, texts and the same QR code (same URL, same
  error level). The plain stacks check nothing and fit nothing: the ratio is what labelgen's
  compliance and layout cost or save, all included.
- Print runs, whole processes from start to exit: `labelgen batch` (serials issued and signed by
  a throwaway SQLite registry, RGB, A4; the median of RUN_REPEATS runs) against qrcode +
  reportlab drawing the same count of round-jar labels, each QR a signed unit URL as long as
  labelgen's, on A4 sheets (above 1,000 labels the plain run is timed at 1,000 and its rate
  carried over: it does not change).
- Start-up: a cold `labelgen check` and `labelgen render -o x.pdf` of the example.

Runs are interleaved and medians printed, with ratios (below 1: labelgen is faster).
Prints figures only; asserts nothing.

    .venv/bin/python benchmarks/bench_peers.py [REPEATS] [RUN COUNTS...]   # 30 1000 10000
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cairosvg
import jinja2
import segno
from bench_batch import _registry_environment, _round_jar_spec
from bench_render import median_ms
from weasyprint import HTML

from labelgen import export  # noqa: F401  (points fontconfig at the bundled fonts first)
from labelgen.layout import Layout, layout_label
from labelgen.pipeline import render
from labelgen.registry.settings import DATA_DIR_VARIABLE
from labelgen.registry.testing import temporary_database
from labelgen.spec import LabelSpec, load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "examples" / "hat-sen-say.yaml"
TARGETS = {"svg": "≤ 5 ms", "png": "≤ 0.7×", "pdf": "≤ 0.5×"}
RUN_TARGETS = {1000: 1000, 10_000: 2500}  # labels per second, whole process
# The plain run draws some 20-50 labels a second (qrcode encodes in pure Python), at the same
# rate at any count: above this many it is timed at this count and its rate carried over.
PLAIN_MAX = 1000
RUN_REPEATS = 5  # labelgen's runs per count, the median printed

PLAIN_HTML = jinja2.Template(
    """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@page { size: {{ width }}mm {{ height }}mm; margin: 0; bleed: 2mm; marks: crop }
body { margin: 0; font-family: "Be Vietnam Pro"; color: {{ text }}; background: {{ paper }} }
.band { background: {{ primary }}; color: #fff; height: 13mm; padding: 0 5mm;
        font-weight: 700; font-size: 11pt; line-height: 13mm }
h1 { margin: 3mm 5mm 0; font-size: 20pt; color: {{ primary }}; width: 60mm; line-height: 1.1 }
.en { margin: 0 5mm; font-style: italic; font-size: 7pt }
.net { margin: 1mm 5mm; font-size: 7pt } .net b { font-size: 14pt }
.qr { position: absolute; right: 5mm; bottom: 4mm; width: {{ qr_mm }}mm }
.qr svg { width: 100%; height: auto; display: block }
</style></head><body>
<div class="band">{{ brand }}</div><h1>{{ name }}</h1><p class="en">{{ name_en }}</p>
<p class="net">Khối lượng tịnh / Net weight: <b>{{ net }}</b></p>
<div class="qr">{{ qr | safe }}</div></body></html>""",
    autoescape=True,
)
PLAIN_SVG = jinja2.Template(
    """<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}mm" height="{{ height }}mm"
 viewBox="0 0 {{ width }} {{ height }}" font-family="Be Vietnam Pro">
<rect width="{{ width }}" height="{{ height }}" fill="{{ paper }}"/>
<rect width="{{ width }}" height="13" fill="{{ primary }}"/>
<text x="5" y="8.5" font-size="3.9" font-weight="700" fill="#FFFFFF">{{ brand }}</text>
<text x="5" y="22" font-size="7" font-weight="700" fill="{{ primary }}">{{ name }}</text>
<text x="5" y="27" font-size="2.5" font-style="italic" fill="{{ text }}">{{ name_en }}</text>
<text x="5" y="33" font-size="2.5" fill="{{ text }}">Khối lượng tịnh / Net weight:
<tspan font-size="5" font-weight="700">{{ net }}</tspan></text>
<g transform="translate({{ width - 5 - qr_mm }} {{ height - 4 - qr_mm }})">{{ qr | safe }}</g>
</svg>""",
    autoescape=True,
)


def interleaved_ms(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Each action's median, the actions taking turns so that machine noise hits all alike."""
    for action in actions.values():
        action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            samples[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def plain_context(spec: LabelSpec, layout: Layout) -> dict[str, object]:
    """What the plain stacks draw: the same texts and colours, and the same QR symbol."""
    assert layout.qr is not None
    symbol = layout.qr.symbol
    # Segno's own choice of version: it encodes the URL in one mode where labelgen mixes
    # segments, so it may need a version more for the same URL (both are printed).
    qr = segno.make(symbol.content, error=symbol.error_level, boost_error=False)
    colors = layout.colors
    return {
        "width": layout.width_mm,
        "height": layout.height_mm,
        "brand": spec.brand.name,
        "name": spec.product.name,
        "name_en": spec.product.name_en,
        "net": f"{spec.product.net_quantity.value} {spec.product.net_quantity.unit}",
        "primary": colors.primary,
        "text": colors.text,
        "paper": colors.background,
        "qr_mm": layout.qr.size_mm,
        "qr_version": f"{symbol.version} (plain: {qr.version})",
        "qr": qr.svg_inline(scale=layout.qr.module_mm, border=4, omitsize=False),
    }


def single_label(repeats: int) -> None:
    spec = load_spec(SPEC_PATH)
    front = spec.model_copy(update={"template": "ocop-classic"})
    layout = layout_label(front)
    context = plain_context(front, layout)

    def plain_svg() -> bytes:
        return PLAIN_SVG.render(context).encode()

    def plain_png() -> bytes:
        return cairosvg.svg2png(bytestring=PLAIN_SVG.render(context).encode(), dpi=300)

    def plain_pdf() -> bytes | None:
        return HTML(string=PLAIN_HTML.render(context)).write_pdf()

    layout_ms = median_ms(lambda: layout_label(front), repeats)
    print(
        f"one label: {SPEC_PATH.name} front (ocop-classic), QR version {context['qr_version']}, "
        f"median of {repeats} warm runs, interleaved; layout alone {layout_ms:.1f} ms"
    )
    print(f"{'output':<8}{'labelgen ms':>12}{'plain ms':>10}{'ratio':>8}  target")
    plain = {"svg": plain_svg, "png": plain_png, "pdf": plain_pdf}
    for output_format, peer in plain.items():
        figures = interleaved_ms(
            {
                "labelgen": lambda f=output_format: render(front, f),  # type: ignore[misc]
                "plain": peer,
            },
            repeats,
        )
        ours, theirs = figures["labelgen"], figures["plain"]
        print(
            f"{output_format:<8}{ours:>12.1f}{theirs:>10.1f}{ours / theirs:>8.2f}  "
            f"{TARGETS[output_format]}"
        )
    # The example as it is, a label set of two panels: two PDF pages.
    set_ms = median_ms(lambda: render(spec, "pdf"), repeats)
    print(f"the example's set (front + back), PDF of 2 pages: {set_ms:.1f} ms")


PLAIN_RUN = """
import base64, sys
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

count, output = int(sys.argv[1]), sys.argv[2]
key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
page = canvas.Canvas(output, pagesize=A4)
diameter, gap = 60 * mm, 4 * mm
columns = int((A4[0] - 10 * mm) // (diameter + gap))
rows = int((A4[1] - 10 * mm) // (diameter + gap))
for index in range(count):
    slot = index % (columns * rows)
    if index and slot == 0:
        page.showPage()
    x = 5 * mm + (slot % columns) * (diameter + gap)
    y = A4[1] - 5 * mm - (slot // columns + 1) * (diameter + gap)
    serial = f"S{index:09d}"
    message = f"08936012345674|L261120|{serial}".encode()
    signature = base64.urlsafe_b64encode(key.sign(message)).decode().rstrip("=")
    url = ("https://truyxuat.example.vn/01/08936012345674/10/L261120/21/" + serial
           + "?17=271120&s=4&8030=K1" + signature)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    page.setFillColorRGB(0.69, 0.19, 0.42)
    page.circle(x + diameter / 2, y + diameter / 2, diameter / 2, stroke=0, fill=1)
    page.setFillColorRGB(1, 0.97, 0.95)
    page.circle(x + diameter / 2, y + diameter / 2, diameter / 2 - 2 * mm, stroke=0, fill=1)
    page.setFillColorRGB(0, 0, 0)
    page.setFont("Helvetica-Bold", 7)
    page.drawCentredString(x + diameter / 2, y + diameter - 9 * mm, "Sen Hong Thap Muoi")
    page.setFont("Helvetica", 5)
    page.drawCentredString(x + diameter / 2, y + 8 * mm, serial)
    matrix = code.get_matrix()
    module = 22 * mm / len(matrix)
    left, top = x + diameter / 2 - 11 * mm, y + diameter / 2 + 11 * mm
    for row, cells in enumerate(matrix):
        column = 0
        while column < len(cells):
            if cells[column]:
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                page.rect(left + start * module, top - (row + 1) * module,
                          (column - start) * module, module, stroke=0, fill=1)
            else:
                column += 1
page.save()
print(code.version)
"""


def print_runs(counts: list[int]) -> None:
    print(
        f"print runs (whole process, RGB, A4), each a fresh process: labelgen the median of "
        f"{RUN_REPEATS} runs, the plain stack timed once (it varies little)"
    )
    print(
        f"{'labels':>8}{'labelgen s':>12}{'labels/s':>10}{'plain s':>9}{'labels/s':>10}{'ratio':>7}"
    )
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        spec_path = _round_jar_spec(directory)
        with temporary_database("sqlite", directory) as url:
            environment = cold_environment(directory, _registry_environment(url, directory))
            # A run of each first, untimed: it compiles the modules both go on to import (for
            # labelgen, a run big enough to start its worker processes, as the timed ones do).
            warm = [sys.executable, "-m", "labelgen.cli", "batch", str(spec_path), "--sheet", "A4"]
            _seconds([*warm, "--count", "300", "-o", str(directory / "warm.pdf")], environment)
            plain_warm = [sys.executable, "-c", PLAIN_RUN, "12", str(directory / "warm-plain.pdf")]
            _seconds(plain_warm, environment)
            for count in counts:
                command = [sys.executable, "-m", "labelgen.cli", "batch", str(spec_path)]
                command += ["--sheet", "A4", "--count", str(count)]
                samples = []
                for attempt in range(RUN_REPEATS):
                    output = directory / f"run-{count}-{attempt}.pdf"
                    samples.append(_seconds([*command, "-o", str(output)], environment))
                    for leftover in directory.glob(f"run-{count}-{attempt}*"):
                        leftover.unlink()
                ours = statistics.median(samples)
                peer_output = directory / f"plain-{count}.pdf"
                plain_count = min(count, PLAIN_MAX)
                theirs = _seconds(
                    [sys.executable, "-c", PLAIN_RUN, str(plain_count), str(peer_output)],
                    environment,
                ) * (count / plain_count)
                carried = f" (plain timed at {plain_count:,})" if plain_count < count else ""
                print(
                    f"{count:>8,}{ours:>12.2f}{count / ours:>10,.0f}{theirs:>9.2f}"
                    f"{count / theirs:>10,.0f}{ours / theirs:>7.2f}"
                    f"  target ≥ {RUN_TARGETS.get(count, 0):,}/s{carried}"
                    f"  (labelgen {min(samples):.2f}–{max(samples):.2f} s)"
                )


def _seconds(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{command[2]} failed:\n{completed.stdout}\n{completed.stderr}")
    return seconds


def cold_environment(folder: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (this process's environment) as an installed labelgen starts in: modules compiled
    once and kept (an install compiles them; PYTHONDONTWRITEBYTECODE would have every run
    compile them again, a tenth of a second and more), kept under `folder`, not in the tree."""
    environment = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if key != "PYTHONDONTWRITEBYTECODE"
    }
    environment["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return environment


def start_up(repeats: int) -> None:
    """Cold commands: a new interpreter each time (compiled modules and font caches kept; no
    registry set up, so `check` consults none), after one untimed run that compiles them."""
    labelgen = [sys.executable, "-m", "labelgen.cli"]
    with tempfile.TemporaryDirectory() as folder:
        environment = cold_environment(Path(folder))
        environment[DATA_DIR_VARIABLE] = f"{folder}/data"  # empty: no registry here
        commands = {
            "check": [*labelgen, "check", str(SPEC_PATH)],
            "render -o x.pdf": [*labelgen, "render", str(SPEC_PATH), "-o", f"{folder}/x.pdf"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for round_number in range(repeats + 1):
            for name, command in commands.items():
                started = time.perf_counter()
                completed = subprocess.run(command, env=environment, capture_output=True)
                seconds = time.perf_counter() - started
                if completed.returncode not in (0, 1):  # 1: a finding; the example has none
                    raise SystemExit(f"labelgen {name} failed:\n{completed.stderr.decode()}")
                if round_number:
                    samples[name].append(seconds)
    targets = {"check": 0.5, "render -o x.pdf": 0.8}
    for name, values in samples.items():
        print(
            f"cold `labelgen {name}`: {statistics.median(values):.2f} s "
            f"(median of {repeats}; target < {targets[name]} s)"
        )


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    counts = [int(value) for value in sys.argv[2:]] or [1000, 10_000]
    single_label(repeats)
    print()
    start_up(max(5, repeats // 4))
    print()
    print_runs(counts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
