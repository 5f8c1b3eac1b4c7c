"""Layout stage: a LabelSpec + a Template → a frozen Layout of placed, measured elements in millimetres."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from labelgen import codes
from labelgen.badge import fit_badge
from labelgen.colors import is_large, readable_role
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
from labelgen.templates import Box, GraphicSlot, Manifest, Template, TextSlot, load_panels
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
    overflow_mm: float = 0.0  # how much taller than its box the whole text is at its floor
    overflow_characters: int = 0  # about how many characters did not fit (then not drawn)

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
    # What print PDFs take off every bar for the print process's ink spread (half an edge).
    bar_reduction_mm: float = codes.EAN_BAR_WIDTH_REDUCTION_MM

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


@dataclass(frozen=True)
class LabelSet:
    """The panels of one package as laid out, and what none of them had room for."""

    panels: tuple[Layout, ...]
    unplaced: tuple[str, ...] = ()  # content items (wording names) no panel could hold
    english_left_out: tuple[str, ...] = ()  # fields whose English twin made way for Vietnamese

    @cached_property
    def printed_fields(self) -> frozenset[str]:
        """The spec fields whose text is set on some panel (asked for by several rules)."""
        return frozenset(
            line.field for panel in self.panels for block in panel.texts for line in block.lines
        )

    @property
    def code_panel(self) -> Layout:
        """The panel holding the traceability QR (the first panel when none does)."""
        return next((panel for panel in self.panels if panel.qr_box is not None), self.panels[0])


def layout_label(
    spec: LabelSpec,
    *,
    spec_dir: Path | None = None,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    qr_url: str | None = None,
) -> Layout:
    """The panel of `spec`'s label set that holds the traceability QR, laid out (what a print
    run stamps each unit's code on)."""
    label_set = layout_set(
        spec, spec_dir=spec_dir, draft=draft, serial=serial, base_url=base_url, qr_url=qr_url
    )
    return label_set.code_panel


def layout_set(
    spec: LabelSpec,
    *,
    spec_dir: Path | None = None,
    draft: bool = False,
    serial: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    qr_url: str | None = None,
) -> LabelSet:
    """Place every element of `spec` on the panels of its label set.

    Mandatory text flows through the panels' flow slots, back panels first; text that cannot
    fit is never drawn outside its box: what no panel holds is listed in `unplaced`, and a block
    too long for its box keeps the lines that fit and records by how much it overflows, for the
    compliance step to report. `qr_url`, when given, is what the QR code holds instead of the
    spec's own traceability URL (a signed unit's URL).
    """
    templates = load_panels(spec.template_ids, spec_dir)
    family = spec.brand.font
    _check_glyphs(spec, family)
    if serial is not None:
        check_qualifier(serial, "serial")  # given by the caller, so no spec rule would report it
    stream = _flow_stream(spec, templates, serial)
    allocation = _allocate(spec, templates, stream, family, serial, english=True)
    english_left_out = allocation.english_left_out
    if allocation.unplaced and spec.bilingual:
        # English is optional: it makes way before any Vietnamese is refused.
        vietnamese_only = _allocate(spec, templates, stream, family, serial, english=False)
        if len(vietnamese_only.unplaced) < len(allocation.unplaced):
            allocation = vietnamese_only
            english_left_out = allocation.english_left_out + _english_fields(
                spec, stream, allocation.unplaced, serial
            )
    qr_content = _qr_content(spec, base_url, serial, qr_url)
    code_panels = _code_panels(templates)
    panels = tuple(
        _place_graphics(
            template,
            texts,
            spec,
            family,
            scale,
            draft=draft,
            serial=serial,
            qr_content=qr_content,
            with_qr=index == code_panels["qr"],
            with_barcode=index == code_panels["barcode"],
        )
        for index, (template, texts, scale) in enumerate(
            zip(templates, allocation.texts, allocation.scales, strict=True)
        )
    )
    return LabelSet(panels, allocation.unplaced, english_left_out)


@dataclass(frozen=True)
class PanelSize:
    width_mm: float
    height_mm: float
    bleed_mm: float


def code_panel_size(spec: LabelSpec, spec_dir: Path | None = None) -> PanelSize:
    """The trim and bleed of the panel of `spec`'s set that holds the units' codes (what a
    print run imposes), without laying anything out."""
    templates = load_panels(spec.template_ids, spec_dir)
    index = _code_panels(templates)["qr"] or 0
    manifest = templates[index].manifest
    x_scale, y_scale = (1.0, 1.0)
    if index in _first_template_panels(templates):
        x_scale, y_scale = _panel_scale(templates[index], spec)
    return PanelSize(manifest.width_mm * x_scale, manifest.height_mm * y_scale, manifest.bleed_mm)


def _qr_content(
    spec: LabelSpec, base_url: str, serial: str | None, qr_url: str | None
) -> str | None:
    if qr_url is not None:
        return qr_url
    try:
        return trace_url(spec, base_url, serial)
    except CodeError:
        # A wrong GTIN check digit or batch characters: the spec-level GS1 rules report it with
        # its reference, so the label is refused (or drafted) with every other finding in view.
        return None


# The order mandatory text is read in, wherever a flow slot sets it.
FLOW_ORDER: tuple[str, ...] = (
    "supplement_notice",
    "function",
    "ingredients",
    "usage",
    "storage",
    "warnings",
    "alcohol_warning",
    "ethanol",
    "dates",
    "batch",
    "producer",
    "origin",
    "certification",
    "elsewhere",
)
# On a label too small for everything, what the law keeps on it comes first (Decree 43/2017
# Art. 10(2)): the responsible organisation, the origin, and where the rest is printed.
SMALL_LABEL_FIRST: tuple[str, ...] = ("producer", "origin", "elsewhere")
# Flow slots are filled on back panels first: the front keeps its room for the name.
ROLE_ORDER = {"back": 0, "single": 1, "front": 2}


def _flow_stream(spec: LabelSpec, templates: list[Template], serial: str | None) -> list[str]:
    """The items the set's flow slots share: every item some flow slot takes, that the spec has
    text for and that no fixed slot of the set prints already."""
    fixed: set[str] = set()
    flowing: set[str] = set()
    for template in templates:
        for slot in template.manifest.text_slots.values():
            (flowing if slot.flow else fixed).update(slot.content)
    order = FLOW_ORDER
    if spec.elsewhere is not None:
        order = SMALL_LABEL_FIRST + tuple(i for i in FLOW_ORDER if i not in SMALL_LABEL_FIRST)
    return [
        item
        for item in order
        if item in flowing and item not in fixed and paragraphs_for(item, spec, serial)
    ]


@dataclass(frozen=True)
class _Allocation:
    texts: tuple[tuple[TextBlock, ...], ...]  # per panel, in the set's order
    scales: tuple[tuple[float, float], ...]  # per panel: its x and y scale
    unplaced: tuple[str, ...]
    english_left_out: tuple[str, ...]  # fixed slots set in Vietnamese alone to fit


def _allocate(
    spec: LabelSpec,
    templates: list[Template],
    stream: list[str],
    family: str,
    serial: str | None,
    *,
    english: bool,
) -> _Allocation:
    """Set every panel's text, handing the flow items from panel to panel (back panels first)."""
    first_template_panels = _first_template_panels(templates)
    scales = tuple(
        _panel_scale(template, spec) if index in first_template_panels else (1.0, 1.0)
        for index, template in enumerate(templates)
    )
    order = sorted(range(len(templates)), key=lambda i: ROLE_ORDER[templates[i].manifest.role])
    remaining = list(stream)
    texts: dict[int, tuple[TextBlock, ...]] = {}
    english_left_out: list[str] = []
    for index in order:
        setter = _PanelSetter(templates[index], spec, family, scales[index], serial, english)
        texts[index], remaining = setter.set_fitting(remaining)
        english_left_out += setter.english_left_out
    return _Allocation(
        tuple(texts[index] for index in range(len(templates))),
        scales,
        tuple(remaining),
        tuple(dict.fromkeys(english_left_out)),
    )


def _first_template_panels(templates: list[Template]) -> set[int]:
    """The panels `size:` applies to: the first template named and its own sides."""
    first = templates[0].manifest
    return {
        index
        for index, template in enumerate(templates)
        if index == 0 or template.manifest.id in first.sides
    }


def _panel_scale(template: Template, spec: LabelSpec) -> tuple[float, float]:
    manifest = template.manifest
    if spec.size is None:
        return 1.0, 1.0
    return spec.size.width_mm / manifest.width_mm, spec.size.height_mm / manifest.height_mm


def _english_fields(
    spec: LabelSpec, stream: list[str], unplaced: tuple[str, ...], serial: str | None
) -> tuple[str, ...]:
    return tuple(
        paragraph.field
        for item in stream
        if item not in unplaced
        for paragraph in paragraphs_for(item, spec, serial)
        if paragraph.language != "vi"
    )


# Headlines are set smaller, step by step, before mandatory text is refused for want of room.
HEADLINE_SCALES = (1.0, 0.88, 0.76, 0.64, 0.52)
ENGLISH_HEADLINE_STEPS = 3  # down to 0.76 to keep an English twin
# A headline may take this many lines more than its template's soft cap rather than not fit.
EXTRA_LINES = 2
COMFORTABLE_SHARE = 0.75  # of a headline's largest size, tried in every room before going under
MIN_BOX_MM = 0.1


@dataclass(frozen=True)
class _PanelText:
    """One way of setting a panel's text, and what it could not hold."""

    blocks: tuple[TextBlock, ...]
    remaining: list[str]
    english_left_out: tuple[str, ...]
    losses: tuple[int, int]  # flow items this panel could take but did not; English left out


class _PanelSetter:
    """Sets one panel's text slots: fixed slots in their boxes, chains of followers one under
    the other, flow slots taking as many of the set's remaining items as fit."""

    def __init__(
        self,
        template: Template,
        spec: LabelSpec,
        family: str,
        scale: tuple[float, float],
        serial: str | None,
        english: bool,
    ) -> None:
        self.manifest = template.manifest
        self.spec = spec
        self.family = family
        self.x_scale, self.y_scale = scale
        self.serial = serial
        self.english = english
        self.chains = _chains(self.manifest)
        # English is optional: a fixed slot that does not fit is tried in Vietnamese alone.
        self.vietnamese_spec = spec.model_copy(update={"languages": ["vi"]})
        self.english_left_out: list[str] = []
        self.least_heights_mm: dict[str, float] = {}
        # Every headline step words the same slots' items again: worded once, by slot, items
        # and spec (objects this setter keeps alive, so their ids stay theirs).
        self._worded: dict[tuple[int, tuple[str, ...], int], list[Paragraph]] = {}

    def set_fitting(self, stream: list[str]) -> tuple[tuple[TextBlock, ...], list[str]]:
        """The panel's blocks, with the headline set smaller until the flow items this panel
        could take all fit (or it is as small as it may be), and the items left for others.

        English twins are worth a smaller headline too, but only a little smaller. The
        smallest headline is tried before the steps between: when even it wins nothing, the
        headline keeps its size."""
        takes: set[str] = {
            item for slot in self.manifest.text_slots.values() if slot.flow for item in slot.content
        }
        first = self._set_at_scale(stream, 0, takes)
        if first.losses == (0, 0):
            return self._chosen(first)
        last_step = len(HEADLINE_SCALES) if first.losses[0] else ENGLISH_HEADLINE_STEPS
        smallest = self._set_at_scale(stream, last_step - 1, takes)
        if not smallest.losses < first.losses:
            return self._chosen(first)
        for step in range(1, last_step - 1):
            between = self._set_at_scale(stream, step, takes)
            if between.losses <= smallest.losses:
                return self._chosen(between)
        return self._chosen(smallest)

    def _set_at_scale(self, stream: list[str], step: int, takes: set[str]) -> _PanelText:
        self.english_left_out = []
        blocks, remaining = self._set_all(stream, HEADLINE_SCALES[step])
        unplaced = sum(item in takes for item in remaining)
        losses = (unplaced, len(self.english_left_out))
        return _PanelText(blocks, remaining, tuple(self.english_left_out), losses)

    def _chosen(self, text: _PanelText) -> tuple[tuple[TextBlock, ...], list[str]]:
        self.english_left_out = list(text.english_left_out)
        return text.blocks, text.remaining

    def _paragraphs(
        self, slot: TextSlot, items: Sequence[str], spec: LabelSpec | None = None
    ) -> list[Paragraph]:
        key = (id(slot), tuple(items), id(spec))
        if key not in self._worded:
            self._worded[key] = self._word(slot, items, spec)
        return list(self._worded[key])

    def _word(
        self, slot: TextSlot, items: Sequence[str], spec: LabelSpec | None
    ) -> list[Paragraph]:
        paragraphs = [
            paragraph
            for item in items
            for paragraph in paragraphs_for(item, spec or self.spec, self.serial)
            if self.english or paragraph.language == "vi" or not slot.flow
        ]
        if slot.weight == BOLD:
            paragraphs = [_embolden(paragraph) for paragraph in paragraphs]
        return paragraphs

    def _set_all(
        self, stream: list[str], headline_scale: float
    ) -> tuple[tuple[TextBlock, ...], list[str]]:
        remaining = list(stream)
        blocks: dict[str, TextBlock] = {}
        bottoms: dict[str, float] = {}  # where the next block of a chain may start
        for name, slot in self.manifest.text_slots.items():
            box = slot.box.scaled(self.x_scale, self.y_scale)
            chain = self.chains.get(name)
            if chain is not None:
                box = self._chain_box(name, slot, box, chain, bottoms)
            if slot.flow:
                block, remaining = self._set_flow(name, slot, box, remaining)
            else:
                block = self._set_fixed(name, slot, box, blocks, headline_scale, chain is not None)
            if block is not None:
                blocks[name] = block
                bottoms[name] = block.top_mm + block.text.height_mm if chain else box.bottom_mm
            elif chain is not None:
                bottoms[name] = box.y_mm - slot.space_before_mm  # an empty slot takes no room
        return tuple(blocks.values()), remaining

    def _chain_box(
        self,
        name: str,
        slot: TextSlot,
        box: Box,
        chain: list[str],
        bottoms: dict[str, float],
    ) -> Box:
        """The room a chained slot may use: from under its leader's text to the bottom of the
        chain, less what the slots after it need at their smallest."""
        slots = self.manifest.text_slots
        region_bottom_mm = max(slots[member].box.bottom_mm for member in chain) * self.y_scale
        top_mm = box.y_mm
        if slot.follows is not None:
            top_mm = bottoms[slot.follows] + slot.space_before_mm
        later = chain[chain.index(name) + 1 :]
        reserved_mm = sum(self._least_height_mm(member) for member in later)
        height_mm = max(region_bottom_mm - reserved_mm - top_mm, MIN_BOX_MM)
        return Box(x_mm=box.x_mm, y_mm=top_mm, width_mm=box.width_mm, height_mm=height_mm)

    def _least_height_mm(self, name: str) -> float:
        """What a later slot of a chain needs at its smallest (flow slots make do with less);
        the same at every headline size, so measured once per slot."""
        if name not in self.least_heights_mm:
            self.least_heights_mm[name] = self._measure_least_height_mm(name)
        return self.least_heights_mm[name]

    def _measure_least_height_mm(self, name: str) -> float:
        slot = self.manifest.text_slots[name]
        if slot.flow:
            return 0.0
        heights_mm = []
        min_size_pt = self._min_size_pt(slot)
        for paragraphs in self._paragraph_options(slot):
            if not paragraphs:
                heights_mm.append(0.0)
                continue
            for max_lines in (slot.max_lines, None):
                text = set_text(
                    paragraphs,
                    family=self.family,
                    width_mm=slot.box.width_mm * self.x_scale,
                    height_mm=float("inf"),
                    max_size_pt=min_size_pt,
                    min_size_pt=min_size_pt,
                    leading=slot.leading,
                    max_lines=max_lines,
                )
                if text.fits:
                    heights_mm.append(text.height_mm)
                    break
        if not heights_mm:
            return 0.0
        return min(heights_mm) + slot.space_before_mm

    def _paragraph_options(self, slot: TextSlot) -> list[list[Paragraph]]:
        """The slot's paragraphs, then (for a bilingual spec) the same in Vietnamese alone."""
        paragraphs = self._paragraphs(slot, slot.content)
        if not paragraphs:
            return []
        options = [paragraphs]
        if self.spec.bilingual:
            vietnamese = self._paragraphs(slot, slot.content, self.vietnamese_spec)
            if vietnamese != paragraphs:
                options.append(vietnamese)
        return options

    def _min_size_pt(self, slot: TextSlot) -> float:
        return max(slot.min_size_pt, _legal_min_size_pt(slot, self.spec, self.family))

    def _max_size_pt(
        self, name: str, slot: TextSlot, blocks: dict[str, TextBlock], headline_scale: float
    ) -> float:
        size_scale = min(self.x_scale, self.y_scale)
        max_size_pt = slot.max_size_pt * size_scale
        if slot.balance:
            max_size_pt *= headline_scale
        if name == "product_name_en" and "product_name" in blocks:
            # The law forbids foreign text larger than the Vietnamese; kept clearly smaller.
            max_size_pt = min(max_size_pt, blocks["product_name"].text.font_size_pt * 0.6)
        return max(max_size_pt, self._min_size_pt(slot))

    def _set_fixed(
        self,
        name: str,
        slot: TextSlot,
        box: Box,
        blocks: dict[str, TextBlock],
        headline_scale: float,
        chained: bool,
    ) -> TextBlock | None:
        options = self._paragraph_options(slot)
        if not options:
            return None
        max_size_pt = self._max_size_pt(name, slot, blocks, headline_scale)
        min_size_pt = self._min_size_pt(slot)
        # A headline is first kept near its full size, on one line more or in more room if it
        # must, and only then set down to its floor.
        comfortable_pt = max(min_size_pt, max_size_pt * COMFORTABLE_SHARE)
        floors = (comfortable_pt, min_size_pt) if slot.balance else (min_size_pt,)
        for option, paragraphs in enumerate(options):
            if not paragraphs:  # an English-only slot, left out
                self.english_left_out.append(options[0][0].field)
                return None
            attempts = [
                (attempt_box, max_lines, floor_pt)
                for floor_pt in floors
                for attempt_box, max_lines in self._fixed_attempts(slot, box, chained)
            ]
            for attempt_box, max_lines, floor_pt in attempts:
                text = self._set(paragraphs, slot, attempt_box, max_size_pt, floor_pt, max_lines)
                if text.fits:
                    if option > 0:
                        self.english_left_out.append(f"{options[0][0].field}_en")
                    return self._aligned(name, slot, box, attempt_box, text, chained)
        # What is reported as too long is the shortest wording, at its smallest.
        paragraphs = options[-1]
        text = self._set(paragraphs, slot, box, max_size_pt, min_size_pt, slot.max_lines)
        block = TextBlock(name, box, box.y_mm, text, slot.align, slot.color)
        return _clipped(block, paragraphs, self.family, slot)

    def _aligned(
        self, name: str, slot: TextSlot, box: Box, own_box: Box, text: SetText, chained: bool
    ) -> TextBlock:
        """The block aligned in the box it fitted: a chained slot that needed its chain's room
        starts at the top of it."""
        top_mm = box.y_mm
        if not chained or own_box.height_mm < box.height_mm:
            if slot.valign == "middle":
                top_mm += (own_box.height_mm - text.height_mm) / 2
            elif slot.valign == "bottom":
                top_mm += own_box.height_mm - text.height_mm
        return TextBlock(name, box, top_mm, text, slot.align, self._ink(slot, text))

    def _ink(self, slot: TextSlot, text: SetText) -> str:
        """The colour role the text is set in: the slot's own unless it would not read."""
        large = all(
            is_large(line.font_size_pt * run.scale, bold=run.weight >= BOLD)
            for line in text.lines
            for run in line.runs
            if run.text.strip()
        )
        return readable_role(slot, self.spec.brand.colors, large=large)

    def _fixed_attempts(
        self, slot: TextSlot, box: Box, chained: bool
    ) -> list[tuple[Box, int | None]]:
        """The boxes and line caps a fixed slot is tried with, in order: its own height first
        (a name stays on the lines its designer meant), then the room its chain leaves, then
        one line more than its soft cap."""
        attempts: list[tuple[Box, int | None]] = []
        if chained:
            declared_mm = slot.box.height_mm * self.y_scale
            if declared_mm < box.height_mm:
                own = box.model_copy(update={"height_mm": declared_mm})
                attempts.append((own, slot.max_lines))
        attempts.append((box, slot.max_lines))
        if slot.max_lines is not None and slot.balance:
            attempts.append((box, slot.max_lines + EXTRA_LINES))  # a soft cap, relaxed last
        return attempts

    def _set(
        self,
        paragraphs: list[Paragraph],
        slot: TextSlot,
        box: Box,
        max_size_pt: float,
        min_size_pt: float,
        max_lines: int | None,
    ) -> SetText:
        return set_text(
            paragraphs,
            family=self.family,
            width_mm=box.width_mm,
            height_mm=box.height_mm,
            max_size_pt=max_size_pt,
            min_size_pt=min_size_pt,
            leading=slot.leading,
            max_lines=max_lines,
            balance=slot.balance,
        )

    def _set_flow(
        self, name: str, slot: TextSlot, box: Box, stream: list[str]
    ) -> tuple[TextBlock | None, list[str]]:
        """As many of the stream's items, in order, as fit the box at a legal size."""
        candidates = [item for item in stream if item in slot.content]
        max_size_pt = max(slot.max_size_pt * min(self.x_scale, self.y_scale), slot.min_size_pt)

        def attempt(count: int, largest_pt: float) -> SetText:
            paragraphs = self._paragraphs(slot, candidates[:count])
            return self._set(paragraphs, slot, box, largest_pt, slot.min_size_pt, None)

        taken = len(candidates)
        text = attempt(taken, max_size_pt) if taken else None
        if text is not None and not text.fits:
            # Whether some items fit is a question of the smallest size alone.
            low, high = 0, taken - 1  # the most items that fit lies in [low, high]
            while low < high:
                middle = (low + high + 1) // 2
                if attempt(middle, slot.min_size_pt).fits:
                    low = middle
                else:
                    high = middle - 1
            taken = low
            text = attempt(taken, max_size_pt) if taken else None
        placed = set(candidates[:taken])
        remaining = [item for item in stream if item not in placed]
        if text is None or not text.lines:
            return None, remaining
        return TextBlock(name, box, box.y_mm, text, slot.align, self._ink(slot, text)), remaining


def _chains(manifest: Manifest) -> dict[str, list[str]]:
    """Each chained slot → the whole chain it belongs to, leader first (slots that follow one
    another, in the manifest's order)."""
    followers: dict[str, str] = {}
    for name, slot in manifest.text_slots.items():
        if slot.follows is not None:
            followers[slot.follows] = name
    chains: dict[str, list[str]] = {}
    for name, slot in manifest.text_slots.items():
        if slot.follows is None and name in followers:
            chain = [name]
            while chain[-1] in followers:
                chain.append(followers[chain[-1]])
            for member in chain:
                chains[member] = chain
    return chains


def _clipped(
    block: TextBlock, paragraphs: list[Paragraph], family: str, slot: TextSlot
) -> TextBlock:
    """A block too long for its box, keeping only the lines inside it (and within its line
    cap), with how much of its text was left out: in characters, and in mm of height, or of
    line length when the cap on lines is what it overruns."""
    box_height_mm = block.box.height_mm
    kept = tuple(
        line
        for line in block.text.lines[: slot.max_lines]
        if line.baseline_mm + font_face(family).descent_mm(line.font_size_pt) <= box_height_mm
        and line.width_mm <= block.box.width_mm + 1e-6
    )
    whole = set_text(
        paragraphs,
        family=family,
        width_mm=block.box.width_mm,
        height_mm=float("inf"),
        max_size_pt=block.text.font_size_pt,
        min_size_pt=block.text.font_size_pt,
        leading=slot.leading,
    )
    if whole.fits and slot.max_lines is not None and len(whole.lines) > slot.max_lines:
        overflow_mm = sum(line.width_mm for line in whole.lines[slot.max_lines :])
    elif whole.fits:
        overflow_mm = max(whole.height_mm - box_height_mm, 0.0)
    else:  # a word wider than the box: by how much it is too wide
        widest_mm = max(line.width_mm for line in whole.lines)
        overflow_mm = max(widest_mm - block.box.width_mm, 0.0)
    characters = sum(len(run.text) for p in paragraphs for run in p.runs)
    fitting = _fitting_characters(paragraphs, family, block, slot)
    height_mm = kept[-1].baseline_mm if kept else 0.0
    text = SetText(kept, block.text.font_size_pt, height_mm, fits=False)
    return replace(
        block,
        text=text,
        overflow_mm=round(overflow_mm, 1),
        overflow_characters=max(characters - fitting, 1),
    )


def _fitting_characters(
    paragraphs: list[Paragraph], family: str, block: TextBlock, slot: TextSlot
) -> int:
    """How many characters of the text's start fit the box at its smallest size (whole words)."""
    text = " ".join(run.text for paragraph in paragraphs for run in paragraph.runs)
    words = text.split(" ")
    weight = slot.weight

    def fits(count: int) -> bool:
        paragraph = Paragraph((Run(" ".join(words[:count]), weight),), "")
        return set_text(
            [paragraph],
            family=family,
            width_mm=block.box.width_mm,
            height_mm=block.box.height_mm,
            max_size_pt=block.text.font_size_pt,
            min_size_pt=block.text.font_size_pt,
            leading=slot.leading,
            max_lines=slot.max_lines,
        ).fits

    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return len(" ".join(words[:low]))


def _code_panels(templates: list[Template]) -> dict[str, int | None]:
    """The one panel of the set each code goes on: the first, in print order, with a slot for
    it (a unit has one traceability code, and a jar's lid keeps its code in the middle)."""
    chosen: dict[str, int | None] = {}
    for code in ("qr", "barcode"):
        with_slot = [i for i, t in enumerate(templates) if code in t.manifest.graphic_slots]
        chosen[code] = with_slot[0] if with_slot else None
    return chosen


def _place_graphics(
    template: Template,
    texts: tuple[TextBlock, ...],
    spec: LabelSpec,
    family: str,
    scale: tuple[float, float],
    *,
    draft: bool,
    serial: str | None,
    qr_content: str | None,
    with_qr: bool,
    with_barcode: bool,
) -> Layout:
    """One panel's Layout: its text as set, and its badge, codes and logo placed."""
    manifest = template.manifest
    x_scale, y_scale = scale
    graphics = {
        name: slot.box.scaled(x_scale, y_scale) for name, slot in manifest.graphic_slots.items()
    }
    qr = None
    serial_line = None
    unit_serial = serial or spec.traceability.serial
    qr_box = graphics.get("qr") if with_qr else None
    if qr_box is not None and qr_content is not None and not draft:
        qr, serial_line = place_unit_code(
            qr_box,
            manifest.graphic_slots["qr"],
            qr_content,
            unit_serial,
            family,
            process=codes.print_process(spec.print_process),
        )
    barcode = None
    gtin = spec.product.gtin
    if with_barcode and "barcode" in graphics and gtin and is_valid_gtin(gtin):
        symbol = codes.make_retail_barcode(gtin)
        if symbol is not None:
            barcode = _place_barcode(graphics["barcode"], symbol, spec)
    badge = None
    certificate = spec.certification
    if "badge" in graphics and certificate is not None and certificate.stars >= OCOP_MARK_MIN_STARS:
        badge = _place_badge(graphics["badge"], manifest.graphic_slots["badge"], spec)
    logo = None
    if "logo" in graphics and spec.brand.logo:
        logo = LogoPlacement(graphics["logo"], spec.brand.logo)
    return Layout(
        template=template,
        width_mm=manifest.width_mm * x_scale,
        height_mm=manifest.height_mm * y_scale,
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
        qr_placeholder=qr_box if draft and qr_content is not None else None,
        qr_box=qr_box,
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


def _legal_min_size_pt(slot: TextSlot, spec: LabelSpec, family: str) -> float:
    """The size at which net-quantity figures reach the height Circular 21/2014 asks for."""
    quantity = spec.product.net_quantity
    if "net_quantity" not in slot.content or quantity is None:
        return 0.0
    needed_mm = net_quantity_min_height_mm(quantity)
    cap_mm_per_pt = font_face(family, BOLD).cap_height_mm(1.0)
    size_pt = needed_mm / cap_mm_per_pt
    return round(size_pt * 4 + 0.4999) / 4  # up to the next 0.25 pt step


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
    process: codes.PrintProcess = codes.PRINT_PROCESSES[codes.DEFAULT_PRINT_PROCESS],
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
        return _place_qr(box, slot, symbol, process), None
    face = font_face(family, REGULAR)
    cap_mm = face.cap_height_mm(SERIAL_SIZE_PT)
    code_box = box.model_copy(update={"height_mm": box.height_mm - SERIAL_GAP_MM - cap_mm})
    qr = _place_qr(code_box, slot, symbol, process)
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


def _place_qr(
    box: Box, slot: GraphicSlot, symbol: codes.QrSymbol, process: codes.PrintProcess
) -> QrPlacement:
    """The largest QR (quiet zone included) the box holds, modules capped at GS1's 0.990 mm.

    A box too small for 0.396 mm modules still gets the code at the size it holds, never
    spilling over its neighbours: the compliance step reports GS1-QR-MODULE-SIZE."""
    modules_with_quiet = symbol.size_modules + 2 * codes.QR_QUIET_ZONE_MODULES
    module_mm = min(box.width_mm, box.height_mm) / modules_with_quiet
    # Whole hundredths of a mm keep module edges on a printer-friendly grid and the SVG compact.
    module_mm = min(codes.QR_MODULE_MM_MAX, int(module_mm * 100) / 100)
    if process.device_dpi is not None:  # a thermal head: whole dots instead
        module_mm = process.snap_module_mm(min(box.width_mm, box.height_mm) / modules_with_quiet)
        module_mm = min(module_mm, process.snap_module_mm(codes.QR_MODULE_MM_MAX))
    size_mm = modules_with_quiet * module_mm
    x_mm, y_mm = _anchor(box, slot, size_mm, size_mm)
    return QrPlacement(x_mm, y_mm, module_mm, symbol)


def _place_barcode(box: Box, symbol: codes.LinearSymbol, spec: LabelSpec) -> BarcodePlacement:
    """The barcode at the largest magnification the box holds, at most GS1's 200 %, its module
    in whole dots for a thermal printer, its bars narrowed for the spec's print process.

    Under 80 % it is still drawn inside its box and the compliance step reports GS1-EAN-SIZE
    (under the print process's tolerance, GS1-EAN-PRINT-TOLERANCE)."""
    process = codes.print_process(spec.print_process)
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
    module_mm = process.snap_module_mm(nominal * magnification)
    magnification = module_mm / nominal
    bar_height_mm = symbol.bar_height_mm_nominal * magnification
    digits_size_pt = 8.0 * magnification
    x_mm = box.x_mm + (box.width_mm - total_modules * module_mm) / 2
    y_mm = box.y_mm + (box.height_mm - nominal_height_mm * magnification) / 2
    reduction_mm = spec.codes.bar_width_reduction_mm
    if reduction_mm is None:
        reduction_mm = process.bar_width_reduction_mm
    return BarcodePlacement(
        x_mm, y_mm, module_mm, bar_height_mm, digits_size_pt, symbol, reduction_mm
    )


def _place_badge(box: Box, slot: GraphicSlot, spec: LabelSpec) -> BadgePlacement:
    certificate = spec.certification
    assert certificate is not None
    year: int | None = certificate.issued_on.year
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
    fit = fit_badge(box.width_mm, box.height_mm, year, province)
    if not fit.with_caption:  # its caption would be under 6 pt: the badge grows without it
        year, province = None, None
    x_mm, y_mm = _anchor(box, slot, fit.width_mm, fit.height_mm)
    return BadgePlacement(
        x_mm, y_mm, fit.width_mm, fit.height_mm, certificate.stars, year, province
    )
