"""OCOP star badge: 3 to 5 stars, width in mm, colours, optional year/province → an SVG <g>."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from labelgen.colors import contrast_ratio
from labelgen.fonts import BOLD, DEFAULT_FAMILY, MM_PER_PT, REGULAR, font_face
from labelgen.templates import MIN_REVERSED_LINE_MM, MIN_REVERSED_TEXT_SIZE_PT, MIN_TEXT_SIZE_PT
from labelgen.xmltext import escape, quoteattr

CERTIFIED_STARS = (3, 4, 5)
FONT_FAMILY = DEFAULT_FAMILY
# The print norm's floor (REGULATIONS §7) as a font size in mm: badge text is judged at the size
# it is printed, and text that would come out smaller is left out, never set smaller.
MIN_TEXT_SIZE_MM = MIN_TEXT_SIZE_PT * MM_PER_PT
# The grade and the caption are set on the disc's and the ribbon's ink, in light colours (the
# paper's, often): they need the floor of text reversed out of ink.
MIN_ON_INK_SIZE_MM = MIN_REVERSED_TEXT_SIZE_PT * MM_PER_PT
# Be Vietnam Pro's capitals and digits stand 0.74 em tall (OS/2 sCapHeight 740 of 1000).
CAP_HEIGHT_EM = 0.74
# How far Vietnamese marks rise above it: 0.25 em for one (Á), 0.39 em for a stack (Ồ).
MARK_HEIGHT_EM = 0.3

# Geometry as fractions of the badge width, so every size is the same drawing scaled. The seal is
# a disc as wide as the badge; the caption ribbon crosses its foot and hangs below it.
OUTER_RADIUS = 0.5
FILL_RADIUS = 0.462
INNER_LINE_RADIUS = 0.425
INNER_LINE_WIDTH = 0.012
STAR_ARC_RADIUS = 0.32
# Fewer stars are drawn larger and further apart, so every grade's arc spans a similar width.
STAR_STEP_DEG = {3: 30.0, 4: 27.0, 5: 24.0}
STAR_RADIUS = {3: 0.074, 4: 0.068, 5: 0.062}
# A regular five-pointed star: the inner vertices sit on the outer radius times 1/φ².
STAR_INNER_RATIO = 0.382
OCOP_FONT_SIZE = 0.215
OCOP_BASELINE = 0.615
# A little tracking opens up capitals set this large and this bold.
OCOP_TRACKING = 0.006
RULE_Y = 0.667
RULE_HALF_LENGTH = 0.2
RULE_WIDTH = 0.01
SAO_FONT_SIZE = 0.112
SAO_BASELINE = 0.8
SAO_TRACKING = 0.008
# The ribbon starts well inside the seal, so it clearly crosses the inner line rather than
# grazing it, and ends at CAPTION_BOTTOM.
RIBBON_TOP = 0.9
CAPTION_BOTTOM = 1.24
RIBBON_NOTCH = 0.05
RIBBON_LINE_WIDTH = 0.02
CAPTION_PADDING = 0.035
CAPTION_LINE_GAP = 0.055
PROVINCE_FONT_SIZE = 0.105
YEAR_FONT_SIZE = 0.102
# Long province names are first set smaller, then condensed; past this they would stop reading.
MIN_CONDENSE = 0.6
# The narrowest badge whose own wording, "OCOP", reaches 6 pt. The grade line and the caption
# reach their 7 pt only from FULL_WIDTH_MM; narrower, they are left out and the stars show the
# grade.
MIN_WIDTH_MM = MIN_TEXT_SIZE_MM / OCOP_FONT_SIZE
FULL_WIDTH_MM = MIN_ON_INK_SIZE_MM / min(SAO_FONT_SIZE, PROVINCE_FONT_SIZE, YEAR_FONT_SIZE)
# Sizes computed as fractions of a width land a hair off the limit they were chosen to meet.
_TOLERANCE_MM = 1e-6

_HEX_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class CaptionLine:
    """One caption line: its text, font weight and font size as a fraction of the badge width."""

    text: str
    weight: int
    font_size: float


@dataclass(frozen=True)
class FittedLine:
    """A caption line as printed: its font size in mm and how far it is condensed (1 = not)."""

    line: CaptionLine
    font_size_mm: float
    condense: float


@dataclass(frozen=True)
class BadgeSize:
    """How large a badge is drawn in a box, and whether its caption ribbon is drawn with it."""

    width_mm: float
    height_mm: float
    with_caption: bool


@dataclass(frozen=True)
class BadgeColors:
    """The badge's four colours as #RRGGBB: seal field, stars, lettering and the metal-like rim."""

    fill: str = "#A6192E"
    star: str = "#F7C948"
    text: str = "#FFF8E7"
    ring: str = "#D9A93A"

    def __post_init__(self) -> None:
        # The colours land in SVG attributes; anything but a plain hex colour is refused outright.
        for name in ("fill", "star", "text", "ring"):
            value = getattr(self, name)
            if not _HEX_COLOR.match(value):
                raise ValueError(f"badge colour {name} must be written #RRGGBB, not {value!r}")

    @classmethod
    def from_brand(cls, primary: str, accent: str) -> BadgeColors:
        """Colours for a brand: its primary as the field, its accent for stars and rim if legible.

        An accent too close to the primary (contrast under 3:1, WCAG's floor for graphics) would
        make the stars vanish, so white or near-black is used instead, whichever stands out more.
        """
        lettering = _most_legible_neutral(primary)
        accent_reads = contrast_ratio(primary, accent) >= 3.0
        star = accent if accent_reads else lettering
        return cls(fill=primary, star=star, text=lettering, ring=star)


def _most_legible_neutral(background: str) -> str:
    white, ink = "#FFFFFF", "#1D1D1B"
    return max((white, ink), key=lambda neutral: contrast_ratio(background, neutral))


def has_caption(year: int | None, province: str | None) -> bool:
    """Whether there is a year or province to caption; shows_caption says if it is printed."""
    return year is not None or bool(province and province.strip())


def shows_caption(width_mm: float, year: int | None, province: str | None) -> bool:
    """Whether draw_badge adds the caption ribbon at this width: some line of it reaches 7 pt."""
    return bool(printed_caption(year, province, width_mm))


def shows_grade(width_mm: float) -> bool:
    """Whether the "n SAO" line reaches 7 pt at this width; below, the stars alone show the grade."""
    return width_mm * SAO_FONT_SIZE >= MIN_ON_INK_SIZE_MM - _TOLERANCE_MM


def fit_badge(
    box_width_mm: float, box_height_mm: float, year: int | None, province: str | None
) -> BadgeSize:
    """The largest badge a box holds, with its caption only where the caption is printed.

    A caption that would come out under 7 pt at the captioned size is dropped, and the badge,
    without its ribbon, grows to the box's height. Draw a badge fitted without a caption with
    no year and no province, or its caption may come back at the larger width.
    """
    if has_caption(year, province):
        width_mm = min(box_width_mm, box_height_mm / CAPTION_BOTTOM)
        if shows_caption(width_mm, year, province):
            return BadgeSize(width_mm, badge_height_mm(width_mm, with_caption=True), True)
    width_mm = min(box_width_mm, box_height_mm)
    return BadgeSize(width_mm, badge_height_mm(width_mm, with_caption=False), False)


def badge_height_mm(width_mm: float, *, with_caption: bool) -> float:
    """Height the badge takes at `width_mm`; with a caption when a year or province is given."""
    if with_caption:
        return _round_mm(width_mm * CAPTION_BOTTOM)
    return _round_mm(width_mm)


def draw_badge(
    stars: int,
    *,
    width_mm: float,
    colors: BadgeColors,
    year: int | None = None,
    province: str | None = None,
) -> str:
    """The badge as one SVG <g> filling (0, 0) to (width_mm, badge_height_mm(...)) in mm.

    Every text is sized as a share of `width_mm`, the width the badge is printed at, and no
    text is printed under 6 pt, nor the grade and the caption (set on the badge's ink) under
    7 pt: the "n SAO" line and each caption line are left out where they would come out smaller
    (the grade line below about 22.0 mm, the caption below about 24.2 mm, a long province sooner),
    never set smaller. "OCOP" is the mark itself and is always drawn;
    it reaches 6 pt from MIN_WIDTH_MM (about 9.8 mm) up. The caption ribbon is drawn when some
    caption line is printed, so reserve `badge_height_mm(width_mm, with_caption=shows_caption(
    width_mm, year, province))`, or let fit_badge size the badge for a box.

    Raises ValueError for a star count other than 3, 4 or 5 (only those may carry the OCOP mark),
    a width that is not a positive number, a year that is not four digits, and a province that
    holds control characters.
    """
    if not isinstance(stars, int) or stars not in CERTIFIED_STARS:
        raise ValueError(f"an OCOP badge shows 3, 4 or 5 stars, not {stars!r}")
    if not (math.isfinite(width_mm) and width_mm > 0):
        raise ValueError(f"badge width must be a positive number of mm, not {width_mm!r}")
    label = f"{stars} SAO"
    lines = printed_caption(year, province, width_mm)
    parts = [f'<g class="ocop-badge" role="img" aria-label={quoteattr(f"OCOP {label}")}>']
    parts.extend(draw_seal(width_mm, colors))
    parts.extend(draw_stars(stars, width_mm, colors.star))
    parts.extend(draw_wording(label, width_mm, colors))
    if lines:
        parts.extend(draw_ribbon(width_mm, colors))
        parts.extend(draw_caption_lines(lines, width_mm, colors.text))
    parts.append("</g>")
    return "".join(parts)


def draw_seal(width_mm: float, colors: BadgeColors) -> list[str]:
    """The round seal: a rim, the coloured field and a fine inner line that frames the lettering.

    The inner line is left out on a seal so small that it would be thinner than the 0.2 mm a line
    on the field's ink needs (the spreading ink would fill it in).
    """
    centre = width_mm * OUTER_RADIUS
    parts = [
        _circle(centre, centre, width_mm * OUTER_RADIUS, fill=colors.ring),
        _circle(centre, centre, width_mm * FILL_RADIUS, fill=colors.fill),
    ]
    if width_mm * INNER_LINE_WIDTH >= MIN_REVERSED_LINE_MM - _TOLERANCE_MM:
        parts.append(
            _circle(
                centre,
                centre,
                width_mm * INNER_LINE_RADIUS,
                stroke=colors.ring,
                stroke_width=width_mm * INNER_LINE_WIDTH,
            )
        )
    return parts


def draw_stars(stars: int, width_mm: float, color: str) -> list[str]:
    """`stars` five-pointed stars on an arc concentric with the seal, middle star highest."""
    centre = width_mm * OUTER_RADIUS
    arc_radius = width_mm * STAR_ARC_RADIUS
    shapes = []
    for index in range(stars):
        angle_deg = (index - (stars - 1) / 2) * STAR_STEP_DEG[stars]
        angle = math.radians(angle_deg)
        x = centre + arc_radius * math.sin(angle)
        y = centre - arc_radius * math.cos(angle)
        # Each star leans with the arc, pointing away from the seal's centre like a medal's.
        points = star_points(x, y, width_mm * STAR_RADIUS[stars], angle_deg)
        shapes.append(f'<polygon class="ocop-star" fill="{color}" points="{points}"/>')
    return shapes


def star_points(x_mm: float, y_mm: float, radius_mm: float, rotation_deg: float) -> str:
    """The ten vertices of a five-pointed star centred at (x, y), tip turned by `rotation_deg`."""
    vertices = []
    for vertex in range(10):
        radius = radius_mm if vertex % 2 == 0 else radius_mm * STAR_INNER_RATIO
        angle = math.radians(rotation_deg + vertex * 36)
        vertices.append(
            f"{_n(x_mm + radius * math.sin(angle))},{_n(y_mm - radius * math.cos(angle))}"
        )
    return " ".join(vertices)


def draw_wording(label: str, width_mm: float, colors: BadgeColors) -> list[str]:
    """'OCOP' large in the middle, a short rule, then the '4 SAO' grade in the star colour.

    The grade line is left out where it would be printed under 7 pt (shows_grade), and the rule
    with it: it separates nothing then, and at that width it would be thinner than the 0.2 mm a
    line on the disc's ink needs.
    """
    centre = width_mm * OUTER_RADIUS
    rule_y = width_mm * RULE_Y
    rule_half = width_mm * RULE_HALF_LENGTH
    parts = [
        _text(
            "OCOP",
            centre,
            width_mm * OCOP_BASELINE,
            width_mm * OCOP_FONT_SIZE,
            BOLD,
            colors.text,
            letter_spacing_mm=width_mm * OCOP_TRACKING,
        ),
    ]
    if shows_grade(width_mm):
        parts.append(
            f'<line x1="{_n(centre - rule_half)}" y1="{_n(rule_y)}" x2="{_n(centre + rule_half)}" '
            f'y2="{_n(rule_y)}" stroke="{colors.ring}" stroke-width="{_n(width_mm * RULE_WIDTH)}" '
            'stroke-linecap="round"/>'
        )
        parts.append(
            _text(
                label,
                centre,
                width_mm * SAO_BASELINE,
                width_mm * SAO_FONT_SIZE,
                BOLD,
                colors.star,
                letter_spacing_mm=width_mm * SAO_TRACKING,
            )
        )
    return parts


def draw_ribbon(width_mm: float, colors: BadgeColors) -> list[str]:
    """A swallow-tailed ribbon across the foot of the seal that carries the caption."""
    top, bottom = width_mm * RIBBON_TOP, width_mm * CAPTION_BOTTOM
    middle = (top + bottom) / 2
    notch = width_mm * RIBBON_NOTCH
    outline = [
        (0.0, top),
        (width_mm, top),
        (width_mm - notch, middle),
        (width_mm, bottom),
        (0.0, bottom),
        (notch, middle),
    ]
    # The border is a rim-coloured ribbon under an inset field-coloured one rather than a
    # stroke: a mitred stroke would poke past the badge's box at the tails' sharp corners.
    field = inset_polygon(outline, width_mm * RIBBON_LINE_WIDTH)
    return [
        f'<path class="ocop-ribbon" d="{_polygon_path(outline)}" fill="{colors.ring}"/>',
        f'<path class="ocop-ribbon" d="{_polygon_path(field)}" fill="{colors.fill}"/>',
    ]


def inset_polygon(
    outline: list[tuple[float, float]], distance_mm: float
) -> list[tuple[float, float]]:
    """`outline` (clockwise on screen) with every edge moved `distance_mm` inwards."""
    count = len(outline)
    shifted_edges = []
    for index in range(count):
        (x0, y0), (x1, y1) = outline[index], outline[(index + 1) % count]
        length = math.hypot(x1 - x0, y1 - y0)
        # With y pointing down, a clockwise outline has its inside to the right of each edge.
        normal_x, normal_y = -(y1 - y0) / length, (x1 - x0) / length
        start = (x0 + normal_x * distance_mm, y0 + normal_y * distance_mm)
        shifted_edges.append((start, (x1 - x0, y1 - y0)))
    return [
        _intersect_lines(shifted_edges[index - 1], shifted_edges[index]) for index in range(count)
    ]


def _intersect_lines(
    first: tuple[tuple[float, float], tuple[float, float]],
    second: tuple[tuple[float, float], tuple[float, float]],
) -> tuple[float, float]:
    (x0, y0), (dx0, dy0) = first
    (x1, y1), (dx1, dy1) = second
    along_first = ((x1 - x0) * dy1 - (y1 - y0) * dx1) / (dx0 * dy1 - dy0 * dx1)
    return x0 + along_first * dx0, y0 + along_first * dy0


def _polygon_path(points: list[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in points) + " Z"


def printed_caption(year: int | None, province: str | None, width_mm: float) -> list[FittedLine]:
    """The caption lines printed on a badge `width_mm` wide, each fitted to the ribbon's width.

    A line that cannot be set at 7 pt or more within the ribbon (it is reversed out of the
    ribbon's ink) is left out; ValueError for a year or province that caption_lines refuses.
    """
    available_mm = width_mm * (1 - 2 * (RIBBON_NOTCH + CAPTION_PADDING))
    printed = []
    for line in caption_lines(year, province):
        fitted = fit_line(
            line.text, line.weight, width_mm * line.font_size, available_mm, MIN_ON_INK_SIZE_MM
        )
        if fitted is not None:
            printed.append(FittedLine(line, *fitted))
    return printed


def draw_caption_lines(lines: list[FittedLine], width_mm: float, color: str) -> list[str]:
    """The fitted caption lines as one block centred in the ribbon."""
    baselines = stack_baselines(
        [fitted.line.text for fitted in lines],
        [fitted.font_size_mm for fitted in lines],
        centre_mm=width_mm * (RIBBON_TOP + CAPTION_BOTTOM) / 2,
        gap_mm=width_mm * CAPTION_LINE_GAP,
    )
    return [
        _text(
            fitted.line.text,
            width_mm / 2,
            baseline,
            fitted.font_size_mm,
            fitted.line.weight,
            color,
            condense=fitted.condense,
        )
        for fitted, baseline in zip(lines, baselines, strict=True)
    ]


def stack_baselines(
    texts: list[str], font_sizes_mm: list[float], *, centre_mm: float, gap_mm: float
) -> list[float]:
    """Baselines that stack the lines `gap_mm` apart with the block's ink centred on `centre_mm`.

    Capitals and digits have no descenders, so a line's ink runs from its cap height (plus the
    Vietnamese tone marks stacked above, when it has any) down to its baseline.
    """
    tops = [
        font_size * (CAP_HEIGHT_EM + (MARK_HEIGHT_EM if _has_marks_above(text) else 0.0))
        for text, font_size in zip(texts, font_sizes_mm, strict=True)
    ]
    block_mm = sum(tops) + gap_mm * (len(texts) - 1)
    baselines = []
    cursor = centre_mm - block_mm / 2
    for top in tops:
        cursor += top
        baselines.append(cursor)
        cursor += gap_mm
    return baselines


def _has_marks_above(text: str) -> bool:
    # In NFC every accented capital is one precomposed character that decomposes into a base
    # letter and marks; Đ is a letter of its own and carries nothing above.
    return any(unicodedata.decomposition(character) for character in text if character.isalpha())


def fit_line(
    text: str,
    weight: int,
    font_size_mm: float,
    available_mm: float,
    min_size_mm: float = MIN_TEXT_SIZE_MM,
) -> tuple[float, float] | None:
    """Font size and horizontal condensing that set `text` within `available_mm` on one line;
    None when it cannot be set at `min_size_mm` (6 pt) or more, and so is not printed.

    The size shrinks first, but never below `min_size_mm`; only then are the letters condensed,
    since a narrower letter stays readable longer than a shorter one, down to MIN_CONDENSE.
    """
    if font_size_mm < min_size_mm - _TOLERANCE_MM:
        return None
    natural_mm = _text_width_mm(text, weight, font_size_mm)
    if natural_mm <= available_mm:
        return font_size_mm, 1.0
    fitted_size = max(min_size_mm, font_size_mm * available_mm / natural_mm)
    condense = min(1.0, available_mm / _text_width_mm(text, weight, fitted_size))
    if condense < MIN_CONDENSE:
        return None
    return fitted_size, condense


def caption_lines(year: int | None, province: str | None) -> list[CaptionLine]:
    """The province in bold capitals above the year in regular weight; absent ones are left out."""
    lines = []
    if province and province.strip():
        lines.append(CaptionLine(format_province(province), BOLD, PROVINCE_FONT_SIZE))
    if year is not None:
        # The ribbon is sized for four digits; bool is refused although it is an int.
        if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 9999:
            raise ValueError(f"the badge's year must be a four-digit year, not {year!r}")
        lines.append(CaptionLine(str(year), REGULAR, YEAR_FONT_SIZE))
    return lines


def format_province(province: str) -> str:
    """The province as the ribbon shows it: NFC capitals on one line, spaces collapsed."""
    # Control characters cannot appear in XML at all, escaped or not; line breaks and tabs are
    # only spacing and are collapsed below.
    if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in province):
        raise ValueError(f"the province {province!r} holds control characters")
    return unicodedata.normalize("NFC", " ".join(province.split()).upper())


def _text_width_mm(text: str, weight: int, font_size_mm: float) -> float:
    return font_face(FONT_FAMILY, weight).text_width_mm(text, font_size_mm / MM_PER_PT)


def _text(
    content: str,
    x_mm: float,
    y_mm: float,
    font_size_mm: float,
    weight: int,
    color: str,
    *,
    letter_spacing_mm: float = 0.0,
    condense: float = 1.0,
) -> str:
    spacing = f' letter-spacing="{_n(letter_spacing_mm)}"' if letter_spacing_mm else ""
    # Condensing scales about the line's own anchor point so the text stays centred.
    if condense < 1.0:
        position = f'x="0" y="0" transform="matrix({_n(condense)} 0 0 1 {_n(x_mm)} {_n(y_mm)})"'
    else:
        position = f'x="{_n(x_mm)}" y="{_n(y_mm)}"'
    return (
        f'<text {position} font-family="{FONT_FAMILY}" font-size="{_n(font_size_mm)}" '
        f'font-weight="{weight}" fill="{color}" text-anchor="middle"{spacing}>'
        f"{escape(content)}</text>"
    )


def _circle(
    x_mm: float,
    y_mm: float,
    radius_mm: float,
    *,
    fill: str = "none",
    stroke: str | None = None,
    stroke_width: float = 0.0,
) -> str:
    stroke_attrs = f' stroke="{stroke}" stroke-width="{_n(stroke_width)}"' if stroke else ""
    return (
        f'<circle cx="{_n(x_mm)}" cy="{_n(y_mm)}" r="{_n(radius_mm)}" fill="{fill}"{stroke_attrs}/>'
    )


def _round_mm(value_mm: float) -> float:
    return round(value_mm, 3)


def _n(value: float) -> str:
    # Three decimals (a micrometre) is finer than any press, and keeps output byte-stable.
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
