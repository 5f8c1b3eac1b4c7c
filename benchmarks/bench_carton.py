"""Benchmark: one carton (the lotus tea RTE box) → dieline PDF, CMYK PDF/X-4, flat PNG and
folded PNG, beside one label's PDF in the same warm process, with the stages of the carton timed
on their own, and the flat's PDF page drawn by the PDF writer beside the same page drawn by
WeasyPrint (the route a drawing the writer refuses still takes). Prints figures only."""

from __future__ import annotations

import sys
from pathlib import Path

from bench_render import median_ms

from labelgen import export  # noqa: F401  (points fontconfig at the bundled fonts first)
from labelgen.packaging.artwork import check_carton, layout_carton
from labelgen.packaging.flat import draw_flat_svg
from labelgen.packaging.folded import render_folded_png, render_listing_png
from labelgen.packaging.pdf import export_carton_pdf, flat_page_pdf, weasyprint_flat_pdf
from labelgen.pipeline import render
from labelgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
CARTON_SPEC = ROOT / "examples" / "tra-sen-box.yaml"
LABEL_SPEC = ROOT / "examples" / "hat-sen-say.yaml"


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    carton_spec = load_spec(CARTON_SPEC)
    label_spec = load_spec(LABEL_SPEC).model_copy(update={"template": "ocop-classic"})
    carton = layout_carton(carton_spec)
    rows = [
        ("label: ocop-classic → PDF", lambda: render(label_spec, "pdf")),
        ("carton: spec → PDF (whole route)", lambda: render(carton_spec, "pdf")),
        ("carton: spec → folded PNG 1600 px", lambda: render(carton_spec, "png", view="folded")),
        ("  layout of the 5 faces", lambda: layout_carton(carton_spec)),
        ("  compliance over the box", lambda: check_carton(carton)),
        ("  dieline PDF (RGB)", lambda: export_carton_pdf(carton)),
        ("  dieline PDF (CMYK, PDF/X-4)", lambda: export_carton_pdf(carton, cmyk=True)),
        ("  flat PDF page: PDF writer", lambda: flat_page_pdf(carton, "print")),
        (
            "  flat PDF page: WeasyPrint",
            lambda: weasyprint_flat_pdf(carton, "print", draw_flat_svg(carton, "print")),
        ),
        ("  folded PNG 1600 px", lambda: render_folded_png(carton)),
        ("  listing PNG 1200 × 1200", lambda: render_listing_png(carton)),
        ("carton: flat PNG 150 dpi", lambda: render(carton_spec, "png", dpi=150)),
    ]
    print(f"{CARTON_SPEC.name} (reverse-tuck-end 90 × 50 × 140 mm) and {LABEL_SPEC.name}")
    print(f"median of {repeats} warm runs each")
    print(f"{'what':<40}{'ms':>10}")
    for name, action in rows:
        print(f"{name:<40}{median_ms(action, repeats):>10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
