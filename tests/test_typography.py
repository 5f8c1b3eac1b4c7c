"""Vietnamese typography: where lines may break (figures and units, phone numbers, dates, GTINs,
a headline's compound words) and the 6 pt floor of runs set smaller than their line."""

from __future__ import annotations

import pytest

from labelgen.fonts import BOLD, DEFAULT_FAMILY, REGULAR, font_face
from labelgen.linebreak import compound_gaps, no_break_gaps
from labelgen.text import MIN_RUN_SIZE_PT, Line, Paragraph, Run, SetText, set_text

FAMILY = DEFAULT_FAMILY
BODY_PT = 7.0
HEADLINE_PT = 16.0


def set_at(
    text: str, width_mm: float, size_pt: float, *, headline: bool = False, max_lines: int = 9
) -> SetText:
    """`text` set at exactly `size_pt` in a box `width_mm` wide and tall enough for anything."""
    weight = BOLD if headline else REGULAR
    return set_text(
        [Paragraph((Run(text, weight),), "product.name")],
        family=FAMILY,
        width_mm=width_mm,
        height_mm=200,
        max_size_pt=size_pt,
        min_size_pt=size_pt,
        max_lines=max_lines,
        balance=headline,
    )


def texts(result: SetText) -> list[str]:
    return ["".join(run.text for run in line.runs) for line in result.lines]


# Each width lies where breaking at any space would split the pair the rule holds together.
BODY_BREAKS = [
    ("Nhiệt độ tiệt trùng 95 °C", 28.0, ["Nhiệt độ tiệt trùng", "95 °C"]),
    ("Mỗi viên chứa 40 mg cao sen", 22.5, ["Mỗi viên chứa", "40 mg cao sen"]),
    ("Khối lượng tịnh 500 g", 24.5, ["Khối lượng tịnh", "500 g"]),
    ("Thể tích thực 750 ml", 23.0, ["Thể tích thực", "750 ml"]),
    ("Hạn sử dụng 12 tháng kể từ NSX", 24.0, ["Hạn sử dụng", "12 tháng kể từ NSX"]),
    ("Rượu sen, độ cồn 45% vol", 28.5, ["Rượu sen, độ cồn", "45% vol"]),
    ("Rượu sen, độ cồn 29,5 % vol", 30.0, ["Rượu sen, độ cồn", "29,5 % vol"]),
    ("Bảo quản ở 2 – 8 °C", 20.0, ["Bảo quản ở", "2 – 8 °C"]),
    ("Chiếu cói 90 × 180 cm", 21.0, ["Chiếu cói", "90 × 180 cm"]),
    ("Liên hệ ĐT: 0277 3 822 456", 27.0, ["Liên hệ ĐT:", "0277 3 822 456"]),
    ("Hotline: +84 277 3822 456", 27.5, ["Hotline:", "+84 277 3822 456"]),
    ("Hotline: 0913.123.456", 20.0, ["Hotline:", "0913.123.456"]),
    ("Ngày sản xuất 20/11/2026", 25.0, ["Ngày sản xuất", "20/11/2026"]),
    # A date in words may break, but between its parts: "ngày 20 | tháng 11 | năm 2026".
    ("Cấp ngày 20 tháng 11 năm 2026", 24.5, ["Cấp ngày 20", "tháng 11 năm 2026"]),
    ("Cấp ngày 20 tháng 11 năm 2026", 35.0, ["Cấp ngày 20 tháng 11", "năm 2026"]),
    ("Mã GTIN: 8 936012 345674", 27.5, ["Mã GTIN:", "8 936012 345674"]),
    ("Mã GTIN: 8936012345674", 25.0, ["Mã GTIN:", "8936012345674"]),
]

HEADLINE_BREAKS = [
    ("Hạt sen sấy giòn", 35.0, ["Hạt sen", "sấy giòn"]),
    ("Sầu riêng sấy giòn", 40.0, ["Sầu riêng", "sấy giòn"]),
    ("Kẹo sầu riêng Cái Mơn", 26.5, ["Kẹo", "sầu riêng", "Cái Mơn"]),
    ("Trà sen Tây Hồ ướp hương", 43.0, ["Trà sen Tây Hồ", "ướp hương"]),
    ("Sen Đồng Tháp sấy", 31.5, ["Sen", "Đồng Tháp", "sấy"]),
    ("Rượu mật ong Tây Hồ", 39.5, ["Rượu mật ong", "Tây Hồ"]),
    ("Nước mắm nhĩ cá cơm", 30.0, ["Nước mắm", "nhĩ", "cá cơm"]),
    ("Nước mắm cá cơm Phú Quốc", 45.0, ["Nước mắm", "cá cơm", "Phú Quốc"]),
    ("Bột cà phê rang xay", 25.5, ["Bột", "cà phê", "rang xay"]),
    ("Mật ong hoa cà phê", 27.0, ["Mật ong", "hoa", "cà phê"]),
]


@pytest.mark.parametrize(("text", "width_mm", "expected"), BODY_BREAKS)
def test_body_text_keeps_figures_numbers_and_dates_whole(
    text: str, width_mm: float, expected: list[str]
) -> None:
    result = set_at(text, width_mm, BODY_PT)
    assert texts(result) == expected
    assert result.fits


@pytest.mark.parametrize(("text", "width_mm", "expected"), HEADLINE_BREAKS)
def test_headline_keeps_compound_words_on_one_line(
    text: str, width_mm: float, expected: list[str]
) -> None:
    result = set_at(text, width_mm, HEADLINE_PT, headline=True)
    assert texts(result) == expected
    assert result.fits


@pytest.mark.parametrize("width_mm", [25.0, 30.0, 35.0, 40.0, 45.0])
def test_headline_leaves_no_syllable_alone_when_it_can(width_mm: float) -> None:
    assert texts(set_at("Hạt sen sấy giòn", width_mm, HEADLINE_PT, headline=True)) == [
        "Hạt sen",
        "sấy giòn",
    ]


def test_body_text_may_split_compounds() -> None:
    # Only headlines pay for the dictionary: body text breaks at any syllable the rules allow.
    result = set_at("Sản phẩm làm từ sầu riêng Cái Mơn", 28.0, BODY_PT)
    assert texts(result) == ["Sản phẩm làm từ sầu", "riêng Cái Mơn"]


def test_headline_shrinks_rather_than_split_a_compound() -> None:
    words = "Nước mắm cá cơm Phú Quốc"
    result = set_text(
        [Paragraph((Run(words, BOLD),), "product.name")],
        family=FAMILY,
        width_mm=40,
        height_mm=14,
        max_size_pt=20,
        min_size_pt=10,
        leading=1.08,
        max_lines=2,
        balance=True,
    )
    assert result.fits
    assert texts(result) == ["Nước mắm", "cá cơm Phú Quốc"]


def test_a_glued_group_wider_than_the_box_is_broken_rather_than_overflowing() -> None:
    result = set_at("ĐT: 0277 3 822 456", 12.0, BODY_PT)
    assert result.fits
    assert " ".join(texts(result)) == "ĐT: 0277 3 822 456"
    assert len(result.lines) > 2


def test_a_compound_is_split_only_when_nothing_else_fits() -> None:
    # "Nước mắm" alone is wider than 28 mm at 16 pt: the only way left is to break inside it.
    result = set_at("Nước mắm Phú Quốc", 28.0, HEADLINE_PT, headline=True)
    assert result.fits
    assert texts(result) == ["Nước", "mắm", "Phú Quốc"]


def test_glued_words_are_drawn_and_measured_with_their_normal_spaces() -> None:
    text = "Khối lượng tịnh 500 g, độ cồn 29,5 % vol, ĐT: 0277 3 822 456"
    (line,) = set_at(text, 200.0, BODY_PT).lines
    assert "".join(run.text for run in line.runs) == text
    assert line.width_mm == pytest.approx(font_face(FAMILY).text_width_mm(text, BODY_PT))


@pytest.mark.parametrize(
    ("words", "gaps"),
    [
        ("95 °C", {0}),
        ("(500 g),", {0}),
        ("500, gói", set()),
        ("29,5 % vol.", {0, 1}),
        ("45% vol", {0}),
        ("trong 3 ngày", {1}),
        ("ngày 20 tháng 11 năm 2026", {0, 2, 4}),
        ("+84 277 3822 456", {0, 1, 2}),
        ("Ấp 3, xã 4", set()),
        ("2 – 8 °C", {0, 1, 2}),
    ],
)
def test_no_break_rules(words: str, gaps: set[int]) -> None:
    assert no_break_gaps(tuple(words.split())) == gaps


@pytest.mark.parametrize(
    ("words", "gaps"),
    [
        ("Sầu riêng Tây Hồ", {0, 2}),
        ("Mật ong, Đồng Tháp", {0, 2}),
        ("sầu, riêng", set()),
        ("Nước mắm tôm Phú Quốc", {0, 1, 3}),
        ("cà phê 100 %", {0}),
    ],
)
def test_compounds_and_place_names_are_found(words: str, gaps: set[int]) -> None:
    assert compound_gaps(tuple(words.split())) == gaps


def heading_line(size_pt: float, *, scale: float = 1.0, language: str = "vi") -> Line:
    heading = "Khối lượng tịnh: " if language == "vi" else "Net weight: "
    paragraph = Paragraph(
        (Run(heading, scale=0.5), Run("200\u00a0g", BOLD)), "product.net_quantity", language, scale
    )
    result = set_text(
        [paragraph],
        family=FAMILY,
        width_mm=120,
        height_mm=40,
        max_size_pt=size_pt,
        min_size_pt=6,
    )
    (line,) = result.lines
    return line


@pytest.mark.parametrize("size_pt", [6.0, 8.0, 10.0, 11.6, 11.75])
def test_a_run_set_smaller_than_its_line_never_goes_under_6_pt(size_pt: float) -> None:
    line = heading_line(size_pt)
    heading, figures = line.runs
    assert line.font_size_pt * heading.scale == pytest.approx(MIN_RUN_SIZE_PT)
    assert line.font_size_pt * figures.scale == pytest.approx(size_pt)


def test_a_run_keeps_its_scale_when_it_is_large_enough() -> None:
    heading, _ = heading_line(14.0).runs
    assert heading.scale == 0.5


def test_a_floored_english_run_is_never_larger_than_the_vietnamese_one() -> None:
    vietnamese = heading_line(10.0)
    english = heading_line(10.0, scale=0.9, language="en")
    vi_size = vietnamese.font_size_pt * vietnamese.runs[0].scale
    en_size = english.font_size_pt * english.runs[0].scale
    assert MIN_RUN_SIZE_PT - 1e-9 <= en_size <= vi_size + 1e-9
    assert english.font_size_pt < vietnamese.font_size_pt


def test_the_line_width_counts_each_space_in_the_style_it_is_drawn() -> None:
    line = heading_line(8.0)
    expected_mm = sum(
        font_face(FAMILY, run.weight, run.italic).text_width_mm(
            run.text, line.font_size_pt * run.scale
        )
        for run in line.runs
    )
    assert line.width_mm == pytest.approx(expected_mm)
