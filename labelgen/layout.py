"""Layout stage: a LabelSpec + a Template → a frozen Layout of placed, measured elements in millimetres."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from labelgen import codes
from labelgen.badge import badge_height_mm, has_caption
from labelgen.compliance.limits import net_quantity_min_height_mm
from labelgen.errors import CodeError, FontError, Problem, SpecError
from labelgen.fonts import (
    BOLD,
    REGULAR,
    ShapedGlyph,
    bundled_faces,
    font_face,
    glyphs_width_mm,
    shape_text_once,
)
from labelgen.gtin import is_valid_gtin
from labelgen.spec import Colors, LabelSpec
from labelgen.templates import Box, GraphicSlot, Manifest, Template, TextSlot, load_template
from labelgen.text import Line, Paragraph, Run, SetText, set_text
from labelgen.traceability import DEFAULT_BASE_URL, check_qualifier, trace_url
from labelgen.wording import paragraphs_for

OCOP_MARK_MIN_STARS = 3


@dataclass(frozen=True)
class TextBlock:
    """A text slot as set: its box, the lines (baselines relative to `top_mm`) and its style."""

    slot: str
    box: Box
    top_mm: float
    text: SetText
    align: str
    color: str

    def line_x_mm(self, line: Line) -> float:
        """Where `line` starts. Alignment is computed here from our own measurements, not left
        to text-anchor, which renderers apply differently to lines of several styled runs."""
        if self.align == "middle":
            return self.box.x_mm + (self.box.width_mm - line.width_mm) / 2
        if self.align == "end":
            return self.box.right_mm - line.width_mm
        return self.box.x_mm

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.text.lines


@dataclass(frozen=True)
class QrPlacement:
    """The traceability QR: top-left of its quiet zone, module size, and the symbol."""

    x_mm: float
    y_mm: float
    module_mm: float
    symbol: codes.QrSymbol
    quiet_zone_modules: int = codes.QR_QUIET_ZONE_MODULES

    @property
    def size_mm(self) -> float:
        """Side of the code including its quiet zone."""
        return (self.symbol.size_modules + 2 * self.quiet_zone_modules) * self.module_mm


SERIAL_SIZE_PT = 6.0  # the smallest body text print shops accept (REGULATIONS §7)
SERIAL_GAP_MM = 0.4  # between the QR's quiet zone and the tops of the serial's figures


@dataclass(frozen=True)
class SerialLine:
    """A serialised unit's serial in figures, centred under its QR, for people to read out."""

    text: str
    x_mm: float  # where the line starts
    baseline_mm: float
    size_pt: float
    glyphs: tuple[ShapedGlyph, ...]  # as measured: a print run sets the line from these


@dataclass(frozen=True)
class BarcodePlacement:
    """A retail barcode: top-left of its left quiet zone, module size and bar height."""

    x_mm: float
    y_mm: float
    module_mm: float
    bar_height_mm: float
    digits_size_pt: float
    symbol: codes.LinearSymbol

    @property
    def magnification(self) -> float:
        return self.module_mm / codes.EAN_MODULE_MM_NOMINAL

    @property
    def width_mm(self) -> float:
        quiet_modules = self.symbol.quiet_left_modules + self.symbol.quiet_right_modules
        return (len(self.symbol.modules) + quiet_modules) * self.module_mm


@dataclass(frozen=True)
class BadgePlacement:
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    stars: int
    year: int | None
    province: str | None
    official_mark: str | None = None  # a data: URI; drawn in place of our own artwork


@dataclass(frozen=True)
class LogoPlacement:
    box: Box
    data_uri: str


@dataclass(frozen=True)
class Layout:
    """Everything the drawers need; every length in mm from the trim's top-left corner."""

    template: Template
    width_mm: float
    height_mm: float
    bleed_mm: float
    safe_mm: float
    colors: Colors
    font_family: str
    title: str
    texts: tuple[TextBlock, ...]
    qr: QrPlacement | None
    qr_content: str | None
    barcode: BarcodePlacement | None
    badge: BadgePlacement | None
    logo: LogoPlacement | None
    draft: bool
    qr_placeholder: Box | None = None  # where a draft shows that its QR was left out
    qr_box: Box | None = None  # the template's QR slot, where a unit's own code is placed
    serial_line: SerialLine | None = None

    @property
    def manifest(self) -> Manifest:
        return self.template.manifest

    def text_block(self, slot: str) -> TextBlock | None:
        return next((block for block in self.texts if block.slot == slot), None)


def layout_label(
    spec: LabelSpec,
    *,
    spec_dir: Path | None = None,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    qr_url: str | None = None,
) -> Layout:
    """Place every element of `spec` on its template; text that cannot fit is set at its floor
    and left for the compliance step to report, never cut. `qr_url`, when given, is what the
    QR code holds instead of the spec's own traceability URL (a signed unit's URL)."""
    template = load_template(spec.template, spec_dir)
    manifest = template.manifest
    width_mm = spec.size.width_mm if spec.size else manifest.width_mm
    height_mm = spec.size.height_mm if spec.size else manifest.height_mm
    x_scale, y_scale = width_mm / manifest.width_mm, height_mm / manifest.height_mm
    family = spec.brand.font
    _check_glyphs(spec, family)

    texts = tuple(
        block
        for name, slot in manifest.text_slots.items()
        if (block := _set_slot(name, slot, spec, family, x_scale, y_scale, serial)) is not None
    )
    texts = _keep_english_smaller(texts, manifest, spec, family, x_scale, y_scale, serial)
    texts = _pull_up_followers(texts, manifest)
    graphics = {
        name: slot.box.scaled(x_scale, y_scale) for name, slot in manifest.graphic_slots.items()
    }

    if serial is not None:
        check_qualifier(serial, "serial")  # given by the caller, so no spec rule would report it
    try:
        qr_content = qr_url if qr_url is not None else trace_url(spec, base_url, serial)
    except CodeError:
        # A wrong GTIN check digit or batch characters: the spec-level GS1 rules report it with
        # its reference, so the label is refused (or drafted) with every other finding in view.
        qr_content = None
    qr = None
    serial_line = None
    unit_serial = serial or spec.traceability.serial
    if "qr" in graphics and qr_content is not None and not draft:
        qr, serial_line = place_unit_code(
            graphics["qr"], manifest.graphic_slots["qr"], qr_content, unit_serial, family
        )
    barcode = None
    if "barcode" in graphics and spec.product.gtin and is_valid_gtin(spec.product.gtin):
        symbol = codes.make_retail_barcode(spec.product.gtin)
        if symbol is not None:
            barcode = _place_barcode(graphics["barcode"], symbol)
    badge = None
    certificate = spec.certification
    if "badge" in graphics and certificate is not None and certificate.stars >= OCOP_MARK_MIN_STARS:
        badge = _place_badge(graphics["badge"], manifest.graphic_slots["badge"], spec)
    logo = None
    if "logo" in graphics and spec.brand.logo:
        logo = LogoPlacement(graphics["logo"], spec.brand.logo)

    return Layout(
        template=template,
        width_mm=width_mm,
        height_mm=height_mm,
        bleed_mm=manifest.bleed_mm,
        safe_mm=manifest.safe_mm,
        colors=spec.brand.colors,
        font_family=family,
        title=spec.product.name,
        texts=texts,
        qr=qr,
        qr_content=None if draft else qr_content,
        barcode=barcode,
        badge=badge,
        logo=logo,
        draft=draft,
        qr_placeholder=graphics.get("qr") if draft and qr_content is not None else None,
        qr_box=graphics.get("qr"),
        serial_line=serial_line,
    )


def _check_glyphs(spec: LabelSpec, family: str) -> None:
    """Refuse text the bundled font cannot draw: a missing glyph would print as nothing."""
    try:
        font_face(family, REGULAR)
    except FontError as error:
        raise SpecError([Problem("brand.font", str(error))]) from None
    faces = list(bundled_faces()[family].values())  # English twins use the italics
    problems = []
    for path, text in _spec_strings(spec.model_dump(mode="python")):
        missing = sorted({char for face in faces for char in face.missing_characters(text)})
        if missing:
            shown = " ".join(f"'{char}' (U+{ord(char):04X})" for char in missing)
            problems.append(Problem(path, f"the font {family} has no glyph for {shown}"))
    if problems:
        raise SpecError(problems)


def _spec_strings(value: object, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        if path in ("brand.logo", "template", "traceability.base_url", "brand.font"):
            return []
        return [(path, value)]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _spec_strings(item, f"{path}.{key}" if path else str(key))
        return found
    return []


def _set_slot(
    name: str,
    slot: TextSlot,
    spec: LabelSpec,
    family: str,
    x_scale: float,
    y_scale: float,
    serial: str | None,
    max_size_pt: float | None = None,
) -> TextBlock | None:
    paragraphs = [p for item in slot.content for p in paragraphs_for(item, spec, serial)]
    if not paragraphs:
        return None
    if slot.weight == BOLD:
        paragraphs = [_embolden(paragraph) for paragraph in paragraphs]
    size_scale = min(x_scale, y_scale)
    min_size_pt = max(slot.min_size_pt, _legal_min_size_pt(slot, spec, family))
    max_size_pt = max(max_size_pt or slot.max_size_pt * size_scale, min_size_pt)
    box = slot.box.scaled(x_scale, y_scale)
    text = set_text(
        paragraphs,
        family=family,
        width_mm=box.width_mm,
        height_mm=box.height_mm,
        max_size_pt=max_size_pt,
        min_size_pt=min_size_pt,
        leading=slot.leading,
        max_lines=slot.max_lines,
        balance=slot.balance,
    )
    top_mm = box.y_mm
    if slot.valign == "middle":
        top_mm += (box.height_mm - text.height_mm) / 2
    elif slot.valign == "bottom":
        top_mm += box.height_mm - text.height_mm
    if not text.fits:
        top_mm = box.y_mm  # overflowing text grows downward from the slot's top, visibly
    return TextBlock(name, box, top_mm, text, slot.align, slot.color)


def _legal_min_size_pt(slot: TextSlot, spec: LabelSpec, family: str) -> float:
    """The size at which net-quantity figures reach the height Circular 21/2014 asks for."""
    quantity = spec.product.net_quantity
    if "net_quantity" not in slot.content or quantity is None:
        return 0.0
    needed_mm = net_quantity_min_height_mm(quantity)
    cap_mm_per_pt = font_face(family, BOLD).cap_height_mm(1.0)
    size_pt = needed_mm / cap_mm_per_pt
    return round(size_pt * 4 + 0.4999) / 4  # up to the next 0.25 pt step


def _keep_english_smaller(
    texts: tuple[TextBlock, ...],
    manifest: Manifest,
    spec: LabelSpec,
    family: str,
    x_scale: float,
    y_scale: float,
    serial: str | None,
) -> tuple[TextBlock, ...]:
    """Re-set the English product name so it is never larger than the Vietnamese one."""
    by_slot = {block.slot: block for block in texts}
    vietnamese, english = by_slot.get("product_name"), by_slot.get("product_name_en")
    if vietnamese is None or english is None:
        return texts
    ceiling_pt = vietnamese.text.font_size_pt * 0.6
    if english.text.font_size_pt <= ceiling_pt:
        return texts
    slot = manifest.text_slots["product_name_en"]
    smaller = _set_slot(
        "product_name_en", slot, spec, family, x_scale, y_scale, serial, max_size_pt=ceiling_pt
    )
    return tuple(
        smaller if block.slot == "product_name_en" and smaller else block for block in texts
    )


FOLLOW_GAP_MM = 0.8


def _pull_up_followers(texts: tuple[TextBlock, ...], manifest: Manifest) -> tuple[TextBlock, ...]:
    """Move a slot marked `follows` up under the text it follows when that text came out shorter
    than its box (a one-line name leaves no hole above its English twin)."""
    by_slot = {block.slot: block for block in texts}
    result = []
    for block in texts:
        leader = by_slot.get(manifest.text_slots[block.slot].follows or "")
        if leader is not None and block.text.fits:
            leader_bottom_mm = leader.top_mm + leader.text.height_mm + FOLLOW_GAP_MM
            if leader_bottom_mm < block.top_mm:
                box = Box(
                    x_mm=block.box.x_mm,
                    y_mm=leader_bottom_mm,
                    width_mm=block.box.width_mm,
                    height_mm=block.box.bottom_mm - leader_bottom_mm,
                )
                block = replace(block, box=box, top_mm=leader_bottom_mm)
        result.append(block)
    return tuple(result)


def _embolden(paragraph: Paragraph) -> Paragraph:
    runs = tuple(Run(run.text, BOLD, run.italic) for run in paragraph.runs)
    return Paragraph(runs, paragraph.field, paragraph.language, paragraph.scale)


def _anchor(box: Box, slot: GraphicSlot, width_mm: float, height_mm: float) -> tuple[float, float]:
    """Top-left corner of a `width_mm` × `height_mm` item aligned inside `box`."""
    x_mm = {
        "start": box.x_mm,
        "middle": box.x_mm + (box.width_mm - width_mm) / 2,
        "end": box.right_mm - width_mm,
    }[slot.align]
    y_mm = {
        "top": box.y_mm,
        "middle": box.y_mm + (box.height_mm - height_mm) / 2,
        "bottom": box.bottom_mm - height_mm,
    }[slot.valign]
    return x_mm, y_mm


def place_unit_code(
    box: Box,
    slot: GraphicSlot,
    content: str,
    serial: str | None,
    family: str,
    *,
    once: bool = False,
) -> tuple[QrPlacement, SerialLine | None]:
    """The QR holding `content` in the slot `box`, and under it the unit's serial when it has one.

    A print run calls this for every unit, so each code gets the size its own content needs.
    The serial gets one line of the print norms' 6 pt under the code, set smaller when its
    letters are wider than the slot (a W is 2.6 times a 1): the room kept for it, and so the
    code's size, is the same for every serial of a run. `once` makes the code without
    `make_qr`'s cache, for a content drawn once and never again (a print run's unit).
    """
    symbol = codes.make_qr_once(content) if once else codes.make_qr(content)
    if serial is None:
        return _place_qr(box, slot, symbol), None
    face = font_face(family, REGULAR)
    cap_mm = face.cap_height_mm(SERIAL_SIZE_PT)
    code_box = box.model_copy(update={"height_mm": box.height_mm - SERIAL_GAP_MM - cap_mm})
    qr = _place_qr(code_box, slot, symbol)
    text = format_serial(serial)
    # Shaped without the shaping cache: a serial is set once and never again.
    glyphs = shape_text_once(face, text)
    width_mm = glyphs_width_mm(face, glyphs, SERIAL_SIZE_PT)
    size_pt = min(SERIAL_SIZE_PT, SERIAL_SIZE_PT * box.width_mm / width_mm)
    width_mm *= size_pt / SERIAL_SIZE_PT
    centred_x_mm = qr.x_mm + (qr.size_mm - width_mm) / 2
    x_mm = min(max(centred_x_mm, box.x_mm), box.right_mm - width_mm)
    baseline_mm = qr.y_mm + qr.size_mm + SERIAL_GAP_MM + cap_mm
    return qr, SerialLine(text, x_mm, baseline_mm, size_pt, glyphs)


def format_serial(serial: str) -> str:
    """A serial in groups of four figures (`0123 4567 89AB CDEF`) so it can be read out."""
    if len(serial) % 4 or not serial.isalnum():
        return serial
    return " ".join(serial[start : start + 4] for start in range(0, len(serial), 4))


def _place_qr(box: Box, slot: GraphicSlot, symbol: codes.QrSymbol) -> QrPlacement:
    """The largest QR (quiet zone included) the box holds, modules capped at GS1's 0.990 mm.

    A box too small for 0.396 mm modules still gets the code at the size it holds, never
    spilling over its neighbours: the compliance step reports GS1-QR-MODULE-SIZE."""
    modules_with_quiet = symbol.size_modules + 2 * codes.QR_QUIET_ZONE_MODULES
    module_mm = min(box.width_mm, box.height_mm) / modules_with_quiet
    # Whole hundredths of a mm keep module edges on a printer-friendly grid and the SVG compact.
    module_mm = min(codes.QR_MODULE_MM_MAX, int(module_mm * 100) / 100)
    size_mm = modules_with_quiet * module_mm
    x_mm, y_mm = _anchor(box, slot, size_mm, size_mm)
    return QrPlacement(x_mm, y_mm, module_mm, symbol)


def _place_barcode(box: Box, symbol: codes.LinearSymbol) -> BarcodePlacement:
    """The barcode at the largest magnification the box holds, at most GS1's 200 %.

    Under 80 % it is still drawn inside its box and the compliance step reports GS1-EAN-SIZE."""
    quiet_modules = symbol.quiet_left_modules + symbol.quiet_right_modules
    total_modules = len(symbol.modules) + quiet_modules
    nominal = codes.EAN_MODULE_MM_NOMINAL
    digits_ratio = 0.135  # human-readable digits take this share of the nominal symbol height
    nominal_height_mm = symbol.bar_height_mm_nominal * (1 + digits_ratio)
    magnification = min(
        box.width_mm / (total_modules * nominal),
        box.height_mm / nominal_height_mm,
        codes.EAN_MAGNIFICATION_MAX,
    )
    module_mm = nominal * magnification
    bar_height_mm = symbol.bar_height_mm_nominal * magnification
    digits_size_pt = 8.0 * magnification
    x_mm = box.x_mm + (box.width_mm - total_modules * module_mm) / 2
    y_mm = box.y_mm + (box.height_mm - nominal_height_mm * magnification) / 2
    return BarcodePlacement(x_mm, y_mm, module_mm, bar_height_mm, digits_size_pt, symbol)


def _place_badge(box: Box, slot: GraphicSlot, spec: LabelSpec) -> BadgePlacement:
    certificate = spec.certification
    assert certificate is not None
    year = certificate.issued_on.year
    province = certificate.province
    if certificate.mark is not None:
        # The official file keeps its own proportions: it gets the whole slot, centred.
        return BadgePlacement(
            box.x_mm,
            box.y_mm,
            box.width_mm,
            box.height_mm,
            certificate.stars,
            year,
            province,
            official_mark=certificate.mark,
        )
    with_caption = has_caption(year, province)
    aspect = badge_height_mm(100.0, with_caption=with_caption) / 100.0
    width_mm = min(box.width_mm, box.height_mm / aspect)
    height_mm = width_mm * aspect
    x_mm, y_mm = _anchor(box, slot, width_mm, height_mm)
    return BadgePlacement(x_mm, y_mm, width_mm, height_mm, certificate.stars, year, province)
