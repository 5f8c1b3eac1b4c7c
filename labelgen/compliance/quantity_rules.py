"""A LabelSpec → findings on its net-quantity unit: legal, sized to the amount, volume."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.catalogue import Bilingual, format_number, make_finding
from labelgen.compliance.limits import (
    MASS_UNITS_IN_G,
    UNIT_NAMES,
    VOLUME_UNITS_IN_ML,
    canonical_unit,
)
from labelgen.compliance.report import Finding
from labelgen.spec import LabelSpec, NetQuantity

# Symbols of legal units a pre-packed quantity is stated in (mass, volume, length, area).
LEGAL_UNIT_SYMBOLS = frozenset(
    {
        "µg", "μg", "mg", "g", "kg", "t",
        "ml", "mL", "cl", "cL", "l", "L", "cm³", "cm3", "dm³", "dm3", "m³", "m3",
        "mm", "cm", "m", "km",
        "mm²", "mm2", "cm²", "cm2", "m²", "m2",
    }
)  # fmt: skip
# Count nouns that happen to be written without diacritics; any other plain-ASCII word is more
# likely a foreign or misspelt unit ("gr", "pcs", "oz") than Vietnamese.
ASCII_COUNT_NOUNS = frozenset({"bao", "con", "lon", "thanh"})
_WORDS = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")

LIQUID_CATEGORIES = frozenset({"beverage", "alcohol"})


def is_legal_unit(unit: str) -> bool:
    """Whether a unit is a legal symbol or name, or a Vietnamese count noun ('chiếc', 'gói')."""
    written = unit.strip()
    if written in LEGAL_UNIT_SYMBOLS or written.casefold() in UNIT_NAMES:
        return True
    if written.casefold() in ASCII_COUNT_NOUNS:
        return True
    return not written.isascii() and _WORDS.fullmatch(written) is not None


def expected_units(net_quantity: NetQuantity) -> tuple[str, ...] | None:
    """The unit symbols the amount must be stated in; None when no size rule applies."""
    unit = canonical_unit(net_quantity.unit)
    if unit in MASS_UNITS_IN_G:
        grams = round(net_quantity.value * MASS_UNITS_IN_G[unit], 9)
        return ("mg",) if grams < 1 else ("g",) if grams < 1000 else ("kg",)
    if unit in VOLUME_UNITS_IN_ML:
        millilitres = round(net_quantity.value * VOLUME_UNITS_IN_ML[unit], 9)
        return ("ml", "cl") if millilitres < 1000 else ("l",)
    return None


def restated(net_quantity: NetQuantity, target_unit: str) -> float:
    """The amount converted to another unit of the same kind."""
    unit = canonical_unit(net_quantity.unit)
    factors = MASS_UNITS_IN_G if unit in MASS_UNITS_IN_G else VOLUME_UNITS_IN_ML
    return net_quantity.value * factors[unit] / factors[target_unit]


def _quantity(value: float, unit: str) -> Bilingual:
    shown_unit = "L" if unit == "l" else unit
    return Bilingual(
        f"{format_number(value, 'vi')} {shown_unit}", f"{format_number(value, 'en')} {shown_unit}"
    )


def check_legal_unit(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    net_quantity = spec.product.net_quantity
    if net_quantity is not None and not is_legal_unit(net_quantity.unit):
        yield make_finding("VN-LBL-NETQTY-UNIT", "product.net_quantity", unit=net_quantity.unit)


def check_unit_for_size(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    net_quantity = spec.product.net_quantity
    if net_quantity is None or not is_legal_unit(net_quantity.unit):
        return
    expected = expected_units(net_quantity)
    if expected is None or canonical_unit(net_quantity.unit) in expected:
        return
    shown = ["L" if unit == "l" else unit for unit in expected]
    yield make_finding(
        "VN-LBL-NETQTY-UNIT-SIZE",
        "product.net_quantity",
        quantity=Bilingual(
            f"{format_number(net_quantity.value, 'vi')} {net_quantity.unit}",
            f"{format_number(net_quantity.value, 'en')} {net_quantity.unit}",
        ),
        expected_unit=Bilingual(" hoặc ".join(shown), " or ".join(shown)),
        suggestion=_quantity(restated(net_quantity, expected[0]), expected[0]),
    )


def check_liquid_by_volume(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    net_quantity = spec.product.net_quantity
    if (
        net_quantity is not None
        and spec.product.category in LIQUID_CATEGORIES
        and canonical_unit(net_quantity.unit) in MASS_UNITS_IN_G
    ):
        yield make_finding("VN-LBL-NETQTY-LIQUID", "product.net_quantity", unit=net_quantity.unit)


CHECKS: dict[str, Check] = {
    "VN-LBL-NETQTY-UNIT": check_legal_unit,
    "VN-LBL-NETQTY-UNIT-SIZE": check_unit_for_size,
    "VN-LBL-NETQTY-LIQUID": check_liquid_by_volume,
}
