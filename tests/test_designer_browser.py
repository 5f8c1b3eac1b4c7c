"""The designer page in real headless Chromium, against the real app served by uvicorn.

A producer's path: open a saved spec, break a field and see the finding appear next to it, fix
it, see the label turn compliant, download the PDF and check its QR code decodes to the label's
GS1 Digital Link URL. Label sets: a back label added to the front one gives two previews, a
round jar sticker too small for a food label's text is offered the set it fits, and a set is
saved in its list form. Also: a phone-sized screen, the English page, and the YAML reader's
refusals. Every request the browser makes must go to the test server: the page works offline.
"""

from __future__ import annotations

import io
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pikepdf
import pytest
import uvicorn
import yaml
from conftest import EXAMPLES_DIR, example_document
from imaging import decode_codes, rasterise_pdf
from playwright.sync_api import Browser, BrowserContext, Page, expect

from labelgen.production.serials import read_manifest
from labelgen.registry import Registry
from labelgen.registry.testing import seed_registry
from labelgen.service.app import create_app
from labelgen.service.pages import WEB_DIR
from labelgen.service.settings import Settings
from labelgen.spec import parse_spec
from labelgen.traceability import trace_url

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Renders run in worker processes that start with the app; the first check may wait for them.
VERDICT_TIMEOUT_MS = 60_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
MIN_TOUCH_PX = 44
EXPECTED_REFUSAL = "the server responded with a status of 422"
EXAMPLE = "hat-sen-say"
GTIN_FIELD = "[data-field~='product.gtin']"
BACK_SWITCH = "#f-back-back-panel"
ADD_BACK = "Thêm nhãn mặt sau"
VALIDITY_FIELD = "[data-field~='certification.valid_until']"


@dataclass
class LiveServer:
    url: str
    settings: Settings


@dataclass
class BrowserLog:
    """What the browser did that the page must never do: reach another host, break its CSP,
    throw."""

    requests: list[str] = field(default_factory=list)
    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.offsite == [], f"requests left the test server: {self.offsite}"
        assert self.errors == [], f"the page reported errors: {self.errors}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 and a free port, in a background thread."""
    settings = Settings(render_workers=2, data_dir=tmp_path_factory.mktemp("data"))
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # No websockets (the page uses none) and quiet logs; the lifespan starts the render pool.
    config = uvicorn.Config(
        app, log_level="warning", ws="none", http="h11", lifespan="on", access_log=False
    )
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not uvicorn_server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=60)
        sock.close()


@pytest.fixture(scope="module")
def browser(chromium_browser: Browser) -> Browser:
    """The session's shared Chromium (see conftest)."""
    return chromium_browser


def open_context(
    browser: Browser, server: LiveServer, **options: Any
) -> tuple[BrowserContext, BrowserLog]:
    """A fresh browser profile that records every request and aborts any to another host."""
    context = browser.new_context(locale="vi-VN", accept_downloads=True, **options)
    log = BrowserLog()
    origin = urlsplit(server.url).netloc

    def on_request(request: Any) -> None:
        log.requests.append(request.url)

    def is_offsite(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob"):
            # blob:http://127.0.0.1:port/uuid — an object URL this page made.
            return parts.scheme == "blob" and urlsplit(parts.path).netloc != origin
        return parts.netloc != origin

    def refuse(route: Any) -> None:
        log.offsite.append(route.request.url)
        route.abort()

    context.on("request", on_request)
    context.route(is_offsite, refuse)
    return context, log


def watch_page(page: Page, log: BrowserLog) -> None:
    def on_console(message: Any) -> None:
        # A CSP violation or a failed load is reported on the console as an error. A 422 is
        # an answer the page asked for (a spec that is not valid or not compliant yet).
        if message.type == "error" and EXPECTED_REFUSAL not in message.text:
            log.errors.append(message.text)

    def on_page_error(error: Any) -> None:
        log.errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)


def expect_verdict(page: Page, state: str) -> None:
    expect(page.locator("#status")).to_have_attribute(
        "data-state", state, timeout=VERDICT_TIMEOUT_MS
    )
    # The verdict is shown once the check answered; the preview request may still be running.
    expect(page.locator("#status")).not_to_have_attribute(
        "data-busy", "true", timeout=VERDICT_TIMEOUT_MS
    )


def preview_is_drawn(page: Page) -> bool:
    return bool(
        page.evaluate(
            "() => { const img = document.getElementById('preview-image');"
            " return !img.hidden && img.complete && img.naturalWidth > 0; }"
        )
    )


def previews_drawn(page: Page, panels: list[str], state: str = "final") -> None:
    """Wait until the preview shows exactly `panels`, each one drawn, the whole in `state`."""
    page.wait_for_function(
        """([panels, state]) => {
            const stage = document.getElementById('preview-stage');
            const figures = Array.from(stage.querySelectorAll('.preview-panel'));
            return stage.dataset.state === state && !stage.dataset.busy
              && figures.map((f) => f.dataset.panel).join(' ') === panels.join(' ')
              && figures.every((f) => {
                const img = f.querySelector('img');
                return !img.hidden && img.complete && img.naturalWidth > 0;
              });
        }""",
        arg=[panels, state],
        timeout=VERDICT_TIMEOUT_MS,
    )


def choose_template(page: Page, template_id: str) -> None:
    page.click(f"label.template-card:has(input[value='{template_id}'])")


def saved_spec(page: Page, tmp_path: Path, name: str = "saved.json") -> dict[str, Any]:
    """The spec the page saves ("Lưu tệp nhãn"), as a document."""
    with page.expect_download() as saved:
        page.click("#save-spec")
    path = tmp_path / name
    saved.value.save_as(path)
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def spec_file(tmp_path: Path, template: Any, name: str = "spec.yaml") -> Path:
    """The example spec on another template or set, as a YAML file to open in the page."""
    document = example_document(EXAMPLE)
    document["template"] = template
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def expected_qr_url(server: LiveServer) -> str:
    url = trace_url(parse_spec(example_document(EXAMPLE)), server.settings.base_url)
    assert url is not None
    return url


def test_designer_finds_fixes_and_downloads_a_compliant_pdf(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    response = page.goto(server.url + "/")
    assert response is not None and response.ok
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page).to_have_title("Thiết kế nhãn OCOP · labelgen")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # Open the saved YAML spec: the server reads it, the form fills in, the label is compliant.
    page.set_input_files("#spec-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect(page.locator("#f-product-name")).to_have_value("Hạt sen sấy giòn")
    expect(page.locator("#f-product-gtin")).to_have_value("8936012345674")
    expect_verdict(page, "compliant")
    expect(page.locator("#status-text")).to_contain_text("Đạt yêu cầu")
    page.wait_for_function(
        "() => ['final', 'draft'].includes(document.getElementById('preview-stage').dataset.state)"
    )
    assert preview_is_drawn(page)

    # A wrong check digit: the finding appears under the GTIN field, and nothing can be printed.
    page.fill("#f-product-gtin", "8936012345675")
    gtin_findings = page.locator(f"{GTIN_FIELD} .findings li")
    expect(gtin_findings.first).to_contain_text("8936012345675", timeout=VERDICT_TIMEOUT_MS)
    expect(gtin_findings.first).to_contain_text("chữ số cuối phải là 4")
    expect(page.locator(GTIN_FIELD)).to_have_class(_has_class("has-error"))
    expect(page.locator("#f-product-gtin")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#status").get_attribute("data-state") in ("errors", "invalid")
    expect(page.locator("#downloads")).not_to_have_attribute("data-mode", "final")

    # Fixed: the finding goes away and the label is compliant again.
    page.fill("#f-product-gtin", "8936012345674")
    expect_verdict(page, "compliant")
    expect(gtin_findings).to_have_count(0)

    # A recognition decision from 2020 ran out after 36 months: shown under its dates.
    page.fill("#f-certification-issued-on", "2020-01-10")
    expect_verdict(page, "errors")
    validity = page.locator(f"{VALIDITY_FIELD} .findings li[data-rule='OCOP-CERT-EXPIRED']")
    expect(validity).to_have_count(1)
    expect(validity).to_contain_text("Căn cứ:")
    expect(page.locator("#status-text")).to_contain_text("lỗi cần sửa")
    # Not compliant: the buttons say why and offer a draft instead.
    expect(page.locator("#downloads")).to_have_attribute("data-mode", "draft")
    expect(page.locator("#download-note")).to_contain_text("bản nháp")
    pdf_button = page.locator("button.download[data-format='pdf']")
    expect(pdf_button).to_have_text("Tải bản nháp PDF")
    with page.expect_download() as draft_download:
        pdf_button.click()
    assert draft_download.value.suggested_filename == "hat-sen-say-gion-ban-nhap.pdf"

    page.fill("#f-certification-issued-on", "2024-12-27")
    expect_verdict(page, "compliant")
    expect(page.locator("#downloads")).to_have_attribute("data-mode", "final")
    expect(pdf_button).to_have_text("Tải PDF để in")

    # The print PDF: its QR code holds the product's GS1 Digital Link.
    with page.expect_download() as final_download:
        pdf_button.click()
    download = final_download.value
    assert download.suggested_filename == "hat-sen-say-gion.pdf"
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    codes = decode_codes(rasterise_pdf(pdf, 300))
    assert codes.get("QRCode") == [expected_qr_url(server)]

    # Saving the spec gives back what was opened (the file's dates as ISO text).
    with page.expect_download() as saved:
        page.click("#save-spec")
    saved_path = tmp_path / "saved.json"
    saved.value.save_as(saved_path)
    saved_spec = json.loads(saved_path.read_text(encoding="utf-8"))
    assert parse_spec(saved_spec) == parse_spec(example_document(EXAMPLE))

    log.assert_clean()
    assert any(url.endswith("/designer/parse") for url in log.requests)
    context.close()


def test_designer_on_a_phone(server: LiveServer, browser: Browser) -> None:
    context, log = open_context(
        browser, server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.click("#load-example")
    expect_verdict(page, "compliant")
    page.wait_for_function(
        "() => document.getElementById('preview-stage').dataset.state === 'final'"
    )

    # No sideways scrolling, at the top or with everything open.
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], widths

    # Every control a thumb needs is at least 44 px high.
    small = page.evaluate(
        """(minimum) => Array.from(document.querySelectorAll(
              '.input, .button, .template-card, .star, .switch, .color-chip, .lang-switch'))
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.id || el.className, el.getBoundingClientRect().height])
            .filter(([, height]) => height < minimum)""",
        MIN_TOUCH_PX,
    )
    assert small == []

    # The status bar at the bottom leads to the preview, which fits the screen's width.
    expect(page.locator("#mobile-status")).to_contain_text("Đạt yêu cầu")
    page.click(".mobile-jump")
    preview = page.locator("#preview-image")
    expect(preview).to_be_in_viewport()
    assert preview_is_drawn(page)
    # The example is a front and a back label: both previews, one under the other, each
    # within the screen's width.
    previews_drawn(page, ["ocop-classic", "back-panel"])
    boxes = [image.bounding_box() for image in page.locator(".preview-panel img").all()]
    assert len(boxes) == 2
    for box in boxes:
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    front, back = boxes
    assert front is not None and back is not None and back["y"] >= front["y"] + front["height"]
    for button in page.locator("#download-panels button").all():
        assert (button.bounding_box() or {}).get("height", 0) >= MIN_TOUCH_PX

    # Typing on the phone updates the check: a missing product name is asked for in place.
    page.fill("#f-product-name", "")
    expect(page.locator("[data-field~='product.name'] .findings li").first).to_be_visible(
        timeout=VERDICT_TIMEOUT_MS
    )
    log.assert_clean()
    context.close()


def test_english_page_and_language_switch(server: LiveServer, browser: Browser) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.fill("#f-brand-name", "Chiếu Định Yên")
    # Switching language keeps what was typed.
    page.click("[data-lang-switch]")
    page.wait_for_url("**/?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("OCOP label designer")
    expect(page.locator("#f-brand-name")).to_have_value("Chiếu Định Yên")
    log.assert_clean()
    context.close()


def test_every_ui_string_exists_in_both_languages() -> None:
    def keys(node: Any, prefix: str = "") -> set[str]:
        if isinstance(node, dict):
            return set().union(*(keys(value, f"{prefix}.{key}") for key, value in node.items()))
        return {prefix}

    vi, en = (
        yaml.safe_load((WEB_DIR / "strings" / f"{lang}.yaml").read_text(encoding="utf-8"))
        for lang in ("vi", "en")
    )
    assert keys(vi) == keys(en)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("!!python/object/apply:os.system ['true']", "not valid YAML"),
        ("a: &x [1, 2]\nb: [*x, *x]\n", "aliases"),
        ("a: " + "[" * 50 + "]" * 50, "nested too deeply"),
        ("[" * 100_000, "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
        ("brand: !!binary aGVsbG8=\n", "binary"),
    ],
)
def test_yaml_reader_refuses_what_is_not_a_plain_spec(
    server: LiveServer, text: str, reason: str
) -> None:
    status, body = post(server, "/designer/parse", text.encode("utf-8"))
    assert status == 422
    assert body["type"] == "/problems/invalid-spec"
    assert reason in json.dumps(body["problems"])
    # The service goes on answering.
    status, body = post(server, "/designer/parse", b"template: ocop-classic\n")
    assert (status, body) == (200, {"template": "ocop-classic"})


def test_yaml_reader_answers_the_example_as_json(server: LiveServer) -> None:
    raw = (EXAMPLES_DIR / f"{EXAMPLE}.yaml").read_bytes()
    status, body = post(server, "/designer/parse", raw)
    assert status == 200
    assert body["product"]["manufactured_on"] == "2026-11-20"
    assert parse_spec(body) == parse_spec(example_document(EXAMPLE))


def post(server: LiveServer, path: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.url + path,
        data=body,
        method="POST",
        headers={"Content-Type": "application/yaml"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def _has_class(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def test_a_producer_orders_a_print_run_from_the_page(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    registry = Registry(server.settings.registry_settings())
    try:
        seed = seed_registry(registry)
    finally:
        registry.close()
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    run_button = page.locator("#run-start")
    expect(run_button).to_be_disabled()  # nothing compliant to print yet
    page.set_input_files("#spec-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect_verdict(page, "compliant")
    expect(run_button).to_be_enabled()

    page.fill("#run-key", seed.producer_secret)
    page.fill("#run-count", "7")
    page.select_option("#run-sheet", "A4")
    page.uncheck("#run-cmyk")
    run_button.click()
    expect(page.locator("#run-downloads")).to_be_visible(timeout=VERDICT_TIMEOUT_MS * 2)
    expect(page.locator("#run-note")).to_contain_text("7 tem")

    with page.expect_download() as serials_download:
        page.click("#run-serials")
    serials_path = tmp_path / "serials.csv"
    serials_download.value.save_as(serials_path)
    units = list(read_manifest(serials_path))
    assert len(units) == 7
    with page.expect_download() as pdf_download:
        page.click("#run-pdf")
    pdf = Path(pdf_download.value.path()).read_bytes()
    codes = decode_codes(rasterise_pdf(pdf, 300))  # the first sheet
    first_sheet = [unit.content for unit in units[: len(codes["QRCode"])]]
    assert codes["QRCode"] and sorted(codes["QRCode"]) == sorted(first_sheet)
    assert all("8030=" in code for code in codes["QRCode"])  # signed by the registry
    log.assert_clean()
    context.close()


def test_a_back_label_makes_a_set_with_a_preview_per_panel(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(spec_file(tmp_path, "ocop-classic")))
    expect_verdict(page, "compliant")
    previews_drawn(page, ["ocop-classic"])
    expect(page.locator(BACK_SWITCH)).not_to_be_checked()
    expect(page.locator("#set-summary")).to_be_hidden()
    expect(page.locator(".preview-caption")).to_have_count(0)  # one panel needs no caption

    # "Thêm nhãn mặt sau": the front label and the back label, each previewed on its own.
    page.get_by_text(ADD_BACK, exact=True).click()
    expect(page.locator(BACK_SWITCH)).to_be_checked()
    expect(page.locator("#set-summary")).to_contain_text("Nhãn OCOP mặt trước + Nhãn mặt sau")
    previews_drawn(page, ["ocop-classic", "back-panel"])
    expect(page.locator(".preview-caption .preview-side")).to_have_text(["Mặt trước", "Mặt sau"])
    expect(page.locator("[data-panel='back-panel'] img")).to_have_attribute(
        "alt", re.compile("Mặt sau")
    )
    expect_verdict(page, "compliant")
    assert any("panel=back-panel" in url for url in log.requests)
    assert any("panel=ocop-classic" in url for url in log.requests)
    assert saved_spec(page, tmp_path)["template"] == ["ocop-classic", "back-panel"]

    # The print PDF holds both panels; PNG and SVG come one panel at a time.
    with page.expect_download() as pdf_download:
        page.click("button.download[data-format='pdf']")
    pdf = Path(pdf_download.value.path()).read_bytes()
    assert len(pikepdf.open(io.BytesIO(pdf)).pages) == 2
    expect(page.locator("button.download[data-single]")).to_have_count(2)
    expect(page.locator("button.download[data-single]").first).to_be_hidden()
    back_png = page.get_by_role("button", name="Tải PNG – Mặt sau (Nhãn mặt sau)")
    with page.expect_download() as png_download:
        back_png.click()
    assert png_download.value.suggested_filename == "hat-sen-say-gion-back-panel.png"
    png = Path(png_download.value.path()).read_bytes()
    assert png.startswith(b"\x89PNG")

    # A hang tag is two-sided by itself: no back label to add, two previews all the same.
    choose_template(page, "hang-tag")
    expect(page.locator(BACK_SWITCH)).to_be_hidden()
    expect(page.locator("#set-note-sides")).to_be_visible()
    previews_drawn(page, ["hang-tag", "hang-tag-back"])
    assert saved_spec(page, tmp_path, "tag.json")["template"] == "hang-tag"

    # Back to the front label: the back label chosen before is still there.
    choose_template(page, "ocop-classic")
    previews_drawn(page, ["ocop-classic", "back-panel"])
    log.assert_clean()
    context.close()


def test_a_round_jar_food_label_is_offered_the_set_it_fits(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(spec_file(tmp_path, "round-jar", "hu-tron.yaml")))
    expect(page.locator("input[data-template][value='round-jar']")).to_be_checked()
    expect_verdict(page, "errors")
    previews_drawn(page, ["round-jar"], state="draft")

    # The mandatory text a ⌀ 60 mm sticker has no room for: listed in the template step, with
    # the panel that would carry it; the fields themselves are filled in correctly.
    notice = page.locator("#template-notice")
    expect(notice).to_be_visible()
    expect(notice.locator(".template-notice-items li")).to_contain_text(["Thành phần"])
    expect(notice).to_contain_text("Nhãn mặt sau (80 × 120 mm)")
    expect(page.locator("#f-product-ingredients")).not_to_have_attribute("aria-invalid", "true")
    summary = page.locator("#summary-list")
    expect(summary).to_contain_text("Nhãn không in thành phần")
    expect(summary).not_to_contain_text("back-panel")  # named as the producer knows it

    # "Nhãn này vừa với:" the jar sticker and a back label, one click away.
    suggestion = page.locator("#suggestion-list .suggestion").first
    expect(suggestion).to_contain_text("Tem tròn dán hũ + Nhãn mặt sau")
    suggestion.get_by_role("button", name="Dùng mẫu này").click()
    expect(page.locator("input[data-template][value='round-jar']")).to_be_checked()
    expect(page.locator(BACK_SWITCH)).to_be_checked()
    expect_verdict(page, "compliant")
    previews_drawn(page, ["round-jar", "back-panel"])
    expect(page.locator("#template-notice")).to_be_hidden()
    expect(page.locator("#suggestions")).to_be_hidden()
    assert saved_spec(page, tmp_path)["template"] == ["round-jar", "back-panel"]
    log.assert_clean()
    context.close()


def test_a_set_in_a_file_is_shown_and_saved_as_written(
    server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/?lang=en")
    path = spec_file(tmp_path, ["hang-tag", "hang-tag-back"], "tag.yaml")
    page.set_input_files("#spec-file", str(path))
    expect(page.locator("input[data-template][value='hang-tag']")).to_be_checked()
    expect(page.locator("#set-note-sides")).to_contain_text("two-sided")
    previews_drawn(page, ["hang-tag", "hang-tag-back"])
    expect(page.locator(".preview-caption .preview-side")).to_have_text(["Front", "Back"])
    # Nothing changed: the file's own spelling of the set is kept.
    assert saved_spec(page, tmp_path)["template"] == ["hang-tag", "hang-tag-back"]

    # The form stays with the set across a reload (the work is kept in the browser).
    page.reload()
    expect(page.locator("input[data-template][value='hang-tag']")).to_be_checked()
    previews_drawn(page, ["hang-tag", "hang-tag-back"])

    choose_template(page, "round-jar")
    page.get_by_text("Add a back label", exact=True).click()
    previews_drawn(page, ["round-jar", "back-panel"])
    assert saved_spec(page, tmp_path, "jar.json")["template"] == ["round-jar", "back-panel"]
    log.assert_clean()
    context.close()
