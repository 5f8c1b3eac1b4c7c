"""Stamp stage: an imposed sheet and its units' codes → the sheet's PDF content operators.

Every label on the sheet is the run's one artwork form XObject, clipped to the label's bleed;
on top of it each unit gets its own QR code as filled rectangles and its serial as glyph
outlines, exactly where a single-label render puts them (`labelgen.layout.place_unit_code`).
A slot that holds the label turned draws all of it (artwork, code, serial, die line) under one
90° anticlockwise matrix, so the code turns with its label and stays where a single label has it.
Then come the die lines in the `CutContour` separation, the crop marks in the registration
colour (the four process plates, never the die line's) and the slug line, all inside the printer calibration matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import numpy.typing as npt

from labelgen.codes import IntArray, PrintProcess
from labelgen.fonts import glyphs_width_mm, shape_text_once
from labelgen.layout import QrPlacement, SerialLine, place_unit_code
from labelgen.production.imposition import Imposition, Slot
from labelgen.production.outlines import (
    PT_PER_MM,
    PlacedText,
    place_glyphs,
    text_face,
)
from labelgen.templates import Box, GraphicSlot

ARTWORK_NAME = "Art"
CUT_COLOUR_SPACE_NAME = "CSCut"
REGISTRATION_COLOUR_SPACE_NAME = "CSReg"
PROCESS_PLATES = ("Cyan", "Magenta", "Yellow", "Black")  # the registration colour's plates
OVERPRINT_STATE_NAME = "GSCut"
HAIRLINE_PT = 0.25  # the thinnest line print shops accept (REGULATIONS §7)


@dataclass(frozen=True)
class Unit:
    """One printed unit: its slot on the sheet, what its QR holds and its serial."""

    slot_index: int
    content: str
    serial: str | None


@dataclass(frozen=True)
class Inks:
    """How black and paper white are written: 100 % K in CMYK runs, grey 0/1 otherwise."""

    black: str
    white: str


CMYK_INKS = Inks(black="0 0 0 1 k", white="0 0 0 0 k")
GREY_INKS = Inks(black="0 g", white="1 g")


@dataclass(frozen=True)
class LabelGeometry:
    """What every unit of a run shares: label size, bleed, its QR slot and its die line."""

    width_mm: float
    height_mm: float
    bleed_mm: float
    family: str
    qr_box: Box
    qr_slot: GraphicSlot
    die_line_operators: str  # the outline path with the trim's top-left corner at (0, 0)
    # Every unit's code is sized for the spec's press (thermal heads: whole dots), as a
    # single-label render sizes it.
    process: PrintProcess


@dataclass(frozen=True)
class SheetPlan:
    """Everything a process needs to draw any sheet of a run."""

    imposition: Imposition
    label: LabelGeometry
    inks: Inks
    show_serials: bool

    @property
    def sheet_height_pt(self) -> float:
        return self.imposition.sheet.height_mm * PT_PER_MM

    @cached_property
    def slot_drawings(self) -> dict[int, SlotDrawing]:
        """What each slot draws the same on every sheet, by slot index (made once a process)."""
        return {
            slot.index: _slot_drawing(self, slot, self.sheet_height_pt)
            for slot in self.imposition.slots
        }

    @cached_property
    def sheet_start(self) -> str:
        """The operators opening every sheet: the printer calibration matrix."""
        matrix = " ".join(f"{value:.6f}" for value in self.imposition.calibration_matrix_pt())
        return f"q {matrix} cm"

    @cached_property
    def crop_marks(self) -> str:
        """The crop marks in the registration colour, the same on every sheet."""
        return _crop_mark_operators(self.imposition, self.sheet_height_pt)


@dataclass(frozen=True)
class SlotDrawing:
    """A slot's part of every sheet that does not change from unit to unit."""

    trim_left_pt: float  # where the unit's code is drawn from: the label's own top-left corner,
    trim_top_pt: float  # 0, 0 in a turned slot (its matrix is opened by `artwork`)
    artwork: str  # clipped to the slot's bleed; leaves the clip open for the unit's code
    die_line: str
    label_end: str = "Q"  # closes what `artwork` left open


def sheet_operators(plan: SheetPlan, units: list[Unit], slug: str) -> tuple[str, frozenset[int]]:
    """The content stream of one sheet holding `units`, and the glyphs it calls."""
    parts = [plan.sheet_start]
    glyph_ids: set[int] = set()
    slots = plan.slot_drawings
    for unit in units:
        operators, used = _label_operators(plan, slots[unit.slot_index], unit)
        parts.append(operators)
        glyph_ids |= used
    for unit in units:
        parts.append(slots[unit.slot_index].die_line)
    parts.append(plan.crop_marks)
    slug_operators, used = slug_line_operators(
        plan.imposition, plan.label.family, plan.inks.black, slug, plan.sheet_height_pt
    )
    parts.append(slug_operators)
    glyph_ids |= used
    parts.append("Q")
    return "\n".join(part for part in parts if part), frozenset(glyph_ids)


def _slot_drawing(plan: SheetPlan, slot: Slot, sheet_height_pt: float) -> SlotDrawing:
    if slot.rotated:
        return _turned_slot_drawing(plan, slot, sheet_height_pt)
    label = plan.label
    trim_left_pt = slot.trim_x_mm * PT_PER_MM
    trim_top_pt = sheet_height_pt - slot.trim_y_mm * PT_PER_MM
    height_pt = label.height_mm * PT_PER_MM
    clip_left = trim_left_pt - slot.bleed_left_mm * PT_PER_MM
    clip_bottom = trim_top_pt - height_pt - slot.bleed_bottom_mm * PT_PER_MM
    clip_width = (slot.bleed_left_mm + label.width_mm + slot.bleed_right_mm) * PT_PER_MM
    clip_height = (slot.bleed_top_mm + label.height_mm + slot.bleed_bottom_mm) * PT_PER_MM
    artwork_left = trim_left_pt - label.bleed_mm * PT_PER_MM
    artwork_bottom = trim_top_pt - height_pt - label.bleed_mm * PT_PER_MM
    artwork = (
        f"q {clip_left:.3f} {clip_bottom:.3f} {clip_width:.3f} {clip_height:.3f} re W n\n"
        f"q 1 0 0 1 {artwork_left:.3f} {artwork_bottom:.3f} cm /{ARTWORK_NAME} Do Q"
    )
    return SlotDrawing(
        trim_left_pt, trim_top_pt, artwork, _die_line_operators(plan, trim_left_pt, trim_top_pt)
    )


def _turned_slot_drawing(plan: SheetPlan, slot: Slot, sheet_height_pt: float) -> SlotDrawing:
    """A slot holding the label turned 90° anticlockwise: the clip is the slot's bleed box on the
    sheet, and inside it the label is drawn in its own frame (top-left trim corner at 0, 0)."""
    label = plan.label
    clip_x_mm, clip_y_mm, clip_width_mm, clip_height_mm = slot.bleed_box_mm
    clip_bottom_pt = sheet_height_pt - (clip_y_mm + clip_height_mm) * PT_PER_MM
    matrix = _turned_matrix(slot, sheet_height_pt)
    artwork_left = -label.bleed_mm * PT_PER_MM
    artwork_bottom = -(label.height_mm + label.bleed_mm) * PT_PER_MM
    artwork = (
        f"q {clip_x_mm * PT_PER_MM:.3f} {clip_bottom_pt:.3f} {clip_width_mm * PT_PER_MM:.3f} "
        f"{clip_height_mm * PT_PER_MM:.3f} re W n\n"
        f"q {matrix} cm\n"
        f"q 1 0 0 1 {artwork_left:.3f} {artwork_bottom:.3f} cm /{ARTWORK_NAME} Do Q"
    )
    die_line = (
        f"q /{OVERPRINT_STATE_NAME} gs {matrix} cm "
        f"/{CUT_COLOUR_SPACE_NAME} CS 1 SCN {HAIRLINE_PT} w "
        f"{plan.label.die_line_operators} S Q"
    )
    return SlotDrawing(0.0, 0.0, artwork, die_line, label_end="Q\nQ")


def _turned_matrix(slot: Slot, sheet_height_pt: float) -> str:
    """The `cm` operands taking the label's frame (trim top-left at 0, 0, y up) into a turned
    slot: the label's x axis runs up the sheet, its y axis to the sheet's left, so its top-left
    corner lands on the slot's bottom-left trim corner."""
    left_pt = slot.trim_x_mm * PT_PER_MM
    bottom_pt = sheet_height_pt - (slot.trim_y_mm + slot.trim_height_mm) * PT_PER_MM
    return f"0 1 -1 0 {left_pt:.3f} {bottom_pt:.3f}"


def _label_operators(plan: SheetPlan, slot: SlotDrawing, unit: Unit) -> tuple[str, frozenset[int]]:
    label = plan.label
    qr, serial_line = place_unit_code(
        label.qr_box,
        label.qr_slot,
        unit.content,
        unit.serial if plan.show_serials else None,
        label.family,
        once=True,
        process=label.process,
    )
    parts = [slot.artwork, _qr_operators(qr, plan.inks, slot.trim_left_pt, slot.trim_top_pt)]
    glyph_ids: frozenset[int] = frozenset()
    if serial_line is not None:
        text = _serial_operators(
            serial_line, label.family, plan.inks, slot.trim_left_pt, slot.trim_top_pt
        )
        parts.append(text.operators)
        glyph_ids = text.glyph_ids
    parts.append(slot.label_end)
    return "\n".join(parts), glyph_ids


def _qr_operators(qr: QrPlacement, inks: Inks, trim_left_pt: float, trim_top_pt: float) -> str:
    """The code in module units under a y-down matrix: one `re` per run of dark modules."""
    module_pt = qr.module_mm * PT_PER_MM
    x_pt = trim_left_pt + qr.x_mm * PT_PER_MM
    y_pt = trim_top_pt - qr.y_mm * PT_PER_MM
    quiet = qr.quiet_zone_modules
    side = qr.symbol.size_modules + 2 * quiet
    rows, columns, lengths = qr.symbol.dark_run_arrays()
    rectangles = _unit_height_rectangles(columns + quiet, rows + quiet, lengths)
    return (
        f"q {module_pt:.5f} 0 0 {-module_pt:.5f} {x_pt:.3f} {y_pt:.3f} cm "
        f"{inks.white} 0 0 {side} {side} re f {inks.black}\n{rectangles}f Q"
    )


def _unit_height_rectangles(xs: IntArray, ys: IntArray, widths: IntArray) -> str:
    """`x y width 1 re` for each item, built as one array of characters.

    A print run writes some 700 rectangles for every unit; formatting them one by one cost
    more than making the code. Here every number is right-aligned in a fixed width (PDF takes
    any run of spaces between tokens) and looked up in a table of such fields, all at once.
    """
    if not len(xs):
        return ""
    digits = len(str(int(max(xs.max(), ys.max(), widths.max()))))
    fields = _number_fields(digits)
    field_width = digits + 1
    records = np.empty((len(xs), 3 * field_width + len(_RECTANGLE_TAIL)), dtype=np.uint8)
    for column, numbers in enumerate((xs, ys, widths)):
        records[:, column * field_width : (column + 1) * field_width] = fields[numbers]
    records[:, 3 * field_width :] = _RECTANGLE_TAIL
    return records.tobytes().decode("ascii")


_RECTANGLE_TAIL = np.frombuffer(b"1 re\n", dtype=np.uint8)


@cache
def _number_fields(digits: int) -> npt.NDArray[np.uint8]:
    """Row n: the characters of n right-aligned in `digits` places, then a space."""
    text = "".join(f"{number:>{digits}} " for number in range(10**digits))
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(10**digits, digits + 1)


def _serial_operators(
    line: SerialLine, family: str, inks: Inks, trim_left_pt: float, trim_top_pt: float
) -> PlacedText:
    x_pt = trim_left_pt + line.x_mm * PT_PER_MM
    baseline_pt = trim_top_pt - line.baseline_mm * PT_PER_MM
    placed = place_glyphs(text_face(family), line.glyphs, line.size_pt, x_pt, baseline_pt)
    return PlacedText(f"{inks.black} {placed.operators}", placed.glyph_ids)


def _die_line_operators(plan: SheetPlan, trim_left_pt: float, trim_top_pt: float) -> str:
    """The label's outline in the CutContour separation, overprinting: cut, never printed."""
    return (
        f"q /{OVERPRINT_STATE_NAME} gs 1 0 0 1 {trim_left_pt:.3f} {trim_top_pt:.3f} cm "
        f"/{CUT_COLOUR_SPACE_NAME} CS 1 SCN {HAIRLINE_PT} w "
        f"{plan.label.die_line_operators} S Q"
    )


def _crop_mark_operators(imposition: Imposition, sheet_height_pt: float) -> str:
    if not imposition.marks:
        return ""
    lines = " ".join(
        f"{mark.x1_mm * PT_PER_MM:.3f} {sheet_height_pt - mark.y1_mm * PT_PER_MM:.3f} m "
        f"{mark.x2_mm * PT_PER_MM:.3f} {sheet_height_pt - mark.y2_mm * PT_PER_MM:.3f} l"
        for mark in imposition.marks
    )
    return f"q /{REGISTRATION_COLOUR_SPACE_NAME} CS 1 1 1 1 SCN {HAIRLINE_PT} w {lines} S Q"


def slug_line_operators(
    imposition: Imposition, family: str, black: str, slug: str, sheet_height_pt: float
) -> tuple[str, frozenset[int]]:
    """The slug line in `black` (a fill colour's operators) at the imposition's place, made
    smaller when a long job name would run past its room, and the glyphs it calls as forms
    (`glyph_resource_name`); none on a sheet with no room for it (a pre-cut sheet edge to
    edge)."""
    room_pt = imposition.slug_width_mm * PT_PER_MM
    if room_pt <= 0:
        return "", frozenset()
    face = text_face(family)
    size_pt = imposition.slug_font_size_pt
    glyphs = shape_text_once(face, slug)
    width_pt = glyphs_width_mm(face, glyphs, size_pt) * PT_PER_MM
    size_pt = min(size_pt, size_pt * room_pt / width_pt)
    x_pt = imposition.slug_x_mm * PT_PER_MM
    baseline_pt = sheet_height_pt - imposition.slug_y_mm * PT_PER_MM
    placed = place_glyphs(face, glyphs, size_pt, x_pt, baseline_pt)
    return f"q {black} {placed.operators} Q", placed.glyph_ids
