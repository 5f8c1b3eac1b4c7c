"""Shared fixtures: the example labels on every bundled template, each rendered once per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from imaging import open_png, rasterise_pdf
from PIL import Image
from throwaway_postgres import ThrowawayPostgres, answers, start_throwaway_postgres

# The export module points fontconfig at the bundled fonts when it is imported, which must happen
# before CairoSVG or WeasyPrint first load fontconfig: import it before anything renders.
from labelgen.export import export_pdf, export_png, export_svg
from labelgen.layout import Layout, layout_set
from labelgen.registry.testing import (
    BACKENDS,
    POSTGRES_URL_VARIABLE,
    postgres_test_url,
    temporary_database,
)
from labelgen.spec import LabelSpec, parse_spec

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
FOOD_EXAMPLE = "hat-sen-say"
HANDICRAFT_EXAMPLE = "chieu-dinh-yen"
TEMPLATE_IDS = ("ocop-classic", "round-jar", "bottle-wrap", "back-panel", "hang-tag")
PANEL_IDS = (*TEMPLATE_IDS, "hang-tag-back")  # a two-sided hang tag's back is a panel of its own
BARCODE_TEMPLATE_IDS = frozenset({"bottle-wrap", "back-panel", "hang-tag-back"})

_throwaway_postgres: ThrowawayPostgres | None = None


def pytest_configure(config: pytest.Config) -> None:
    """When no PostgreSQL answers at the test URL, start a throw-away one for the session."""
    global _throwaway_postgres
    if answers(postgres_test_url()):
        return
    try:
        _throwaway_postgres = start_throwaway_postgres()
    except RuntimeError as error:
        pytest.exit(str(error), returncode=3)
    os.environ[POSTGRES_URL_VARIABLE] = _throwaway_postgres.url


def pytest_unconfigure(config: pytest.Config) -> None:
    if _throwaway_postgres is not None:
        _throwaway_postgres.stop()


def example_document(example: str) -> dict[str, Any]:
    """The example spec `example` (a file name in examples/ without .yaml) as a fresh document."""
    document = yaml.safe_load((EXAMPLES_DIR / f"{example}.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def example_spec(example: str, template: str) -> LabelSpec:
    """The example spec with its template replaced by `template`."""
    document = example_document(example)
    document["template"] = template
    return parse_spec(document, base_dir=EXAMPLES_DIR)


def panel_layout(spec: LabelSpec, panel: str) -> Layout:
    """The laid-out panel `panel` (a template id) of the spec's label set."""
    panels = layout_set(spec, spec_dir=EXAMPLES_DIR).panels
    return next(layout for layout in panels if layout.manifest.id == panel)


@dataclass
class LabelCase:
    """One panel of an example on one template, with its renders made on first use and then
    kept (`panel` is the template's own id unless it is a side, such as a tag's back)."""

    example: str
    template: str
    panel: str = ""
    _pngs: dict[float, bytes] = field(default_factory=dict, repr=False)
    _pdf_rasters: dict[float, Image.Image] = field(default_factory=dict, repr=False)
    _spec: LabelSpec | None = field(default=None, repr=False)
    _layout: Layout | None = field(default=None, repr=False)
    _pdf: bytes | None = field(default=None, repr=False)
    _svg: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.panel = self.panel or self.template

    @property
    def case_id(self) -> str:
        return f"{self.example}-on-{self.panel}"

    @property
    def has_barcode_slot(self) -> bool:
        return self.panel in BARCODE_TEMPLATE_IDS

    @property
    def prints_name(self) -> bool:
        """Whether this panel prints the product's name (a tag's back leaves it to the front)."""
        return "product_name" in self.layout.manifest.text_slots

    @property
    def spec(self) -> LabelSpec:
        if self._spec is None:
            self._spec = example_spec(self.example, self.template)
        return self._spec

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._layout = panel_layout(self.spec, self.panel)
        return self._layout

    @property
    def svg(self) -> bytes:
        if self._svg is None:
            self._svg = export_svg(self.layout)
        return self._svg

    @property
    def pdf(self) -> bytes:
        if self._pdf is None:
            self._pdf = export_pdf(self.layout)
        return self._pdf

    def png(self, dpi: float) -> bytes:
        if dpi not in self._pngs:
            self._pngs[dpi] = export_png(self.layout, dpi)
        return self._pngs[dpi]

    def png_image(self, dpi: float) -> Image.Image:
        return open_png(self.png(dpi))

    def pdf_raster(self, dpi: float) -> Image.Image:
        """The whole PDF page (bleed and crop marks included) rasterised by pdftoppm."""
        if dpi not in self._pdf_rasters:
            self._pdf_rasters[dpi] = rasterise_pdf(self.pdf, dpi)
        return self._pdf_rasters[dpi]


ALL_CASES = (
    *(LabelCase(FOOD_EXAMPLE, template) for template in TEMPLATE_IDS),
    LabelCase(FOOD_EXAMPLE, "hang-tag", "hang-tag-back"),
    LabelCase(HANDICRAFT_EXAMPLE, "hang-tag"),
    LabelCase(HANDICRAFT_EXAMPLE, "hang-tag", "hang-tag-back"),
)
CASES_BY_ID = {case.case_id: case for case in ALL_CASES}
BARCODE_CASE_IDS = tuple(case.case_id for case in ALL_CASES if case.has_barcode_slot)


@pytest.fixture(scope="session", params=list(CASES_BY_ID))
def label_case(request: pytest.FixtureRequest) -> LabelCase:
    """Each example/template pair; renders are shared by every test of the session."""
    return CASES_BY_ID[request.param]


@pytest.fixture(scope="session", params=list(BARCODE_CASE_IDS))
def barcode_case(request: pytest.FixtureRequest) -> LabelCase:
    """The pairs whose template has a slot for the EAN-13 barcode."""
    return CASES_BY_ID[request.param]


@pytest.fixture(scope="session")
def label_cases() -> dict[str, LabelCase]:
    """Every example/template pair by id (`<example>-on-<template>`)."""
    return CASES_BY_ID


@pytest.fixture(scope="session")
def template_ids() -> tuple[str, ...]:
    return TEMPLATE_IDS


@pytest.fixture(scope="session")
def barcode_template_ids() -> frozenset[str]:
    """The templates that must carry an EAN-13 barcode."""
    return BARCODE_TEMPLATE_IDS


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES_DIR


@pytest.fixture(scope="session")
def make_document() -> Callable[[str, str], dict[str, Any]]:
    """A fresh, editable spec document: `make_document(example, template)`."""

    def make(example: str, template: str) -> dict[str, Any]:
        document = example_document(example)
        document["template"] = template
        return document

    return make


CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one instance for the whole session.

    Playwright's sync API allows one running instance per thread, so every browser test shares
    this one. It starts without FONTCONFIG_FILE (which points the exporters at the bundled fonts):
    a page can then draw Be Vietnam Pro only through the web fonts it serves itself.
    """
    assert os.path.exists(CHROMIUM_PATH), (
        f"{CHROMIUM_PATH} is not installed (apt-get install chromium)"
    )
    from playwright.sync_api import sync_playwright

    environment = {key: value for key, value in os.environ.items() if key != "FONTCONFIG_FILE"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, env=environment
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty registry database for a test module, once on each backend."""
    with temporary_database(request.param, tmp_path_factory.mktemp("registry")) as url:
        yield url
