"""GS1 identifiers: a GTIN string → its check digit, validity and GTIN-14 form (GS1 General Specifications §7.9)."""

from __future__ import annotations

from functools import lru_cache

GTIN_LENGTHS = (8, 12, 13, 14)
VIETNAM_PREFIX = "893"


def gtin_check_digit(data_digits: str) -> int:
    """The check digit for the digits before it: weights 3,1,3,1… from the rightmost data digit."""
    if not data_digits.isdigit():
        raise ValueError("a GTIN holds digits only")
    total = 0
    for position, digit in enumerate(reversed(data_digits)):
        weight = 3 if position % 2 == 0 else 1
        total += int(digit) * weight
    return (10 - total % 10) % 10


@lru_cache(maxsize=1024)  # a print run signs thousands of codes of one GTIN
def is_valid_gtin(gtin: str) -> bool:
    """True when `gtin` is 8, 12, 13 or 14 ASCII digits whose last digit is the right check digit."""
    if len(gtin) not in GTIN_LENGTHS or not (gtin.isascii() and gtin.isdigit()):
        return False
    return gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def to_gtin14(gtin: str) -> str:
    """The GTIN left-padded with zeros to 14 digits, as a GS1 Digital Link URI carries it."""
    return gtin.zfill(14)
