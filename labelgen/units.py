"""Units of net quantity: a declared value and unit → its kind, its size in base units and the legal figure height."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["mass", "volume", "length", "area", "count"]

# Factor to the base unit of each kind: grams, millilitres, metres, square metres.
_UNITS: dict[str, tuple[Kind, float]] = {
    "mg": ("mass", 0.001),
    "g": ("mass", 1.0),
    "kg": ("mass", 1000.0),
    "ml": ("volume", 1.0),
    "mL": ("volume", 1.0),
    "cl": ("volume", 10.0),
    "l": ("volume", 1000.0),
    "L": ("volume", 1000.0),
    "mm": ("length", 0.001),
    "cm": ("length", 0.01),
    "m": ("length", 1.0),
    "cm2": ("area", 0.0001),
    "cm²": ("area", 0.0001),
    "m2": ("area", 1.0),
    "m²": ("area", 1.0),
}


@dataclass(frozen=True)
class Quantity:
    """A declared net quantity, classified."""

    value: float
    unit: str
    kind: Kind
    base_value: float  # in g, ml, m or m²; the count itself for counted goods


def classify_quantity(value: float, unit: str) -> Quantity:
    """The kind and base-unit size of `value unit`; any unit not a legal measure is a count noun."""
    kind, factor = _UNITS.get(unit, ("count", 1.0))
    return Quantity(value, unit, kind, value * factor)


def min_figure_height_mm(quantity: Quantity) -> float:
    """Minimum height of the net-quantity figures (Circular 21/2014/TT-BKHCN, Appendix I)."""
    if quantity.kind not in ("mass", "volume"):
        return 2.0
    if quantity.base_value <= 50:
        return 2.0
    if quantity.base_value <= 200:
        return 3.0
    if quantity.base_value <= 1000:
        return 4.0
    return 6.0
