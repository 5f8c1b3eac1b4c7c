"""The verification page in real headless Chromium at a phone's size, reached the way a shopper reaches it.

A producer renders a serialised label through the API; the QR code of that PNG is decoded and
its URL opened on the test server. The page must show one verdict in words and colour, fit the
phone's width, and load nothing from another host; then the certificate is revoked, and the same
code shows it, and a code with edited stars shows as forged.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from imaging import decode_codes, open_png
from playwright.sync_api import Browser, Page, expect
from service_support import service_settings, spec_document
from test_designer_a11y import axe_violations

from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import Seed, seed_registry, temporary_database
from labelgen.service.app import create_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
VALID_GREEN = "rgb(11, 110, 79)"
REVOKED_RED = "rgb(180, 35, 24)"
# "Unknown code" says "be careful": a warning's amber, not a neutral grey.
UNKNOWN_AMBER = "rgb(146, 64, 14)"
# "Certified" is neither good news about this package nor a warning: a neutral blue.
CERTIFIED_BLUE = "rgb(29, 78, 216)"
DESKTOP = {"width": 1366, "height": 900}
SERVER_START_S = 120


@dataclass
class LiveService:
    url: str
    seed: Seed
    registry: Registry


@dataclass
class BrowserLog:
    """What the page must never do: reach another host, break its CSP, throw."""

    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The real app with a seeded SQLite registry, served by uvicorn on a free loopback port."""
    directory = tmp_path_factory.mktemp("verify")
    with temporary_database("sqlite", directory) as database_url:
        registry = Registry(RegistrySettings(database_url, directory / "keys", b"salt"))
        seed = seed_registry(registry)
        app = create_app(service_settings(render_workers=1), registry=registry)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + SERVER_START_S
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield LiveService(f"http://127.0.0.1:{sock.getsockname()[1]}", seed, registry)
        finally:
            server.should_exit = True
            thread.join(timeout=60)
            sock.close()
            registry.close()


@pytest.fixture(scope="module")
def browser(chromium_browser: Browser) -> Browser:
    """The session's shared Chromium (see conftest)."""
    return chromium_browser


def post(url: str, body: Any, secret: str) -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {secret}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        data: bytes = response.read()
        return data


def scanned_url(live: LiveService, tmp_path: Path) -> str:
    """Render the example as a serialised PNG, keep it, and decode the URL its QR code holds."""
    serial = live.seed.serials[0]
    png = post(
        f"{live.url}/api/v1/labels?format=png&dpi=300&serial={serial}",
        spec_document(),
        live.seed.producer_secret,
    )
    (tmp_path / "label.png").write_bytes(png)
    (url,) = decode_codes(open_png(png))["QRCode"]
    return url


def other_unit_url(live: LiveService) -> str:
    """The signed URL, on the test server, of the other producer's first unit."""
    seed = live.seed
    return live.registry.signed_unit_urls(
        seed.other_producer, seed.other_gtin, seed.batch_code, [seed.other_serials[0]], live.url
    )[0]


def on_test_server(live: LiveService, url: str) -> str:
    """The code's URL with its origin replaced by the test server's (the path and query, which
    carry the code and its signature, are kept as they are)."""
    parts = urlsplit(url)
    return f"{live.url}{parts.path}?{parts.query}"


def open_phone_page(browser: Browser, live: LiveService, **options: Any) -> tuple[Page, BrowserLog]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
    log = BrowserLog()
    origin = urlsplit(live.url).netloc

    def refuse(route: Any) -> None:
        log.offsite.append(route.request.url)
        route.abort()

    context.route(lambda url: urlsplit(url).netloc != origin, refuse)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and log.errors.append(message.text))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    return page, log


def assert_fits_the_phone(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll: {widths}"


def test_a_scanned_code_opens_one_clear_verdict_on_a_phone(
    live: LiveService, browser: Browser, tmp_path: Path
) -> None:
    url = scanned_url(live, tmp_path)
    assert url.startswith("https://truyxuat.example.vn/01/08936012345674/10/L261120/21/")
    page, log = open_phone_page(browser, live, locale="vi-VN")
    response = page.goto(on_test_server(live, url))
    assert response is not None and response.ok
    assert response.headers["content-security-policy"].startswith("default-src 'self'")

    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-status", "valid")
    expect(page.locator("h1")).to_have_text("Chứng nhận OCOP còn hiệu lực")
    assert verdict.evaluate("node => getComputedStyle(node).backgroundColor") == VALID_GREEN
    expect(page.locator(".product-name")).to_have_text("Hạt sen sấy giòn")
    expect(page.locator("body")).to_contain_text("OCOP-DT-2024-0178")
    expect(page.locator("body")).to_contain_text("20/11/2027")
    expect(page.locator("body")).to_contain_text("Xác thực lần đầu")
    badge = page.locator("svg.badge").bounding_box()
    assert badge is not None and badge["width"] >= 80
    national = page.locator("a.national")
    assert national.get_attribute("href") == "https://ocopvietnam.gov.vn"
    assert national.bounding_box()["height"] >= 44  # type: ignore[index]
    assert_fits_the_phone(page)
    page.screenshot(path=str(tmp_path / "verify-valid.png"), full_page=True)

    live.registry.revoke_certificate(live.seed.issuer, live.seed.certificate_no)
    page.reload()
    expect(verdict).to_have_attribute("data-status", "revoked")
    expect(page.locator("h1")).to_have_text("Chứng nhận OCOP đã bị thu hồi")
    assert verdict.evaluate("node => getComputedStyle(node).backgroundColor") == REVOKED_RED
    assert_fits_the_phone(page)

    page.goto(on_test_server(live, url).replace("?s=4&", "?s=5&"))
    expect(verdict).to_have_attribute("data-status", "invalid-signature")
    expect(page.locator("h1")).to_have_text("Mã giả mạo")
    assert page.locator(".product-name").count() == 0
    assert log.offsite == [] and log.errors == []


def test_the_page_is_english_for_an_english_phone(
    live: LiveService, browser: Browser, tmp_path: Path
) -> None:
    page, log = open_phone_page(browser, live, locale="en-GB")
    page.goto(other_unit_url(live))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Valid OCOP certification")
    page.locator("a.lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text("Chứng nhận OCOP còn hiệu lực")
    page.goto(f"{live.url}/01/08936055501235/10/L261120/21/ZZZZZZZZZZZZZZZZ?lang=en")
    expect(page.locator("h1")).to_have_text("Unknown code")
    assert_fits_the_phone(page)
    assert log.offsite == [] and log.errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_nothing_serious_on_the_verification_page(
    live: LiveService, browser: Browser, viewport: dict[str, int]
) -> None:
    """axe-core (tests/axe/) on each kind of verdict: valid, certified and unknown."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    certified = f"{live.url}/01/08936055501235/10/L261120"
    unknown = f"{live.url}/01/08936055501235/10/L261120/21/ZZZZZZZZZZZZZZZZ"
    tones = {}
    for url, status in (
        (other_unit_url(live), "valid"),
        (certified, "certified"),
        (unknown, "unknown"),
    ):
        page.goto(url)
        expect(page.locator(".verdict")).to_have_attribute("data-status", status)
        assert axe_violations(page) == [], status
        verdict = page.locator(".verdict")
        tones[status] = verdict.evaluate("node => getComputedStyle(node).backgroundColor")
    assert tones == {"valid": VALID_GREEN, "certified": CERTIFIED_BLUE, "unknown": UNKNOWN_AMBER}
    context.close()


def test_the_designer_says_when_the_qr_code_would_not_be_found(
    live: LiveService, browser: Browser
) -> None:
    """The example is registered (seeded): ready. Another batch: still printable, but the
    status says what its QR code would answer, and the batch field says how to register it."""
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{live.url}/")
    page.click("#load-example")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "compliant", timeout=60_000)
    expect(status).not_to_contain_text("Mã không có trong hệ thống")
    page.fill("#f-product-batch", "L999")
    expect(status).to_contain_text("Mã không có trong hệ thống", timeout=60_000)
    expect(status).to_have_attribute("data-state", "compliant")
    batch_field = page.locator("[data-field~='product.batch'] .findings li")
    expect(batch_field.first).to_contain_text("labelgen registry batch add --from-spec")
    context.close()
