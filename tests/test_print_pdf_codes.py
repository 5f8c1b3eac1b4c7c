"""Print PDFs → a simulated press (spread, blur, noise) and 300 dpi bi-level rasters → zxing-cpp
decodes every code of every panel of every template.

A scanner reads one code at a time, aimed at it: each code is cut from the page with its quiet
zone and a few millimetres around it before it is decoded. (Handed a whole page, zxing-cpp
samples rows across all of it, and whether a 26 mm barcode on a 120 mm page is found then
depends on which rows the sampling hits, not on the print.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import zxingcpp
from conftest import ALL_CASES, LabelCase, panel_layout
from imaging import rasterise_pdf, trim_origin_px
from PIL import Image, ImageFilter

from labelgen import codes
from labelgen.export import export_pdf
from labelgen.layout import Layout
from labelgen.templates import Box

SPREAD_MM = 0.05  # ink spread on each edge of every dark area
BLUR_MM = 0.1
NOISE_LEVELS = 12  # standard deviation of grey-level noise (of 255)
SEEDS = range(4)
PRESS_DPI = 600
BILEVEL_DPI = 300  # a thermal printer's raster: every pixel inked or not
AIM_MARGIN_MM = 3.0  # what a scanner aimed at a code sees around its quiet zone
THERMAL = "thermal-300dpi"
CASE_IDS = [case.case_id for case in ALL_CASES]


@dataclass(frozen=True)
class PrintedCode:
    """One code on a panel: its zxing-cpp format, what it must read, where it is (trim mm)."""

    name: str
    code_format: zxingcpp.BarcodeFormat
    text: str
    box: Box
    module_mm: float


def printed_codes(layout: Layout) -> list[PrintedCode]:
    """The EAN-13 and the QR of a panel, each with its quiet zone."""
    found = []
    if layout.barcode is not None:
        barcode = layout.barcode
        # Guard bars and digits reach below the data bars: take the nominal symbol's height.
        height_mm = barcode.bar_height_mm * 1.2
        box = Box(
            x_mm=barcode.x_mm, y_mm=barcode.y_mm, width_mm=barcode.width_mm, height_mm=height_mm
        )
        found.append(
            PrintedCode(
                "EAN-13",
                zxingcpp.BarcodeFormat.EAN13,
                barcode.symbol.digits,
                box,
                barcode.module_mm,
            )
        )
    if layout.qr is not None:
        qr = layout.qr
        box = Box(x_mm=qr.x_mm, y_mm=qr.y_mm, width_mm=qr.size_mm, height_mm=qr.size_mm)
        found.append(
            PrintedCode("QR", zxingcpp.BarcodeFormat.QRCode, qr.symbol.content, box, qr.module_mm)
        )
    return found


def aimed_at(page: Image.Image, pdf: bytes, dpi: float, box: Box) -> Image.Image:
    """The part of the rasterised page a scanner aimed at `box` sees."""
    left_px, top_px = trim_origin_px(pdf, dpi)
    px_per_mm = dpi / codes.MM_PER_INCH

    def px(mm: float) -> int:
        return round(mm * px_per_mm)

    margin = AIM_MARGIN_MM
    return page.crop(
        (
            max(0, left_px + px(box.x_mm - margin)),
            max(0, top_px + px(box.y_mm - margin)),
            min(page.width, left_px + px(box.right_mm + margin)),
            min(page.height, top_px + px(box.bottom_mm + margin)),
        )
    )


def pressed(image: Image.Image, dpi: float, seed: int) -> Image.Image:
    """`image` as a press would print it: dark areas spread, edges blurred, grain added."""
    pixels_per_mm = dpi / codes.MM_PER_INCH
    spread = max(1, round(SPREAD_MM * pixels_per_mm))
    grey = image.convert("L").filter(ImageFilter.MinFilter(2 * spread + 1))
    grey = grey.filter(ImageFilter.GaussianBlur(BLUR_MM * pixels_per_mm))
    noise = np.random.default_rng(seed).normal(0, NOISE_LEVELS, (grey.height, grey.width))
    noisy = np.asarray(grey, dtype=np.float64) + noise
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def bilevel(image: Image.Image) -> Image.Image:
    return image.convert("L").point(lambda value: 255 if value > 127 else 0)


def decoded(image: Image.Image, code_format: zxingcpp.BarcodeFormat) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image, formats=code_format)]


def thermal_layout(case: LabelCase) -> Layout:
    """The case's panel laid out for a 300 dpi thermal printer."""
    spec = case.spec.model_copy(update={"print_process": THERMAL})
    return panel_layout(spec, case.panel)


def test_print_processes_narrow_bars_less_than_half_the_smallest_module() -> None:
    for process in codes.PRINT_PROCESSES.values():
        assert 0 <= process.bar_width_reduction_mm < codes.EAN_MODULE_MM_MIN / 2
    assert codes.PRINT_PROCESSES[codes.DEFAULT_PRINT_PROCESS].bar_width_reduction_mm > 0


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_code_survives_the_simulated_press(
    case_id: str, label_cases: dict[str, LabelCase]
) -> None:
    case = label_cases[case_id]
    page = case.pdf_raster(PRESS_DPI)
    for code in printed_codes(case.layout):
        view = aimed_at(page, case.pdf, PRESS_DPI, code.box)
        for seed in SEEDS:
            assert decoded(pressed(view, PRESS_DPI, seed), code.code_format) == [code.text], (
                f"{code.name}, seed {seed}"
            )


def test_every_panel_with_a_code_slot_prints_its_code() -> None:
    """The press tests above cover every code: none is left off a panel that has its slot."""
    for case in ALL_CASES:
        slots = case.layout.manifest.graphic_slots
        names = {code.name for code in printed_codes(case.layout)}
        assert ("EAN-13" in names) == ("barcode" in slots), case.case_id
        assert ("QR" in names) == ("qr" in slots), case.case_id


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_code_decodes_from_a_300_dpi_bilevel_raster(
    case_id: str, label_cases: dict[str, LabelCase]
) -> None:
    """An offset PDF printed as it is on a thermal printer: no degradation, whole pixels."""
    case = label_cases[case_id]
    page = bilevel(rasterise_pdf(case.pdf, BILEVEL_DPI))
    for code in printed_codes(case.layout):
        view = aimed_at(page, case.pdf, BILEVEL_DPI, code.box)
        assert decoded(view, code.code_format) == [code.text], code.name


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_thermal_codes_survive_a_pressed_300_dpi_bilevel_raster(
    case_id: str, label_cases: dict[str, LabelCase]
) -> None:
    """Laid out for a 300 dpi thermal head (modules in whole dots), printed at 300 dpi with the
    same spread, blur and noise, then every pixel inked or not."""
    case = label_cases[case_id]
    layout = thermal_layout(case)
    dot_mm = codes.MM_PER_INCH / BILEVEL_DPI
    pdf = export_pdf(layout)
    page = rasterise_pdf(pdf, BILEVEL_DPI)
    for code in printed_codes(layout):
        dots = code.module_mm / dot_mm
        assert dots == pytest.approx(round(dots), abs=1e-6), f"{code.name}: {dots} dots"
        view = aimed_at(page, pdf, BILEVEL_DPI, code.box)
        for seed in SEEDS:
            assert decoded(bilevel(pressed(view, BILEVEL_DPI, seed)), code.code_format) == [
                code.text
            ], f"{code.name}, seed {seed}"
