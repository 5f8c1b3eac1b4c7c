"""The producer's own copy of the official OCOP mark, drawn in place of labelgen's badge."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
import yaml
from PIL import Image

from labelgen.errors import SpecError
from labelgen.pipeline import render
from labelgen.spec import parse_spec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MARK_RED = (200, 16, 46)


def spec_with_mark(tmp_path: Path, mark: str) -> dict:
    document = yaml.safe_load((EXAMPLES / "hat-sen-say.yaml").read_text(encoding="utf-8"))
    document["certification"]["mark"] = mark
    document["template"] = "ocop-classic"  # the front, where the badge is: one file per format
    return document


def write_mark(tmp_path: Path) -> Path:
    path = tmp_path / "ocop-mark.png"
    Image.new("RGB", (120, 120), MARK_RED).save(path)
    return path


def test_official_mark_replaces_the_drawn_badge_in_every_format(tmp_path: Path) -> None:
    write_mark(tmp_path)
    spec = parse_spec(spec_with_mark(tmp_path, "ocop-mark.png"), tmp_path)
    assert spec.certification is not None and spec.certification.mark is not None
    assert spec.certification.mark.startswith("data:image/png;base64,")

    svg = render(spec, "svg", as_of=None).decode()
    assert 'class="ocop-official-mark"' in svg
    assert 'class="ocop-badge"' not in svg

    png = Image.open(io.BytesIO(render(spec, "png", dpi=100))).convert("RGB")
    assert MARK_RED in {color for _, color in png.getcolors(maxcolors=1 << 20)}

    with pikepdf.open(io.BytesIO(render(spec, "pdf"))) as pdf:
        images = [
            item
            for item in pdf.objects
            if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == pikepdf.Name.Image
        ]
    assert images, "the mark did not reach the PDF"


def test_mark_outside_the_allowed_forms_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(spec_with_mark(tmp_path, "file:///etc/passwd"), tmp_path)
    assert [problem.field for problem in caught.value.problems] == ["certification.mark"]
