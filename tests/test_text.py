"""Text setting: line breaking and shrink-to-fit from the bundled font's real metrics."""

from __future__ import annotations

import pytest

from labelgen.fonts import BOLD, DEFAULT_FAMILY, font_face
from labelgen.text import Paragraph, Run, set_text

FAMILY = DEFAULT_FAMILY


def paragraph(text: str, weight: int = 400) -> Paragraph:
    return Paragraph((Run(text, weight),), "product.name")


def test_short_text_is_set_at_the_largest_size() -> None:
    result = set_text(
        [paragraph("Hạt sen")],
        family=FAMILY,
        width_mm=80,
        height_mm=20,
        max_size_pt=20,
        min_size_pt=6,
    )
    assert result.fits
    assert result.font_size_pt == 20
    assert len(result.lines) == 1


def test_long_text_wraps_and_every_line_fits_the_width() -> None:
    text = "Hạt sen 95%, đường phèn 4%, muối 1%, sấy giòn theo phương pháp truyền thống"
    result = set_text(
        [paragraph(text)], family=FAMILY, width_mm=30, height_mm=40, max_size_pt=8, min_size_pt=6
    )
    assert result.fits
    assert len(result.lines) > 1
    face = font_face(FAMILY)
    for line in result.lines:
        line_text = "".join(run.text for run in line.runs)
        assert face.text_width_mm(line_text, line.font_size_pt) <= 30 + 1e-6
    words = " ".join("".join(run.text for run in line.runs) for line in result.lines)
    assert words == text  # nothing lost at the breaks


def test_text_shrinks_to_fit_the_height() -> None:
    result = set_text(
        [paragraph("Chiếu cói in hoa văn truyền thống Định Yên", BOLD)],
        family=FAMILY,
        width_mm=40,
        height_mm=9,
        max_size_pt=24,
        min_size_pt=6,
    )
    assert result.fits
    assert 6 <= result.font_size_pt < 24
    assert result.height_mm <= 9


def test_text_that_cannot_fit_is_reported_not_cut() -> None:
    text = "Một đoạn văn rất dài " * 20
    result = set_text(
        [paragraph(text)], family=FAMILY, width_mm=20, height_mm=5, max_size_pt=9, min_size_pt=6
    )
    assert not result.fits
    assert result.font_size_pt == 6
    joined = " ".join("".join(run.text for run in line.runs) for line in result.lines)
    assert joined.split() == text.split()


def test_max_lines_forces_a_smaller_size() -> None:
    text = "Hạt sen sấy giòn Tháp Mười"
    free = set_text(
        [paragraph(text)], family=FAMILY, width_mm=30, height_mm=50, max_size_pt=20, min_size_pt=6
    )
    capped = set_text(
        [paragraph(text)],
        family=FAMILY,
        width_mm=30,
        height_mm=50,
        max_size_pt=20,
        min_size_pt=6,
        max_lines=1,
    )
    assert len(free.lines) > 1
    assert len(capped.lines) == 1
    assert capped.font_size_pt < free.font_size_pt


def test_english_twin_is_smaller_but_not_under_the_floor() -> None:
    paragraphs = [
        paragraph("Thành phần: hạt sen"),
        Paragraph(
            (Run("Ingredients: lotus seeds", italic=True),), "product.ingredients_en", "en", 0.9
        ),
    ]
    result = set_text(
        paragraphs, family=FAMILY, width_mm=60, height_mm=20, max_size_pt=6.5, min_size_pt=6
    )
    vietnamese, english = result.lines
    assert english.font_size_pt <= vietnamese.font_size_pt
    assert english.font_size_pt >= 6


@pytest.mark.parametrize("text", ["200\u00a0g", "1,5\u00a0L"])
def test_no_break_space_keeps_figure_and_unit_together(text: str) -> None:
    result = set_text(
        [paragraph(f"Khối lượng tịnh {text}")],
        family=FAMILY,
        width_mm=22,
        height_mm=30,
        max_size_pt=10,
        min_size_pt=10,
    )
    assert any(text in "".join(run.text for run in line.runs) for line in result.lines)
