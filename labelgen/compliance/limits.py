"""Geometric rule thresholds → constants and a net quantity's minimum figure height (mm)."""

from __future__ import annotations

from labelgen import codes
from labelgen.spec import NetQuantity

# Circular 21/2014/TT-BKHCN: minimum height of the net-quantity figures and unit letters, by the
# nominal quantity in g or ml (upper bound inclusive → height in mm).
NET_QUANTITY_HEIGHT_STEPS_MM: tuple[tuple[float, float], ...] = (
    (50, 2.0),
    (200, 3.0),
    (1000, 4.0),
)
NET_QUANTITY_LARGE_HEIGHT_MM = 6.0  # above 1 kg or 1 L
NET_QUANTITY_OTHER_HEIGHT_MM = 2.0  # length, area and counted goods
QUANTITY_MARK_MIN_HEIGHT_MM = 3.0  # the optional "V" mark

# GS1 symbol specifications for QR codes and EAN-13 on packs: one source, the codes stage.
QR_MODULE_MIN_MM = codes.QR_MODULE_MM_MIN
QR_MODULE_MAX_MM = codes.QR_MODULE_MM_MAX
QR_QUIET_ZONE_MODULES = codes.QR_QUIET_ZONE_MODULES
EAN_MODULE_NOMINAL_MM = codes.EAN_MODULE_MM_NOMINAL
EAN_MODULE_MIN_MM = codes.EAN_MODULE_MM_MIN
EAN_MODULE_MAX_MM = codes.EAN_MODULE_MM_MAX
EAN_BAR_HEIGHT_NOMINAL_MM = codes.EAN13_BAR_HEIGHT_MM_NOMINAL
EAN_QUIET_ZONE_LEFT_MODULES = codes.EAN13_QUIET_LEFT_MODULES
EAN_QUIET_ZONE_RIGHT_MODULES = codes.EAN13_QUIET_RIGHT_MODULES
# Print tolerance (the print process's, by default): codes.PRINT_PROCESSES.
EAN_MAGNIFICATION_TOLERANT_PERCENT = round(codes.EAN_MAGNIFICATION_TOLERANT * 100)
QR_MODULE_TOLERANT_MM = codes.QR_MODULE_MM_TOLERANT

# Print-shop norms and food-label letter heights (secondary sources, hence warnings).
SAFE_ZONE_MM = 3.0
BLEED_MM = 3.0
MIN_BODY_TEXT_PT = 6.0
MIN_LETTER_HEIGHT_MM = 1.2
MIN_LETTER_HEIGHT_SMALL_LABEL_MM = 0.9
SMALL_LABEL_AREA_CM2 = 80.0

# Units whose size steps are counted in grams or millilitres, with their factor to that base.
MASS_UNITS_IN_G = {"mg": 0.001, "g": 1.0, "kg": 1000.0}
VOLUME_UNITS_IN_ML = {"ml": 1.0, "cl": 10.0, "l": 1000.0}


def ean_min_bar_height_mm(module_mm: float) -> float:
    """The shortest allowed EAN-13 bar for a module size: the nominal height scaled with it."""
    return EAN_BAR_HEIGHT_NOMINAL_MM * module_mm / EAN_MODULE_NOMINAL_MM


def net_quantity_min_height_mm(net_quantity: NetQuantity) -> float:
    """The minimum height (mm) of the figures and unit of a declared net quantity."""
    base_amount = amount_in_base_unit(net_quantity)
    if base_amount is None:
        return NET_QUANTITY_OTHER_HEIGHT_MM
    for upper_bound, height_mm in NET_QUANTITY_HEIGHT_STEPS_MM:
        if base_amount <= upper_bound:
            return height_mm
    return NET_QUANTITY_LARGE_HEIGHT_MM


def amount_in_base_unit(net_quantity: NetQuantity) -> float | None:
    """The quantity in g (mass) or ml (volume); None for length, area and counted goods."""
    unit = canonical_unit(net_quantity.unit)
    factor = MASS_UNITS_IN_G.get(unit) or VOLUME_UNITS_IN_ML.get(unit)
    return None if factor is None else net_quantity.value * factor


# Vietnamese unit names written in full, with the symbol they stand for.
UNIT_NAMES = {
    "miligam": "mg",
    "gam": "g",
    "kilôgam": "kg",
    "ki-lô-gam": "kg",
    "mililít": "ml",
    "xentilít": "cl",
    "lít": "l",
}


def canonical_unit(unit: str) -> str:
    """The unit symbol a written unit stands for ('L' and 'lít' → 'l', 'mL' → 'ml'); else as is."""
    written = unit.strip()
    if written in ("L", "mL", "cL"):
        return written.lower()
    return UNIT_NAMES.get(written.casefold(), written)
