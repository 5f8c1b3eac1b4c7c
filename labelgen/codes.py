"""Codes stage: content strings and GTINs → QR and EAN/UPC module matrices (no drawing)."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any, ClassVar, Literal

# zint (zint-bindings 1.2.2, the C library zint 2.15) over segno: zint encodes and places the
# data with the data mask fixed, and make_qr chooses the mask itself with word-wide array
# operations, since zint's own choice takes 550 of the 600 µs its encode costs for a version-9
# code. make_qr of a 172-character signed unit URL (version 9) then takes 0.2 ms, matrix
# read-out included, against 0.57 ms with zint choosing and 10.3 ms with segno 1.6.6, whose mask
# evaluation is pure Python: 5,000 codes/s a core, where a print run needs 1,500. zint also
# splits the content into numeric, alphanumeric and byte segments optimally: over 600 generated
# URLs, digit strings and Vietnamese texts its version was never larger than segno's, and for
# an upper-case-host URL one smaller. (segno's Kanji mode wins for Japanese text, which no
# label here carries.)
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
# Print PDFs draw every bar this much narrower (half on each edge) and leave the spaces that
# much wider, so that ink spreading on the press (bar gain) gives back nominal bars (GS1 General
# Specifications, bar width reduction). 0.05 mm is what a press spreading 0.05 mm an edge, with
# 0.1 mm blur, needs for EAN-13s of 86 % and up to decode (tests/test_print_pdf_codes.py: at
# 0.02 mm they do not), and no bar is lost at a 300 dpi bi-level raster. Screen SVGs and PNGs
# show the nominal bars. Each print process below has its own; this is the offset press's.
EAN_BAR_WIDTH_REDUCTION_MM = 0.05
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

# --- Print tolerance by print process ----------------------------------------------------------

# GS1's 80 % EAN-13 and 0.396 mm QR module are the least a scanner reads from a perfect print;
# a press's ink spread, blur and grain eat into them. By default codes get room to spare: the
# EAN-13 at 100 % at least and QR modules of 0.5 mm at least (the GS1 General Specifications'
# target sizes). A spec may let the EAN-13 go down to GS1's 80 %, which the report then warns of.
EAN_MAGNIFICATION_TOLERANT = 1.00
QR_MODULE_MM_TOLERANT = 0.50
MM_PER_INCH = 25.4

PrintProcessName = Literal["offset", "digital", "flexo", "thermal-300dpi"]
DEFAULT_PRINT_PROCESS: PrintProcessName = "offset"


@dataclass(frozen=True)
class PrintProcess:
    """What a way of printing asks of the codes drawn for it.

    `bar_width_reduction_mm` is taken off every bar (half an edge) in print PDFs, for the ink
    the process spreads. `device_dpi` is the resolution of a printer that prints whole dots (a
    thermal head): there every module is a whole number of dots, or the bars of one width would
    print one dot wider here and one narrower there.
    """

    name: PrintProcessName
    bar_width_reduction_mm: float
    ean_magnification_min: float = EAN_MAGNIFICATION_TOLERANT
    qr_module_mm_min: float = QR_MODULE_MM_TOLERANT
    device_dpi: int | None = None

    @property
    def dot_mm(self) -> float | None:
        """The size of the printer's dot, or None where the process has no fixed grid."""
        return None if self.device_dpi is None else MM_PER_INCH / self.device_dpi

    def snap_module_mm(self, module_mm: float) -> float:
        """`module_mm` down to whole dots of the device; as given where there are none."""
        dot_mm = self.dot_mm
        if dot_mm is None:
            return module_mm
        # The 1e-9 keeps a module of exactly n dots, computed in floating point, at n.
        return math.floor(module_mm / dot_mm + 1e-9) * dot_mm


# Bar gain per process (GS1 General Specifications on bar width reduction: the printer knows
# its own, these are starting points). Offset's 0.05 mm is what the simulated press of
# tests/test_print_pdf_codes.py (0.05 mm spread an edge, 0.1 mm blur, noise) needs; a dry-toner
# digital press spreads less, flexo's soft plates more. A thermal head prints whole dots: there
# modules are snapped to whole dots (a 0.3387 mm module, 4 dots at 300 dpi, is 102.6 %) and
# bars lose one dot, so they stay whole dots; with none, the same simulated press at 300 dpi
# closes the spaces (0 of 8 seeds decode, 8 of 8 with the dot).
_THERMAL_DPI = 300
PRINT_PROCESSES: dict[PrintProcessName, PrintProcess] = {
    "offset": PrintProcess("offset", bar_width_reduction_mm=EAN_BAR_WIDTH_REDUCTION_MM),
    "digital": PrintProcess("digital", bar_width_reduction_mm=0.02),
    "flexo": PrintProcess("flexo", bar_width_reduction_mm=0.06),
    "thermal-300dpi": PrintProcess(
        "thermal-300dpi",
        bar_width_reduction_mm=MM_PER_INCH / _THERMAL_DPI,
        device_dpi=_THERMAL_DPI,
    ),
}


def print_process(name: str) -> PrintProcess:
    """The print process called `name`, or CodeError naming the ones there are."""
    try:
        return PRINT_PROCESSES[name]  # type: ignore[index]
    except KeyError:
        known = ", ".join(PRINT_PROCESSES)
        raise CodeError(f"print_process {name!r} is not one of {known}") from None


# zint's own numbers (zint.h): ECC levels 1-4 in `option_1`, DATA_MODE (bytes taken as they
# are, no character set conversion), which the type stubs do not name, and the row stride of
# `encoded_data`.
_ZINT_ECC_LEVELS = {"L": 1, "M": 2, "Q": 3, "H": 4}
_ZINT_DATA_MODE = zint.InputMode(0)
_ZINT_ROW_STRIDE_BYTES = 144
_ZINT_MASK_SHIFT = 8  # option_3 bits 8-10 hold the QR data mask plus 1

# --- QR Code ------------------------------------------------------------------------------------

DarkRun = tuple[int, int, int]  # (row, start_col, length)
Place = tuple[int, int]  # (row, column) of a module
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
PenaltyArray = npt.NDArray[np.int64]
# Modules one byte each, 1 dark and 0 light: one symbol (rows, columns) or a stack of symbols.
ModuleArray = npt.NDArray[np.uint8]
# Lines of modules packed into 64-bit words (uint64; numpy's type stubs make a shifted one
# signed), the last axis the words of one line.
WordArray = npt.NDArray[np.integer[Any]]

_WORD_BITS = 64
_LINE_OFFSET_BITS = 3
_LITTLE_ENDIAN_WORD = np.dtype("<u8")
_DATA_MASK_COUNT = 8

# ISO/IEC 18004:2015 table E.1: row and column coordinates of the alignment pattern centres,
# by version; version 1 has none.
_ALIGNMENT_CENTRES: tuple[tuple[int, ...], ...] = (
    (),
    (6, 18),
    (6, 22),
    (6, 26),
    (6, 30),
    (6, 34),
    (6, 22, 38),
    (6, 24, 42),
    (6, 26, 46),
    (6, 28, 50),
    (6, 30, 54),
    (6, 32, 58),
    (6, 34, 62),
    (6, 26, 46, 66),
    (6, 26, 48, 70),
    (6, 26, 50, 74),
    (6, 30, 54, 78),
    (6, 30, 56, 82),
    (6, 30, 58, 86),
    (6, 34, 62, 90),
    (6, 28, 50, 72, 94),
    (6, 26, 50, 74, 98),
    (6, 30, 54, 78, 102),
    (6, 28, 54, 80, 106),
    (6, 32, 58, 84, 110),
    (6, 30, 58, 86, 114),
    (6, 34, 62, 90, 118),
    (6, 26, 50, 74, 98, 122),
    (6, 30, 54, 78, 102, 126),
    (6, 26, 52, 78, 104, 130),
    (6, 30, 56, 82, 108, 134),
    (6, 34, 60, 86, 112, 138),
    (6, 30, 58, 86, 114, 142),
    (6, 34, 62, 90, 118, 146),
    (6, 30, 54, 78, 102, 126, 150),
    (6, 24, 50, 76, 102, 128, 154),
    (6, 28, 54, 80, 106, 132, 158),
    (6, 32, 58, 84, 110, 136, 162),
    (6, 26, 54, 82, 110, 138, 166),
    (6, 30, 58, 86, 114, 142, 170),
)
_FINDER_WITH_SEPARATOR_MODULES = 8
_TIMING_PATTERN_INDEX = 6
_ALIGNMENT_HALF_WIDTH_MODULES = 2
_FORMAT_INFORMATION_INDEX = 8
_VERSION_INFORMATION_MIN_VERSION = 7

# ISO/IEC 18004:2015 §7.9.1: the error correction level indicators, the generator polynomial of
# the (15, 5) BCH code and the mask that keeps the format information from being all light.
_FORMAT_LEVEL_INDICATORS = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}
_FORMAT_GENERATOR = 0b10100110111
_FORMAT_XOR_MASK = 0b101010000010010
_FORMAT_DATA_BITS = 5
_FORMAT_ECC_BITS = 10
_FORMAT_MASK_BITS = 3

# ISO/IEC 18004:2015 §7.8.3.1, table 11: the penalty weights N1 to N4.
# N1: 3 points for a run of 5 same-coloured modules and one more per further module, counted as
# a point for each window of 5 modules of one colour and one for each of the run's two ends.
_PENALTY_BLOCK = 3  # N2: each 2 x 2 block of one colour
_PENALTY_FINDER_LIKE = 40  # N3: each 1:1:3:1:1 pattern beside a 4-module light area
_PENALTY_BALANCE = 10  # N4: each full 5 % step of the dark share away from 50 %
_FINDER_LIKE_MODULES = 7  # 1011101
_LIGHT_AREA_MODULES = 4
_BALANCE_STEP_PERCENT = 5
_BYTE_BIT_COUNTS = np.array([value.bit_count() for value in range(256)], dtype=np.int64)

# ISO/IEC 18004:2015 table 10: data mask k inverts the data module at row i, column j where
# condition k holds.
_DATA_MASK_CONDITIONS: tuple[Callable[[IntArray, IntArray], BoolArray], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)


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
        """`dark_runs` as three read-only integer arrays: rows, start columns, lengths."""
        return self._run_arrays

    @cached_property
    def _run_arrays(self) -> tuple[IntArray, IntArray, IntArray]:
        """The dark runs, found once per symbol with array operations.

        A print run draws a new code for every unit, so this is 50 times faster than a loop
        over the modules: a run starts where a row steps from light to dark and ends where it
        steps back.
        """
        row_count = len(self.dark)
        stride = self.size_modules + 1
        # The rows one after the other, behind a light module and each followed by one: a run
        # can neither begin before its row nor go on into the next, so the matrix is scanned
        # as one line. The step from line[k] to line[k + 1] arrives at module k of the matrix
        # read row by row with the light modules: row k // stride, column k % stride.
        line = np.zeros(row_count * stride + 1, dtype=np.uint8)
        line[1:].reshape(row_count, stride)[:, : self.size_modules] = np.frombuffer(
            b"".join(self.dark), dtype=np.uint8
        ).reshape(row_count, self.size_modules)
        starts = np.flatnonzero(line[1:] > line[:-1])
        ends = np.flatnonzero(line[1:] < line[:-1])
        rows, columns = np.divmod(starts, stride)
        lengths = ends - starts
        # Shared by every caller of this symbol: nobody may change them.
        for array in (rows, columns, lengths):
            array.flags.writeable = False
        return rows, columns, lengths


@lru_cache(maxsize=1024)
def make_qr(content: str) -> QrSymbol:
    """A QR Code (never micro QR) at error level M in the smallest version that holds `content`.

    The content goes in as its UTF-8 bytes without an ECI header, as segno wrote it: not every
    phone reader understands ECI, and a URL is ASCII anyway. zint places the data with mask 0
    and the data mask the standard asks for (ISO/IEC 18004:2015 §7.8.3) is chosen here.
    """
    if not content:
        raise CodeError("the QR code content is empty")
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError:
        raise CodeError("the QR code content is not valid Unicode text") from None
    modules_mask_0 = _encode_with_mask_0(data)
    size_modules = len(modules_mask_0)
    version = (size_modules - _QR_VERSION_1_MODULES) // _QR_MODULES_PER_VERSION + 1
    data_mask = _best_data_mask(modules_mask_0, version)
    modules = modules_mask_0 ^ _mask_flips(version)[data_mask]
    matrix_bytes = modules.tobytes()
    return QrSymbol(
        content=content,
        version=version,
        error_level=QR_ERROR_LEVEL,
        size_modules=size_modules,
        dark=tuple([matrix_bytes[row] for row in _row_slices(size_modules)]),
    )


def make_qr_once(content: str) -> QrSymbol:
    """`make_qr` without its cache, for a content coded once and never again: each unit of a
    print run has its own, and keeping the last 1,024 symbols cost a worker 21 MB."""
    return make_qr.__wrapped__(content)


@cache
def _row_slices(size_modules: int) -> tuple[slice, ...]:
    """The slices that cut a square matrix's bytes, row after row, into its rows."""
    row_starts = range(0, size_modules * size_modules, size_modules)
    return tuple(slice(start, start + size_modules) for start in row_starts)


def _qr_symbol() -> zint.Symbol:
    """A zint QR Code symbol pinned to what make_qr promises, whatever zint's defaults become."""
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE  # never MICROQR
    # Level M exactly: zint raises the level to the highest the version has room for only when
    # none is given.
    symbol.option_1 = _ZINT_ECC_LEVELS[QR_ERROR_LEVEL]
    symbol.option_2 = 0  # no fixed version: the smallest that holds the data
    symbol.option_3 = 0  # zint's own mask choice; no Kanji guessing in byte data
    symbol.input_mode = _ZINT_DATA_MODE  # not FAST_MODE, which gives up optimal segmentation
    symbol.eci = 0
    # A warning (an ECI added, data altered) fails the encode instead of passing silently.
    symbol.warn_level = zint.WarningLevel.FAIL_ALL
    return symbol


def _zint_mask_option(data_mask: int) -> int:
    """zint's `option_3` that fixes the QR data mask `data_mask` (0-7)."""
    return (data_mask + 1) << _ZINT_MASK_SHIFT


def _encode_with_mask_0(data: bytes) -> ModuleArray:
    """The modules zint encodes `data` into with data mask 0, or CodeError if it cannot.

    zint's own mask choice costs ten times the rest of its encoding (550 µs of 600 for a
    version-9 code); with the mask fixed, the choice is left to `_best_data_mask`.
    """
    symbol = _qr_symbol()
    symbol.option_3 = _zint_mask_option(0)
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
    return _read_matrix(symbol.encoded_data, symbol.rows)


def _read_matrix(encoded_data: memoryview, size_modules: int) -> ModuleArray:
    """zint's `encoded_data` as modules: a row per 144 bytes, (r, c) in bit c & 7 of byte c >> 3."""
    packed = np.frombuffer(
        encoded_data, dtype=np.uint8, count=size_modules * _ZINT_ROW_STRIDE_BYTES
    )
    packed = packed.reshape(size_modules, _ZINT_ROW_STRIDE_BYTES)
    row_bytes = -(-size_modules // 8)
    return np.unpackbits(packed[:, :row_bytes], axis=1, count=size_modules, bitorder="little")


def _best_data_mask(modules_mask_0: ModuleArray, version: int) -> int:
    """The data mask with the lowest penalty score for a symbol given with mask 0."""
    lines = _pack_lines(np.concatenate([modules_mask_0, modules_mask_0.T]))
    scores = _penalty_scores_of_lines(lines ^ _packed_mask_flips(version), len(modules_mask_0))
    # argmin returns the first of equal scores: ties go to the lowest mask number.
    return int(np.argmin(scores))


# --- QR Code: the symbol's layout by version (ISO/IEC 18004:2015 §6.3, §7.7, §7.9, §7.10) -----


def _function_modules(version: int) -> BoolArray:
    """True at the modules of `version` that data masks leave alone: everything but data."""
    size = _QR_VERSION_1_MODULES + _QR_MODULES_PER_VERSION * (version - 1)
    reserved = np.zeros((size, size), dtype=bool)
    corner = _FINDER_WITH_SEPARATOR_MODULES
    reserved[:corner, :corner] = True
    reserved[:corner, -corner:] = True
    reserved[-corner:, :corner] = True
    centres = _ALIGNMENT_CENTRES[version - 1]
    half = _ALIGNMENT_HALF_WIDTH_MODULES
    for row in centres:
        for column in centres:
            # Every pair of centres holds an alignment pattern but the three that fall on a
            # finder pattern; the timing patterns, placed after, do run through some of them.
            if not reserved[row, column]:
                reserved[row - half : row + half + 1, column - half : column + half + 1] = True
    reserved[_TIMING_PATTERN_INDEX, :] = True
    reserved[:, _TIMING_PATTERN_INDEX] = True
    # Format information beside each finder, the dark module above the bottom-left one among it.
    format_index = _FORMAT_INFORMATION_INDEX
    reserved[format_index, : format_index + 1] = True
    reserved[: format_index + 1, format_index] = True
    reserved[format_index, -corner:] = True
    reserved[-corner:, format_index] = True
    if version >= _VERSION_INFORMATION_MIN_VERSION:
        # The 6 x 3 blocks of version information beside the top-right and bottom-left finders.
        reserved[:6, -11:-8] = True
        reserved[-11:-8, :6] = True
    return reserved


def _format_information(data_mask: int) -> int:
    """The 15 format information bits of level M and `data_mask`, BCH-coded and masked (§7.9.1)."""
    data = _FORMAT_LEVEL_INDICATORS[QR_ERROR_LEVEL] << _FORMAT_MASK_BITS | data_mask
    remainder = data << _FORMAT_ECC_BITS
    for bit in range(_FORMAT_DATA_BITS + _FORMAT_ECC_BITS - 1, _FORMAT_ECC_BITS - 1, -1):
        if remainder >> bit & 1:
            remainder ^= _FORMAT_GENERATOR << (bit - _FORMAT_ECC_BITS)
    return (data << _FORMAT_ECC_BITS | remainder) ^ _FORMAT_XOR_MASK


def _format_information_places(size: int) -> tuple[tuple[Place, Place], ...]:
    """Where the format bits go (ISO/IEC 18004:2015 figure 25), bit 14 first, each bit twice.

    Item k holds the two (row, column) places of bit 14 - k: one copy runs around the
    top-left finder, the other is split between the bottom-left and top-right finders.
    """
    index = _FORMAT_INFORMATION_INDEX
    around: list[Place] = [(index, column) for column in range(6)]
    around += [(index, 7), (index, index), (7, index)]  # around the timing patterns' crossing
    around += [(row, index) for row in range(5, -1, -1)]
    split: list[Place] = [(row, index) for row in range(size - 1, size - 8, -1)]
    split += [(index, column) for column in range(size - 8, size)]
    return tuple(zip(around, split, strict=True))


@cache
def _mask_flips(version: int) -> ModuleArray:
    """Per data mask k, the modules to invert to turn `version`'s symbol from mask 0 to mask k.

    The data modules where masks 0 and k differ, and the format information bits where the two
    masks' format information differs: zint's symbol with mask 0 XOR item k is the symbol with
    mask k, version information and function patterns unchanged.
    """
    reserved = _function_modules(version)
    size = len(reserved)
    rows, columns = np.indices((size, size))
    masked = np.stack([condition(rows, columns) & ~reserved for condition in _DATA_MASK_CONDITIONS])
    format_places = _format_information_places(size)
    for data_mask in range(_DATA_MASK_COUNT):
        format_bits = _format_information(data_mask)
        for place_index, places in enumerate(format_places):
            bit = format_bits >> (len(format_places) - 1 - place_index) & 1
            for row, column in places:
                masked[data_mask, row, column] = bit
    flips = (masked ^ masked[0]).astype(np.uint8)
    flips.flags.writeable = False
    return flips


# --- QR Code: the penalty score of a data mask (ISO/IEC 18004:2015 §7.8.3.1, table 11) --------
#
# The standard scores the complete symbol, function patterns and format and version
# information included ("although the data masking operation is only performed on the encoding
# region ..., the area to be evaluated is the complete symbol"), as zint 2.15 does. segno 1.6.6
# scores the symbol before it adds format and version information, which can pick another mask.
#
# N3 counts each 1011101 (dark, light, 3 dark, light, dark: the 1:1:3:1:1 ratio at one module a
# unit, as zint, segno and ZXing read it) in a row or column that has 4 light modules before it
# or after it, once. Modules beyond the symbol count as
# light: the standard requires a 4-module light quiet zone around the symbol, so a pattern at the
# edge is as finder-like to a reader as one inside. zint, segno and ZXing read the edge so too.
# Overlapping patterns count each: in 0000 1011101 1101 0000 (or 0000 1011101 011101 0000) the
# first pattern has its light area before and the second after; segno resumes its search 7
# modules after a counted pattern and so misses the second, zint counts both, and so does this.


def _penalty_scores(symbols: ModuleArray) -> PenaltyArray:
    """The penalty score (N1 + N2 + N3 + N4) of each symbol in a stack `(count, size, size)`."""
    lines = _pack_lines(np.concatenate([symbols, symbols.swapaxes(1, 2)], axis=1))
    return _penalty_scores_of_lines(lines, symbols.shape[-1])


@cache
def _packed_mask_flips(version: int) -> WordArray:
    """`_mask_flips` packed as by `_pack_lines`: per data mask, its rows and then its columns."""
    flips = _mask_flips(version)
    lines = _pack_lines(np.concatenate([flips, flips.swapaxes(1, 2)], axis=1))
    lines.flags.writeable = False
    return lines


def _pack_lines(lines: ModuleArray) -> WordArray:
    """Lines of modules `(..., length)` as words `(..., words)`: module i in bit i + 3.

    Bit b is bit b % 64 of word b // 64. The 3 clear bits before module 0 stand for the quiet
    zone: with them, the 4 modules before a pattern at module 1, 2 or 3, which N3 asks to be
    light, have 4 bits in the word (before module 0 they lie all outside it, and a shift reads
    them as clear).
    """
    length = lines.shape[-1]
    padded = np.zeros((*lines.shape[:-1], _words_per_line(length) * _WORD_BITS), dtype=np.uint8)
    padded[..., _LINE_OFFSET_BITS : _LINE_OFFSET_BITS + length] = lines
    words: WordArray = np.packbits(padded, axis=-1, bitorder="little").view(_LITTLE_ENDIAN_WORD)
    return words


def _words_per_line(length: int) -> int:
    """How many 64-bit words a line of `length` modules takes, the bits before it included."""
    return -(-(_LINE_OFFSET_BITS + length) // _WORD_BITS)


def _ahead(lines: WordArray, modules: int) -> WordArray:
    """Packed lines read `modules` (1-63) further on: bit b takes bit b + modules, or clear."""
    shifted = lines >> modules
    if lines.shape[-1] > 1:
        shifted[..., :-1] |= lines[..., 1:] << (_WORD_BITS - modules)
    return shifted


def _behind(lines: WordArray, modules: int) -> WordArray:
    """Packed lines read `modules` (1-63) further back: bit b takes bit b - modules, or clear."""
    shifted = lines << modules
    if lines.shape[-1] > 1:
        shifted[..., 1:] |= lines[..., :-1] >> (_WORD_BITS - modules)
    return shifted


def _bit_counts(words: WordArray) -> npt.NDArray[np.uint8]:
    """How many bits are set in each word."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(words)
    return _bit_counts_by_bytes(words)


def _bit_counts_by_bytes(words: WordArray) -> npt.NDArray[np.uint8]:
    """`_bit_counts` for numpy before 2.0 (pyproject.toml allows 1.26): byte by byte."""
    byte_counts = _BYTE_BIT_COUNTS[np.ascontiguousarray(words).view(np.uint8)]
    return byte_counts.reshape(*words.shape, 8).sum(axis=-1, dtype=np.uint8)


def _penalty_scores_of_lines(lines: WordArray, size: int) -> PenaltyArray:
    """The penalty scores of symbols given as packed lines `(count, 2 * size, words)`.

    Item k of `lines` holds symbol k's rows and then its columns, packed by `_pack_lines`. One
    operation handles whole lines of modules at once, so this costs some 40 numpy calls
    whatever the version (more from version 12 on, whose lines take more than one word):
    numpy's overhead per call, not the modules, sets its time. "Bit i" below is the bit of
    module i.
    """
    ahead: Callable[[WordArray, int], WordArray] = _ahead
    behind: Callable[[WordArray, int], WordArray] = _behind
    if lines.shape[-1] == 1:
        # Lines of one word shift as they are, without the calls that carry bits across words.
        ahead, behind = operator.rshift, operator.lshift
    rows = lines[:, :size]
    next_modules = ahead(lines, 1)
    # Bit i of `changes` says modules i and i + 1 differ, of `same` that they have one colour.
    changes = lines ^ next_modules
    same = ~changes & _pair_bits(size)

    # N1: bit i of `five` says modules i to i + 4 have one colour. A run of 5 + k modules holds
    # k + 1 such windows, and its windows, consecutive bits, begin and end: 2 edges. That makes
    # the 3 + k points of the run.
    same_pairs = same & ahead(same, 1)
    five = same_pairs & ahead(same_pairs, 2)
    run_edges = five ^ behind(five, 1)

    # N2: a block starts at bit i of row r where rows r and r + 1 each have one colour at
    # modules i and i + 1 and agree at module i.
    blocks = same[:, : size - 1] & same[:, 1:size] & ~(rows[:, :-1] ^ rows[:, 1:])

    # N3: bit i of `dark_light_dark` says modules i to i + 2 read 101, so bit i of
    # `finder_like` says modules i to i + 6 read 101 1 101. Bit i of `dark_from` says one of
    # modules i to i + 3 is dark. The bits of the 3 modules before a line and of those after it
    # are clear: the quiet zone reads as light. A window of 4 modules that begins further
    # before the line is shifted in as clear, rightly so: all of it lies in the quiet zone.
    dark_light_dark = lines & changes & ahead(lines, 2)
    finder_like = dark_light_dark & ahead(dark_light_dark, 4) & ahead(lines, 3)
    dark_from = lines | next_modules
    dark_from |= ahead(dark_from, 2)
    dark_before = behind(dark_from, _LIGHT_AREA_MODULES)
    dark_after = ahead(dark_from, _FINDER_LIKE_MODULES)
    scored_finder_like = finder_like & ~(dark_before & dark_after)

    # One count of set bits for all rules, weighed per word. The weights are floating point:
    # BLAS multiplies twice as fast as numpy's integer loop, and sums this small are exact.
    counted = np.concatenate([five, run_edges, scored_finder_like, blocks, rows], axis=1)
    bit_counts = _bit_counts(counted).reshape(len(counted), -1)
    points, dark_counts = (bit_counts @ _word_weights(size)).astype(np.int64).T
    return points + _balance_points(size)[dark_counts]


@cache
def _pair_bits(size: int) -> WordArray:
    """The words of a line of `size` modules with the bits of modules 0 to size - 2 set.

    Bit i stands for the pair of modules i and i + 1: the pairs inside the line.
    """
    modules = np.zeros(size, dtype=np.uint8)
    modules[:-1] = 1
    words = _pack_lines(modules)
    words.flags.writeable = False
    return words


@cache
def _word_weights(size: int) -> npt.NDArray[np.float64]:
    """What a set bit of each word `_penalty_scores_of_lines` counts is worth.

    Column 0 holds the points of N1 to N3, column 1 the dark modules N4 is reckoned from.
    """
    line_count = 2 * size
    points = [1] * line_count + [1] * line_count  # N1: windows of five, run edges
    points += [_PENALTY_FINDER_LIKE] * line_count + [_PENALTY_BLOCK] * (size - 1)
    points += [0] * size
    dark = [0] * (len(points) - size) + [1] * size
    per_line = np.array([points, dark], dtype=np.float64).T
    weights = np.repeat(per_line, _words_per_line(size), axis=0)
    weights.flags.writeable = False
    return weights


@cache
def _balance_points(size: int) -> PenaltyArray:
    """N4 of a symbol of `size` modules by its number of dark modules."""
    points = _balance_scores(np.arange(size * size + 1, dtype=np.int64), size)
    points.flags.writeable = False
    return points


def _balance_scores(dark_counts: PenaltyArray, size: int) -> PenaltyArray:
    """N4 from dark module counts: 10 points per full 5 % step of the dark share from 50 %."""
    total = size * size
    # |100 dark / total - 50| / 5 in whole steps, in integers so a share on a step's edge is not
    # left to rounding.
    steps = np.abs(100 * dark_counts - 50 * total) // (_BALANCE_STEP_PERCENT * total)
    return _PENALTY_BALANCE * steps


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
