"""QR data masks: the mask make_qr picks is the one ISO/IEC 18004:2015 §7.8.3 asks for.

Every candidate comes from zint itself with the mask fixed, and is scored here by a plain
reading of the four rules of table 11, independent of the array code in labelgen.codes.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Sequence
from fractions import Fraction
from itertools import groupby, pairwise
from math import floor

import numpy as np
import pytest
from segno import encoder as segno_encoder
from test_codes import FORMAT_BITS_LEVEL_M, VERSION_BITS, format_bits, read_qr, version_bits

from labelgen import codes

Matrix = tuple[bytes, ...]  # one row per item, one byte per module: 1 dark, 0 light

FINDER_LIKE = bytes((1, 0, 1, 1, 1, 0, 1))
LIGHT_AREA = bytes(4)
# ISO/IEC 18004:2015 table 7: byte-mode capacity at level M, versions 1-40.
BYTE_CAPACITY_M = (
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
)  # fmt: skip
# ISO/IEC 18004:2015 table 1: total codewords and remainder bits by version, which together
# fill exactly the modules outside the function patterns and format and version information.
TOTAL_CODEWORDS = (
    26, 44, 70, 100, 134, 172, 196, 242, 292, 346, 404, 466, 532, 581, 655, 733, 815, 901, 991,
    1085, 1156, 1258, 1364, 1474, 1588, 1706, 1828, 1921, 2051, 2185, 2323, 2465, 2611, 2761,
    2876, 3034, 3196, 3362, 3532, 3706,
)  # fmt: skip
REMAINDER_BITS = (0,) + (7,) * 5 + (0,) * 7 + (3,) * 7 + (4,) * 7 + (3,) * 7 + (0,) * 6


# --- the reference: ISO/IEC 18004:2015 table 11, module by module ---------------------------------


def reference_penalties(matrix: Matrix) -> tuple[int, int, int, int]:
    """N1, N2, N3 and N4 of a complete symbol, read straight from table 11.

    Modules beyond the symbol are its quiet zone, light, which the light area of N3 may use.
    """
    size = len(matrix)
    columns = [bytes(row[column] for row in matrix) for column in range(size)]
    lines = [*matrix, *columns]

    n1 = 0
    for line in lines:
        for _colour, run in groupby(line):
            length = len(list(run))
            if length >= 5:
                n1 += 3 + (length - 5)

    n2 = 0
    for upper, lower in pairwise(matrix):
        for column in range(size - 1):
            if upper[column] == upper[column + 1] == lower[column] == lower[column + 1]:
                n2 += 3

    n3 = 0
    for line in lines:
        framed = LIGHT_AREA + line + LIGHT_AREA
        for start in range(len(LIGHT_AREA), len(LIGHT_AREA) + size - len(FINDER_LIKE) + 1):
            end = start + len(FINDER_LIKE)
            if framed[start:end] != FINDER_LIKE:
                continue
            before = framed[start - len(LIGHT_AREA) : start]
            after = framed[end : end + len(LIGHT_AREA)]
            if before == LIGHT_AREA or after == LIGHT_AREA:
                n3 += 40

    dark_percent = Fraction(100 * sum(map(sum, matrix)), size * size)
    n4 = 10 * floor(abs(dark_percent - 50) / 5)
    return n1, n2, n3, n4


# --- zint as the source of candidates -------------------------------------------------------------


def zint_matrix(content: str, data_mask: int | None) -> Matrix:
    """zint's symbol for `content` as make_qr configures it, with `data_mask` or zint's choice."""
    symbol = codes._qr_symbol()
    if data_mask is not None:
        symbol.option_3 = (data_mask + 1) << 8
    symbol.encode(content.encode("utf-8"))
    size = symbol.rows
    # Row r of encoded_data holds module (r, c) in bit c & 7 of byte c >> 3.
    packed_rows = symbol.encoded_data.tolist()
    return tuple(
        bytes((packed_rows[row][column >> 3] >> (column & 7)) & 1 for column in range(size))
        for row in range(size)
    )


def as_array(matrices: Sequence[Matrix]) -> np.ndarray:
    """Matrices as the stack `(count, size, size)` of 0/1 bytes that labelgen.codes works on."""
    return np.array([[list(row) for row in matrix] for matrix in matrices], dtype=np.uint8)


# --- the contents ---------------------------------------------------------------------------------


def signed_unit_url(rng: random.Random) -> str:
    """A serialised unit's Digital Link URL with a 64-byte signature: a version-9 code."""
    serial = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    signature = base64.urlsafe_b64encode(rng.randbytes(64)).decode("ascii").rstrip("=")
    path = f"01/08936012345674/10/L261120/21/{serial}"
    return f"https://truyxuat.example.vn/{path}?s=4&8030={signature}"


def generated_contents() -> list[str]:
    """260 contents, the same every run: signed URLs, digits, texts, and every version 1-40."""
    rng = random.Random(18004)
    contents = [signed_unit_url(rng) for _ in range(160)]
    contents += ["".join(rng.choices(string.digits, k=rng.randint(1, 60))) for _ in range(20)]
    words = ["Hạt", "sen", "sấy", "giòn", "Đồng", "Tháp", "OCOP", "mật", "ong", "4 sao", "–"]
    contents += [" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(20)]
    contents += [
        "".join(rng.choices(string.ascii_letters, k=rng.randint(1, 40))) for _ in range(20)
    ]
    # Each version at least once, at its full byte capacity; lower case stays in byte mode.
    contents += [
        "".join(rng.choices(string.ascii_lowercase, k=capacity)) for capacity in BYTE_CAPACITY_M
    ]
    return contents


CONTENTS = generated_contents()


# --- the tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", CONTENTS, ids=[f"{i:03}" for i in range(len(CONTENTS))])
def test_qr_carries_the_mask_the_standard_chooses(content: str) -> None:
    symbol = codes.make_qr(content)
    candidates = [zint_matrix(content, data_mask) for data_mask in range(8)]
    reference_scores = [sum(reference_penalties(candidate)) for candidate in candidates]
    best = reference_scores.index(min(reference_scores))  # the lowest mask of equal scores

    assert codes._penalty_scores(as_array(candidates)).tolist() == reference_scores
    mask_0 = as_array(candidates[:1])[0]
    flips = codes._mask_flips(symbol.version)
    for data_mask, candidate in enumerate(candidates):
        assert ((mask_0 ^ flips[data_mask]) == as_array([candidate])[0]).all()
    assert symbol.dark == candidates[best]
    top_left, split = format_bits(symbol.dark)
    assert top_left == split
    assert FORMAT_BITS_LEVEL_M[top_left] == best
    # zint 2.15 scores its candidates by the same reading of table 11, so its own choice is
    # the same symbol: same data codewords, version information and mask.
    assert symbol.dark == zint_matrix(content, data_mask=None)
    decoded = read_qr(symbol)
    assert decoded.text == content
    assert decoded.extra["DataMask"] == best
    assert decoded.extra["ECLevel"] == "M"


def test_every_version_is_generated() -> None:
    versions = {codes.make_qr(content).version for content in CONTENTS}
    assert versions == set(range(1, 41))
    assert sum(codes.make_qr(content).version == 9 for content in CONTENTS) >= 150


@pytest.mark.parametrize("version", sorted(VERSION_BITS))
def test_version_information_is_table_d1(version: int) -> None:
    symbol = codes.make_qr("v" * BYTE_CAPACITY_M[version - 1])
    assert symbol.version == version
    assert version_bits(symbol.dark) == (VERSION_BITS[version],) * 2


@pytest.mark.parametrize("version", range(1, 41))
def test_data_modules_hold_exactly_the_codewords(version: int) -> None:
    data_modules = int((~codes._function_modules(version)).sum())
    assert data_modules == 8 * TOTAL_CODEWORDS[version - 1] + REMAINDER_BITS[version - 1]


@pytest.mark.parametrize("data_mask", range(8))
def test_format_information_is_table_c1(data_mask: int) -> None:
    expected = next(bits for bits, mask in FORMAT_BITS_LEVEL_M.items() if mask == data_mask)
    assert f"{codes._format_information(data_mask):015b}" == expected


# --- the scoring on symbols made for the purpose ---------------------------------------------------


def blank(size: int) -> list[bytearray]:
    """An all-light square of `size` modules to draw test patterns into."""
    return [bytearray(size) for _ in range(size)]


def test_overlapping_finder_like_patterns_count_each() -> None:
    # 0000 1011101 1101 0000: the first pattern has its light area before it; the second,
    # which shares the first's last 3 modules, has its light area after it. Both count.
    matrix = blank(21)
    matrix[10][4:15] = bytes((1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1))
    symbol: Matrix = tuple(bytes(row) for row in matrix)
    assert reference_penalties(symbol)[2] == 80
    assert codes._penalty_scores(as_array([symbol])).tolist() == [sum(reference_penalties(symbol))]
    # segno resumes its search 7 modules after a pattern it counted and misses the second.
    segno_scores = segno_encoder.mask_scores([bytearray(row) for row in symbol], 21, 21)
    assert segno_scores[2] == 40


@pytest.mark.parametrize("offset", [0, 1, 3, 4])
def test_a_pattern_at_the_edge_has_the_quiet_zone_for_its_light_area(offset: int) -> None:
    # Dark modules after the pattern, so only the quiet zone and the modules before it can
    # make the light area.
    matrix = blank(25)
    matrix[12][offset : offset + 11] = FINDER_LIKE + bytes((1, 1, 1, 1))
    symbol: Matrix = tuple(bytes(row) for row in matrix)
    assert reference_penalties(symbol)[2] == 40
    assert codes._penalty_scores(as_array([symbol])).tolist() == [sum(reference_penalties(symbol))]


def test_a_pattern_with_dark_modules_on_both_sides_scores_nothing() -> None:
    matrix = blank(25)
    matrix[12][2:19] = bytes((1, 0, 0, 0)) + FINDER_LIKE + bytes((0, 0, 0, 1, 0, 0))
    symbol: Matrix = tuple(bytes(row) for row in matrix)
    assert reference_penalties(symbol)[2] == 0
    assert codes._penalty_scores(as_array([symbol])).tolist() == [sum(reference_penalties(symbol))]


@pytest.mark.parametrize("size", [21, 33, 57, 61, 63, 64, 65, 97, 128, 129, 177])
def test_scores_of_random_symbols_match_the_reference(size: int) -> None:
    # Sizes around the 64-module word boundary included; finder-like patterns planted so N3
    # has work, some against the edges.
    rng = random.Random(size)
    symbols = []
    for dark_share in (0.1, 0.3, 0.5, 0.7):
        matrix = [bytearray(rng.random() < dark_share for _ in range(size)) for _ in range(size)]
        for _ in range(size // 4):
            row, start = rng.randrange(size), rng.randrange(size - 10)
            matrix[row][start : start + 11] = LIGHT_AREA + FINDER_LIKE
        matrix[0][:7] = FINDER_LIKE
        matrix[-1][-7:] = FINDER_LIKE
        symbols.append(tuple(bytes(row) for row in matrix))
    reference_scores = [sum(reference_penalties(symbol)) for symbol in symbols]
    assert codes._penalty_scores(as_array(symbols)).tolist() == reference_scores


def test_reference_agrees_with_segno_but_where_segno_departs_from_the_standard() -> None:
    # segno's rules N1, N2 and N4 read as the reference's; its N3 can only miss overlapping
    # patterns (see test_overlapping_finder_like_patterns_count_each).
    for content in CONTENTS[:20]:
        for data_mask in range(8):
            candidate = zint_matrix(content, data_mask)
            size = len(candidate)
            theirs = segno_encoder.mask_scores([bytearray(row) for row in candidate], size, size)
            ours = reference_penalties(candidate)
            assert (theirs[0], theirs[1], theirs[3]) == (ours[0], ours[1], ours[3])
            assert theirs[2] <= ours[2]


def test_bit_counts_without_bitwise_count_agree() -> None:
    words = np.random.default_rng(7).integers(0, 2**64, size=(3, 50, 2), dtype=np.uint64)
    assert (codes._bit_counts_by_bytes(words) == np.bitwise_count(words)).all()


def test_dark_run_arrays_are_found_once_and_read_only() -> None:
    symbol = codes.make_qr(CONTENTS[0])
    first = symbol.dark_run_arrays()
    assert all(array is again for array, again in zip(first, symbol.dark_run_arrays(), strict=True))
    with pytest.raises(ValueError, match="read-only"):
        first[0][0] = 5
