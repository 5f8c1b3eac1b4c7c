"""Imposition stage: a label size, bleed and sheet choice → the positions of every label, crop mark and slug line (mm).

Millimetres, origin at the sheet's top-left corner, y growing downwards (as in the label designs).

Press sheets (A4 210×297, A3 297×420, SRA3 320×450 mm, or WIDTHxHEIGHTmm from 50 to 1000 mm)
are used as named, never turned: a landscape sheet is asked for as a custom size ("450x320mm"),
so the sheet the shop loads is the sheet the PDF describes.

- Everything printed (each label with its bleed, the crop marks, the slug line) stays inside the
  printable area: the sheet less `margin_mm` on every side (the press's non-printing edge and
  gripper). Unset columns/rows are the most that fit with all of that; given ones are checked.
- The grid of trims is centred on the sheet, so a press that centres the sheet centres the labels.
  Because of that the slug line's band is kept free at the top as well as under the grid.
- Gutter (between neighbouring trims) defaults to 2 × bleed, so neighbours' bleeds just meet. A
  narrower gutter clips the bleed on the inner sides to half the gutter (0 = shared cut lines);
  the outer sides keep the whole bleed.
- Crop marks: every cut line (each column's left and right trim x, each row's top and bottom trim
  y) gets a 5 mm mark beyond the grid on both ends, starting 3 mm outside the bleed. Grid cuts are
  guillotine cuts across the whole sheet, so these outer marks locate every cut; none is drawn in
  the gutters, where it would print on the neighbours' bleed (or need a gutter of 2 × (bleed + 8)
  mm and still add nothing).
- The slug line (6 pt run information) lies under the bottom marks, across the printable width.
- Rotation (`rotate`): "auto" lays the grid out both ways and turns the labels 90° anticlockwise
  (the label's top to the sheet's left, text reading upwards) only when that fits strictly more
  labels; "never" and "always" force an orientation. A turned slot's trim and bleeds are given in
  the sheet's orientation (`trim_width_mm` is then the label's height), so marks, bleed clips and
  die lines follow the turned trims.

Pre-cut label sheets (presets from assets/label-sheets.yaml) keep their own grid and ignore
`margin_mm`. The label must be the preset's size ± 0.5 mm, as it is or (unless `rotate` is
"never") turned when only its turned size matches the pre-cut labels ("always" insists on it).
It is centred on each pre-cut label and must not cross the midline of a gap. Bleed on each side
is clipped to half the gap to the neighbour, or to the sheet edge. There are no crop marks (the
sheet is cut already); the slug line goes in the free band under (or else over) the grid, or is
left out (width 0) when there is none.

`start_position` (1-based, row by row) leaves the slots before it empty on the first sheet only,
to finish a partly used label sheet. The calibration cancels a measured printer error: the sheet's
content is moved by the offsets (right and down) and then scaled about the sheet's top-left corner.
A printer that puts a point meant for p at k × p + e is cancelled by scale 1/k and offset −e.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from labelgen.errors import SheetError
from labelgen.resources import bundled_dir

PT_PER_MM = 72 / 25.4

MARK_OFFSET_MM = 3.0  # from the outer bleed edge to a mark's near end
MARK_LENGTH_MM = 5.0
MARK_STROKE_PT = 0.25  # the thinnest line a press holds (REGULATIONS §7)

SLUG_FONT_SIZE_PT = 6.0  # the smallest text size of the print norms (REGULATIONS §7)
# Room above and below the slug's baseline: Vietnamese capitals carry marks above the em square.
SLUG_ASCENT_MM = 2.5
SLUG_DESCENT_MM = 0.7
SLUG_GAP_MM = 1.0  # between the slug's box and the marks (or bleed) next to it

CUSTOM_SHEET_MIN_MM = 50.0
CUSTOM_SHEET_MAX_MM = 1000.0
PRESET_SIZE_TOLERANCE_MM = 0.5
PRESET_SLUG_INSET_MM = 5.0  # a desktop printer's usual unprintable edge
CALIBRATION_SCALE_MIN = 0.9
CALIBRATION_SCALE_MAX = 1.1
CALIBRATION_OFFSET_MAX_MM = 20.0
PRESETS_FILE_NAME = "label-sheets.yaml"
ROTATE_CHOICES = ("auto", "never", "always")

Rotate = Literal["auto", "never", "always"]

# Sums of decimal millimetres are not exact in binary: comparisons allow a nanometre.
_TOLERANCE_MM = 1e-6

_CUSTOM_SHEET = re.compile(
    r"^\s*(?P<width>\d+(?:\.\d+)?)\s*[x×]\s*(?P<height>\d+(?:\.\d+)?)\s*mm\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Sheet:
    """A sheet the press or the printer takes."""

    name: str  # "A4", "SRA3", "320x450mm", or a preset's name
    width_mm: float
    height_mm: float


PRESS_SHEETS: dict[str, Sheet] = {
    "A4": Sheet("A4", 210.0, 297.0),
    "A3": Sheet("A3", 297.0, 420.0),
    "SRA3": Sheet("SRA3", 320.0, 450.0),
}
SHEET_NAMES: tuple[str, ...] = tuple(PRESS_SHEETS)


@dataclass(frozen=True)
class LabelSheetPreset:
    """A pre-cut label (decal) sheet: a fixed grid of labels that are die-cut already."""

    name: str
    description: str
    sheet: Sheet
    label_width_mm: float
    label_height_mm: float
    shape: str  # "rect" | "circle"
    columns: int
    rows: int
    left_mm: float  # the first label's left edge
    top_mm: float
    pitch_x_mm: float  # from one label's left edge to the next one's
    pitch_y_mm: float
    corner_radius_mm: float = 0
    source: str = ""  # where the figures come from

    @property
    def gap_x_mm(self) -> float:
        return self.pitch_x_mm - self.label_width_mm

    @property
    def gap_y_mm(self) -> float:
        return self.pitch_y_mm - self.label_height_mm


@dataclass(frozen=True)
class Calibration:
    """A measured printer error to cancel: the sheet content is offset (mm, right and down), then
    scaled about the sheet's top-left corner."""

    offset_x_mm: float = 0
    offset_y_mm: float = 0
    scale_x: float = 1
    scale_y: float = 1


@dataclass(frozen=True)
class ImpositionOptions:
    """What the print shop chooses about the sheets (see the module docstring for the rules)."""

    sheet: str = "SRA3"  # read with resolve_sheet
    columns: int | None = None  # None: as many as fit
    rows: int | None = None
    gutter_mm: float | None = None  # None: 2 × bleed, room for both neighbours' bleed
    margin_mm: float = 10  # non-printing edge / gripper, per side, on press sheets
    start_position: int = 1  # 1-based slot on the first sheet, row by row
    crop_marks: bool = True
    calibration: Calibration = field(default_factory=Calibration)
    rotate: Rotate = "auto"  # turn the labels 90° when that fits more ("auto"), or force it


@dataclass(frozen=True)
class Slot:
    """Where one label goes: its trim and the bleed kept on each side (the writer clips the
    label's artwork to `bleed_box_mm`)."""

    index: int  # 0-based, row by row from the top-left
    row: int
    column: int
    trim_x_mm: float  # top-left corner of the label's trim
    trim_y_mm: float
    trim_width_mm: float
    trim_height_mm: float
    bleed_left_mm: float
    bleed_top_mm: float
    bleed_right_mm: float
    bleed_bottom_mm: float
    rotated: bool = False  # the label turned 90° anticlockwise; trim and bleeds are the sheet's

    @property
    def bleed_box_mm(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) of the trim grown by the bleed kept on each side."""
        return (
            self.trim_x_mm - self.bleed_left_mm,
            self.trim_y_mm - self.bleed_top_mm,
            self.trim_width_mm + self.bleed_left_mm + self.bleed_right_mm,
            self.trim_height_mm + self.bleed_top_mm + self.bleed_bottom_mm,
        )


@dataclass(frozen=True)
class Mark:
    """A crop mark: a line segment the writer strokes (MARK_STROKE_PT wide)."""

    x1_mm: float
    y1_mm: float
    x2_mm: float
    y2_mm: float


@dataclass(frozen=True)
class SheetEntry:
    """One line of the sheet listing: a press sheet or a pre-cut label sheet."""

    name: str
    width_mm: float
    height_mm: float
    description: str
    preset: LabelSheetPreset | None


@dataclass(frozen=True)
class Imposition:
    """Every slot, crop mark and the slug line of one sheet; every sheet of a run is the same."""

    sheet: Sheet
    label_width_mm: float
    label_height_mm: float
    bleed_mm: float
    columns: int
    rows: int
    slots: tuple[Slot, ...]
    marks: tuple[Mark, ...]  # empty on pre-cut sheets and when crop marks are off
    slug_x_mm: float  # start of the slug line's baseline
    slug_y_mm: float
    slug_width_mm: float  # 0: the sheet has no room for a slug line
    start_position: int
    calibration: Calibration
    preset: LabelSheetPreset | None
    slug_font_size_pt: float = SLUG_FONT_SIZE_PT
    rotated: bool = False  # every slot holds the label turned 90° anticlockwise

    @property
    def labels_per_sheet(self) -> int:
        return len(self.slots)

    @property
    def slug_box_mm(self) -> tuple[float, float, float, float]:
        """(x, y, width, height) the slug text may use: its baseline with ascent and descent."""
        return (
            self.slug_x_mm,
            self.slug_y_mm - SLUG_ASCENT_MM,
            self.slug_width_mm,
            SLUG_ASCENT_MM + SLUG_DESCENT_MM,
        )

    def sheets_needed(self, count: int) -> int:
        """How many sheets `count` labels take, the first sheet starting at `start_position`."""
        if count < 0:
            raise SheetError(f"count: must be 0 or more, not {count}")
        if count == 0:
            return 0
        return math.ceil((count + self.start_position - 1) / self.labels_per_sheet)

    def place(self, unit_index: int) -> tuple[int, Slot]:
        """The 0-based sheet and the slot of the 0-based `unit_index`-th label of the run."""
        if unit_index < 0:
            raise SheetError(f"unit_index: must be 0 or more, not {unit_index}")
        position = unit_index + self.start_position - 1
        sheet_index, slot_index = divmod(position, self.labels_per_sheet)
        return sheet_index, self.slots[slot_index]

    def calibration_matrix_pt(self) -> tuple[float, float, float, float, float, float]:
        """The PDF `cm` matrix (points, PDF's y-up page space with origin bottom-left) that applies
        the calibration to the whole sheet content."""
        # In the design's y-down millimetres a point p goes to s × (p + o). PDF space is
        # X = u·x, Y = u·(H − y) with u points per mm; carrying the map through gives
        # X' = sx·X + u·sx·ox and Y' = sy·Y + u·(H·(1 − sy) − sy·oy).
        calibration = self.calibration
        height_mm = self.sheet.height_mm
        return (
            calibration.scale_x,
            0.0,
            0.0,
            calibration.scale_y,
            PT_PER_MM * calibration.scale_x * calibration.offset_x_mm,
            PT_PER_MM
            * (
                height_mm * (1 - calibration.scale_y)
                - calibration.scale_y * calibration.offset_y_mm
            ),
        )

    def bleed_box_pt(self, slot: Slot) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in PDF points (y up, origin bottom-left) of where `slot`'s bleed box
        is printed, the calibration applied."""
        scale_x, _, _, scale_y, shift_x, shift_y = self.calibration_matrix_pt()
        x_mm, y_mm, width_mm, height_mm = slot.bleed_box_mm
        height_sheet_mm = self.sheet.height_mm
        return (
            scale_x * x_mm * PT_PER_MM + shift_x,
            scale_y * (height_sheet_mm - y_mm - height_mm) * PT_PER_MM + shift_y,
            scale_x * (x_mm + width_mm) * PT_PER_MM + shift_x,
            scale_y * (height_sheet_mm - y_mm) * PT_PER_MM + shift_y,
        )


# -- sheets and presets -------------------------------------------------------------------------


def resolve_sheet(text: str) -> tuple[Sheet, LabelSheetPreset | None]:
    """The sheet named by `text` ("A4", "a3", "SRA3", "320x450mm", "320 x 450 mm" or a preset's
    name, any case) and the preset when it names a pre-cut label sheet."""
    wanted = text.strip().casefold()
    for name, sheet in PRESS_SHEETS.items():
        if wanted == name.casefold():
            return sheet, None
    presets = load_presets()
    for name, preset in presets.items():
        if wanted == name.casefold():
            return Sheet(name, preset.sheet.width_mm, preset.sheet.height_mm), preset
    custom = parse_custom_sheet(text, field_name="sheet")
    if custom is not None:
        return custom, None
    choices = ", ".join(presets)
    raise SheetError(
        f"sheet: {text!r} is not A4, A3, SRA3, WIDTHxHEIGHTmm or a preset name ({choices})"
    )


def parse_custom_sheet(text: str, field_name: str) -> Sheet | None:
    """A WIDTHxHEIGHTmm sheet, or None when `text` is not written that way."""
    match = _CUSTOM_SHEET.match(text)
    if match is None:
        return None
    width_mm = float(match["width"])
    height_mm = float(match["height"])
    for side_mm in (width_mm, height_mm):
        if not CUSTOM_SHEET_MIN_MM <= side_mm <= CUSTOM_SHEET_MAX_MM:
            raise SheetError(
                f"{field_name}: {text.strip()!r} has a side of {_mm(side_mm)} mm; a custom sheet is "
                f"{_mm(CUSTOM_SHEET_MIN_MM)}–{_mm(CUSTOM_SHEET_MAX_MM)} mm on each side"
            )
    return Sheet(f"{_mm(width_mm)}x{_mm(height_mm)}mm", width_mm, height_mm)


class _PresetEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = Field(min_length=1)
    source: str = Field(min_length=1)
    sheet: str
    shape: Literal["rect", "circle"]
    label_width_mm: float = Field(gt=0)
    label_height_mm: float = Field(gt=0)
    corner_radius_mm: float = Field(default=0, ge=0)
    columns: int = Field(ge=1)
    rows: int = Field(ge=1)
    left_mm: float = Field(ge=0)
    top_mm: float = Field(ge=0)
    pitch_x_mm: float = Field(gt=0)
    pitch_y_mm: float = Field(gt=0)


class _PresetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    presets: list[_PresetEntry] = Field(min_length=1)


def load_presets(path: Path | None = None) -> dict[str, LabelSheetPreset]:
    """The pre-cut label sheets of `path` (default: the bundled assets/label-sheets.yaml) by name,
    checked: every label on its sheet, none overlapping."""
    return dict(_read_presets(path or bundled_dir("assets") / PRESETS_FILE_NAME))


@cache
def _read_presets(path: Path) -> tuple[tuple[str, LabelSheetPreset], ...]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SheetError(f"{path.name}: cannot be read ({error})") from error
    try:
        entries = _PresetFile.model_validate(document).presets
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SheetError(f"{path.name}: {problems}") from error
    presets: dict[str, LabelSheetPreset] = {}
    for entry in entries:
        preset = _build_preset(entry, path.name)
        if preset.name.casefold() in {name.casefold() for name in presets}:
            raise SheetError(f"{path.name}: preset {preset.name!r} is named twice")
        presets[preset.name] = preset
    return tuple(presets.items())


def _build_preset(entry: _PresetEntry, file_name: str) -> LabelSheetPreset:
    where = f"{file_name}: preset {entry.name!r}"
    if entry.name.casefold() in {name.casefold() for name in PRESS_SHEETS} or _CUSTOM_SHEET.match(
        entry.name
    ):
        raise SheetError(f"{where}: name: reads as a press sheet; choose another name")
    sheet = PRESS_SHEETS.get(entry.sheet.upper()) or parse_custom_sheet(
        entry.sheet, field_name=f"{where}: sheet"
    )
    if sheet is None:
        raise SheetError(f"{where}: sheet: {entry.sheet!r} is not A4, A3, SRA3 or WIDTHxHEIGHTmm")
    preset = LabelSheetPreset(
        name=entry.name,
        description=entry.description,
        sheet=sheet,
        label_width_mm=entry.label_width_mm,
        label_height_mm=entry.label_height_mm,
        shape=entry.shape,
        columns=entry.columns,
        rows=entry.rows,
        left_mm=entry.left_mm,
        top_mm=entry.top_mm,
        pitch_x_mm=entry.pitch_x_mm,
        pitch_y_mm=entry.pitch_y_mm,
        corner_radius_mm=entry.corner_radius_mm,
        source=entry.source,
    )
    _check_preset(preset, where)
    return preset


def _check_preset(preset: LabelSheetPreset, where: str) -> None:
    if preset.shape == "circle" and abs(preset.label_width_mm - preset.label_height_mm) > (
        _TOLERANCE_MM
    ):
        raise SheetError(f"{where}: a round label must be as wide as it is high")
    if preset.corner_radius_mm > min(preset.label_width_mm, preset.label_height_mm) / 2:
        raise SheetError(f"{where}: corner_radius_mm: larger than half the label")
    _check_preset_axis(
        where,
        "x",
        preset.columns,
        preset.pitch_x_mm,
        preset.label_width_mm,
        preset.left_mm,
        preset.sheet.width_mm,
    )
    _check_preset_axis(
        where,
        "y",
        preset.rows,
        preset.pitch_y_mm,
        preset.label_height_mm,
        preset.top_mm,
        preset.sheet.height_mm,
    )


def _check_preset_axis(
    where: str,
    axis: str,
    count: int,
    pitch_mm: float,
    size_mm: float,
    start_mm: float,
    sheet_mm: float,
) -> None:
    if count > 1 and pitch_mm < size_mm - _TOLERANCE_MM:
        raise SheetError(
            f"{where}: pitch_{axis}_mm: {_mm(pitch_mm)} mm is less than the label's "
            f"{_mm(size_mm)} mm, so the labels overlap"
        )
    end_mm = start_mm + (count - 1) * pitch_mm + size_mm
    if end_mm > sheet_mm + _TOLERANCE_MM:
        direction = "across" if axis == "x" else "down"
        raise SheetError(
            f"{where}: the labels run {direction} to {_mm(end_mm)} mm, past the "
            f"{_mm(sheet_mm)} mm sheet"
        )


def list_sheets() -> tuple[SheetEntry, ...]:
    """The press sheets and then the pre-cut label sheets, for a listing."""
    press = tuple(
        SheetEntry(name, sheet.width_mm, sheet.height_mm, "press sheet", None)
        for name, sheet in PRESS_SHEETS.items()
    )
    pre_cut = tuple(
        SheetEntry(name, preset.sheet.width_mm, preset.sheet.height_mm, preset.description, preset)
        for name, preset in load_presets().items()
    )
    return press + pre_cut


# -- imposition ---------------------------------------------------------------------------------


def impose(
    label_width_mm: float, label_height_mm: float, bleed_mm: float, options: ImpositionOptions
) -> Imposition:
    """Where every label of a sheet goes, its crop marks and slug line (rules: module docstring)."""
    _check_label(label_width_mm, label_height_mm, bleed_mm)
    _check_options(options)
    label_width_mm = float(label_width_mm)
    label_height_mm = float(label_height_mm)
    bleed_mm = float(bleed_mm)
    sheet, preset = resolve_sheet(options.sheet)
    if preset is None:
        imposition = _impose_on_press_sheet_turned_or_not(
            sheet, label_width_mm, label_height_mm, bleed_mm, options
        )
    else:
        imposition = _impose_on_preset_turned_or_not(
            sheet, preset, label_width_mm, label_height_mm, bleed_mm, options
        )
    if options.start_position > imposition.labels_per_sheet:
        raise SheetError(
            f"start_position: {options.start_position} is beyond the "
            f"{imposition.labels_per_sheet} slots of one {sheet.name} sheet"
        )
    return imposition


def _check_label(label_width_mm: float, label_height_mm: float, bleed_mm: float) -> None:
    for name, value in (("label_width_mm", label_width_mm), ("label_height_mm", label_height_mm)):
        if not (math.isfinite(value) and value > 0):
            raise SheetError(f"{name}: must be more than 0 mm, not {value}")
    if not (math.isfinite(bleed_mm) and bleed_mm >= 0):
        raise SheetError(f"bleed_mm: must be 0 mm or more, not {bleed_mm}")


def _check_options(options: ImpositionOptions) -> None:
    for name, count in (("columns", options.columns), ("rows", options.rows)):
        if count is not None and count < 1:
            raise SheetError(f"{name}: must be 1 or more, not {count}")
    if options.gutter_mm is not None and not (
        math.isfinite(options.gutter_mm) and options.gutter_mm >= 0
    ):
        raise SheetError(f"gutter_mm: must be 0 mm or more, not {options.gutter_mm}")
    if not (math.isfinite(options.margin_mm) and options.margin_mm >= 0):
        raise SheetError(f"margin_mm: must be 0 mm or more, not {options.margin_mm}")
    if options.start_position < 1:
        raise SheetError(f"start_position: must be 1 or more, not {options.start_position}")
    if options.rotate not in ROTATE_CHOICES:
        raise SheetError(f"rotate: must be auto, never or always, not {options.rotate!r}")
    _check_calibration(options.calibration)


def _check_calibration(calibration: Calibration) -> None:
    for name, scale in (("scale_x", calibration.scale_x), ("scale_y", calibration.scale_y)):
        if not CALIBRATION_SCALE_MIN <= scale <= CALIBRATION_SCALE_MAX:
            raise SheetError(
                f"calibration.{name}: {scale:g} is outside {CALIBRATION_SCALE_MIN:g}–"
                f"{CALIBRATION_SCALE_MAX:g}; measure again (a printer is off by a few per mille)"
            )
    offsets = (("offset_x_mm", calibration.offset_x_mm), ("offset_y_mm", calibration.offset_y_mm))
    for name, offset_mm in offsets:
        if not abs(offset_mm) <= CALIBRATION_OFFSET_MAX_MM:
            raise SheetError(
                f"calibration.{name}: {offset_mm:g} mm is outside ±{CALIBRATION_OFFSET_MAX_MM:g} mm"
            )


def _impose_on_press_sheet_turned_or_not(
    sheet: Sheet,
    label_width_mm: float,
    label_height_mm: float,
    bleed_mm: float,
    options: ImpositionOptions,
) -> Imposition:
    """The grid as the label stands or turned, whichever `options.rotate` asks for ("auto": the
    one that fits more labels, upright on a tie)."""
    if options.rotate == "never":
        return _impose_on_press_sheet(sheet, label_width_mm, label_height_mm, bleed_mm, options)
    if options.rotate == "always":
        return _turned(
            _impose_on_press_sheet(sheet, label_height_mm, label_width_mm, bleed_mm, options)
        )
    try:
        upright = _impose_on_press_sheet(sheet, label_width_mm, label_height_mm, bleed_mm, options)
    except SheetError:
        # Upright may not fit at all (or not the columns/rows asked for) where turned does.
        try:
            return _turned(
                _impose_on_press_sheet(sheet, label_height_mm, label_width_mm, bleed_mm, options)
            )
        except SheetError:
            pass
        raise
    if label_width_mm == label_height_mm:
        return upright
    try:
        turned = _turned(
            _impose_on_press_sheet(sheet, label_height_mm, label_width_mm, bleed_mm, options)
        )
    except SheetError:
        return upright
    return turned if turned.labels_per_sheet > upright.labels_per_sheet else upright


def _turned(imposition: Imposition) -> Imposition:
    """A grid laid out for the turned label's size, marked as holding the label turned: the
    imposition keeps the label's own size, its slots the turned trims."""
    return replace(
        imposition,
        label_width_mm=imposition.label_height_mm,
        label_height_mm=imposition.label_width_mm,
        slots=tuple(replace(slot, rotated=True) for slot in imposition.slots),
        rotated=True,
    )


def _impose_on_press_sheet(
    sheet: Sheet,
    label_width_mm: float,
    label_height_mm: float,
    bleed_mm: float,
    options: ImpositionOptions,
) -> Imposition:
    gutter_mm = 2 * bleed_mm if options.gutter_mm is None else options.gutter_mm
    margin_mm = options.margin_mm
    if 2 * margin_mm >= min(sheet.width_mm, sheet.height_mm):
        raise SheetError(
            f"margin_mm: {_mm(margin_mm)} mm on each side leaves nothing of the "
            f"{_mm(sheet.width_mm)}×{_mm(sheet.height_mm)} mm {sheet.name} sheet"
        )
    mark_zone_mm = MARK_OFFSET_MM + MARK_LENGTH_MM if options.crop_marks else 0.0
    slug_band_mm = SLUG_GAP_MM + SLUG_ASCENT_MM + SLUG_DESCENT_MM
    across = _Axis(
        option="columns",
        direction="across",
        sheet_mm=sheet.width_mm,
        margin_mm=margin_mm,
        size_mm=label_width_mm,
        gutter_mm=gutter_mm,
        # Bleed, then the marks, on both sides.
        reserve_per_end_mm=bleed_mm + mark_zone_mm,
    )
    down = _Axis(
        option="rows",
        direction="down",
        sheet_mm=sheet.height_mm,
        margin_mm=margin_mm,
        size_mm=label_height_mm,
        gutter_mm=gutter_mm,
        # The grid is centred, so the slug band under it is matched by a free band over it.
        reserve_per_end_mm=bleed_mm + mark_zone_mm + slug_band_mm,
    )
    most_across = across.most_that_fit()
    most_down = down.most_that_fit()
    if most_across == 0 or most_down == 0:
        raise SheetError(
            f"sheet: a {_mm(label_width_mm)}×{_mm(label_height_mm)} mm label with "
            f"{_mm(bleed_mm)} mm bleed{', crop marks' if options.crop_marks else ''} and the slug "
            f"line needs {_mm(across.needed_mm(1))}×{_mm(down.needed_mm(1))} mm; {sheet.name} "
            f"({_mm(sheet.width_mm)}×{_mm(sheet.height_mm)} mm) has "
            f"{_mm(across.printable_mm)}×{_mm(down.printable_mm)} mm inside its "
            f"{_mm(margin_mm)} mm margins"
        )
    columns = across.checked_count(options.columns, most_across, options.crop_marks)
    rows = down.checked_count(options.rows, most_down, options.crop_marks)
    column_xs = across.trim_starts_mm(columns)
    row_ys = down.trim_starts_mm(rows)
    inner_bleed_mm = _round_mm(min(bleed_mm, gutter_mm / 2))
    slots = tuple(
        Slot(
            index=row * columns + column,
            row=row,
            column=column,
            trim_x_mm=column_xs[column],
            trim_y_mm=row_ys[row],
            trim_width_mm=label_width_mm,
            trim_height_mm=label_height_mm,
            bleed_left_mm=bleed_mm if column == 0 else inner_bleed_mm,
            bleed_top_mm=bleed_mm if row == 0 else inner_bleed_mm,
            bleed_right_mm=bleed_mm if column == columns - 1 else inner_bleed_mm,
            bleed_bottom_mm=bleed_mm if row == rows - 1 else inner_bleed_mm,
        )
        for row in range(rows)
        for column in range(columns)
    )
    grid = _GridEdges(
        left_mm=column_xs[0] - bleed_mm,
        top_mm=row_ys[0] - bleed_mm,
        right_mm=column_xs[-1] + label_width_mm + bleed_mm,
        bottom_mm=row_ys[-1] + label_height_mm + bleed_mm,
    )
    marks: tuple[Mark, ...] = ()
    if options.crop_marks:
        cut_xs = [x for start in column_xs for x in (start, start + label_width_mm)]
        cut_ys = [y for start in row_ys for y in (start, start + label_height_mm)]
        marks = _crop_marks(grid, cut_xs, cut_ys)
    return Imposition(
        sheet=sheet,
        label_width_mm=label_width_mm,
        label_height_mm=label_height_mm,
        bleed_mm=bleed_mm,
        columns=columns,
        rows=rows,
        slots=slots,
        marks=marks,
        slug_x_mm=margin_mm,
        slug_y_mm=_round_mm(grid.bottom_mm + mark_zone_mm + SLUG_GAP_MM + SLUG_ASCENT_MM),
        slug_width_mm=sheet.width_mm - 2 * margin_mm,
        start_position=options.start_position,
        calibration=options.calibration,
        preset=None,
    )


@dataclass(frozen=True)
class _Axis:
    """One direction of a press-sheet grid: how many labels fit and where their trims start."""

    option: str  # "columns" or "rows"
    direction: str  # "across" or "down"
    sheet_mm: float
    margin_mm: float
    size_mm: float
    gutter_mm: float
    reserve_per_end_mm: float  # outside the outer trims: bleed, marks, slug band

    @property
    def printable_mm(self) -> float:
        return self.sheet_mm - 2 * self.margin_mm

    def trims_span_mm(self, count: int) -> float:
        return count * self.size_mm + (count - 1) * self.gutter_mm

    def needed_mm(self, count: int) -> float:
        return self.trims_span_mm(count) + 2 * self.reserve_per_end_mm

    def most_that_fit(self) -> int:
        room_mm = self.printable_mm - 2 * self.reserve_per_end_mm + self.gutter_mm
        if room_mm < self.size_mm - _TOLERANCE_MM:
            return 0
        return math.floor((room_mm + _TOLERANCE_MM) / (self.size_mm + self.gutter_mm))

    def checked_count(self, wanted: int | None, most: int, crop_marks: bool) -> int:
        if wanted is None:
            return most
        if wanted > most:
            room_for = ["bleed"]
            if crop_marks:
                room_for.append("crop marks")
            if self.option == "rows":
                room_for.append("the slug line")
            extras = _listed(room_for)
            raise SheetError(
                f"{self.option}: {wanted} labels of {_mm(self.size_mm)} mm do not fit "
                f"{self.direction} {_mm(self.sheet_mm)} mm: with {_mm(self.gutter_mm)} mm gutters, "
                f"{extras} they need {_mm(self.needed_mm(wanted))} mm and "
                f"{_mm(self.printable_mm)} mm lie inside the {_mm(self.margin_mm)} mm margins "
                f"(at most {most} fit)"
            )
        return wanted

    def trim_starts_mm(self, count: int) -> list[float]:
        first_mm = (self.sheet_mm - self.trims_span_mm(count)) / 2
        pitch_mm = self.size_mm + self.gutter_mm
        return [_round_mm(first_mm + index * pitch_mm) for index in range(count)]


@dataclass(frozen=True)
class _GridEdges:
    """The outer bleed edges of a grid."""

    left_mm: float
    top_mm: float
    right_mm: float
    bottom_mm: float


def _crop_marks(grid: _GridEdges, cut_xs: list[float], cut_ys: list[float]) -> tuple[Mark, ...]:
    near_mm = MARK_OFFSET_MM
    far_mm = MARK_OFFSET_MM + MARK_LENGTH_MM
    top_from_mm, top_to_mm = _round_mm(grid.top_mm - far_mm), _round_mm(grid.top_mm - near_mm)
    bottom_from_mm = _round_mm(grid.bottom_mm + near_mm)
    bottom_to_mm = _round_mm(grid.bottom_mm + far_mm)
    left_from_mm, left_to_mm = _round_mm(grid.left_mm - far_mm), _round_mm(grid.left_mm - near_mm)
    right_from_mm, right_to_mm = (
        _round_mm(grid.right_mm + near_mm),
        _round_mm(grid.right_mm + far_mm),
    )
    marks: list[Mark] = []
    for x in _distinct([_round_mm(x) for x in cut_xs]):
        marks.append(Mark(x, top_from_mm, x, top_to_mm))
        marks.append(Mark(x, bottom_from_mm, x, bottom_to_mm))
    for y in _distinct([_round_mm(y) for y in cut_ys]):
        marks.append(Mark(left_from_mm, y, left_to_mm, y))
        marks.append(Mark(right_from_mm, y, right_to_mm, y))
    return tuple(marks)


def _distinct(values: list[float]) -> list[float]:
    """`values` sorted, each cut line once (neighbours share it when the gutter is 0)."""
    kept: list[float] = []
    for value in sorted(values):
        if not kept or value - kept[-1] > _TOLERANCE_MM:
            kept.append(value)
    return kept


def _impose_on_preset_turned_or_not(
    sheet: Sheet,
    preset: LabelSheetPreset,
    label_width_mm: float,
    label_height_mm: float,
    bleed_mm: float,
    options: ImpositionOptions,
) -> Imposition:
    """The preset's fixed grid, the label turned only when the pre-cut labels are its turned
    size ("always": must be; "never": must not be)."""
    turn = options.rotate == "always" or (
        options.rotate == "auto"
        and not _matches_preset(preset, label_width_mm, label_height_mm)
        and _matches_preset(preset, label_height_mm, label_width_mm)
    )
    if not turn:
        return _impose_on_preset(sheet, preset, label_width_mm, label_height_mm, bleed_mm, options)
    return _turned(
        _impose_on_preset(sheet, preset, label_height_mm, label_width_mm, bleed_mm, options)
    )


def _matches_preset(
    preset: LabelSheetPreset, label_width_mm: float, label_height_mm: float
) -> bool:
    tolerance_mm = PRESET_SIZE_TOLERANCE_MM + _TOLERANCE_MM
    return (
        abs(label_width_mm - preset.label_width_mm) <= tolerance_mm
        and abs(label_height_mm - preset.label_height_mm) <= tolerance_mm
    )


def _impose_on_preset(
    sheet: Sheet,
    preset: LabelSheetPreset,
    label_width_mm: float,
    label_height_mm: float,
    bleed_mm: float,
    options: ImpositionOptions,
) -> Imposition:
    _check_preset_options(preset, options)
    _check_label_matches_preset(preset, label_width_mm, label_height_mm)
    slots = tuple(
        _preset_slot(preset, row, column, label_width_mm, label_height_mm, bleed_mm)
        for row in range(preset.rows)
        for column in range(preset.columns)
    )
    slug_x_mm, slug_y_mm, slug_width_mm = _preset_slug(preset, slots)
    return Imposition(
        sheet=sheet,
        label_width_mm=label_width_mm,
        label_height_mm=label_height_mm,
        bleed_mm=bleed_mm,
        columns=preset.columns,
        rows=preset.rows,
        slots=slots,
        marks=(),
        slug_x_mm=slug_x_mm,
        slug_y_mm=slug_y_mm,
        slug_width_mm=slug_width_mm,
        start_position=options.start_position,
        calibration=options.calibration,
        preset=preset,
    )


def _check_preset_options(preset: LabelSheetPreset, options: ImpositionOptions) -> None:
    for name, wanted, fixed in (
        ("columns", options.columns, preset.columns),
        ("rows", options.rows, preset.rows),
    ):
        if wanted is not None and wanted != fixed:
            raise SheetError(
                f"{name}: the pre-cut sheet {preset.name} has {fixed} {name}, not {wanted}; "
                f"leave {name} unset"
            )
    if options.gutter_mm is not None:
        raise SheetError(
            f"gutter_mm: the gaps of the pre-cut sheet {preset.name} are fixed; leave gutter_mm unset"
        )


def _check_label_matches_preset(
    preset: LabelSheetPreset, label_width_mm: float, label_height_mm: float
) -> None:
    if not _matches_preset(preset, label_width_mm, label_height_mm):
        raise SheetError(
            f"sheet: the label is {_mm(label_width_mm)}×{_mm(label_height_mm)} mm but the "
            f"pre-cut labels of {preset.name} are "
            f"{_mm(preset.label_width_mm)}×{_mm(preset.label_height_mm)} mm "
            f"(± {_mm(PRESET_SIZE_TOLERANCE_MM)} mm)"
        )
    # A label a little larger than the pre-cut one spills into the gap; past the gap's midline
    # it would print on the neighbour.
    for size_mm, preset_mm, gap_mm, count, direction in (
        (label_width_mm, preset.label_width_mm, preset.gap_x_mm, preset.columns, "across"),
        (label_height_mm, preset.label_height_mm, preset.gap_y_mm, preset.rows, "down"),
    ):
        spill_mm = (size_mm - preset_mm) / 2
        if count > 1 and spill_mm > gap_mm / 2 + _TOLERANCE_MM:
            raise SheetError(
                f"sheet: a {_mm(size_mm)} mm label is larger than the {_mm(preset_mm)} mm pre-cut "
                f"labels of {preset.name} {direction} and the {_mm(gap_mm)} mm gap between them "
                "cannot take the difference"
            )


def _preset_slot(
    preset: LabelSheetPreset,
    row: int,
    column: int,
    label_width_mm: float,
    label_height_mm: float,
    bleed_mm: float,
) -> Slot:
    cell_x_mm = preset.left_mm + column * preset.pitch_x_mm
    cell_y_mm = preset.top_mm + row * preset.pitch_y_mm
    # The label is centred on the pre-cut label, so a design 0.5 mm off leaves no white sliver.
    trim_x_mm = _round_mm(cell_x_mm + (preset.label_width_mm - label_width_mm) / 2)
    trim_y_mm = _round_mm(cell_y_mm + (preset.label_height_mm - label_height_mm) / 2)
    # A label's bleed may reach the midline of the gap to its neighbour, or the sheet's edge.
    half_gap_x_mm = preset.gap_x_mm / 2
    half_gap_y_mm = preset.gap_y_mm / 2
    left_limit_mm = 0.0 if column == 0 else cell_x_mm - half_gap_x_mm
    top_limit_mm = 0.0 if row == 0 else cell_y_mm - half_gap_y_mm
    right_limit_mm = (
        preset.sheet.width_mm
        if column == preset.columns - 1
        else cell_x_mm + preset.label_width_mm + half_gap_x_mm
    )
    bottom_limit_mm = (
        preset.sheet.height_mm
        if row == preset.rows - 1
        else cell_y_mm + preset.label_height_mm + half_gap_y_mm
    )
    return Slot(
        index=row * preset.columns + column,
        row=row,
        column=column,
        trim_x_mm=trim_x_mm,
        trim_y_mm=trim_y_mm,
        trim_width_mm=label_width_mm,
        trim_height_mm=label_height_mm,
        bleed_left_mm=_clip_bleed(bleed_mm, trim_x_mm - left_limit_mm),
        bleed_top_mm=_clip_bleed(bleed_mm, trim_y_mm - top_limit_mm),
        bleed_right_mm=_clip_bleed(bleed_mm, right_limit_mm - (trim_x_mm + label_width_mm)),
        bleed_bottom_mm=_clip_bleed(bleed_mm, bottom_limit_mm - (trim_y_mm + label_height_mm)),
    )


def _clip_bleed(bleed_mm: float, room_mm: float) -> float:
    # A round-off below zero (a label spilling within tolerance) keeps no bleed, never a negative.
    return _round_mm(max(0.0, min(bleed_mm, room_mm)))


def _preset_slug(preset: LabelSheetPreset, slots: tuple[Slot, ...]) -> tuple[float, float, float]:
    """(x, baseline y, width) of the slug in the free band under the grid, else over it; a width
    of 0 when neither band holds a line of slug text."""
    slug_height_mm = SLUG_ASCENT_MM + SLUG_DESCENT_MM
    needed_mm = slug_height_mm + 2 * SLUG_GAP_MM
    grid_top_mm = min(slot.bleed_box_mm[1] for slot in slots)
    grid_bottom_mm = max(slot.bleed_box_mm[1] + slot.bleed_box_mm[3] for slot in slots)
    x_mm = max(preset.left_mm, PRESET_SLUG_INSET_MM)
    width_mm = preset.sheet.width_mm - 2 * x_mm
    if width_mm <= 0:
        return 0.0, 0.0, 0.0
    band_under_mm = preset.sheet.height_mm - grid_bottom_mm
    if band_under_mm >= needed_mm - _TOLERANCE_MM:
        # Centred in the band, clear of both the bleed and the sheet's (unprintable) edge.
        box_top_mm = grid_bottom_mm + (band_under_mm - slug_height_mm) / 2
        return x_mm, _round_mm(box_top_mm + SLUG_ASCENT_MM), width_mm
    if grid_top_mm >= needed_mm - _TOLERANCE_MM:
        box_top_mm = (grid_top_mm - slug_height_mm) / 2
        return x_mm, _round_mm(box_top_mm + SLUG_ASCENT_MM), width_mm
    return 0.0, 0.0, 0.0


def _listed(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def _round_mm(value: float) -> float:
    """`value` to the nanometre, so that 15.15 + 6 × 38.1 reads 243.75 rather than 243.75000000000003."""
    return round(value, 6)


def _mm(value: float) -> str:
    """A length for a message: at most two decimals, no trailing zeros."""
    return f"{round(value, 2):g}"
