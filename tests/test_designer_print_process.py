"""The designer's choice of press: how the label is printed sets the spec's `print_process`.

In real headless Chromium against the real app: the choice sits with the advanced options,
labelled in both languages, offset by default; the PDF asked for carries the press chosen and
differs from the offset one (its bars narrowed by the press's own amount); a spec file naming a
press opens with it chosen.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect
from test_designer_browser import (
    DESKTOP,
    EXAMPLE,
    EXAMPLES_DIR,
    LiveServer,
    expect_verdict,
    open_context,
    server,
    watch_page,
)

pytestmark = pytest.mark.browser

__all__ = ["server"]

PDF_BUTTON = "button.download[data-format='pdf']"


def download_pdf_with_its_spec(page: Page, tmp_path: Path) -> tuple[dict[str, object], bytes]:
    """The spec the page sent for its PDF, and the PDF it downloaded."""
    with (
        page.expect_request(lambda request: "format=pdf" in request.url) as sent,
        page.expect_download() as pending,
    ):
        page.click(PDF_BUTTON)
    path = tmp_path / pending.value.suggested_filename
    pending.value.save_as(path)
    body = sent.value.post_data
    assert body is not None
    return json.loads(body), path.read_bytes()


def test_the_press_chosen_goes_into_the_spec_and_the_pdf(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect_verdict(page, "compliant")

    page.click("#advanced summary")
    press = page.get_by_label("Cách in nhãn")
    expect(press).to_have_value("offset")
    expect(page.locator("#f-print-process-hint")).to_contain_text("sai số của cách in")
    offset_spec, offset_pdf = download_pdf_with_its_spec(page, tmp_path)
    assert offset_spec["print_process"] == "offset"

    press.select_option(label="Máy in tem nhiệt 300 dpi")
    expect_verdict(page, "compliant")
    thermal_spec, thermal_pdf = download_pdf_with_its_spec(page, tmp_path)
    assert thermal_spec["print_process"] == "thermal-300dpi"
    assert thermal_pdf.startswith(b"%PDF") and thermal_pdf != offset_pdf
    log.assert_clean()
    context.close()


def test_a_spec_file_naming_a_press_opens_with_it_chosen(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    document = yaml.safe_load((EXAMPLES_DIR / f"{EXAMPLE}.yaml").read_text(encoding="utf-8"))
    document["print_process"] = "flexo"
    spec_file = tmp_path / "flexo.yaml"
    spec_file.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/?lang=en")
    page.set_input_files("#spec-file", str(spec_file))
    expect_verdict(page, "compliant")
    page.click("#advanced summary")
    expect(page.get_by_label("How the label is printed")).to_have_value("flexo")
    expect(page.locator("#f-print-process option:checked")).to_have_text("Flexo (labels on a roll)")
    log.assert_clean()
    context.close()
