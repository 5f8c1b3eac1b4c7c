"""Benchmark: one ocop-classic label → SVG, PNG (300 dpi) and PDF in a warm process, beside the
bare CairoSVG and WeasyPrint calls on the same SVG, with the layout (fitting the text) and the
export of the laid-out label timed apart. Prints figures only; `bench_peers.py` measures
labelgen against the plain stacks a developer would write instead."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cairosvg
from weasyprint import HTML

from labelgen import export  # noqa: F401  (points fontconfig at the bundled fonts first)
from labelgen.draw import draw_svg, print_margin_mm
from labelgen.export import export_pdf, export_png, export_svg
from labelgen.layout import layout_label
from labelgen.pipeline import render
from labelgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "examples" / "hat-sen-say.yaml"
TARGETS_MS = {"svg": 5.0, "png": 60.0, "pdf": 30.0}


def median_ms(action: Callable[[], object], repeats: int) -> float:
    action()  # warm caches (fonts, shaping, templates) before timing
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    # One label, the example's front: the example itself is a two-panel set, and the bare
    # library calls below draw one page.
    spec = load_spec(SPEC_PATH).model_copy(update={"template": "ocop-classic"})
    layout = layout_label(spec)
    # The bare calls get the very SVG our exporters hand to each library.
    png_svg = draw_svg(layout, embed_fonts=False, pin_words=True).encode()
    print_svg = draw_svg(layout, for_print=True, embed_fonts=False)
    margin_mm = print_margin_mm(layout)
    page = f"{layout.width_mm + 2 * margin_mm}mm {layout.height_mm + 2 * margin_mm}mm"
    html = f"<style>@page{{size:{page};margin:0}}body{{margin:0}}</style>{print_svg}"

    def bare_png() -> bytes:
        return cairosvg.svg2png(bytestring=png_svg, dpi=300)

    def bare_pdf() -> bytes | None:
        return HTML(string=html).write_pdf()

    print(f"ocop-classic, {SPEC_PATH.name}, median of {repeats} warm runs")
    layout_ms = median_ms(lambda: layout_label(spec), repeats)
    print(f"layout alone (the text fitted, codes placed): {layout_ms:.1f} ms")
    exporters = {
        "svg": lambda: export_svg(layout),
        "png": lambda: export_png(layout),
        "pdf": lambda: export_pdf(layout),
    }
    exports = {name: median_ms(action, repeats) for name, action in exporters.items()}
    print("export alone: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in exports.items()))
    print(f"{'output':<8}{'labelgen ms':>12}{'bare ms':>10}{'ratio':>8}{'target ms':>11}")
    bare = {"svg": None, "png": median_ms(bare_png, repeats), "pdf": median_ms(bare_pdf, repeats)}
    for output_format in ("svg", "png", "pdf"):
        ours = median_ms(lambda f=output_format: render(spec, f), repeats)  # type: ignore[misc]
        baseline = bare[output_format]
        ratio = f"{ours / baseline:.2f}" if baseline else "-"
        baseline_text = f"{baseline:.1f}" if baseline else "-"
        target = TARGETS_MS[output_format]
        verdict = "ok" if ours <= target else "OVER"
        print(
            f"{output_format:<8}{ours:>12.1f}{baseline_text:>10}{ratio:>8}{target:>9.0f} {verdict}"
        )
    # A serialised unit changes the QR every time, so nothing about the code can be cached.
    serials = iter(range(10**9))
    fresh = median_ms(lambda: render(spec, "svg", serial=f"S{next(serials):08d}"), repeats)
    print(f"{'svg, new serial each run':<26}{fresh:>6.1f} ms (QR encoded each time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
