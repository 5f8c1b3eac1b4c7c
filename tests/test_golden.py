"""Golden images: each example, and short and long content, on each template, rendered at 100 dpi,
against a reviewed PNG.

A change to a template, the fonts or the layout shows up here as a picture. When the change is
intended, regenerate the goldens and review them like any other diff:

    LABELGEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

On a mismatch the actual render and a diff picture (red where they differ) are written to
tests/_failures/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from imaging import compare_images, open_png
from PIL import Image

from labelgen.export import export_png
from labelgen.layout import layout_set
from labelgen.spec import parse_spec
from labelgen.templates import listed_template_ids

if TYPE_CHECKING:
    from conftest import LabelCase

GOLDEN_DPI = 100
GOLDEN_DIR = Path(__file__).parent / "golden"
FAILURES_DIR = Path(__file__).parent / "_failures"
UPDATE_VARIABLE = "LABELGEN_UPDATE_GOLDEN"
# On one software stack renders are byte-identical, so the slack only absorbs a few anti-aliased
# edge pixels from another FreeType/Cairo build. It stays small enough to catch a single missing
# tone mark (about 0.02 % of the pixels of ocop-classic over the threshold) or a brand colour
# nudged by 8 levels (mean 2.0 on that channel).
MAX_CHANNEL_MEAN = 0.5
MAX_LARGE_FRACTION = 0.0001
LARGE_DIFFERENCE = 64


def write_failure(case_id: str, actual_png: bytes, diff: Image.Image | None) -> Path:
    """Keep the actual render (and the diff picture) where a person can look at them."""
    FAILURES_DIR.mkdir(exist_ok=True)
    (FAILURES_DIR / f"{case_id}.actual.png").write_bytes(actual_png)
    if diff is not None:
        diff.save(FAILURES_DIR / f"{case_id}.diff.png")
    return FAILURES_DIR


def test_golden_png(label_case: LabelCase, capsys: pytest.CaptureFixture[str]) -> None:
    assert_matches_golden(label_case.case_id, label_case.png(GOLDEN_DPI), capsys)


# Short and long content on every template: a two-word name and the least a label needs; a
# long bilingual name, a co-op's full name as the brand, eleven ingredients, a 1,5 kg pack.
# Drawn as laid out, refused or not: what does not fit shows as text left out, never spilled.
CONTENT_SPECS = Path(__file__).parent / "golden_specs"
CONTENT_CASES = [
    (content, template, panel)
    for content in ("short", "long")
    for template in listed_template_ids()
    for panel in ([template, "hang-tag-back"] if template == "hang-tag" else [template])
]


@pytest.mark.parametrize(
    ("content", "template", "panel"),
    CONTENT_CASES,
    ids=[f"{content}-on-{panel}" for content, _, panel in CONTENT_CASES],
)
def test_golden_content_png(
    content: str, template: str, panel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load((CONTENT_SPECS / f"{content}.yaml").read_text(encoding="utf-8"))
    document["template"] = template
    panels = layout_set(parse_spec(document)).panels
    layout = next(layout for layout in panels if layout.manifest.id == panel)
    assert_matches_golden(f"{content}-on-{panel}", export_png(layout, GOLDEN_DPI), capsys)


def assert_matches_golden(
    case_id: str, actual_png: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    golden_path = GOLDEN_DIR / f"{case_id}.png"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden_path.write_bytes(actual_png)
        with capsys.disabled():
            print(f"\nwrote {golden_path}")
        return
    if not golden_path.exists():
        written = write_failure(case_id, actual_png, None)
        pytest.fail(
            f"no golden image {golden_path.name}; review the render written to {written} and "
            f"create the golden with {UPDATE_VARIABLE}=1"
        )
    for stale in FAILURES_DIR.glob(f"{case_id}.*.png"):
        stale.unlink()  # pictures left by an earlier failure would mislead
    actual = open_png(actual_png).convert("RGBA")
    expected = open_png(golden_path.read_bytes()).convert("RGBA")
    if actual.size != expected.size:
        written = write_failure(case_id, actual_png, None)
        pytest.fail(f"size {actual.size} != golden {expected.size}; actual written to {written}")
    difference = compare_images(actual, expected, threshold=LARGE_DIFFERENCE)
    if (
        difference.worst_channel_mean >= MAX_CHANNEL_MEAN
        or difference.large_fraction >= MAX_LARGE_FRACTION
    ):
        written = write_failure(case_id, actual_png, difference.diff)
        pytest.fail(
            f"{case_id} differs from its golden image: {difference.describe()} "
            f"(limits: mean < {MAX_CHANNEL_MEAN}, < {MAX_LARGE_FRACTION:.2%} over "
            f"{LARGE_DIFFERENCE}). Actual and diff written to {written}; if the change is "
            f"intended, regenerate with {UPDATE_VARIABLE}=1."
        )
