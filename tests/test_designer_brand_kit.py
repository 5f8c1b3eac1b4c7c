"""The designer's brand kit, typeface choice, logo slot and round preview, in real headless Chromium.

A co-op saves its brand (name, colours, logo, typeface) once and every new product starts from
it, after a reload too; the kit travels as a file to another browser; a label set in a chosen
typeface downloads as a PDF embedding that typeface; a round sticker is shown cut to its circle.
"""

from __future__ import annotations

import io
import json
import urllib.request
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import EXAMPLES_DIR
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from test_designer_browser import (
    DESKTOP,
    EXAMPLE,
    PHONE,
    LiveServer,
    choose_template,
    expect_verdict,
    open_context,
    previews_drawn,
    saved_spec,
    server,
    watch_page,
)

pytestmark = pytest.mark.browser

__all__ = ["server"]

KIT_BRAND = "Mật Ong Bạc Hà Mèo Vạc"
KIT_PRIMARY = "#7a3e00"


def logo_file(tmp_path: Path) -> Path:
    """A small PNG logo, as a producer's phone would pick it."""
    image = Image.new("RGBA", (300, 180), (0, 0, 0, 0))
    image.paste((122, 62, 0, 255), (20, 20, 160, 160))
    path = tmp_path / "logo.png"
    image.save(path)
    return path


def open_example(page: Page) -> None:
    page.set_input_files("#spec-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect(page.locator("#f-product-name")).to_have_value("Hạt sen sấy giòn")


def choose_font(page: Page, family: str) -> None:
    page.click(f"label.font-card:has(input[value='{family}'])")


def make_kit(page: Page, tmp_path: Path) -> None:
    """The producer's brand typed once and saved as the co-op's kit."""
    page.fill("#f-brand-name", KIT_BRAND)
    page.fill("input[data-path='brand.colors.primary']", KIT_PRIMARY)
    page.set_input_files("#f-brand-logo", str(logo_file(tmp_path)))
    expect(page.locator("#logo-thumb")).to_be_visible()
    choose_font(page, "Noto Serif")
    page.click("#kit-save")
    expect(page.locator("#kit-message")).to_contain_text("Đã lưu bộ nhận diện")
    expect(page.locator("#brand-kit-state")).to_contain_text(KIT_BRAND)


def expect_kit_brand(page: Page) -> None:
    expect(page.locator("#f-brand-name")).to_have_value(KIT_BRAND)
    expect(page.locator("input[data-path='brand.colors.primary']")).to_have_value(KIT_PRIMARY)
    expect(page.locator("#logo-thumb")).to_be_visible()
    expect(page.locator("input[name='brand.font'][value='Noto Serif']")).to_be_checked()


def test_the_brand_kit_is_reused_for_a_new_product_after_a_reload(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(chromium_browser, server, viewport=PHONE)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    expect(page.locator("#kit-apply")).to_be_disabled()
    expect(page.locator("#brand-kit-state")).to_contain_text("Chưa lưu bộ nhận diện")
    page.click("#kit-save")  # nothing typed yet: asked for the name, in Vietnamese
    expect(page.locator("#kit-message")).to_contain_text("Hãy nhập tên thương hiệu")
    open_example(page)
    make_kit(page, tmp_path)

    # Next day: a reload, then a new product ("Làm lại") starts from the kit.
    page.reload()
    expect(page.locator("#brand-kit-state")).to_contain_text(KIT_BRAND)
    page.click("#reset-form")
    page.click("#confirm-yes")
    expect(page.locator("#f-product-name")).to_have_value("")
    expect_kit_brand(page)
    page.fill("#f-product-name", "Mật ong bạc hà")
    document = saved_spec(page, tmp_path)
    assert document["brand"]["name"] == KIT_BRAND
    assert document["brand"]["colors"]["primary"].lower() == KIT_PRIMARY
    assert document["brand"]["font"] == "Noto Serif"
    assert document["brand"]["logo"].startswith("data:image/png;base64,")
    assert document["product"]["name"] == "Mật ong bạc hà"
    context.close()

    # A fresh page in the same browser profile starts from the kit too.
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.evaluate(
        "(kit) => localStorage.setItem('labelgen.designer.brandkit', kit)",
        json.dumps(
            {
                "format": "labelgen-brand-kit",
                "version": 1,
                "brand": {"name": KIT_BRAND, "colors": {"primary": KIT_PRIMARY}},
            }
        ),
    )
    page.reload()
    expect(page.locator("#f-brand-name")).to_have_value(KIT_BRAND)
    expect(page.locator("#kit-message")).to_contain_text("Đã dùng bộ nhận diện")
    log.assert_clean()
    context.close()


def test_the_brand_kit_travels_as_a_file_to_another_browser(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    make_kit(page, tmp_path)
    with page.expect_download() as exported:
        page.click("#kit-export")
    assert exported.value.suggested_filename == "bo-nhan-dien-mat-ong-bac-ha-meo-vac.json"
    kit_path = tmp_path / exported.value.suggested_filename
    exported.value.save_as(kit_path)
    kit = json.loads(kit_path.read_text(encoding="utf-8"))
    assert kit["format"] == "labelgen-brand-kit"
    assert kit["brand"]["name"] == KIT_BRAND
    assert kit["brand"]["font"] == "Noto Serif"
    assert kit["brand"]["logo"].startswith("data:image/png;base64,")
    log.assert_clean()
    context.close()

    # Another phone: a file that is not a kit is refused in Vietnamese, the kit file is used.
    context, log = open_context(chromium_browser, server, viewport=PHONE)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#kit-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect(page.locator("#kit-message")).to_contain_text("không phải tệp bộ nhận diện")
    open_example(page)  # typed work with another brand: using the kit asks first
    page.set_input_files("#kit-file", str(kit_path))
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-no")
    expect(page.locator("#f-brand-name")).to_have_value("Sen Hồng Tháp Mười")
    page.set_input_files("#kit-file", str(kit_path))
    page.click("#confirm-yes")
    expect_kit_brand(page)
    expect(page.locator("#f-product-name")).to_have_value("Hạt sen sấy giòn")  # kept
    expect(page.locator("#kit-message")).to_contain_text("Đã mở tệp bộ nhận diện")
    expect(page.locator("#undo")).to_be_visible()  # the replaced brand can come back
    page.reload()
    expect(page.locator("#brand-kit-state")).to_contain_text(KIT_BRAND)
    expect(page.locator("#kit-apply")).to_be_enabled()
    log.assert_clean()
    context.close()


@pytest.mark.parametrize("family", ["Noto Serif Display"])
def test_a_label_in_the_chosen_typeface_embeds_it(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path, family: str
) -> None:
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    open_example(page)
    expect_verdict(page, "compliant")
    choose_font(page, family)
    expect_verdict(page, "compliant")
    with page.expect_download() as final_download:
        page.click("button.download[data-format='pdf']")
    pdf_path = tmp_path / "label.pdf"
    final_download.value.save_as(pdf_path)
    with pikepdf.open(pdf_path) as pdf:
        fonts = {
            str(font.get("/BaseFont"))
            for page_object in pdf.pages
            for font in page_object.Resources.get("/Font", {}).values()
        }
    chosen = family.replace(" ", "-")
    assert any(f"+{chosen}" in name for name in fonts), fonts
    # Only the chosen family, and the house face of the OCOP badge.
    others = {name for name in fonts if f"+{chosen}" not in name}
    assert all("+Be-Vietnam-Pro" in name for name in others), fonts
    assert saved_spec(page, tmp_path)["brand"]["font"] == family

    # The card's sample is drawn in the family from a few kilobytes of web font.
    with urllib.request.urlopen(server.url + "/static/fonts/sample-noto-serif-display.woff2") as r:
        sample = r.read()
    assert sample.startswith(b"wOF2") and len(sample) < 10_000
    log.assert_clean()
    context.close()


def test_a_file_with_a_typeface_not_offered_is_kept_and_explained(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    example = yaml.safe_load((EXAMPLES_DIR / f"{EXAMPLE}.yaml").read_text(encoding="utf-8"))
    document = json.loads(json.dumps(example, default=str))
    document["brand"]["font"] = "Comic Sans MS"
    path = tmp_path / "font.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    context, log = open_context(chromium_browser, server, viewport=PHONE)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(path))
    findings = page.locator("[data-field='brand.font'] .findings li")
    expect(findings.first).to_contain_text("Comic Sans MS", timeout=15_000)
    expect(findings.first).to_contain_text("Kiểu chữ")
    assert saved_spec(page, tmp_path)["brand"]["font"] == "Comic Sans MS"
    context.close()


def test_the_logo_slot_is_large_and_the_round_jar_is_cut_to_its_circle(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    for viewport in (PHONE, DESKTOP):
        context, log = open_context(chromium_browser, server, viewport=viewport)
        page = context.new_page()
        watch_page(page, log)
        page.goto(server.url + "/")
        open_example(page)
        page.set_input_files("#f-brand-logo", str(logo_file(tmp_path)))
        thumb = page.locator("#logo-thumb").bounding_box()
        assert thumb is not None and thumb["width"] >= 120 and thumb["height"] >= 120

        choose_template(page, "round-jar")
        # The example keeps its back label: the jar sticker and the back, side by side.
        previews_drawn(page, ["round-jar", "back-panel"])
        image = page.locator(".preview-panel[data-panel='round-jar'] img")
        box = image.bounding_box()
        assert box is not None and abs(box["width"] - box["height"]) < 1.5
        # Cut at the label's ⌀ 60 mm inside the 66 mm square of its bleed.
        clip = image.evaluate("(img) => getComputedStyle(img).clipPath")
        assert clip.startswith("circle(45.45"), clip
        shot = Image.open(io.BytesIO(image.screenshot())).convert("RGB")
        # The bleed ring in the primary colour reaches the middle of each edge of the drawing:
        # cut to the circle, none of it is shown.
        for point in ((shot.width // 2, 1), (1, shot.height // 2)):
            red, green, blue = shot.getpixel(point)
            assert abs(red - 176) + abs(green - 48) + abs(blue - 106) > 60, (point, viewport)
        log.assert_clean()
        context.close()
