"""Print PDFs → a simulated press (spread, blur, noise) and a 300 dpi bi-level raster → zxing-cpp decodes."""

from __future__ import annotations

import numpy as np
import pytest
import zxingcpp
from conftest import ALL_CASES, LabelCase
from imaging import rasterise_pdf
from PIL import Image, ImageFilter

from labelgen import codes

SPREAD_MM = 0.05  # ink spread on each edge of every dark area
BLUR_MM = 0.1
NOISE_LEVELS = 12  # standard deviation of grey-level noise (of 255)
SEEDS = range(4)
PRESS_DPI = 600
BILEVEL_DPI = 300  # a thermal printer's raster: every pixel inked or not
# The panels that carry the set's QR code (a hang tag's front leaves it to its back).
QR_CASE_IDS = [case.case_id for case in ALL_CASES if case.panel != "hang-tag"]


def pressed(image: Image.Image, dpi: int, seed: int) -> Image.Image:
    """`image` as a press would print it: dark areas spread, edges blurred, grain added."""
    pixels_per_mm = dpi / 25.4
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


def expected_ean(case: LabelCase) -> str:
    assert case.layout.barcode is not None
    return case.layout.barcode.symbol.digits


def test_print_pdfs_narrow_every_bar() -> None:
    assert 0 < codes.EAN_BAR_WIDTH_REDUCTION_MM < codes.EAN_MODULE_MM_MIN / 2


def test_every_ean_survives_the_simulated_press(barcode_case: LabelCase) -> None:
    layout = barcode_case.layout
    assert layout.barcode is not None
    raster = barcode_case.pdf_raster(PRESS_DPI)
    for seed in SEEDS:
        assert decoded(pressed(raster, PRESS_DPI, seed), zxingcpp.BarcodeFormat.EAN13) == [
            expected_ean(barcode_case)
        ], f"seed {seed}"


@pytest.mark.parametrize("case_id", QR_CASE_IDS)
def test_every_qr_survives_the_simulated_press(
    case_id: str, label_cases: dict[str, LabelCase]
) -> None:
    label_case = label_cases[case_id]
    layout = label_case.layout
    assert layout.qr is not None
    raster = label_case.pdf_raster(PRESS_DPI)
    for seed in SEEDS:
        assert decoded(pressed(raster, PRESS_DPI, seed), zxingcpp.BarcodeFormat.QRCode) == [
            layout.qr.symbol.content
        ], f"seed {seed}"


def test_every_code_decodes_from_a_300_dpi_bilevel_raster(label_case: LabelCase) -> None:
    layout = label_case.layout
    raster = bilevel(rasterise_pdf(label_case.pdf, BILEVEL_DPI))
    if layout.barcode is not None:
        assert decoded(raster, zxingcpp.BarcodeFormat.EAN13) == [expected_ean(label_case)]
    if layout.qr is not None:
        assert decoded(raster, zxingcpp.BarcodeFormat.QRCode) == [layout.qr.symbol.content]
