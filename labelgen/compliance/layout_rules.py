"""Layout-level rules: a Layout as drawn (sizes and positions in mm) → findings measured on the label itself."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass

from labelgen import codes
from labelgen.colors import relative_luminance
from labelgen.compliance import limits
from labelgen.compliance.catalogue import make_finding
from labelgen.compliance.contrast_rules import check_contrast
from labelgen.compliance.report import Finding
from labelgen.fonts import MM_PER_PT, font_face
from labelgen.layout import Layout, TextBlock
from labelgen.spec import LabelSpec
from labelgen.templates import MIN_REVERSED_LINE_MM, MIN_REVERSED_TEXT_SIZE_PT, Box
from labelgen.text import Line, Run
from labelgen.wording import net_quantity_text


def check_layout(layout: Layout, spec: LabelSpec) -> list[Finding]:
    """Every geometric finding about the drawn label."""
    findings: list[Finding] = []
    for check in (
        _net_quantity_height,
        _foreign_text_size,
        _minimum_text_size,
        _text_overflow,
        _safe_zone,
        _qr_size,
        _codes_kept_clear,
        _ean_size,
        _ean_print_tolerance,
        _qr_print_tolerance,
        _print_colours,
        check_contrast,
    ):
        findings.extend(check(layout, spec))
    return findings


def _cap_height_mm(layout: Layout, run: Run, line: Line) -> float:
    face = font_face(layout.font_family, run.weight, run.italic)
    return face.cap_height_mm(line.font_size_pt * run.scale)


def _net_quantity_height(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    quantity = spec.product.net_quantity
    figures = net_quantity_text(spec)
    if quantity is None or figures is None:
        return
    needed_mm = limits.net_quantity_min_height_mm(quantity)
    for block in layout.texts:
        for line in block.lines:
            for run in line.runs:
                if figures in run.text or run.text.strip() == figures.split("\u00a0")[0]:
                    height_mm = _cap_height_mm(layout, run, line)
                    if height_mm + 1e-6 < needed_mm:
                        yield make_finding(
                            "VN-LBL-NETQTY-HEIGHT",
                            f"layout.{block.slot}",
                            height_mm=round(height_mm, 2),
                            min_height_mm=needed_mm,
                            quantity=figures.replace("\u00a0", " "),
                        )
                    return


def _foreign_text_size(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    vietnamese_pt: dict[str, float] = {}
    for block in layout.texts:
        for line in block.lines:
            if line.language == "vi":
                vietnamese_pt[line.field] = max(
                    vietnamese_pt.get(line.field, 0.0), line.font_size_pt
                )
    reported: set[str] = set()
    for block in layout.texts:
        for line in block.lines:
            twin = line.field.removesuffix("_en")
            if line.language == "vi" or twin not in vietnamese_pt or line.field in reported:
                continue
            if line.font_size_pt > vietnamese_pt[twin] + 1e-6:
                reported.add(line.field)
                face = font_face(layout.font_family)
                yield make_finding(
                    "VN-LBL-FOREIGN-TEXT-SIZE",
                    f"layout.{block.slot}",
                    foreign_height_mm=round(face.cap_height_mm(line.font_size_pt), 2),
                    vietnamese_height_mm=round(face.cap_height_mm(vietnamese_pt[twin]), 2),
                )


def _minimum_text_size(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    area_cm2 = layout.width_mm * layout.height_mm / 100
    if area_cm2 < limits.SMALL_LABEL_AREA_CM2:
        min_height_mm = limits.MIN_LETTER_HEIGHT_SMALL_LABEL_MM
    else:
        min_height_mm = limits.MIN_LETTER_HEIGHT_MM
    for block in layout.texts:
        smallest_mm = min(
            (_cap_height_mm(layout, run, line) for line in block.lines for run in line.runs),
            default=math.inf,
        )
        if smallest_mm + 1e-6 < min_height_mm:
            yield make_finding(
                "PRINT-MIN-TEXT-SIZE",
                f"layout.{block.slot}",
                height_mm=round(smallest_mm, 2),
                min_height_mm=min_height_mm,
            )


def _text_overflow(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    for block in layout.texts:
        if not block.text.fits:
            yield make_finding(
                "LAYOUT-TEXT-OVERFLOW",
                f"layout.{block.slot}",
                characters=block.overflow_characters,
                excess_mm=block.overflow_mm,
            )


def text_extent(block: TextBlock, family: str) -> Box:
    """The rectangle the block's lines really cover (it can exceed the slot when it overflows)."""
    left_mm = min(block.line_x_mm(line) for line in block.lines)
    right_mm = max(block.line_x_mm(line) + line.width_mm for line in block.lines)
    # From the lines themselves: a block that does not fit reports an infinite height.
    last = block.lines[-1]
    descent_mm = font_face(family).descent_mm(last.font_size_pt)
    bottom_mm = block.top_mm + last.baseline_mm + descent_mm
    return Box(
        x_mm=left_mm,
        y_mm=block.top_mm,
        width_mm=max(right_mm - left_mm, 1e-6),
        height_mm=max(bottom_mm - block.top_mm, 1e-6),
    )


def _drawn_blocks(layout: Layout) -> list[TextBlock]:
    """The blocks with lines to draw (a block too long for its box may keep none)."""
    return [block for block in layout.texts if block.lines]


def _inset_from_trim_mm(layout: Layout, box: Box) -> float:
    """How far the box stays inside the trim line (negative when it crosses it)."""
    if layout.manifest.shape.kind == "circle":
        radius_mm = layout.width_mm / 2
        corners = [
            (box.x_mm, box.y_mm),
            (box.right_mm, box.y_mm),
            (box.x_mm, box.bottom_mm),
            (box.right_mm, box.bottom_mm),
        ]
        farthest_mm = max(math.dist((x, y), (radius_mm, radius_mm)) for x, y in corners)
        return radius_mm - farthest_mm
    return min(
        box.x_mm,
        box.y_mm,
        layout.width_mm - box.right_mm,
        layout.height_mm - box.bottom_mm,
    )


def _element_boxes(layout: Layout) -> Iterator[tuple[str, Box]]:
    for block in _drawn_blocks(layout):
        yield f"layout.{block.slot}", text_extent(block, layout.font_family)
    if layout.qr is not None:
        inset_mm = layout.qr.quiet_zone_modules * layout.qr.module_mm
        side_mm = layout.qr.symbol.size_modules * layout.qr.module_mm
        yield (
            "layout.qr",
            Box(
                x_mm=layout.qr.x_mm + inset_mm,
                y_mm=layout.qr.y_mm + inset_mm,
                width_mm=side_mm,
                height_mm=side_mm,
            ),
        )
    if layout.barcode is not None:
        yield "layout.barcode", _barcode_bars(layout)


def _barcode_bars(layout: Layout) -> Box:
    barcode = layout.barcode
    assert barcode is not None
    symbol = barcode.symbol
    return Box(
        x_mm=barcode.x_mm + symbol.quiet_left_modules * barcode.module_mm,
        y_mm=barcode.y_mm,
        width_mm=len(symbol.modules) * barcode.module_mm,
        height_mm=barcode.bar_height_mm,
    )


def _safe_zone(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    for field, box in _element_boxes(layout):
        inset_mm = _inset_from_trim_mm(layout, box)
        if inset_mm + 0.05 < layout.safe_mm:  # 0.05 mm: rounding of coordinates in the drawing
            yield make_finding("PRINT-SAFE-ZONE", field, distance_mm=round(inset_mm, 2))


def _qr_size(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    qr = layout.qr
    if qr is None:
        return
    if not limits.QR_MODULE_MIN_MM - 1e-9 <= qr.module_mm <= limits.QR_MODULE_MAX_MM + 1e-9:
        yield make_finding("GS1-QR-MODULE-SIZE", "layout.qr", module_mm=qr.module_mm)


def _codes_kept_clear(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    """No text, and no other code, may run into a code's quiet zone."""
    text_boxes = [text_extent(block, layout.font_family) for block in _drawn_blocks(layout)]
    if layout.qr is not None:
        qr = layout.qr
        zone = Box(x_mm=qr.x_mm, y_mm=qr.y_mm, width_mm=qr.size_mm, height_mm=qr.size_mm)
        others = text_boxes + ([_barcode_bars(layout)] if layout.barcode is not None else [])
        if any(zone.overlaps(box) for box in others):
            yield make_finding("GS1-QR-QUIET-ZONE", "layout.qr", quiet_zone_modules=0)
    if layout.barcode is not None:
        barcode = layout.barcode
        zone = Box(
            x_mm=barcode.x_mm,
            y_mm=barcode.y_mm,
            width_mm=barcode.width_mm,
            height_mm=barcode.bar_height_mm,
        )
        if any(zone.overlaps(box) for box in text_boxes):
            yield make_finding(
                "GS1-EAN-QUIET-ZONE", "layout.barcode", left_modules=0, right_modules=0
            )


def _ean_size(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    barcode = layout.barcode
    if barcode is None:
        return
    module_mm = round(barcode.module_mm, 3)
    min_bar_mm = limits.ean_min_bar_height_mm(barcode.module_mm)
    module_ok = limits.EAN_MODULE_MIN_MM - 1e-6 <= module_mm <= limits.EAN_MODULE_MAX_MM + 1e-6
    if not module_ok or barcode.bar_height_mm + 1e-6 < min_bar_mm:
        yield make_finding(
            "GS1-EAN-SIZE",
            "layout.barcode",
            module_mm=module_mm,
            bar_height_mm=round(barcode.bar_height_mm, 2),
            min_bar_height_mm=round(min_bar_mm, 2),
        )


def _ean_print_tolerance(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    """An EAN-13 within GS1's range but without the room its print process needs.

    Under GS1's 80 % GS1-EAN-SIZE speaks; from there up to the print process's magnification
    (100 %) the bars scan off a perfect print but not always off a press that spreads its ink.
    """
    barcode = layout.barcode
    if barcode is None:
        return
    magnification = round(barcode.magnification, 4)
    if magnification + 1e-6 < codes.EAN_MAGNIFICATION_MIN:
        return
    process = codes.print_process(spec.print_process)
    accepted = min(process.ean_magnification_min, spec.codes.ean_magnification_min)
    shown = _percent(magnification)
    if magnification + 1e-6 < accepted:
        yield make_finding(
            "GS1-EAN-PRINT-TOLERANCE",
            "layout.barcode",
            magnification=shown,
            required=_percent(accepted),
            print_process=process.name,
        )
    elif magnification + 1e-6 < process.ean_magnification_min:
        yield make_finding(
            "GS1-EAN-REDUCED-MAGNIFICATION",
            "layout.barcode",
            magnification=shown,
            accepted=_percent(accepted),
        )


def _qr_print_tolerance(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    """A QR code within GS1's module range but under what its print process needs."""
    qr = layout.qr
    if qr is None or qr.module_mm + 1e-9 < limits.QR_MODULE_MIN_MM:
        return  # under GS1's own minimum: GS1-QR-MODULE-SIZE speaks
    process = codes.print_process(spec.print_process)
    # A thermal head's module is whole dots: 0.5 mm is 5.9 dots at 300 dpi, so 6 are needed.
    required_mm = process.qr_module_mm_min
    if process.dot_mm is not None:
        required_mm = math.ceil(required_mm / process.dot_mm - 1e-9) * process.dot_mm
    if qr.module_mm + 1e-9 < required_mm:
        yield make_finding(
            "GS1-QR-PRINT-TOLERANCE",
            "layout.qr",
            module_mm=round(qr.module_mm, 3),
            required_mm=round(required_mm, 3),
            print_process=process.name,
        )


def _percent(ratio: float) -> float:
    """A magnification as a percentage with one decimal (86.6)."""
    return round(ratio * 100, 1)


# --- Colours for print (REGULATIONS §7, print-shop norms) ---------------------------------------

SMALL_TEXT_PT = 12.0  # under this, text printed from several plates frays when they misregister
FINE_LINE_MM = 0.25  # and lines under this
# Sizes are read back from the drawing, written to 0.001 mm: a size set at a floor reads a
# hair under it.
_DRAWN_PRECISION = 0.005
_SVG = "{http://www.w3.org/2000/svg}"
_INHERITED = ("fill", "stroke", "stroke-width", "font-size")
_NUMBER = re.compile(r"-?[0-9.]+(?:e-?[0-9]+)?")
# Only flat colours are judged: a gradient or pattern (url(#…)) is not one ink mix.
_FLAT_COLOUR = re.compile(r"#[0-9A-F]{6}")
# Crop marks are registration colour on every plate by design; codes are black alone already.
_NOT_JUDGED_CLASSES = frozenset({"crop-marks", "draft-mark"})


@dataclass(frozen=True)
class _Mark:
    """Something drawn thin or small: text (its size in pt) or a line (its width in mm)."""

    kind: str  # "text" or "line"
    size: float
    colour: str
    field: str


def _print_colours(layout: Layout, spec: LabelSpec) -> Iterator[Finding]:
    """Small text and fine lines in a colour mixed from several process inks (a brand colour:
    black and greys print on the black plate alone), and reversed text and lines too thin to
    survive the ink spreading into them. One finding per field, colour and kind: the smallest."""
    from labelgen.draw import draw_svg
    from labelgen.production.press import mixed_inks

    paper = relative_luminance(layout.colors.background)
    smallest: dict[tuple[str, str, str, str], float] = {}
    for mark in _marks(draw_svg(layout, press=True, embed_fonts=False)):
        if not _FLAT_COLOUR.fullmatch(mark.colour):
            continue
        is_text = mark.kind == "text"
        if relative_luminance(mark.colour) >= paper - 0.02:
            # As light as the paper: the colour around it is ink and this is left out of it.
            floor = MIN_REVERSED_TEXT_SIZE_PT if is_text else MIN_REVERSED_LINE_MM
            if mark.size < floor - _DRAWN_PRECISION:
                key = ("PRINT-REVERSED-" + mark.kind.upper(), mark.field, mark.colour, "")
                smallest[key] = min(smallest.get(key, mark.size), mark.size)
            continue
        # Only a small mark's colour is separated: the press profile's transforms take tens of
        # milliseconds to build, which a label with no small brand-coloured mark need not pay.
        if mark.size >= (SMALL_TEXT_PT if is_text else FINE_LINE_MM):
            continue
        inks = mixed_inks(mark.colour)
        if inks:
            key = (
                "PRINT-" + mark.kind.upper() + "-PROCESS-INKS",
                mark.field,
                mark.colour,
                " ".join(inks),
            )
            smallest[key] = min(smallest.get(key, mark.size), mark.size)
    for (rule, field, colour, ink_names), size in smallest.items():
        params: dict[str, object] = {"color": colour}
        if rule.endswith("TEXT") or rule.startswith("PRINT-TEXT"):
            params["size_pt"] = round(size, 1)
        else:
            params["width_mm"] = round(size, 3)
        if ink_names:
            params["inks"] = ink_names
        yield make_finding(rule, field, **params)


def _marks(svg: str) -> Iterator[_Mark]:
    """Every text run and every line (stroke, or a rectangle under 1 mm across) of a drawn
    label, with its size as printed: groups' scales applied, colours inherited."""
    root = ElementTree.fromstring(svg)
    yield from _walk(
        root, {"fill": "#000000", "stroke": "none", "stroke-width": "1"}, 1.0, "layout.artwork"
    )


def _walk(
    element: ElementTree.Element, inherited: dict[str, str], scale: float, field: str
) -> Iterator[_Mark]:
    tag = element.tag.removeprefix(_SVG)
    if tag in ("style", "title", "desc", "defs", "clipPath", "mask"):
        return
    classes = set(element.get("class", "").split())
    if classes & _NOT_JUDGED_CLASSES:
        return
    for name in classes:
        if name.startswith("slot-"):
            field = "layout." + name.removeprefix("slot-")
        elif name in ("ocop-badge", "badge-slot"):
            field = "layout.badge"
    own = {key: value for key in _INHERITED if (value := element.get(key))}
    style = {**inherited, **own} if own else inherited  # most elements set none of them
    transform = element.get("transform")
    if transform:
        scale *= _transform_scale(transform)
    fill, stroke = style["fill"].upper(), style["stroke"].upper()
    if tag in ("text", "tspan") and (element.text or "").strip() and "font-size" in style:
        size_pt = _length(style["font-size"]) * scale / MM_PER_PT
        yield _Mark("text", size_pt, fill, field)
    if tag in ("path", "line", "circle", "ellipse", "rect", "polyline", "polygon"):
        if stroke != "NONE":
            yield _Mark("line", _length(style["stroke-width"]) * scale, stroke, field)
        if tag == "rect" and fill != "NONE":
            thickness = min(_length(element.get("width", "0")), _length(element.get("height", "0")))
            if 0 < thickness * scale < 1.0:
                yield _Mark("line", thickness * scale, fill, field)
    for child in element:
        yield from _walk(child, style, scale, field)


def _length(value: str) -> float:
    """An SVG length in user units (mm here); a percentage or a unit word is read as its number."""
    found = _NUMBER.search(value)
    return float(found.group(0)) if found else 0.0


def _transform_scale(transform: str) -> float:
    """How much a `transform` attribute scales lengths (the square root of its area factor)."""
    factor = 1.0
    for name, arguments in re.findall(r"(\w+)\s*\(([^)]*)\)", transform):
        values = [float(value) for value in _NUMBER.findall(arguments)]
        if name == "scale" and values:
            factor *= math.sqrt(abs(values[0] * (values[1] if len(values) > 1 else values[0])))
        elif name == "matrix" and len(values) == 6:
            factor *= math.sqrt(abs(values[0] * values[3] - values[1] * values[2]))
    return factor
