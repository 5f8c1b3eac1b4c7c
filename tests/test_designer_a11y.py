"""Accessibility of the designer page: axe-core in headless Chromium at a phone's and a desktop's width.

axe-core is vendored under tests/axe/ (MPL-2.0, its notice beside it) and injected into the page;
the page itself never loads it. No violation of impact serious or critical is allowed, with the
page empty, with the example loaded (findings, warnings, previews), with the confirmation asked
before the example replaces a producer's work, and with a carton's fields and previews.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from test_designer_browser import (
    DESKTOP,
    PHONE,
    LiveServer,
    expect_verdict,
    open_context,
    previews_drawn,
    server,
    watch_page,
)

pytestmark = pytest.mark.browser

__all__ = ["server"]

AXE_JS = Path(__file__).parent / "axe" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical violations axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": item["id"],
            "impact": item["impact"],
            "help": item["help"],
            "nodes": [node["target"] for node in item["nodes"]][:5],
        }
        for item in result["violations"]
        if item["impact"] in BLOCKING_IMPACTS
    ]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_nothing_serious_on_the_designer(
    server: LiveServer, chromium_browser: Browser, viewport: dict[str, int]
) -> None:
    # The CSP forbids inline scripts, axe's injection included; the page is tested as it is.
    context, log = open_context(chromium_browser, server, viewport=viewport, bypass_csp=True)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []

    page.click("#load-example")
    expect_verdict(page, "compliant")
    assert axe_violations(page) == []

    # An error on the page (a wrong check digit): its colours must read as well as the rest.
    page.fill("#f-product-gtin", "8936012345670")
    expect_verdict(page, "errors")
    assert axe_violations(page) == []

    # The question asked before the example replaces the producer's work.
    page.click("#load-example")
    page.wait_for_selector("#confirm-dialog[open]")
    assert axe_violations(page) == []
    page.click("#confirm-no")

    # A carton: its style and sizes, the flat and folded previews, a size out of range.
    page.fill("#f-product-gtin", "8936012345674")
    page.click("label.segment:has(#f-packaging-carton)")
    previews_drawn(page, ["flat", "folded"])
    page.fill("#f-package-width-mm", "5")
    expect_verdict(page, "invalid")
    assert axe_violations(page) == []
    log.assert_clean()
    context.close()
