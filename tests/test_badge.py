"""The OCOP star badge: its SVG structure, wording, refusals, and what it looks like once drawn."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from conftest import EXAMPLES_DIR, FOOD_EXAMPLE, example_document
from defusedxml.ElementTree import fromstring
from fontTools.ttLib import TTFont
from PIL import Image

from labelgen.badge import (
    CAP_HEIGHT_EM,
    CAPTION_BOTTOM,
    FULL_WIDTH_MM,
    MIN_CONDENSE,
    MIN_TEXT_SIZE_MM,
    MIN_WIDTH_MM,
    OCOP_BASELINE,
    OCOP_FONT_SIZE,
    BadgeColors,
    badge_height_mm,
    contrast_ratio,
    draw_badge,
    fit_badge,
    has_caption,
    shows_caption,
    shows_grade,
)
from labelgen.draw import draw_svg
from labelgen.fonts import MM_PER_PT
from labelgen.layout import layout_label
from labelgen.resources import bundled_dir
from labelgen.spec import parse_spec
from labelgen.templates import bundled_template_ids, load_template

SVG_NS = "{http://www.w3.org/2000/svg}"
COLORS = BadgeColors()
WIDTHS_MM = (16.0, 24.0, 40.0)


def wrap_svg(fragment: str, width_mm: float, height_mm: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm}mm" height="{height_mm}mm" '
        f'viewBox="0 0 {width_mm} {height_mm}">{fragment}</svg>'
    )


def parse_badge(fragment: str, width_mm: float = 24.0) -> Element:
    """The badge's <g>, parsed without entity resolution inside a wrapper <svg>."""
    root = fromstring(wrap_svg(fragment, width_mm, width_mm * 2))
    (group,) = list(root)
    return group


def texts_of(group: Element) -> list[str]:
    return [element.text or "" for element in group.iter(f"{SVG_NS}text")]


def star_shapes(group: Element) -> list[Element]:
    return [element for element in group.iter() if element.get("class") == "ocop-star"]


@pytest.mark.parametrize("stars", [3, 4, 5])
@pytest.mark.parametrize("width_mm", WIDTHS_MM)
def test_fragment_is_one_well_formed_group(stars: int, width_mm: float) -> None:
    fragment = draw_badge(stars, width_mm=width_mm, colors=COLORS, year=2024, province="Đồng Tháp")
    group = parse_badge(fragment, width_mm)
    assert group.tag == f"{SVG_NS}g"
    assert fragment.startswith("<g") and fragment.endswith("</g>")


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_draws_one_star_shape_per_star_and_no_star_character(stars: int) -> None:
    fragment = draw_badge(stars, width_mm=24, colors=COLORS, year=2024, province="Huế")
    group = parse_badge(fragment)
    assert len(star_shapes(group)) == stars
    assert all(shape.tag == f"{SVG_NS}polygon" for shape in star_shapes(group))
    assert len(list(group.iter(f"{SVG_NS}polygon"))) == stars
    assert "★" not in fragment and "☆" not in fragment


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_wording_names_the_grade_in_vietnamese(stars: int) -> None:
    group = parse_badge(draw_badge(stars, width_mm=24, colors=COLORS))
    assert texts_of(group) == ["OCOP", f"{stars} SAO"]


def test_caption_shows_province_in_capitals_above_the_year() -> None:
    group = parse_badge(draw_badge(4, width_mm=25, colors=COLORS, year=2024, province="Đồng Tháp"))
    assert texts_of(group) == ["OCOP", "4 SAO", "ĐỒNG THÁP", "2024"]


def test_caption_accepts_decomposed_input_and_stray_spaces() -> None:
    group = parse_badge(draw_badge(4, width_mm=24, colors=COLORS, province="  đồng\n tháp "))
    assert texts_of(group)[-1] == "ĐỒNG THÁP"


@pytest.mark.parametrize(
    ("year", "province", "caption"),
    [(2023, None, ["2023"]), (None, "Gia Lai", ["GIA LAI"]), (None, None, []), (None, " ", [])],
)
def test_caption_holds_only_what_is_given(
    year: int | None, province: str | None, caption: list[str]
) -> None:
    group = parse_badge(draw_badge(5, width_mm=25, colors=COLORS, year=year, province=province))
    assert texts_of(group)[2:] == caption
    ribbons = [element for element in group.iter() if element.get("class") == "ocop-ribbon"]
    assert bool(ribbons) == bool(caption) == has_caption(year, province)


@pytest.mark.parametrize("stars", [0, 1, 2, 6, -4, True])
def test_refuses_star_counts_that_may_not_carry_the_mark(stars: int) -> None:
    with pytest.raises(ValueError, match="3, 4 or 5 stars"):
        draw_badge(stars, width_mm=24, colors=COLORS)


@pytest.mark.parametrize("width_mm", [0.0, -16.0, float("nan"), float("inf")])
def test_refuses_a_width_that_is_not_a_positive_number(width_mm: float) -> None:
    with pytest.raises(ValueError, match="width"):
        draw_badge(4, width_mm=width_mm, colors=COLORS)


@pytest.mark.parametrize("year", [24, 20245, True])
def test_refuses_a_year_that_is_not_four_digits(year: int) -> None:
    with pytest.raises(ValueError, match="four-digit year"):
        draw_badge(4, width_mm=24, colors=COLORS, year=year)


def test_output_is_deterministic() -> None:
    def draw() -> str:
        return draw_badge(5, width_mm=31.7, colors=COLORS, year=2025, province="Cần Thơ")

    assert draw() == draw()


def test_coordinates_have_at_most_three_decimals() -> None:
    fragment = draw_badge(5, width_mm=31.7, colors=COLORS, year=2025, province="Cần Thơ")
    assert not re.search(r"\d\.\d{4,}", fragment)


@pytest.mark.parametrize("province", ["Bến Tre & Trà Vinh", "<script>alert(1)</script>", 'A"B'])
def test_province_text_is_escaped(province: str) -> None:
    fragment = draw_badge(4, width_mm=40, colors=COLORS, year=2024, province=province)
    assert "<SCRIPT>" not in fragment
    assert "&" not in province or "&amp;" in fragment
    assert texts_of(parse_badge(fragment, 40))[2] == province.upper()


def test_refuses_a_province_with_control_characters() -> None:
    with pytest.raises(ValueError, match="control characters"):
        draw_badge(4, width_mm=24, colors=COLORS, province="Huế\x00")


def test_refuses_colours_that_are_not_hex() -> None:
    with pytest.raises(ValueError, match="#RRGGBB"):
        BadgeColors(fill='red" onload="alert(1)')


@pytest.mark.parametrize("width_mm", WIDTHS_MM)
def test_text_uses_the_bundled_family_two_weights_and_centred_anchors(width_mm: float) -> None:
    fragment = draw_badge(3, width_mm=width_mm, colors=COLORS, year=2024, province="Lâm Đồng")
    for text in parse_badge(fragment, width_mm).iter(f"{SVG_NS}text"):
        assert text.get("font-family") == "Be Vietnam Pro"
        assert text.get("font-weight") in {"400", "700"}
        assert text.get("text-anchor") == "middle"


def font_sizes_pt(group: Element) -> dict[str, float]:
    """Each text of the badge with its font size in points, as printed (the badge is in mm)."""
    return {
        element.text or "": float(element.get("font-size", "0")) / MM_PER_PT
        for element in group.iter(f"{SVG_NS}text")
    }


@pytest.mark.parametrize(
    "province", ["Đồng Tháp", "Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh", "Thừa Thiên Huế"]
)
@pytest.mark.parametrize("width_mm", [MIN_WIDTH_MM, 10.8, 14.5, 18.55, 20.4, FULL_WIDTH_MM, 24])
def test_no_text_is_printed_under_6_pt_at_any_width(province: str, width_mm: float) -> None:
    fragment = draw_badge(5, width_mm=width_mm, colors=COLORS, year=2024, province=province)
    sizes = font_sizes_pt(parse_badge(fragment, width_mm))
    assert "OCOP" in sizes
    for text, size_pt in sizes.items():
        assert size_pt >= 6 - 1e-3, (text, size_pt)


@pytest.mark.parametrize("width_mm", [20.4, 22.1, 23.0, 23.6, FULL_WIDTH_MM, 24, 30])
def test_the_grade_and_caption_on_the_badges_ink_are_never_under_7_pt(width_mm: float) -> None:
    fragment = draw_badge(5, width_mm=width_mm, colors=COLORS, year=2024, province="Đồng Tháp")
    sizes = font_sizes_pt(parse_badge(fragment, width_mm))
    for text in ("5 SAO", "ĐỒNG THÁP", "2024"):
        if text in sizes:
            assert sizes[text] >= 7 - 0.01, (text, sizes[text])  # sizes are written to 1 µm


def test_the_grade_and_caption_are_left_out_below_their_floor_never_set_smaller() -> None:
    def texts_at(width_mm: float) -> list[str]:
        fragment = draw_badge(4, width_mm=width_mm, colors=COLORS, year=2024, province="Huế")
        return texts_of(parse_badge(fragment, width_mm))

    assert abs(MIN_WIDTH_MM * OCOP_FONT_SIZE - 6 * MM_PER_PT) < 1e-9
    assert texts_at(FULL_WIDTH_MM) == ["OCOP", "4 SAO", "HUẾ", "2024"]
    assert texts_at(23.8) == ["OCOP", "4 SAO", "HUẾ"]  # the year is set a little smaller
    assert texts_at(23.0) == ["OCOP", "4 SAO"]
    assert texts_at(22.1) == ["OCOP", "4 SAO"]
    assert texts_at(21.9) == ["OCOP"]
    assert texts_at(10.8) == ["OCOP"]
    assert not shows_grade(21.9) and shows_grade(22.1)
    assert not shows_caption(23.4, 2024, "Huế") and shows_caption(23.6, 2024, "Huế")
    assert shows_caption(FULL_WIDTH_MM, 2024, None)


def test_a_badge_without_its_caption_draws_no_ribbon() -> None:
    fragment = draw_badge(3, width_mm=16, colors=COLORS, year=2024, province="Đồng Tháp")
    group = parse_badge(fragment, 16)
    assert not [element for element in group.iter() if element.get("class") == "ocop-ribbon"]
    assert all(y_mm <= 16 + 1e-3 for _, y_mm in shape_extremes(group))


def bundled_badge_boxes() -> list[tuple[str, float, float]]:
    boxes = []
    for template_id in bundled_template_ids():
        slot = load_template(template_id).manifest.graphic_slots.get("badge")
        if slot is not None:
            boxes.append((template_id, slot.box.width_mm, slot.box.height_mm))
    return sorted(boxes, key=lambda box: min(box[1], box[2]))


def test_the_smallest_bundled_badge_slot_is_the_round_jar() -> None:
    assert bundled_badge_boxes()[0] == ("round-jar", 11.6, 13.4)


@pytest.mark.parametrize(
    ("template_id", "box_width_mm", "box_height_mm"),
    bundled_badge_boxes(),
    ids=[box[0] for box in bundled_badge_boxes()],
)
def test_bundled_badge_slots_print_no_badge_text_under_6_pt(
    template_id: str, box_width_mm: float, box_height_mm: float
) -> None:
    caption = {"year": 2024, "province": "Thành phố Hồ Chí Minh"}
    # As fitted for the box, and at the width a slot sized for the caption's ribbon gives.
    fitted = fit_badge(box_width_mm, box_height_mm, **caption)
    captioned_width_mm = min(box_width_mm, box_height_mm / CAPTION_BOTTOM)
    for width_mm, shown in (
        (fitted.width_mm, caption if fitted.with_caption else {}),
        (captioned_width_mm, caption),
    ):
        sizes = font_sizes_pt(parse_badge(draw_badge(4, width_mm=width_mm, colors=COLORS, **shown)))
        assert min(sizes.values()) >= 6 - 1e-3, (width_mm, sizes)
    assert fitted.width_mm <= box_width_mm + 1e-9 and fitted.height_mm <= box_height_mm + 1e-9


def test_fit_badge_drops_a_caption_too_small_to_print_and_grows_into_its_room() -> None:
    jar = fit_badge(10.8, 13.4, 2024, "Đồng Tháp")
    assert (jar.width_mm, jar.height_mm, jar.with_caption) == (10.8, 10.8, False)
    classic = fit_badge(25, 23, 2024, "Đồng Tháp")  # 18.5 mm with a ribbon: caption at 5.5 pt
    assert (classic.width_mm, classic.with_caption) == (23, False)
    assert shows_grade(classic.width_mm)
    roomy = fit_badge(30, 30, 2024, "Đồng Tháp")
    assert roomy.with_caption
    assert roomy.height_mm == badge_height_mm(roomy.width_mm, with_caption=True) <= 30
    assert fit_badge(30, 30, None, None) == fit_badge(30, 30, None, " ")


def test_the_round_jar_prints_its_badge_at_6_pt_or_more() -> None:
    document = example_document(FOOD_EXAMPLE)
    document["template"] = "round-jar"
    document["certification"]["province"] = "Đồng Tháp"
    layout = layout_label(parse_spec(document, base_dir=EXAMPLES_DIR))
    assert layout.badge is not None
    svg = draw_svg(layout, embed_fonts=False)
    badge = svg[svg.index('<g class="ocop-badge"') : svg.index("</g>", svg.index("ocop-badge"))]
    sizes = [float(size) / MM_PER_PT for size in re.findall(r'font-size="([\d.]+)"', badge)]
    assert sizes and min(sizes) >= 6 - 1e-3


def test_cap_height_constant_matches_the_bundled_font() -> None:
    for weight in ("Regular", "Bold"):
        with TTFont(str(bundled_dir("fonts") / f"BeVietnamPro-{weight}.ttf")) as font:
            cap_height_em = font["OS/2"].sCapHeight / font["head"].unitsPerEm
        assert cap_height_em == pytest.approx(CAP_HEIGHT_EM)


def test_a_long_province_is_condensed_within_limits_and_an_absurd_one_left_out() -> None:
    fragment = draw_badge(5, width_mm=25, colors=COLORS, province="Thành phố Hồ Chí Minh")
    (province_text,) = [
        t for t in parse_badge(fragment, 25).iter(f"{SVG_NS}text") if t.get("transform")
    ]
    scale_x = float(province_text.get("transform", "").split("(")[1].split()[0])
    assert MIN_CONDENSE <= scale_x < 1
    assert float(province_text.get("font-size", "0")) >= MIN_TEXT_SIZE_MM - 1e-3
    absurd = draw_badge(5, width_mm=25, colors=COLORS, year=2024, province="Thành phố " * 6)
    assert texts_of(parse_badge(absurd, 25)) == ["OCOP", "5 SAO", "2024"]
    assert not shows_caption(24, None, "Thành phố " * 6)


@pytest.mark.parametrize("width_mm", WIDTHS_MM)
@pytest.mark.parametrize("with_caption", [False, True])
def test_shapes_stay_inside_the_reserved_box(width_mm: float, with_caption: bool) -> None:
    caption: dict[str, Any] = {"year": 2024, "province": "Đồng Tháp"} if with_caption else {}
    shown = shows_caption(width_mm, caption.get("year"), caption.get("province"))
    height_mm = badge_height_mm(width_mm, with_caption=shown)
    group = parse_badge(draw_badge(5, width_mm=width_mm, colors=COLORS, **caption), width_mm)
    for x_mm, y_mm in shape_extremes(group):
        assert -1e-3 <= x_mm <= width_mm + 1e-3
        assert -1e-3 <= y_mm <= height_mm + 1e-3


def shape_extremes(group: Element) -> Iterator[tuple[float, float]]:
    """Every vertex of the polygons and paths, and the four extreme points of every circle."""
    for element in group.iter():
        tag = element.tag.removeprefix(SVG_NS)
        if tag == "circle":
            cx, cy, r = (float(element.get(name, "0")) for name in ("cx", "cy", "r"))
            r += float(element.get("stroke-width", "0")) / 2
            yield from [(cx - r, cy), (cx + r, cy), (cx, cy - r), (cx, cy + r)]
        elif tag in ("polygon", "path"):
            numbers = [
                float(n)
                for n in re.findall(
                    r"-?\d+(?:\.\d+)?", element.get("points") or element.get("d", "")
                )
            ]
            yield from zip(numbers[::2], numbers[1::2], strict=True)


def test_height_keeps_a_fixed_aspect_ratio() -> None:
    for with_caption in (False, True):
        ratios = {badge_height_mm(w, with_caption=with_caption) / w for w in (16, 20, 40)}
        assert max(ratios) - min(ratios) < 1e-3
    assert badge_height_mm(24, with_caption=False) == 24
    assert badge_height_mm(24, with_caption=True) > 24


def test_default_colours_contrast() -> None:
    assert contrast_ratio(COLORS.fill, COLORS.text) >= 4.5
    assert contrast_ratio(COLORS.fill, COLORS.star) >= 3


def test_brand_colours_fall_back_to_a_neutral_when_the_accent_would_vanish() -> None:
    readable = BadgeColors.from_brand("#0B6E4F", "#F2A541")
    assert (readable.fill, readable.star, readable.ring) == ("#0B6E4F", "#F2A541", "#F2A541")
    muddy = BadgeColors.from_brand("#0B6E4F", "#1E7A5A")
    assert muddy.star == muddy.text == "#FFFFFF"
    assert BadgeColors.from_brand("#F4E9C9", "#F2D7A1").text == "#1D1D1B"


@pytest.fixture(scope="module")
def cairosvg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """CairoSVG with fontconfig pointed at the bundled fonts only, set before its first import."""
    config_dir = tmp_path_factory.mktemp("fontconfig")
    config_path = config_dir / "fonts.conf"
    config_path.write_text(
        '<?xml version="1.0"?>\n<fontconfig>\n'
        f"  <dir>{bundled_dir('fonts')}</dir>\n  <cachedir>{config_dir / 'cache'}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FONTCONFIG_FILE", str(config_path))
        import cairosvg

        yield cairosvg


def render_rgb(
    cairosvg: ModuleType, fragment: str, width_mm: float, height_mm: float
) -> Image.Image:
    svg = wrap_svg(
        f'<rect width="100%" height="100%" fill="#FFFFFF"/>{fragment}', width_mm, height_mm
    )
    png = cairosvg.svg2png(bytestring=svg.encode(), dpi=300)
    return Image.open(io.BytesIO(png)).convert("RGB")


def count_blobs(image: Image.Image, color: str, *, tolerance: int, min_pixels: int) -> int:
    """Connected (4-neighbour) areas of at least `min_pixels` pixels close to `color`.

    A pixel is close when every channel is within `tolerance`; areas smaller than `min_pixels`
    are anti-aliasing specks, not shapes.
    """
    target = tuple(int(color[index : index + 2], 16) for index in (1, 3, 5))
    width, height = image.size
    pixels = image.load()
    matching = {
        (x, y)
        for y in range(height)
        for x in range(width)
        if all(abs(a - b) <= tolerance for a, b in zip(pixels[x, y], target, strict=True))
    }
    blobs = 0
    while matching:
        stack = [matching.pop()]
        size = 0
        while stack:
            x, y = stack.pop()
            size += 1
            for neighbour in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if neighbour in matching:
                    matching.remove(neighbour)
                    stack.append(neighbour)
        blobs += size >= min_pixels
    return blobs


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_rendered_stars_are_separate_blobs_of_the_star_colour(
    cairosvg: ModuleType, stars: int
) -> None:
    width_mm = MIN_WIDTH_MM
    height_mm = badge_height_mm(width_mm, with_caption=True)
    fragment = draw_badge(stars, width_mm=width_mm, colors=COLORS, year=2024, province="Huế")
    image = render_rgb(cairosvg, fragment, width_mm, height_mm)
    # "n SAO" is set in the star colour too, lower down: look only above the top of "OCOP".
    ocop_top_mm = width_mm * (OCOP_BASELINE - OCOP_FONT_SIZE * CAP_HEIGHT_EM)
    star_band = image.crop((0, 0, image.width, int(image.height * ocop_top_mm / height_mm)))
    # The gold rim is only ~30 levels away from the star gold on each channel: keep under that.
    assert count_blobs(star_band, COLORS.star, tolerance=16, min_pixels=12) == stars


def test_rendered_lettering_is_drawn(cairosvg: ModuleType) -> None:
    fragment = draw_badge(4, width_mm=24, colors=COLORS, year=2024, province="Đồng Tháp")
    image = render_rgb(cairosvg, fragment, 24, badge_height_mm(24, with_caption=True))
    # "OCOP" and the two caption lines are in the lettering colour: more than a few specks of it.
    assert count_blobs(image, COLORS.text, tolerance=24, min_pixels=6) >= 4 + 8
