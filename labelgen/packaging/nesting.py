"""Nesting: a Dieline and a sheet → blank positions, every other row turned 180° (head to
head) so that flaps step between the neighbours' flaps where the outline allows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from labelgen.errors import SheetError
from labelgen.packaging.structures import Dieline

RESOLUTION_MM = 0.5  # the outline is rasterised this fine to find how close blanks may come
SHIFT_STEP_MM = 1.0  # sideways offsets of the turned rows tried, this far apart


@dataclass(frozen=True)
class PlacedBlank:
    """One blank on the sheet: its dieline's bounding box's top-left corner (mm from the sheet's
    top-left) and whether it is turned 180°."""

    x_mm: float
    y_mm: float
    turned: bool


@dataclass(frozen=True)
class Nest:
    blanks: tuple[PlacedBlank, ...]
    row_offset_mm: float  # how far the turned rows are shifted sideways
    column_step_mm: float
    row_steps_mm: tuple[float, float]  # upright → turned row, turned → upright row


def occupancy(dieline: Dieline, bleed_mm: float) -> np.ndarray:
    """The blank and its bleed as a boolean grid (rows top down, RESOLUTION_MM a cell), the
    grid's origin `bleed_mm` above and left of the dieline's bounding box."""
    scale = 1 / RESOLUTION_MM
    width = int(np.ceil((dieline.width_mm + 2 * bleed_mm) * scale)) + 1
    height = int(np.ceil((dieline.height_mm + 2 * bleed_mm) * scale)) + 1
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)

    def grid(point: tuple[float, float]) -> tuple[float, float]:
        return ((point[0] + bleed_mm) * scale, (point[1] + bleed_mm) * scale)

    for panel in dieline.panels:
        draw.polygon([grid(corner) for corner in panel.rect.corners()], fill=255)
    for flap in dieline.flaps:
        draw.polygon([grid(point) for point in flap.outline], fill=255)
    # Grown by the bleed (a square of cells: on the safe side of a round one).
    size = 2 * int(np.ceil(bleed_mm * scale)) + 1
    grown = mask.filter(ImageFilter.MaxFilter(size))
    return np.asarray(grown) > 0


def _first_last(mask: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Per column (axis 0) or row (axis 1): the first and last occupied cell, -1 when empty."""
    occupied = mask.any(axis=axis)
    length = mask.shape[axis]
    first = np.where(occupied, mask.argmax(axis=axis), -1)
    last = np.where(occupied, length - 1 - np.flip(mask, axis=axis).argmax(axis=axis), -1)
    return first, last


def _vertical_gap_cells(upper_last: np.ndarray, lower_first: np.ndarray, shift: int) -> int:
    """How far below the upper blank's top the lower one's top must be, the lower shifted
    `shift` cells to the right, so that no column holds both. Each column of a blank is one run
    of board, so the upper's last and the lower's first occupied cell per column say it all."""
    width = len(upper_last)
    if abs(shift) >= width:
        return 0
    if shift >= 0:
        above, below = upper_last[shift:], lower_first[: width - shift]
    else:
        above, below = upper_last[: width + shift], lower_first[-shift:]
    both = (above >= 0) & (below >= 0)
    if not both.any():
        return 0
    return int((above[both] - below[both] + 1).max())


def _horizontal_gap_cells(left: np.ndarray, right: np.ndarray) -> int:
    _, left_last = _first_last(left, 1)
    right_first, _ = _first_last(right, 1)
    rows = np.nonzero((left_last >= 0) & (right_first >= 0))[0]
    return int(max(left_last[row] - right_first[row] + 1 for row in rows))


def nest(
    dieline: Dieline,
    sheet_width_mm: float,
    sheet_height_mm: float,
    margin_mm: float,
    bleed_mm: float,
) -> Nest:
    """As many blanks as fit inside the sheet's margins, rows alternately upright and turned
    180°, the turned rows shifted sideways by the offset that packs the rows closest."""
    upright = occupancy(dieline, bleed_mm)
    turned = np.rot90(upright, 2)
    column_step = _horizontal_gap_cells(upright, upright)
    best: tuple[int, int, tuple[int, int]] | None = None
    half = column_step // 2
    step = max(1, round(SHIFT_STEP_MM / RESOLUTION_MM))
    upright_first, upright_last = _first_last(upright, 0)
    turned_first, turned_last = _first_last(turned, 0)
    for shift in range(-half, half + 1, step):
        # Each turned blank meets the upright blanks of its own column and of both neighbours.
        down = max(
            _vertical_gap_cells(upright_last, turned_first, shift + k * column_step)
            for k in (-1, 0, 1)
        )
        up = max(
            _vertical_gap_cells(turned_last, upright_first, -shift + k * column_step)
            for k in (-1, 0, 1)
        )
        pair = down + up
        if best is None or (pair, abs(shift)) < (best[0], abs(best[1])):
            best = (pair, shift, (down, up))
    if best is None:
        raise SheetError("sheet: the blank cannot be nested")
    _, shift, (down, up) = best
    blank_w = upright.shape[1]
    blank_h = upright.shape[0]
    usable_w = (sheet_width_mm - 2 * margin_mm) / RESOLUTION_MM
    usable_h = (sheet_height_mm - 2 * margin_mm) / RESOLUTION_MM
    left_pad = max(0, -shift)
    placed: list[PlacedBlank] = []
    top = 0
    row = 0
    while top + blank_h <= usable_h:
        is_turned = row % 2 == 1
        offset = left_pad + (shift if is_turned else 0)
        column = 0
        while offset + column * column_step + blank_w <= usable_w:
            x_cells = offset + column * column_step
            placed.append(
                PlacedBlank(
                    margin_mm + x_cells * RESOLUTION_MM + bleed_mm,
                    margin_mm + top * RESOLUTION_MM + bleed_mm,
                    is_turned,
                )
            )
            column += 1
        top += up if is_turned else down
        row += 1
    if not placed:
        raise SheetError(
            f"sheet: a {dieline.width_mm:g} × {dieline.height_mm:g} mm blank does not fit inside "
            f"the margins of a {sheet_width_mm:g} × {sheet_height_mm:g} mm sheet"
        )
    return Nest(
        tuple(placed),
        shift * RESOLUTION_MM,
        column_step * RESOLUTION_MM,
        (down * RESOLUTION_MM, up * RESOLUTION_MM),
    )
