"""Codes stage: content strings and GTINs → QR and EAN/UPC module matrices (no drawing)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

# zint (zint-bindings 1.2.2, the C library zint 2.15) over segno: make_qr of a 174-character
# signed unit URL (version 9) takes 0.54 ms, matrix read-out included, against 10.3 ms with
# segno 1.6.6, whose mask evaluation is pure Python (best of 5 x 200 runs). That is 3,400
# codes/s on 2 cores (segno: under 100 a core), where a print run needs 1,500. zint also splits
# the content into numeric, alphanumeric and byte segments optimally: over 600 generated URLs,
# digit strings and Vietnamese texts its version was never larger than segno's, and for an
# upper-case-host URL one smaller. (segno's Kanji mode wins for Japanese text, which no label
# here carries.)
import numpy as np
import numpy.typing as npt
import zint

from labelgen.errors import CodeError
from labelgen.gtin import gtin_check_digit, is_valid_gtin

# --- GS1 sizes (REGULATIONS §6, GS1 General Specifications §5) ---------------------------------

EAN_MODULE_MM_NOMINAL = 0.330
EAN_MAGNIFICATION_MIN = 0.80
EAN_MAGNIFICATION_MAX = 2.00
EAN_MODULE_MM_MIN = round(EAN_MODULE_MM_NOMINAL * EAN_MAGNIFICATION_MIN, 3)  # 0.264
EAN_MODULE_MM_MAX = round(EAN_MODULE_MM_NOMINAL * EAN_MAGNIFICATION_MAX, 3)  # 0.660
EAN13_BAR_HEIGHT_MM_NOMINAL = 22.85
# Not in REGULATIONS §6; GS1 General Specifications, EAN-8 symbol at nominal magnification.
EAN8_BAR_HEIGHT_MM_NOMINAL = 18.23
# Guard bars reach this many modules below the data bars (1.65 mm at nominal size).
EAN_GUARD_EXTENSION_MODULES = 5
EAN13_QUIET_LEFT_MODULES = 11
EAN13_QUIET_RIGHT_MODULES = 7
EAN8_QUIET_LEFT_MODULES = 7
EAN8_QUIET_RIGHT_MODULES = 7
EAN13_WIDTH_MODULES = 95
EAN8_WIDTH_MODULES = 67

QR_MODULE_MM_MIN = 0.396
QR_MODULE_MM_MAX = 0.990
QR_QUIET_ZONE_MODULES = 4
QR_ERROR_LEVEL = "M"
_QR_VERSION_1_MODULES = 21
_QR_MODULES_PER_VERSION = 4

# zint's own numbers (zint.h): ECC levels 1-4 in `option_1`, DATA_MODE (bytes taken as they
# are, no character set conversion), which the type stubs do not name, and the row stride of
# `encoded_data`.
_ZINT_ECC_LEVELS = {"L": 1, "M": 2, "Q": 3, "H": 4}
_ZINT_DATA_MODE = zint.InputMode(0)
_ZINT_ROW_STRIDE_BYTES = 144

# --- QR Code ------------------------------------------------------------------------------------

DarkRun = tuple[int, int, int]  # (row, start_col, length)
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class QrSymbol:
    """A QR Code as a square of modules, without its quiet zone."""

    content: str
    version: int
    error_level: str
    size_modules: int
    dark: tuple[bytes, ...]  # one row per item, one byte per module: 1 dark, 0 light

    def dark_runs(self) -> tuple[DarkRun, ...]:
        """The dark modules merged into horizontal runs `(row, start_col, length)`, row by row.

        One run becomes one rectangle in an SVG path or a print run's PDF, which keeps the
        drawing compact.
        """
        rows, starts, lengths = self.dark_run_arrays()
        return tuple(zip(rows.tolist(), starts.tolist(), lengths.tolist(), strict=True))

    def dark_run_arrays(self) -> tuple[IntArray, IntArray, IntArray]:
        """`dark_runs` as three integer arrays: rows, start columns, lengths.

        A print run draws a new code for every unit, so the runs are found with array
        operations (50 times faster than a loop over the modules): a run starts where a row
        steps from light to dark and ends where it steps back.
        """
        modules = np.frombuffer(b"".join(self.dark), dtype=np.uint8)
        modules = modules.reshape(len(self.dark), self.size_modules).astype(np.int8)
        steps = np.diff(np.pad(modules, ((0, 0), (1, 1))), axis=1)
        start_rows, start_columns = np.nonzero(steps == 1)
        _, end_columns = np.nonzero(steps == -1)
        return start_rows, start_columns, end_columns - start_columns


@lru_cache(maxsize=1024)
def make_qr(content: str) -> QrSymbol:
    """A QR Code (never micro QR) at error level M in the smallest version that holds `content`.

    The content goes in as its UTF-8 bytes without an ECI header, as segno wrote it: not every
    phone reader understands ECI, and a URL is ASCII anyway.
    """
    if not content:
        raise CodeError("the QR code content is empty")
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        raise CodeError("the QR code content is not valid Unicode text") from None
    symbol = _qr_symbol()
    try:
        symbol.encode(data)
    except RuntimeError as error:
        # zint words every capacity failure "Input too long ..."; anything else is unexpected.
        if "too long" not in str(error):
            raise CodeError(f"the QR code content cannot be encoded: {error}") from None
        raise CodeError(
            f"the QR code content is too long ({len(data)} bytes); "
            "even the largest QR Code (version 40, level M) cannot hold it"
        ) from None
    size_modules = symbol.rows
    return QrSymbol(
        content=content,
        version=(size_modules - _QR_VERSION_1_MODULES) // _QR_MODULES_PER_VERSION + 1,
        error_level=QR_ERROR_LEVEL,
        size_modules=size_modules,
        dark=_read_matrix(symbol.encoded_data.tobytes(), size_modules),
    )


def _qr_symbol() -> zint.Symbol:
    """A zint QR Code symbol pinned to what make_qr promises, whatever zint's defaults become."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE  # never MICROQR
    # Level M exactly: zint raises the level to the highest the version has room for only when
    # none is given.
    symbol.option_1 = _ZINT_ECC_LEVELS[QR_ERROR_LEVEL]
    symbol.option_2 = 0  # no fixed version: the smallest that holds the data
    symbol.option_3 = 0  # the standard's mask choice; no Kanji guessing in byte data
    symbol.input_mode = _ZINT_DATA_MODE  # not FAST_MODE, which gives up optimal segmentation
    symbol.eci = 0
    # A warning (an ECI added, data altered) fails the encode instead of passing silently.
    symbol.warn_level = zint.WarningLevel.FAIL_ALL
    return symbol


def _read_matrix(data: bytes, size_modules: int) -> tuple[bytes, ...]:
    """zint's `encoded_data`: one row per 144 bytes, module (r, c) in bit c & 7 of byte c >> 3."""
    packed = np.frombuffer(data, dtype=np.uint8)[: size_modules * _ZINT_ROW_STRIDE_BYTES]
    packed = packed.reshape(size_modules, _ZINT_ROW_STRIDE_BYTES)
    modules = np.unpackbits(packed, axis=1, bitorder="little")[:, :size_modules]
    return tuple(row.tobytes() for row in modules)


def _runs_of_true(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, is_dark in enumerate((*row, False)):
        if is_dark and start is None:
            start = index
        elif not is_dark and start is not None:
            runs.append((start, index - start))
            start = None
    return runs


# --- EAN-13 / UPC-A / EAN-8 ---------------------------------------------------------------------

# Set A ("L", odd parity) patterns of the EAN/UPC symbol characters, GS1 General Specifications.
_L_PATTERNS = (
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
)
# Set C ("R") is set A with every module inverted; set B ("G") is set C read backwards.
_R_PATTERNS = tuple(pattern.translate(str.maketrans("01", "10")) for pattern in _L_PATTERNS)
_G_PATTERNS = tuple(pattern[::-1] for pattern in _R_PATTERNS)
# The EAN-13 leading digit is not drawn as bars: it selects which left-half digits use set B.
_LEFT_PARITY_BY_LEADING_DIGIT = (
    "LLLLLL",
    "LLGLGG",
    "LLGGLG",
    "LLGGGL",
    "LGLLGG",
    "LGGLLG",
    "LGGGLL",
    "LGLGLG",
    "LGLGGL",
    "LGGLGL",
)
_NORMAL_GUARD = "101"
_CENTRE_GUARD = "01010"
_DIGIT_MODULES = 7


@dataclass(frozen=True)
class LinearSymbol:
    """An EAN/UPC bar code as modules from start guard to end guard, quiet zones excluded.

    `digit_groups` places the human-readable digits: `(first_module, end_module, digits)`, with
    module 0 the first module of the start guard; a negative start lies in the left quiet zone.
    """

    symbology: ClassVar[str] = ""
    quiet_left_modules: ClassVar[int] = 0
    quiet_right_modules: ClassVar[int] = 0
    bar_height_mm_nominal: ClassVar[float] = 0.0

    digits: str
    modules: str
    guard_module_indices: frozenset[int]
    digit_groups: tuple[tuple[int, int, str], ...]

    @property
    def width_modules(self) -> int:
        return len(self.modules)

    def bar_runs(self) -> tuple[tuple[int, int, bool], ...]:
        """Each bar as `(start_module, width_modules, is_guard)`, left to right."""
        return tuple(
            (start, length, start in self.guard_module_indices)
            for start, length in _runs_of_true(tuple(module == "1" for module in self.modules))
        )


@dataclass(frozen=True)
class Ean13Symbol(LinearSymbol):
    """An EAN-13 symbol (95 modules); a UPC-A is the EAN-13 whose leading digit is 0."""

    symbology: ClassVar[str] = "EAN-13"
    quiet_left_modules: ClassVar[int] = EAN13_QUIET_LEFT_MODULES
    quiet_right_modules: ClassVar[int] = EAN13_QUIET_RIGHT_MODULES
    bar_height_mm_nominal: ClassVar[float] = EAN13_BAR_HEIGHT_MM_NOMINAL


@dataclass(frozen=True)
class Ean8Symbol(LinearSymbol):
    """An EAN-8 symbol (67 modules)."""

    symbology: ClassVar[str] = "EAN-8"
    quiet_left_modules: ClassVar[int] = EAN8_QUIET_LEFT_MODULES
    quiet_right_modules: ClassVar[int] = EAN8_QUIET_RIGHT_MODULES
    bar_height_mm_nominal: ClassVar[float] = EAN8_BAR_HEIGHT_MM_NOMINAL


def make_ean13(gtin: str) -> Ean13Symbol:
    """The EAN-13 symbol of a GTIN-13, or of a GTIN-12 (UPC-A) with a leading 0 added."""
    require_valid_gtin(gtin, lengths=(12, 13))
    digits = gtin.zfill(13)
    parity = _LEFT_PARITY_BY_LEADING_DIGIT[int(digits[0])]
    left_digits = zip(digits[1:7], parity, strict=True)
    left = "".join(_encode_left_digit(digit, side) for digit, side in left_digits)
    right = "".join(_R_PATTERNS[int(digit)] for digit in digits[7:])
    modules = _NORMAL_GUARD + left + _CENTRE_GUARD + right + _NORMAL_GUARD
    return Ean13Symbol(
        digits=digits,
        modules=modules,
        guard_module_indices=_guard_indices(half_digits=6),
        digit_groups=(
            (-EAN13_QUIET_LEFT_MODULES, 0, digits[0]),
            (3, 45, digits[1:7]),
            (50, 92, digits[7:]),
        ),
    )


def make_ean8(gtin: str) -> Ean8Symbol:
    """The EAN-8 symbol of a GTIN-8."""
    require_valid_gtin(gtin, lengths=(8,))
    left = "".join(_L_PATTERNS[int(digit)] for digit in gtin[:4])
    right = "".join(_R_PATTERNS[int(digit)] for digit in gtin[4:])
    return Ean8Symbol(
        digits=gtin,
        modules=_NORMAL_GUARD + left + _CENTRE_GUARD + right + _NORMAL_GUARD,
        guard_module_indices=_guard_indices(half_digits=4),
        digit_groups=((3, 31, gtin[:4]), (36, 64, gtin[4:])),
    )


def make_retail_barcode(gtin: str) -> LinearSymbol | None:
    """The point-of-sale symbol for a GTIN: EAN-13 for GTIN-12/13, EAN-8 for GTIN-8.

    None for a GTIN-14: it identifies a trade unit that is not sold at a till and is carried by
    ITF-14 or GS1-128 on outer cases, never by an EAN symbol on a consumer pack.
    """
    require_valid_gtin(gtin, lengths=(8, 12, 13, 14))
    if len(gtin) == 14:
        return None
    if len(gtin) == 8:
        return make_ean8(gtin)
    return make_ean13(gtin)


def require_valid_gtin(gtin: str, lengths: tuple[int, ...]) -> None:
    """Raise CodeError unless `gtin` has one of `lengths` digits and the right check digit.

    A wrong check digit is reported, never corrected: the number on the pack must be the one
    registered with GS1, and a silently altered digit would point at someone else's product.
    """
    if not (gtin.isascii() and gtin.isdigit()) or len(gtin) not in lengths:
        allowed = " or ".join(str(length) for length in lengths)
        raise CodeError(f"GTIN {gtin!r} must be {allowed} digits")
    if not is_valid_gtin(gtin):
        expected = gtin_check_digit(gtin[:-1])
        raise CodeError(
            f"GTIN {gtin} has a wrong check digit {gtin[-1]}: expected {expected} "
            f"({gtin[:-1]}{expected}); check the number assigned by GS1"
        )


def _encode_left_digit(digit: str, side: str) -> str:
    table = _L_PATTERNS if side == "L" else _G_PATTERNS
    return table[int(digit)]


def _guard_indices(half_digits: int) -> frozenset[int]:
    half_modules = half_digits * _DIGIT_MODULES
    centre_start = len(_NORMAL_GUARD) + half_modules
    end_start = centre_start + len(_CENTRE_GUARD) + half_modules
    return frozenset(
        [
            *range(len(_NORMAL_GUARD)),
            *range(centre_start, centre_start + len(_CENTRE_GUARD)),
            *range(end_start, end_start + len(_NORMAL_GUARD)),
        ]
    )
