"""The designer page as a co-op producer uses it: work is never lost, and every message is Vietnamese.

In real headless Chromium against the real app: the example, a file or "Làm lại" ask before they
replace what was typed, and "Lấy lại bản trước" brings it back, after a reload too; a refused
logo and a refused print run are explained in Vietnamese, without field paths or library words.
"""

from __future__ import annotations

import gzip
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from test_designer_browser import (
    DESKTOP,
    PHONE,
    VERDICT_TIMEOUT_MS,
    BrowserLog,
    LiveServer,
    expect_verdict,
    open_context,
    saved_spec,
    server,
    watch_page,
)

from labelgen.registry import Registry
from labelgen.registry.testing import seed_registry

pytestmark = pytest.mark.browser

__all__ = ["server"]

MY_BRAND = "Sen Quê Tôi"
MY_PRODUCT = "Trà tim sen"
EXAMPLE_PRODUCT = "Hạt sen sấy giòn"
# Words a Vietnamese producer must never be shown: English reasons, field paths, jargon.
NOT_FOR_PRODUCERS = re.compile(
    r"\b(is not|must be|cannot|API|SVG holding|base64|brand\.logo|certification\.|"
    r"product\.|Bearer|problem)\b"
)


def type_my_work(page: Page) -> None:
    page.fill("#f-brand-name", MY_BRAND)
    page.fill("#f-product-name", MY_PRODUCT)


def open_example(
    browser: Browser, server: LiveServer, *, viewport: dict[str, int]
) -> tuple[BrowserContext, Page, BrowserLog]:
    """A watched page of the designer with the example loaded and found compliant."""
    context, log = open_context(browser, server, viewport=viewport)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.click("#load-example")
    expect_verdict(page, "compliant")
    return context, page, log


def test_the_example_asks_first_and_the_work_comes_back(
    server: LiveServer, chromium_browser: Browser
) -> None:
    context, log = open_context(chromium_browser, server, viewport=PHONE)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    type_my_work(page)

    # "Xem ví dụ mẫu" over typed work asks; keeping the work keeps it.
    page.click("#load-example")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("ví dụ mẫu")
    expect(page.locator("#confirm-no")).to_be_focused()  # the safe answer is the default
    page.click("#confirm-no")
    expect(dialog).to_be_hidden()
    expect(page.locator("#f-product-name")).to_have_value(MY_PRODUCT)
    expect(page.locator("#undo")).to_be_hidden()

    # Replacing it keeps the work aside, across a reload.
    page.click("#load-example")
    page.click("#confirm-yes")
    expect(page.locator("#f-product-name")).to_have_value(EXAMPLE_PRODUCT)
    page.reload()
    expect(page.locator("#f-product-name")).to_have_value(EXAMPLE_PRODUCT)
    undo = page.locator("#undo")
    expect(undo).to_be_visible()
    undo.click()
    expect(page.locator("#f-product-name")).to_have_value(MY_PRODUCT)
    expect(page.locator("#f-brand-name")).to_have_value(MY_BRAND)
    page.reload()
    expect(page.locator("#f-product-name")).to_have_value(MY_PRODUCT)

    # "Làm lại" asks too, in the page's words, and can be undone the same way.
    page.click("#reset-form")
    expect(page.locator("#confirm-yes")).to_have_text("Xoá và làm lại")
    page.click("#confirm-yes")
    expect(page.locator("#f-product-name")).to_have_value("")
    page.click("#undo")
    expect(page.locator("#f-product-name")).to_have_value(MY_PRODUCT)
    log.assert_clean()
    context.close()


def test_an_empty_form_takes_the_example_without_asking(
    server: LiveServer, chromium_browser: Browser
) -> None:
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.click("#load-example")
    expect(page.locator("#f-product-name")).to_have_value(EXAMPLE_PRODUCT)
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    log.assert_clean()
    context.close()


@pytest.mark.parametrize(
    ("name", "mime", "content", "expected"),
    [
        ("logo.png", "image/png", b"not an image at all", "không phải ảnh"),
        (
            "logo.svg",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Ảnh SVG này",
        ),
    ],
    ids=["not-an-image", "svg-with-script"],
)
def test_a_refused_logo_is_explained_in_vietnamese(
    server: LiveServer,
    chromium_browser: Browser,
    name: str,
    mime: str,
    content: bytes,
    expected: str,
) -> None:
    context, page, log = open_example(chromium_browser, server, viewport=DESKTOP)
    page.set_input_files(
        "#f-brand-logo", files=[{"name": name, "mimeType": mime, "buffer": content}]
    )
    findings = page.locator("#f-brand-logo-findings")
    expect(findings).to_contain_text(expected, timeout=VERDICT_TIMEOUT_MS)
    text = findings.inner_text()
    assert not NOT_FOR_PRODUCERS.search(text), text
    log.assert_clean()
    context.close()


def test_a_refused_print_run_is_explained_in_vietnamese(
    server: LiveServer, chromium_browser: Browser
) -> None:
    context, page, log = open_example(chromium_browser, server, viewport=DESKTOP)
    page.fill("#run-key", "not-a-key")
    page.fill("#run-count", "5")
    page.click("#run-start")
    note = page.locator("#run-note")
    expect(note).to_contain_text("Mã khóa của cơ sở không đúng", timeout=VERDICT_TIMEOUT_MS)
    assert not NOT_FOR_PRODUCERS.search(note.inner_text()), note.inner_text()

    # A new label starts the print run afresh: the old error does not stay.
    page.click("#load-example")
    page.click("#confirm-yes")
    expect(note).not_to_contain_text("Mã khóa của cơ sở không đúng")
    # A 401 is an answer the page asked for, not a fault of the page.
    log.errors = [error for error in log.errors if "status of 401" not in error]
    log.assert_clean()
    context.close()


def test_text_too_long_is_shown_under_its_field_with_how_much(
    server: LiveServer, chromium_browser: Browser
) -> None:
    context, page, log = open_example(chromium_browser, server, viewport=DESKTOP)
    # The example is a set (front and back): the finding names its panel too.
    page.fill("#f-brand-name", "Sen Hồng Tháp Mười Đồng Tháp Việt Nam chính hãng " * 3)
    page.fill("#f-product-name", "Hạt sen sấy giòn vị truyền thống đặc sản thượng hạng " * 5)
    expect_verdict(page, "errors")
    for field in ("#f-brand-name-findings", "#f-product-name-findings"):
        finding = page.locator(f"{field} .finding[data-rule='LAYOUT-TEXT-OVERFLOW']")
        # Once per panel that prints it (the brand is on both), each naming its panel.
        text = finding.first.locator(".finding-text")
        expect(text).to_have_text(re.compile(r"^Mặt trước: .*khoảng \d+ ký tự"))
    # Not repeated, generic, under the preview.
    expect(page.locator("#layout-findings [data-rule='LAYOUT-TEXT-OVERFLOW']")).to_have_count(0)
    expect(page.locator("#f-product-name")).to_have_attribute("aria-invalid", "true")
    log.assert_clean()
    context.close()


def test_typing_ten_characters_costs_little_preview_traffic(
    server: LiveServer, chromium_browser: Browser
) -> None:
    """Previews are PNG images sized to the screen (no fonts resent), answers are compressed."""
    context, page, log = open_example(chromium_browser, server, viewport=PHONE)
    page.wait_for_function(
        "() => !document.getElementById('preview-stage').dataset.busy"
        " && document.getElementById('preview-stage').dataset.state === 'final'"
    )
    traffic: list[tuple[str, int]] = []

    def on_finished(request: Any) -> None:
        if "/api/" in request.url:
            sizes = request.sizes()
            traffic.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("requestfinished", on_finished)
    field = page.locator("#f-product-name")
    field.click()
    field.press("End")
    # A producer typing slowly on a phone: a keystroke every 600 ms, longer than the pause
    # before a preview, so that every one of the 10 costs a check and a drawing of each panel.
    field.press_sequentially(" loại một", delay=600)
    expect_verdict(page, "compliant")
    page.wait_for_function(
        "() => !document.getElementById('preview-stage').dataset.busy"
        " && document.getElementById('preview-stage').dataset.state === 'final'"
    )
    page.wait_for_timeout(500)
    total = sum(size for _, size in traffic)
    assert traffic, "typing drew no preview"
    assert total < 300_000, traffic
    log.assert_clean()
    context.close()


def test_text_answers_are_compressed(server: LiveServer) -> None:
    for path in ("/", "/static/designer.js", "/static/designer.css", "/openapi.json"):
        request = urllib.request.Request(server.url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Encoding"] == "gzip", path
            body = gzip.decompress(response.read())
        assert len(body) > 1000


def test_dates_are_shown_and_accepted_day_first(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    # An English-locale browser: dates must still read day first, as the findings write them.
    context = chromium_browser.new_context(locale="en-US", viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/")
    page.click("#load-example")
    expect_verdict(page, "compliant")
    made = page.locator("#f-product-manufactured-on")
    expect(made).to_have_value("20/11/2026")
    page.goto(server.url + "/?lang=en")
    expect(made).to_have_value("20/11/2026")

    made.fill("21.11.2026")
    made.blur()
    expect(made).to_have_value("21/11/2026")  # written another way, shown day first
    expect_verdict(page, "compliant")
    assert saved_spec(page, tmp_path)["product"]["manufactured_on"] == "2026-11-21"

    page.goto(server.url + "/")
    made.fill("31/02/2026")  # no such day
    findings = page.locator("#f-product-manufactured-on-findings")
    expect(findings).to_contain_text("ngày/tháng/năm", timeout=VERDICT_TIMEOUT_MS)
    assert errors == []
    context.close()


def test_the_print_run_panel_speaks_to_a_co_op(
    server: LiveServer, chromium_browser: Browser
) -> None:
    registry = Registry(server.settings.registry_settings())
    try:
        seed = seed_registry(registry)
    finally:
        registry.close()
    context, log = open_context(chromium_browser, server, viewport=PHONE)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    panel = page.locator("#print-run")
    # What a co-op orders by default: A4 decal sheets, no offset-press file.
    expect(page.locator("#run-sheet")).to_have_value("A4")
    expect(page.locator("#run-sheet option:checked")).to_contain_text("decal")
    expect(page.locator("#run-cmyk")).not_to_be_checked()
    # Each choice explained in a line; where the key comes from; no jargon.
    for hint in ("#run-key-hint", "#run-count-hint", "#run-sheet-hint", "#run-cmyk-hint"):
        expect(page.locator(hint)).to_be_attached()
    expect(page.locator("#run-key-hint")).to_contain_text("cơ quan quản lý OCOP")
    assert "API" not in panel.inner_text()

    page.click("#load-example")
    expect_verdict(page, "compliant")
    page.fill("#run-key", seed.producer_secret)
    page.fill("#run-count", "3")
    page.click("#run-start")
    expect(page.locator("#run-downloads")).to_be_visible(timeout=VERDICT_TIMEOUT_MS * 2)

    # Signed in once for the session: the key is there after a reload, until forgotten.
    page.reload()
    expect(page.locator("#run-key")).to_have_value(seed.producer_secret)
    page.click("#run-forget")
    expect(page.locator("#run-key")).to_have_value("")
    page.reload()
    expect(page.locator("#run-key")).to_have_value("")
    log.assert_clean()
    context.close()


def test_focus_is_never_hidden_behind_the_bottom_bar(
    server: LiveServer, chromium_browser: Browser
) -> None:
    context, page, log = open_example(chromium_browser, server, viewport=PHONE)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.evaluate("() => window.scrollTo(0, 0)")
    hidden = []
    seen = 0
    for _ in range(200):
        page.keyboard.press("Tab")
        where = page.evaluate(
            """() => {
                const element = document.activeElement;
                const bar = document.getElementById('mobile-bar');
                if (!element || element === document.body || bar.contains(element)) {
                    return null;
                }
                // A visually hidden radio or file input is seen through its label.
                const shown = element.closest('label') || element;
                const box = shown.getBoundingClientRect();
                return {
                    id: element.id || element.name || element.textContent.trim().slice(0, 30),
                    bottom: box.bottom, top: box.top,
                    bar: bar.getBoundingClientRect().top,
                };
            }"""
        )
        if where is None:
            continue
        seen += 1
        if (where["top"] < where["bar"] and where["bottom"] > where["bar"] + 1) or where[
            "top"
        ] >= where["bar"]:
            hidden.append(where)
    assert seen > 50
    assert hidden == []
    log.assert_clean()
    context.close()


def test_the_star_picker_offers_3_to_5_stars(server: LiveServer, chromium_browser: Browser) -> None:
    context, _log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    page.goto(server.url + "/")
    stars = page.locator("input[name='certification.stars']")
    assert [stars.nth(i).get_attribute("value") for i in range(stars.count())] == ["3", "4", "5"]
    context.close()
