"""The designer with a carton: a spec loaded with `package:`, or a carton made in the form from
the default label; the flat dieline and the folded box previewed, the files downloaded."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from annotated_types import Ge, Le
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from test_designer_browser import (  # noqa: F401  (the server and browser fixtures)
    DESKTOP,
    LiveServer,
    browser,
    expect_verdict,
    open_context,
    previews_drawn,
    saved_spec,
    server,
    watch_page,
)

from labelgen.packaging import build_dieline
from labelgen.service.pages import designer_page
from labelgen.spec import Package

pytestmark = pytest.mark.browser

BOX = Path(__file__).resolve().parents[1] / "examples" / "tra-sen-box.yaml"
BLEED_MM = 3.0
MM_TO_PT = 72 / 25.4
CARTON_FIELDS = ("length_mm", "width_mm", "depth_mm", "board_mm")


def test_a_carton_is_previewed_flat_and_folded(server: LiveServer, browser: Browser) -> None:  # noqa: F811
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(BOX))
    expect_verdict(page, "compliant")
    previews_drawn(page, ["flat", "folded"])
    expect(page.locator(".preview-caption .preview-side")).to_have_text(
        ["Hộp trải phẳng (đường bế)", "Hộp đã gấp"]
    )
    assert any("view=folded" in url for url in log.requests)
    assert any("view=flat" in url for url in log.requests)
    # The folded picture is wider than it is tall's half: a box, not a strip of the flat.
    size = page.evaluate(
        "() => { const img = document.querySelector(\"[data-panel='folded'] img\");"
        " return [img.naturalWidth, img.naturalHeight]; }"
    )
    assert size[1] > size[0] > 300

    # One file of each format, the flat: the previews are two views of one carton.
    expect(page.locator("#download-set-note")).to_be_hidden()
    with page.expect_download() as pdf_download:
        page.click("button.download[data-format='pdf']")
    pdf = Path(pdf_download.value.path()).read_bytes()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        assert "/TrimBox" in document.pages[0].obj
    log.assert_clean()
    context.close()


def flat_ratio(page: Page) -> float:
    size = page.evaluate(
        "() => { const img = document.querySelector(\"[data-panel='flat'] img\");"
        " return [img.naturalWidth, img.naturalHeight]; }"
    )
    return float(size[0]) / float(size[1])


def drawn_ratio(package: Package) -> float:
    """The flat preview's width / height: the blank and its bleed all round."""
    dieline = build_dieline(package)
    return (dieline.width_mm + 2 * BLEED_MM) / (dieline.height_mm + 2 * BLEED_MM)


def wait_for_flat(page: Page, ratio: float) -> None:
    """Wait until the flat preview drawn is the blank of `ratio` (its width over its height)."""
    page.wait_for_function(
        """(ratio) => {
            const stage = document.getElementById('preview-stage');
            const img = document.querySelector("[data-panel='flat'] img");
            const folded = document.querySelector("[data-panel='folded'] img");
            return stage.dataset.state === 'final' && !stage.dataset.busy && img && !img.hidden
              && img.complete && img.naturalWidth > 0 && folded && folded.naturalWidth > 0
              && Math.abs(img.naturalWidth / img.naturalHeight - ratio) < 0.01 * ratio;
        }""",
        arg=ratio,
        timeout=60_000,
    )


def download(page: Page, selector: str) -> tuple[str, bytes]:
    with page.expect_download() as file:
        page.click(selector)
    return file.value.suggested_filename, Path(file.value.path()).read_bytes()


def trim_size_mm(pdf: bytes) -> tuple[float, float]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
        box = [float(value) for value in document.pages[0].obj["/TrimBox"]]
        return (box[2] - box[0]) / MM_TO_PT, (box[3] - box[1]) / MM_TO_PT


def test_a_producer_makes_a_carton_from_the_form(
    server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.click("#load-example")
    expect_verdict(page, "compliant")
    previews_drawn(page, ["ocop-classic", "back-panel"])
    expect(page.locator("#carton-fields")).to_be_hidden()

    # A carton, chosen by keyboard as a producer without a mouse would: its fields appear with
    # a tea box's sizes, the label cards go, and the preview becomes the flat and folded box.
    page.focus("#f-packaging-label")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#f-packaging-carton")).to_be_checked()
    expect(page.locator("#carton-fields")).to_be_visible()
    expect(page.locator("#label-templates")).to_be_hidden()
    expect(page.locator("#print-run")).to_be_hidden()  # runs serialise labels, not cartons
    expect(page.locator("#f-package-style")).to_have_value("reverse-tuck-end")
    start = Package(style="reverse-tuck-end", length_mm=90, width_mm=50, depth_mm=140)
    wait_for_flat(page, drawn_ratio(start))
    previews_drawn(page, ["flat", "folded"])
    expect(page.locator(".preview-caption .preview-side")).to_have_text(
        ["Hộp trải phẳng (đường bế)", "Hộp đã gấp"]
    )
    expect(page.locator("#f-package-style option")).to_have_text(
        [
            "Hộp nắp gài ngược chiều",
            "Hộp nắp gài cùng chiều",
            "Hộp đáy khóa tự động",
            "Vỏ hộp lồng (ống hở hai đầu)",
        ]
    )

    # A size out of range is named under its own input, as every field's problem is.
    page.fill("#f-package-length-mm", "5")
    expect_verdict(page, "invalid")
    expect(page.locator("#f-package-length-mm-findings")).to_contain_text("Phải từ 20 trở lên.")
    expect(page.locator("#f-package-length-mm")).to_have_attribute("aria-invalid", "true")

    # Another style and sizes: the previews follow, the flat as wide as the new blank.
    page.select_option("#f-package-style", "crash-lock")
    page.fill("#f-package-length-mm", "150")
    page.fill("#f-package-depth-mm", "100")
    page.fill("#f-package-board-mm", "0.5")
    before = flat_ratio(page)
    box = Package(style="crash-lock", length_mm=150, width_mm=50, depth_mm=100, board_mm=0.5)
    expect_verdict(page, "compliant")
    wait_for_flat(page, drawn_ratio(box))
    assert abs(flat_ratio(page) - before) > 0.2
    expect(page.locator("#f-package-length-mm")).not_to_have_attribute("aria-invalid", "true")

    # The die-cutter's PDF, RGB then CMYK: one page whose TrimBox is the blank's flat size.
    dieline = build_dieline(box)
    name, pdf = download(page, "button.download[data-format='pdf']")
    assert name.endswith(".pdf")
    assert trim_size_mm(pdf) == pytest.approx((dieline.width_mm, dieline.height_mm), abs=0.05)
    page.check("#pdf-kind-cmyk")
    name, pdf = download(page, "button.download[data-format='pdf']")
    assert name.endswith("-cmyk.pdf")
    assert trim_size_mm(pdf) == pytest.approx((dieline.width_mm, dieline.height_mm), abs=0.05)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert "/OutputIntents" in document.Root

    # The folded box and the square listing image, for a marketplace.
    name, folded = download(page, "button.download[data-view='folded']:not([data-listing])")
    assert name.endswith("-folded.png")
    with Image.open(io.BytesIO(folded)) as image:
        assert image.width == 1600
    name, listing = download(page, "button.download[data-listing]")
    assert name.endswith("-listing.png")
    with Image.open(io.BytesIO(listing)) as image:
        assert image.size == (1200, 1200)

    spec: dict[str, Any] = saved_spec(page, tmp_path, "carton.json")
    assert spec["template"] == "carton-classic"
    assert spec["package"] == {
        "style": "crash-lock",
        "length_mm": 150,
        "width_mm": 50,
        "depth_mm": 100,
        "board_mm": 0.5,
    }

    # Back to a label: the label set returns, without the package.
    page.click("label.segment:has(#f-packaging-label)")
    expect(page.locator("#carton-fields")).to_be_hidden()
    expect(page.locator("#print-run")).to_be_visible()
    previews_drawn(page, ["ocop-classic", "back-panel"])
    expect(page.locator("button.download[data-carton]")).to_have_count(2)
    expect(page.locator("button.download[data-carton]").first).to_be_hidden()
    spec = saved_spec(page, tmp_path, "label.json")
    assert "package" not in spec
    assert spec["template"] == ["ocop-classic", "back-panel"]
    log.assert_clean()
    context.close()


def test_the_carton_fields_accept_what_the_spec_accepts() -> None:
    """The inputs' limits are Package's: a size the page offers is one the spec takes."""
    html = bytes(designer_page().body).decode("utf-8")
    for name in CARTON_FIELDS:
        tag = re.search(rf'<input[^>]*data-path="package\.{name}"[^>]*>', html)
        assert tag is not None, name
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag.group(0)))
        limits = {type(item): item for item in Package.model_fields[name].metadata}
        assert float(attributes["min"]) == limits[Ge].ge, name
        assert float(attributes["max"]) == limits[Le].le, name
        # The default shown is a size the spec takes; the board's is the spec's own default.
        assert limits[Ge].ge <= float(attributes["value"]) <= limits[Le].le, name
        if name == "board_mm":
            assert float(attributes["value"]) == Package.model_fields[name].default
    styles = re.findall(r'<option value="([^"]+)"', html.split('id="f-package-style"')[1])
    assert tuple(styles[:4]) == ("reverse-tuck-end", "straight-tuck-end", "crash-lock", "sleeve")
