"""The designer's choice of PDF: a normal RGB PDF, or a CMYK PDF/X-4 for an offset print shop.

In real headless Chromium against the real app: the CMYK choice downloads a PDF/X-4 with its
OutputIntent whose pages paint in DeviceCMYK, named "…-cmyk.pdf"; the normal PDF has no
OutputIntent; the choice is remembered across a reload, and explained in both languages.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
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
RGB_OPERATORS = {"rg", "RG"}
CMYK_OPERATORS = {"k", "K"}


def download_pdf(page: Page, tmp_path: Path) -> tuple[str, Path]:
    with page.expect_download() as pending:
        page.click(PDF_BUTTON)
    download = pending.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path


def page_colour_operators(pdf: pikepdf.Pdf) -> set[str]:
    found: set[str] = set()
    for page in pdf.pages:
        for instruction in pikepdf.parse_content_stream(page):
            operator = str(instruction.operator)
            if operator in RGB_OPERATORS | CMYK_OPERATORS:
                found.add(operator)
    return found


def test_the_cmyk_choice_downloads_a_pdf_x4_and_is_remembered(
    server: LiveServer, chromium_browser: Browser, tmp_path: Path
) -> None:
    context, log = open_context(chromium_browser, server, viewport=DESKTOP)
    page = context.new_page()
    watch_page(page, log)
    page.goto(server.url + "/")
    page.set_input_files("#spec-file", str(EXAMPLES_DIR / f"{EXAMPLE}.yaml"))
    expect_verdict(page, "compliant")

    # The normal PDF is the default, and the choice is explained.
    rgb = page.locator("#pdf-kind-rgb")
    cmyk = page.locator("#pdf-kind-cmyk")
    expect(rgb).to_be_checked()
    expect(page.locator(".pdf-kind-option").filter(has=cmyk)).to_contain_text(
        "PDF cho nhà in offset (CMYK, PDF/X-4)"
    )
    expect(page.locator("#pdf-kind-hint")).to_contain_text("Nhà in offset thường yêu cầu")

    name, path = download_pdf(page, tmp_path)
    assert name == "hat-sen-say-gion.pdf"
    with pikepdf.open(path) as pdf:
        assert "/OutputIntents" not in pdf.Root

    # The offset press file: PDF/X-4 with its OutputIntent, every page painted in CMYK.
    page.get_by_label("PDF cho nhà in offset (CMYK, PDF/X-4)").check()
    name, path = download_pdf(page, tmp_path)
    assert name == "hat-sen-say-gion-cmyk.pdf"
    expect(page.locator("#download-note")).to_contain_text("hat-sen-say-gion-cmyk.pdf")
    with pikepdf.open(path) as pdf:
        assert "/OutputIntents" in pdf.Root
        intents = pdf.Root.OutputIntents
        assert len(intents) >= 1
        assert str(intents[0].S) == "/GTS_PDFX"
        operators = page_colour_operators(pdf)
        assert operators & CMYK_OPERATORS
        assert not operators & RGB_OPERATORS

    # The choice survives a reload, and the English page says it in English.
    page.reload()
    expect_verdict(page, "compliant")
    expect(page.locator("#pdf-kind-cmyk")).to_be_checked()
    page.click("[data-lang-switch]")
    page.wait_for_url("**/?lang=en")
    expect(page.locator("#pdf-kind-cmyk")).to_be_checked()
    expect(page.locator("#pdf-kind")).to_contain_text(
        "PDF for an offset print shop (CMYK, PDF/X-4)"
    )
    expect(page.locator("#pdf-kind-hint")).to_contain_text(
        "Offset print shops usually ask for CMYK"
    )

    # Back to the normal PDF: remembered too.
    page.get_by_label("Normal PDF (RGB)").check()
    page.reload()
    expect(page.locator("#pdf-kind-rgb")).to_be_checked()
    log.assert_clean()
    context.close()
