"""One drawing, three renderers: the screen SVG drawn by CairoSVG (the PNG exporter), by
WeasyPrint (the print PDF, rasterised by pdftoppm and cut at its TrimBox) and by headless
Chromium (what a browser shows) must give nearly the same picture.

Everything is compared at 6 pixels per millimetre (152.4 dpi), so every template edge and the
PDF's 11 mm print margin fall on whole pixels and no resampling is needed to align the images.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cairosvg
import pytest
from imaging import (
    compare_images,
    decode_codes,
    ink_bbox,
    on_white,
    open_png,
    trim_origin_px,
)
from PIL import Image

from labelgen.fonts import DEFAULT_FAMILY, MM_PER_PT
from labelgen.layout import Layout

if TYPE_CHECKING:
    from conftest import LabelCase
    from playwright.sync_api import Browser

PX_PER_MM = 6
DPI = 25.4 * PX_PER_MM
CSS_PX_PER_MM = 96 / 25.4
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass(frozen=True)
class Tolerance:
    """How far two renderers may differ.

    Pictures are compared after a Gaussian blur of 1.5 px (0.25 mm) on both, so anti-aliasing
    that differs by a pixel does not count: `max_large_fraction` bounds the share of pixels more
    than 64 levels apart, `max_channel_mean` the mean difference of the worst channel. Text lines
    are checked one by one, because a missing line, a fallback font or a wrong size is too small
    to move the whole-picture numbers: each line's ink starts within `EDGE_SLACK_PX` and ends
    within `width_slack` of its set width (plus `EDGE_SLACK_PX`) of the other renderer's.
    """

    max_large_fraction: float
    max_channel_mean: float
    width_slack: float


# CairoSVG places each glyph by cairo's hinted advance (rounded to device pixels), so its lines of
# small text end up to 5.8 % of their width away from the HarfBuzz-shaped lines of WeasyPrint and
# Chromium on the bundled examples at this resolution; that leaves 1.0-1.6 % of pixels over the
# threshold and channel means up to 7. A missing QR code (5.5-8 %), the artwork moved by 0.5 mm
# (6.4-9.5 %) or a dropped line of text still fails.
AGAINST_CAIROSVG = Tolerance(max_large_fraction=0.03, max_channel_mean=10.0, width_slack=0.07)
# WeasyPrint and Chromium both shape with HarfBuzz and keep fractional advances: their lines end
# within 1 px of each other and at most 0.5 % of pixels differ. Chromium falling back to a system
# font (no @font-face) makes lines 7-16 % shorter and 4.6 % of pixels differ.
BETWEEN_HARFBUZZ_RENDERERS = Tolerance(
    max_large_fraction=0.01, max_channel_mean=6.0, width_slack=0.01
)
BLUR_PX = 1.5
EDGE_SLACK_PX = 2
MAX_WIDTH_SLACK = max(AGAINST_CAIROSVG.width_slack, BETWEEN_HARFBUZZ_RENDERERS.width_slack)


@dataclass(frozen=True)
class LineBand:
    """Where one set line of text should be: from its start to its measured end, and from
    about the cap height down to the baseline (marks and descenders of the neighbours stay out)."""

    text: str
    width_mm: float
    box: tuple[int, int, int, int]


def line_bands(layout: Layout) -> Iterator[LineBand]:
    # The band stops short of the label's edge (a shaped die line is drawn there) and starts
    # below the cap height, so that whether a capital's top reaches its first row does not
    # depend on how each renderer rounds it.
    right_edge_px = round(layout.width_mm * PX_PER_MM) - EDGE_SLACK_PX
    for block in layout.texts:
        for line in block.lines:
            x_mm = block.line_x_mm(line)
            baseline_mm = block.top_mm + line.baseline_mm
            em_mm = line.font_size_pt * MM_PER_PT
            box = (
                round((x_mm - 1.0) * PX_PER_MM),
                round((baseline_mm - 0.6 * em_mm) * PX_PER_MM),
                min(
                    round((x_mm + line.width_mm * (1 + MAX_WIDTH_SLACK) + 1.0) * PX_PER_MM),
                    right_edge_px,
                ),
                round(baseline_mm * PX_PER_MM),
            )
            yield LineBand("".join(run.text for run in line.runs), line.width_mm, box)


def label_size_px(layout: Layout) -> tuple[int, int]:
    return round(layout.width_mm * PX_PER_MM), round(layout.height_mm * PX_PER_MM)


class PrintAndPngRenders:
    """CairoSVG and WeasyPrint pictures of each case at the comparison resolution, made once."""

    def __init__(self) -> None:
        self._cairosvg: dict[str, Image.Image] = {}
        self._weasyprint: dict[str, Image.Image] = {}

    def cairosvg(self, case: LabelCase) -> Image.Image:
        """The screen SVG (`export_svg`) drawn by CairoSVG, on white."""
        if case.case_id not in self._cairosvg:
            png = cairosvg.svg2png(bytestring=case.svg, dpi=DPI)
            self._cairosvg[case.case_id] = on_white(open_png(png))
        return self._cairosvg[case.case_id]

    def weasyprint(self, case: LabelCase) -> Image.Image:
        """The print PDF (drawn by WeasyPrint) rasterised by pdftoppm, cut at its TrimBox."""
        if case.case_id not in self._weasyprint:
            page_image = case.pdf_raster(DPI)
            left_px, top_px = trim_origin_px(case.pdf, DPI)
            width_px, height_px = label_size_px(case.layout)
            trimmed = page_image.crop((left_px, top_px, left_px + width_px, top_px + height_px))
            self._weasyprint[case.case_id] = trimmed
        return self._weasyprint[case.case_id]


@pytest.fixture(scope="session")
def renders() -> PrintAndPngRenders:
    return PrintAndPngRenders()


def assert_renders_agree(
    actual: Image.Image,
    reference: Image.Image,
    layout: Layout,
    tolerance: Tolerance,
    what: str,
) -> None:
    assert actual.size == reference.size, f"{what}: {actual.size} != {reference.size}"
    difference = compare_images(actual, reference, blur_px=BLUR_PX)
    assert difference.large_fraction < tolerance.max_large_fraction, (
        f"{what}: {difference.describe()}"
    )
    assert difference.worst_channel_mean < tolerance.max_channel_mean, (
        f"{what}: {difference.describe()}"
    )
    problems = []
    for band in line_bands(layout):
        found, expected = ink_bbox(actual, band.box), ink_bbox(reference, band.box)
        if expected is None or found is None:
            if found != expected:
                problems.append(f"{band.text!r}: ink in only one picture ({found} / {expected})")
            continue
        width_slack_px = tolerance.width_slack * band.width_mm * PX_PER_MM + EDGE_SLACK_PX
        if (
            abs(found[0] - expected[0]) > EDGE_SLACK_PX
            or abs(found[1] - expected[1]) > EDGE_SLACK_PX
        ):
            problems.append(f"{band.text!r}: starts at {found[:2]}, expected {expected[:2]}")
        if abs(found[2] - expected[2]) > width_slack_px:
            problems.append(f"{band.text!r}: ends at x={found[2]}, expected {expected[2]}")
    assert not problems, f"{what}: text lines differ:\n" + "\n".join(problems)


def test_cairosvg_renders_at_the_comparison_size(
    label_case: LabelCase, renders: PrintAndPngRenders
) -> None:
    assert renders.cairosvg(label_case).size == label_size_px(label_case.layout)


def test_weasyprint_agrees_with_cairosvg(
    label_case: LabelCase, renders: PrintAndPngRenders
) -> None:
    what = f"{label_case.case_id}, WeasyPrint PDF vs CairoSVG"
    assert_renders_agree(
        renders.weasyprint(label_case),
        renders.cairosvg(label_case),
        label_case.layout,
        AGAINST_CAIROSVG,
        what,
    )


# --- headless Chromium ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowserShot:
    picture: Image.Image
    requested_urls: tuple[str, ...]
    font_faces: tuple[str, ...]  # "family weight style status" of each FontFace in the document


class ChromiumCamera:
    """Screenshots of each case's screen SVG, inline in an HTML page, at 6 device pixels per mm."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._shots: dict[str, BrowserShot] = {}

    def shot(self, case: LabelCase) -> BrowserShot:
        if case.case_id not in self._shots:
            self._shots[case.case_id] = self._take(case)
        return self._shots[case.case_id]

    def _take(self, case: LabelCase) -> BrowserShot:
        width_px, height_px = label_size_px(case.layout)
        page = self._browser.new_page(
            device_scale_factor=PX_PER_MM / CSS_PX_PER_MM,
            viewport={
                "width": int(case.layout.width_mm * CSS_PX_PER_MM) + 20,
                "height": int(case.layout.height_mm * CSS_PX_PER_MM) + 20,
            },
        )
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        try:
            page.set_content(
                "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
                "html,body{margin:0;padding:0;background:#FFFFFF}svg{display:block}"
                f"</style></head><body>{case.svg.decode('utf-8')}</body></html>"
            )
            page.evaluate("document.fonts.ready.then(() => true)")
            faces = page.evaluate(
                "[...document.fonts].map(f => [f.family, f.weight, f.style, f.status].join(' '))"
            )
            screenshot = page.locator("svg").screenshot(type="png", animations="disabled")
        finally:
            page.close()
        picture = on_white(open_png(screenshot))
        assert picture.width >= width_px and picture.height >= height_px, (
            f"screenshot {picture.size} is smaller than the label {(width_px, height_px)}"
        )
        # The element's box may round up by one device pixel; the label starts at (0, 0).
        return BrowserShot(
            picture.crop((0, 0, width_px, height_px)), tuple(requested), tuple(faces)
        )


@pytest.fixture(scope="session")
def chromium(chromium_browser: Browser) -> ChromiumCamera:
    """The session's Chromium (see conftest), which draws with the SVG's embedded fonts only."""
    return ChromiumCamera(chromium_browser)


@pytest.mark.browser
def test_chromium_uses_only_the_embedded_fonts(
    label_case: LabelCase, chromium: ChromiumCamera
) -> None:
    shot = chromium.shot(label_case)
    external = [url for url in shot.requested_urls if not url.startswith("data:")]
    assert not external, f"the page fetched {external}"
    declared = len(re.findall(r"@font-face", label_case.svg.decode("utf-8")))
    assert len(shot.font_faces) == declared, shot.font_faces
    for face in shot.font_faces:
        assert face.endswith(" loaded"), shot.font_faces
        assert face.replace('"', "").startswith(f"{DEFAULT_FAMILY} "), shot.font_faces


@pytest.mark.browser
def test_chromium_agrees_with_cairosvg(
    label_case: LabelCase, chromium: ChromiumCamera, renders: PrintAndPngRenders
) -> None:
    what = f"{label_case.case_id}, Chromium vs CairoSVG"
    assert_renders_agree(
        chromium.shot(label_case).picture,
        renders.cairosvg(label_case),
        label_case.layout,
        AGAINST_CAIROSVG,
        what,
    )


@pytest.mark.browser
def test_chromium_agrees_with_weasyprint(
    label_case: LabelCase, chromium: ChromiumCamera, renders: PrintAndPngRenders
) -> None:
    what = f"{label_case.case_id}, Chromium vs WeasyPrint PDF"
    assert_renders_agree(
        chromium.shot(label_case).picture,
        renders.weasyprint(label_case),
        label_case.layout,
        BETWEEN_HARFBUZZ_RENDERERS,
        what,
    )


@pytest.mark.browser
def test_qr_decodes_from_chromium(label_case: LabelCase, chromium: ChromiumCamera) -> None:
    found = decode_codes(chromium.shot(label_case).picture)
    layout = label_case.layout
    expected = [layout.qr_content] if layout.qr is not None else None  # a tag's front has none
    assert "qr" not in layout.manifest.graphic_slots or expected is not None
    assert found.get("QRCode") == expected, (
        f"{label_case.case_id}: decoded {found} from the Chromium screenshot"
    )
