"""Image helpers shared by the output tests: decoding, rasterising PDFs and comparing pictures."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass

import pikepdf
import zxingcpp
from PIL import Image, ImageChops, ImageFilter

MM_PER_INCH = 25.4
WHITE = (255, 255, 255)
INK_THRESHOLD = 24  # a channel this far from the background counts as ink, not noise


def open_png(data: bytes) -> Image.Image:
    """PNG bytes as a fully loaded PIL image."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def on_white(image: Image.Image) -> Image.Image:
    """`image` as RGB, transparent areas shown as white paper."""
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, WHITE)
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def expected_pixels(length_mm: float, dpi: float) -> int:
    """How many pixels `length_mm` spans at `dpi`."""
    return round(length_mm / MM_PER_INCH * dpi)


def decode_codes(image: Image.Image) -> dict[str, list[str]]:
    """Every barcode and QR code a real decoder finds, as {format name: [decoded texts]}."""
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(on_white(image)):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def rasterise_pdf(pdf: bytes, dpi: float) -> Image.Image:
    """The first page of `pdf` rasterised by poppler's pdftoppm, as RGB."""
    completed = subprocess.run(
        ["pdftoppm", "-r", f"{dpi:g}", "-png", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return open_png(completed.stdout).convert("RGB")


def trim_origin_px(pdf: bytes, dpi: float) -> tuple[int, int]:
    """Where the TrimBox's top-left corner falls on the first page rasterised at `dpi`."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        media_top = float(page.mediabox[3])
        media_left = float(page.mediabox[0])
        left, _, _, top = (float(value) for value in page.obj.TrimBox)
    return round((left - media_left) / 72 * dpi), round((media_top - top) / 72 * dpi)


def pdf_text(pdf: bytes) -> str:
    """The text layer of `pdf` as extracted by poppler's pdftotext (UTF-8)."""
    completed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return completed.stdout.decode("utf-8")


def ink_pixels(image: Image.Image, background: tuple[int, int, int] = WHITE) -> int:
    """Pixels of `image` (shown on white) that differ from `background` by more than a trace."""
    difference = ImageChops.difference(on_white(image), Image.new("RGB", image.size, background))
    return sum(largest_channel(difference).histogram()[INK_THRESHOLD + 1 :])


def largest_channel(image: Image.Image) -> Image.Image:
    """A greyscale image holding, per pixel, the largest of `image`'s channel values."""
    bands = image.split()
    largest = bands[0]
    for band in bands[1:]:
        largest = ImageChops.lighter(largest, band)
    return largest


@dataclass(frozen=True)
class ImageDifference:
    """How far two same-sized pictures are apart."""

    channel_means: tuple[float, ...]  # mean absolute difference of each channel, 0-255
    large_fraction: float  # share of pixels whose largest channel difference exceeds the threshold
    threshold: int
    diff: Image.Image  # the largest channel difference per pixel, amplified, for people to look at

    @property
    def worst_channel_mean(self) -> float:
        return max(self.channel_means)

    def describe(self) -> str:
        means = ", ".join(f"{mean:.2f}" for mean in self.channel_means)
        return (
            f"mean |diff| per channel [{means}], "
            f"{self.large_fraction:.3%} of pixels differ by more than {self.threshold}"
        )


def compare_images(
    actual: Image.Image, expected: Image.Image, *, threshold: int = 64, blur_px: float = 0.0
) -> ImageDifference:
    """Per-channel mean difference and share of strongly differing pixels of two images.

    Both must have the same size and mode. `blur_px` softens both first, so that anti-aliasing
    that differs by a pixel between renderers is not counted as a difference in content.
    """
    if actual.size != expected.size:
        raise ValueError(f"sizes differ: {actual.size} != {expected.size}")
    if actual.mode != expected.mode:
        raise ValueError(f"modes differ: {actual.mode} != {expected.mode}")
    if blur_px:
        actual = actual.filter(ImageFilter.GaussianBlur(blur_px))
        expected = expected.filter(ImageFilter.GaussianBlur(blur_px))
    difference = ImageChops.difference(actual, expected)
    bands = difference.split()
    pixel_count = actual.width * actual.height
    channel_means = tuple(
        sum(count * value for value, count in enumerate(band.histogram())) / pixel_count
        for band in bands
    )
    largest = largest_channel(difference)
    large_count = sum(largest.histogram()[threshold + 1 :])
    # White where the pictures agree, shading to red where they differ.
    faded = largest.point(lambda value: max(0, 255 - value * 4))
    diff = Image.merge("RGB", (Image.new("L", actual.size, 255), faded, faded))
    return ImageDifference(channel_means, large_count / pixel_count, threshold, diff)


def ink_bbox(
    image: Image.Image, box: tuple[int, int, int, int]
) -> tuple[int, int, int, int] | None:
    """Bounding box, relative to `box`, of what stands out from the commonest colour inside `box`
    (the local background: paper, or a coloured band behind light text)."""
    region = on_white(image.crop(box))
    counts = region.getcolors(region.width * region.height) or []
    background = max(counts)[1]
    difference = ImageChops.difference(region, Image.new("RGB", region.size, background))
    mask = largest_channel(difference).point(lambda value: 255 if value > 60 else 0)
    return mask.getbbox()
