"""Draw stage: a Layout → one SVG document (the only module that writes SVG)."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from labelgen import codes
from labelgen.badge import BadgeColors, draw_badge
from labelgen.colors import relative_luminance, role_color
from labelgen.errors import TemplateError
from labelgen.fonts import BOLD, MM_PER_PT, REGULAR, FontFace, font_face
from labelgen.layout import (
    BadgePlacement,
    BarcodePlacement,
    Layout,
    QrPlacement,
    SerialLine,
    TextBlock,
)
from labelgen.templates import Box
from labelgen.text import Line, Run
from labelgen.xmltext import escape, quoteattr

MARK_LENGTH_MM = 5.0
MARK_OFFSET_MM = 2.0  # gap between the bleed edge and the start of a crop mark
MARK_STROKE_MM = 0.25 * MM_PER_PT  # 0.25 pt, the thinnest line print shops accept
DRAFT_COLOR = "#D7263D"
# A grey is neutral when its channels lie this close (the press conversion's own tolerance), and
# a neutral this dark (#272727 and under, such as the #1D1D1B templates use) means black.
NEUTRAL_SPREAD = 3
NEAR_BLACK_LUMINANCE = 0.0203
# How every renderer must set text: as measured (no kerning, no ligatures), spaces kept.
TEXT_STYLE_RULE = "text{font-kerning:none;font-variant-ligatures:none;white-space:pre}"
_HEX_COLOUR = re.compile(r"(?<=[\"':])#([0-9A-Fa-f]{6})(?![0-9A-Za-z])")


def print_margin_mm(layout: Layout) -> float:
    """Distance from the trim to the edge of a print sheet: bleed, a gap, then the crop marks."""
    return layout.bleed_mm + MARK_OFFSET_MM + MARK_LENGTH_MM + 1.0


def draw_svg(
    layout: Layout,
    *,
    for_print: bool = False,
    crop_marks: bool = True,
    embed_fonts: bool = True,
    pin_words: bool = False,
    press: bool = False,
) -> str:
    """The label as a self-contained SVG, sized in mm.

    The screen form shows the trim; the print form adds the bleed and crop marks around it
    (without `crop_marks`, only the bleed: a print run draws its own marks on the sheet).
    `embed_fonts` carries the font files inside (browsers need them); the PDF exporter finds
    the same bundled fonts through fontconfig and can skip them. `pin_words` places every letter
    at the x our measurement gives it: CairoSVG rounds each glyph advance to whole pixels, which
    over a whole line drifts up to 6 % from the layout and, below 300 dpi, over a single word
    eats the space after it ("ViệtNam" at 72 dpi); pinned, no letter is more than half a pixel
    from its place. `press` draws for a CMYK press (`press_colours`): near-black as black and the
    muted twin of a neutral text colour as a neutral grey, so both print on the black plate alone.
    """
    margin_mm = 0.0
    if for_print:
        margin_mm = print_margin_mm(layout) if crop_marks else layout.bleed_mm
    view_width_mm = layout.width_mm + 2 * margin_mm
    view_height_mm = layout.height_mm + 2 * margin_mm
    # Print narrows the bars by what the layout's print process spreads them (the screen shows
    # them as encoded).
    bar_reduction_mm = 0.0
    if for_print and layout.barcode is not None:
        bar_reduction_mm = layout.barcode.bar_reduction_mm
    artwork = _artwork(layout, pin_words, bar_reduction_mm)
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"',
        f' width="{_n(view_width_mm)}mm" height="{_n(view_height_mm)}mm"',
        f' viewBox="{_n(-margin_mm)} {_n(-margin_mm)} {_n(view_width_mm)} {_n(view_height_mm)}"',
        f' role="img" aria-label={quoteattr(layout.title)}>',
        f"<title>{escape(layout.title)}</title>",
        f"<desc>{escape(_all_text(layout))}</desc>",
        _style(layout, embed_fonts),
        f'<g id="artwork" font-family={quoteattr(layout.font_family)}>{artwork}</g>',
    ]
    if layout.draft:
        parts.append(_draft_mark(layout))
    if for_print and crop_marks:
        parts.append(crop_marks_svg(layout.width_mm, layout.height_mm, layout.bleed_mm))
    parts.append("</svg>")
    drawing = "".join(parts)
    return press_colours(drawing, layout) if press else drawing


def press_colours(svg: str, layout: Layout) -> str:
    """`svg` with every neutral near-black as #000000 and, when the text colour is neutral, its
    muted twin as the neutral grey of the same lightness.

    The press conversion prints neutrals on the black plate alone, keeping their lightness: a
    #1D1D1B would be 95.9 % K, a screened tint that frays small type, and the muted English
    twin (the text colour blended toward a cream background) a four-colour grey. Both are meant
    as black and grey; here they become exactly that.
    """
    muted = role_color("muted", layout.colors).upper()
    muted_grey = _neutral_grey(muted) if _is_neutral(layout.colors.text) else None

    def replace(match: re.Match[str]) -> str:
        colour = match.group(0).upper()
        if muted_grey is not None and colour == muted:
            return muted_grey
        if _is_neutral(colour) and relative_luminance(colour) <= NEAR_BLACK_LUMINANCE:
            return "#000000"
        return match.group(0)

    return _HEX_COLOUR.sub(replace, svg)


def _is_neutral(colour: str) -> bool:
    channels = [int(colour[index : index + 2], 16) for index in (1, 3, 5)]
    return max(channels) - min(channels) <= NEUTRAL_SPREAD


def _neutral_grey(colour: str) -> str:
    """The sRGB grey with the relative luminance of `colour`."""
    luminance = relative_luminance(colour)
    linear_end = 0.0031308  # sRGB's transfer curve is a straight line below this
    value = 12.92 * luminance if luminance <= linear_end else 1.055 * luminance ** (1 / 2.4) - 0.055
    level = round(min(max(value, 0.0), 1.0) * 255)
    return f"#{level:02X}{level:02X}{level:02X}"


def _n(value: float) -> str:
    """A length rounded to a micrometre: compact, and identical from run to run."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _style(layout: Layout, embed_fonts: bool) -> str:
    rules = [TEXT_STYLE_RULE]
    if embed_fonts:
        for weight, italic in sorted(_faces_used(layout)):
            face = font_face(layout.font_family, weight, italic)
            rules.append(
                f'@font-face{{font-family:"{layout.font_family}";font-weight:{weight};'
                f"font-style:{'italic' if italic else 'normal'};"
                f'src:url(data:font/woff2;base64,{face.woff2_base64}) format("woff2")}}'
            )
    return f"<style>{''.join(rules)}</style>"


def _faces_used(layout: Layout) -> set[tuple[int, bool]]:
    faces = {(REGULAR, False), (BOLD, False)}  # the badge and barcode digits use these two
    for block in layout.texts:
        for line in block.lines:
            faces.update((run.weight, run.italic) for run in line.runs)
    return faces


def _all_text(layout: Layout) -> str:
    lines: list[str] = []
    for block in layout.texts:
        lines.extend("".join(run.text for run in line.runs) for line in block.lines)
    return " / ".join(lines)


# The last artwork drawn, by layout: a render draws the same artwork twice, once for the
# print-colour check (in press colours, applied to the whole document after) and once for the
# file. Layouts are frozen, so the one held here is the one asked about when it `is` it.
_last_artwork: tuple[Layout, bool, float, Markup] | None = None


def _artwork(layout: Layout, pin_words: bool, bar_reduction_mm: float) -> Markup:
    global _last_artwork
    last = _last_artwork  # read once: another thread may replace it meanwhile
    if (
        last is not None
        and last[0] is layout
        and last[1] == pin_words
        and last[2] == bar_reduction_mm
    ):
        return last[3]
    artwork = _render_drawing(layout, pin_words, bar_reduction_mm)
    _last_artwork = (layout, pin_words, bar_reduction_mm, artwork)
    return artwork


def _render_drawing(layout: Layout, pin_words: bool, bar_reduction_mm: float) -> Markup:
    template = layout.template
    try:
        drawing = _compiled_drawing(template.drawing_source, sandboxed=not template.bundled)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"template {template.folder.name}: {template.manifest.drawing} line {error.lineno}: "
            f"{error.message}"
        ) from None
    colors = layout.colors
    context = {
        "width_mm": layout.width_mm,
        "height_mm": layout.height_mm,
        "bleed_mm": layout.bleed_mm,
        "safe_mm": layout.safe_mm,
        "colors": {
            "primary": colors.primary,
            "accent": colors.accent,
            "text": colors.text,
            "background": colors.background,
            "muted": role_color("muted", colors),
        },
        "shape": layout.manifest.shape.model_dump(),
        "n": _n,
        "content": Markup(_content(layout, pin_words, bar_reduction_mm)),
        "has_badge": layout.badge is not None,
        "has_qr": layout.qr is not None,
        "has_barcode": layout.barcode is not None,
        # Where each text block came out, for rules and panels drawn around flowing text.
        "blocks": {
            block.slot: {"top_mm": block.top_mm, "bottom_mm": block.top_mm + block.text.height_mm}
            for block in layout.texts
        },
    }
    try:
        return Markup(drawing.render(context))
    except jinja2.TemplateError as error:  # sandbox refusals and undefined names alike
        raise TemplateError(
            f"template {template.folder.name}: {template.manifest.drawing}: {error}"
        ) from None


@lru_cache(maxsize=64)
def _compiled_drawing(source: str, sandboxed: bool) -> jinja2.Template:
    """A drawing compiled once per source text (compiling costs more than rendering)."""
    return _environment(sandboxed).from_string(source)


@cache
def _environment(sandboxed: bool) -> jinja2.Environment:
    # Drawings are SVG: every value a spec supplies is escaped, and a misspelt name is an error.
    # A template folder a user supplies runs in Jinja's sandbox.
    kind = SandboxedEnvironment if sandboxed else jinja2.Environment
    return kind(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)


def _content(layout: Layout, pin_words: bool, bar_reduction_mm: float) -> str:
    parts = [_text_block(block, layout, pin_words) for block in layout.texts]
    if layout.badge is not None:
        parts.append(_badge(layout.badge, layout))
    if layout.qr is not None:
        parts.append(_qr(layout.qr))
        if layout.serial_line is not None:
            parts.append(_serial_line(layout.serial_line))
    elif layout.qr_placeholder is not None:
        parts.append(_qr_placeholder(layout.qr_placeholder))
    if layout.barcode is not None:
        parts.append(_barcode(layout.barcode, bar_reduction_mm))
    if layout.logo is not None:
        box = layout.logo.box
        parts.append(
            f'<image x="{_n(box.x_mm)}" y="{_n(box.y_mm)}" width="{_n(box.width_mm)}"'
            f' height="{_n(box.height_mm)}" preserveAspectRatio="xMidYMid meet"'
            f" href={quoteattr(layout.logo.data_uri)}/>"
        )
    return "".join(parts)


def _text_block(block: TextBlock, layout: Layout, pin_words: bool) -> str:
    fill = role_color(block.color, layout.colors)
    lines = []
    for line in block.lines:
        size_mm = line.font_size_pt * MM_PER_PT
        x_mm = block.line_x_mm(line)
        baseline_mm = block.top_mm + line.baseline_mm
        if pin_words:
            lines.append(_pinned_words(line, layout, x_mm, baseline_mm))
            continue
        spans = "".join(_span(run, size_mm) for run in line.runs)
        lines.append(
            f'<text x="{_n(x_mm)}" y="{_n(baseline_mm)}" font-size="{_n(size_mm)}">{spans}</text>'
        )
    return f'<g class="slot-{block.slot}" fill="{fill}">{"".join(lines)}</g>'


def _pinned_words(line: Line, layout: Layout, x_mm: float, baseline_mm: float) -> str:
    """One <text> per word, every letter of it at the x our own measurement gives it."""
    texts = []
    line_size_mm = line.font_size_pt * MM_PER_PT
    for run in line.runs:
        face = font_face(layout.font_family, run.weight, run.italic)
        size_pt = line.font_size_pt * run.scale
        attributes = f' font-size="{_n(line_size_mm * run.scale)}"' + _style_attributes(run)
        for index, word in enumerate(run.text.split(" ")):
            if index > 0:
                x_mm += face.text_width_mm(" ", size_pt)
            if word:
                xs = " ".join(_n(x) for x in _letter_xs(face, word, size_pt, x_mm))
                texts.append(
                    f'<text x="{xs}" y="{_n(baseline_mm)}"{attributes}>{escape(word)}</text>'
                )
                x_mm += face.text_width_mm(word, size_pt)
    return "".join(texts)


def _letter_xs(face: FontFace, word: str, size_pt: float, x_mm: float) -> list[float]:
    """Where each letter of `word` starts when the word starts at `x_mm`.

    CairoSVG draws letter by letter and, unless told where, moves on by cairo's advance, which an
    image surface rounds to whole pixels (hinted metrics): at 72 dpi a 6.5 pt word grows by up to
    half a pixel a letter and runs over the 1.5 px space after it. Given every letter's x, it only
    rounds each letter's own position, which never adds up. The advances are those of single
    letters because CairoSVG draws single letters; with kerning and ligatures off they add up to
    the word's measured width.
    """
    xs = []
    for letter in word:
        xs.append(x_mm)
        x_mm += face.text_width_mm(letter, size_pt)
    return xs


def _style_attributes(run: Run) -> str:
    attributes = ""
    if run.weight != REGULAR:
        attributes += f' font-weight="{run.weight}"'
    if run.italic:
        attributes += ' font-style="italic"'
    return attributes


def _span(run: Run, line_size_mm: float) -> str:
    attributes = ""
    if run.scale != 1.0:
        attributes += f' font-size="{_n(line_size_mm * run.scale)}"'
    attributes += _style_attributes(run)
    return f"<tspan{attributes}>{escape(run.text)}</tspan>"


def _qr(placement: QrPlacement) -> str:
    """Dark modules as one path in module units, scaled once: exact and compact."""
    quiet = placement.quiet_zone_modules
    path = "".join(
        f"M{column + quiet} {row + quiet}h{length}v1h-{length}z"
        for row, column, length in placement.symbol.dark_runs()
    )
    size_mm = placement.size_mm
    return (
        f'<g class="qr" transform="translate({_n(placement.x_mm)} {_n(placement.y_mm)})">'
        f'<rect width="{_n(size_mm)}" height="{_n(size_mm)}" fill="#FFFFFF"/>'
        f'<path transform="scale({_n(placement.module_mm)})" fill="#000000"'
        f' shape-rendering="crispEdges" d="{path}"/></g>'
    )


def _serial_line(line: SerialLine) -> str:
    """The unit's serial in 100 % black like its code, where the layout put it."""
    return (
        f'<text class="serial" x="{_n(line.x_mm)}" y="{_n(line.baseline_mm)}"'
        f' font-size="{_n(line.size_pt * MM_PER_PT)}" fill="#000000">{escape(line.text)}</text>'
    )


def _qr_placeholder(box: Box) -> str:
    side_mm = min(box.width_mm, box.height_mm)
    x_mm = box.x_mm + (box.width_mm - side_mm) / 2
    y_mm = box.y_mm + (box.height_mm - side_mm) / 2
    font_mm = side_mm / 9
    return (
        f'<g class="qr-placeholder" transform="translate({_n(x_mm)} {_n(y_mm)})">'
        f'<rect width="{_n(side_mm)}" height="{_n(side_mm)}" fill="#FFFFFF" stroke="{DRAFT_COLOR}"'
        f' stroke-width="0.3" stroke-dasharray="1 0.8"/>'
        f'<path d="M0 0L{_n(side_mm)} {_n(side_mm)}M{_n(side_mm)} 0L0 {_n(side_mm)}"'
        f' stroke="{DRAFT_COLOR}" stroke-width="0.2"/>'
        f'<text x="{_n(side_mm / 2)}" y="{_n(side_mm / 2 + font_mm / 3)}" font-size="{_n(font_mm)}"'
        f' font-weight="700" text-anchor="middle" fill="{DRAFT_COLOR}">'
        f'<tspan font-weight="700">KHÔNG CÓ QR</tspan></text></g>'
    )


def _barcode(placement: BarcodePlacement, bar_reduction_mm: float = 0.0) -> str:
    """Bars as one path, each `bar_reduction_mm` narrower than its modules (half an edge)."""
    symbol = placement.symbol
    module_mm = placement.module_mm
    left_mm = placement.x_mm + symbol.quiet_left_modules * module_mm
    digit_size_mm = placement.digits_size_pt * MM_PER_PT
    guard_extra_mm = codes.EAN_GUARD_EXTENSION_MODULES * module_mm
    bars = []
    for start, length, is_guard in symbol.bar_runs():
        height_mm = placement.bar_height_mm
        if is_guard:
            height_mm += guard_extra_mm
        width_mm = length * module_mm - bar_reduction_mm
        bars.append(
            f"M{_n(left_mm + start * module_mm + bar_reduction_mm / 2)} {_n(placement.y_mm)}"
            f"h{_n(width_mm)}v{_n(height_mm)}h{_n(-width_mm)}z"
        )
    digits_y_mm = placement.y_mm + placement.bar_height_mm + digit_size_mm * 0.95
    texts = [
        f'<text x="{_n(left_mm + center * module_mm)}" y="{_n(digits_y_mm)}"'
        f' text-anchor="middle">{escape(digits)}</text>'
        for first, end, digits in symbol.digit_groups
        for center in [(first + end) / 2]
    ]
    total_height_mm = placement.bar_height_mm + digit_size_mm * 1.2
    return (
        f'<g class="barcode"><rect x="{_n(placement.x_mm)}" y="{_n(placement.y_mm - module_mm)}"'
        f' width="{_n(placement.width_mm)}" height="{_n(total_height_mm + module_mm)}"'
        f' fill="#FFFFFF"/><path fill="#000000" d="{"".join(bars)}"/>'
        f'<g font-size="{_n(digit_size_mm)}" fill="#000000">{"".join(texts)}</g></g>'
    )


def _badge(placement: BadgePlacement, layout: Layout) -> str:
    if placement.official_mark is not None:
        return (
            f'<image class="ocop-official-mark" x="{_n(placement.x_mm)}" y="{_n(placement.y_mm)}"'
            f' width="{_n(placement.width_mm)}" height="{_n(placement.height_mm)}"'
            f' preserveAspectRatio="xMidYMid meet" href={quoteattr(placement.official_mark)}/>'
        )
    colors = BadgeColors.from_brand(layout.colors.primary, layout.colors.accent)
    fragment = draw_badge(
        placement.stars,
        width_mm=placement.width_mm,
        colors=colors,
        year=placement.year,
        province=placement.province,
    )
    return (
        f'<g class="badge-slot" transform="translate({_n(placement.x_mm)} {_n(placement.y_mm)})">'
        f"{fragment}</g>"
    )


def _draft_mark(layout: Layout) -> str:
    width_mm, height_mm = layout.width_mm, layout.height_mm
    font_mm = min(width_mm, height_mm) / 7
    return (
        f'<g class="draft-mark" font-family={quoteattr(layout.font_family)} fill="{DRAFT_COLOR}"'
        f' fill-opacity="0.55" transform="rotate(-24 {_n(width_mm / 2)} {_n(height_mm / 2)})">'
        f'<text x="{_n(width_mm / 2)}" y="{_n(height_mm / 2 + font_mm * 0.35)}"'
        f' font-size="{_n(font_mm)}" text-anchor="middle">'
        f'<tspan font-weight="700">BẢN NHÁP / DRAFT</tspan></text></g>'
    )


def crop_marks_svg(width_mm: float, height_mm: float, bleed_mm: float) -> str:
    """Crop marks at the four trim corners of a `width_mm` × `height_mm` piece, starting outside
    its bleed (a label's, or a carton blank's bounding box)."""
    start_mm = bleed_mm + MARK_OFFSET_MM
    end_mm = start_mm + MARK_LENGTH_MM
    segments = []
    for x_mm in (0.0, width_mm):
        for y_mm in (0.0, height_mm):
            x_sign = -1 if x_mm == 0 else 1
            y_sign = -1 if y_mm == 0 else 1
            segments.append(
                f"M{_n(x_mm + x_sign * start_mm)} {_n(y_mm)}H{_n(x_mm + x_sign * end_mm)}"
                f"M{_n(x_mm)} {_n(y_mm + y_sign * start_mm)}V{_n(y_mm + y_sign * end_mm)}"
            )
    return (
        f'<path class="crop-marks" fill="none" stroke="#000000"'
        f' stroke-width="{_n(MARK_STROKE_MM)}" d="{"".join(segments)}"/>'
    )
