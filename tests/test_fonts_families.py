"""The label font families a producer can choose: each bundled in full, Vietnamese, and embedded."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import EXAMPLES_DIR, example_document
from test_outputs import vietnamese_letters

from labelgen.errors import SpecError
from labelgen.export import export_pdf, export_png
from labelgen.fonts import (
    DEFAULT_FAMILY,
    LABEL_STYLES,
    bundled_faces,
    font_face,
    label_families,
)
from labelgen.layout import layout_set
from labelgen.resources import bundled_dir
from labelgen.spec import parse_spec

CHOSEN_FAMILIES = ("Noto Serif", "Noto Serif Display")


def test_the_families_offered_are_the_default_then_a_serif_and_a_display_face() -> None:
    assert label_families() == [DEFAULT_FAMILY, *CHOSEN_FAMILIES]


@pytest.mark.parametrize("family", [DEFAULT_FAMILY, *CHOSEN_FAMILIES])
@pytest.mark.parametrize(("weight", "italic"), LABEL_STYLES)
def test_every_offered_face_has_all_134_vietnamese_letters(
    family: str, weight: int, italic: bool
) -> None:
    letters = [letter for letter in vietnamese_letters() if not letter.isascii()]
    assert len(letters) == 134
    face = font_face(family, weight, italic)
    assert face.missing_characters("".join(vietnamese_letters())) == []
    assert face.missing_characters("★漢") == ["★", "漢"]  # the check itself can find a gap
    assert face.path.with_suffix(".woff2").is_file(), "the SVG's web font is kept beside the TTF"


@pytest.mark.parametrize("family", CHOSEN_FAMILIES)
def test_every_bundled_family_ships_its_licence(family: str) -> None:
    licence = bundled_dir("fonts") / "OFL-Noto.txt"
    text = licence.read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in text
    assert family.startswith("Noto")


def test_a_family_missing_a_style_is_refused_not_replaced() -> None:
    faces = bundled_faces()
    assert all(all(style in faces[family] for style in LABEL_STYLES) for family in faces)
    spec_document = example_document("hat-sen-say")
    spec_document["brand"]["font"] = "Times New Roman"
    with pytest.raises(SpecError) as refused:
        layout_set(parse_spec(spec_document, base_dir=EXAMPLES_DIR), spec_dir=EXAMPLES_DIR)
    assert "brand.font" in str(refused.value)


@pytest.mark.parametrize("family", CHOSEN_FAMILIES)
def test_a_label_in_a_chosen_family_embeds_that_family_only(family: str) -> None:
    spec_document = example_document("hat-sen-say")
    spec_document["brand"]["font"] = family
    spec = parse_spec(spec_document, base_dir=EXAMPLES_DIR)
    layout = layout_set(spec, spec_dir=EXAMPLES_DIR).panels[0]
    assert layout.font_family == family
    listing = subprocess.run(
        ["pdffonts", "-"], input=export_pdf(layout), capture_output=True, check=True, timeout=60
    ).stdout.decode()
    rows = listing.splitlines()[2:]
    embedded_name = family.replace(" ", "-")  # as WeasyPrint names the subset
    in_family = [row.split()[0] for row in rows if re.match(rf"\w{{6}}\+{embedded_name}[\s-]", row)]
    assert len(in_family) >= 2, listing  # the regular and the bold at least
    for row in rows:
        flags = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert flags is not None, row
        assert flags.groups() == ("yes", "yes", "yes"), f"not embedded/subset/unicode: {row}"
        # The OCOP badge keeps the house face; everything else is the chosen family.
        assert in_family.count(row.split()[0]) or "+Be-Vietnam-Pro-" in row, f"not bundled: {row}"
    assert export_png(layout, 72).startswith(b"\x89PNG")
