"""Codes stage: reference encodings from the standards and round trips through a real decoder."""

from __future__ import annotations

import string

import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from labelgen.codes import (
    EAN_MODULE_MM_MAX,
    EAN_MODULE_MM_MIN,
    Ean8Symbol,
    Ean13Symbol,
    LinearSymbol,
    QrSymbol,
    make_ean8,
    make_ean13,
    make_qr,
    make_qr_once,
    make_retail_barcode,
)
from labelgen.errors import CodeError
from labelgen.gtin import gtin_check_digit

PX_PER_MODULE = 4
BAR_HEIGHT_PX = 120
QR_QUIET_MODULES = 4

# Expected modules written out by hand from the GS1 General Specifications tables: set A (L),
# set B (G), set C (R) and the parity pattern chosen by the EAN-13 leading digit.
EAN13_5901234123457 = (
    "101"  # start guard
    "0001011"  # 9 L  (leading 5 → parity L G G L L G)
    "0100111"  # 0 G
    "0110011"  # 1 G
    "0010011"  # 2 L
    "0111101"  # 3 L
    "0011101"  # 4 G
    "01010"  # centre guard
    "1100110"  # 1 R
    "1101100"  # 2 R
    "1000010"  # 3 R
    "1011100"  # 4 R
    "1001110"  # 5 R
    "1000100"  # 7 R
    "101"  # end guard
)
# UPC-A 036000291452 is the EAN-13 0036000291452: leading 0 → all six left digits in set A.
EAN13_0036000291452 = (
    "101"
    "0001101"  # 0 L
    "0111101"  # 3 L
    "0101111"  # 6 L
    "0001101"  # 0 L
    "0001101"  # 0 L
    "0001101"  # 0 L
    "01010"
    "1101100"  # 2 R
    "1110100"  # 9 R
    "1100110"  # 1 R
    "1011100"  # 4 R
    "1001110"  # 5 R
    "1101100"  # 2 R
    "101"
)
EAN8_96385074 = (
    "101"
    "0001011"  # 9 L
    "0101111"  # 6 L
    "0111101"  # 3 L
    "0110111"  # 8 L
    "01010"
    "1001110"  # 5 R
    "1110010"  # 0 R
    "1000100"  # 7 R
    "1011100"  # 4 R
    "101"
)
EAN13_GUARDS = frozenset([0, 1, 2, 45, 46, 47, 48, 49, 92, 93, 94])
EAN8_GUARDS = frozenset([0, 1, 2, 31, 32, 33, 34, 35, 64, 65, 66])

# The same digits from the full-width block: str.isdigit() accepts them, a GTIN may not.
FULLWIDTH_GTIN = "".join(chr(ord(digit) + 0xFEE0) for digit in "5901234123457")

LONG_DIGITAL_LINK = (
    "https://truyxuat.example.vn/01/08936012345674/10/L261120%2FA-07/21/SN-0000012345678?17=271120"
)
# A signed serialised unit's URL with the scheme and host in capitals: 170 characters.
UPPER_HOST_SIGNED_URL = (
    "HTTPS://OCOP.EXAMPLE.VN/01/08935049501234/10/L261120/21/0123456789ABCDEF?s=4&8030=AB"
    "1ICzWfQ7uMC3-qvG05be5peiZYhulWpB5w7RzGxTgWAKtWI7DWfBK72pa-PlfB8nASu19OYZuBsj5n3nHMP7ySAg"
)

# ISO/IEC 18004 table C.1: the 15 format information bits (after the 101010000010010 mask) of
# error level M, by data mask pattern. Levels L, Q and H start 11, 01 and 00.
FORMAT_BITS_LEVEL_M = {
    "101010000010010": 0,
    "101000100100101": 1,
    "101111001111100": 2,
    "101101101001011": 3,
    "100010111111001": 4,
    "100000011001110": 5,
    "100111110010111": 6,
    "100101010100000": 7,
}
# ISO/IEC 18004 table D.1: the 18 version information bits of versions 7 and up.
VERSION_BITS = {
    7: 0x07C94,
    8: 0x085BC,
    9: 0x09A99,
    10: 0x0A4D3,
    11: 0x0BBF6,
    12: 0x0C762,
    13: 0x0D847,
    14: 0x0E60D,
    15: 0x0F928,
}
URL_HOST_CHARS = string.ascii_lowercase + string.digits + "-."
# RFC 3986 unreserved and the delimiters a Digital Link path and query use.
URL_PATH_CHARS = string.ascii_letters + string.digits + "-._~/?=&%"
MAX_GENERATED_CHARS = 300


# --- rasterising for the decoder ------------------------------------------------------------------


def rasterise_linear(symbol: LinearSymbol) -> Image.Image:
    """A plain black-on-white bitmap of the bars with the symbol's quiet zones on each side."""
    width_modules = symbol.quiet_left_modules + symbol.width_modules + symbol.quiet_right_modules
    margin_px = 10
    image = Image.new("L", (width_modules * PX_PER_MODULE, BAR_HEIGHT_PX + 2 * margin_px), 255)
    for start, width, _is_guard in symbol.bar_runs():
        left_px = (symbol.quiet_left_modules + start) * PX_PER_MODULE
        image.paste(
            0, (left_px, margin_px, left_px + width * PX_PER_MODULE, margin_px + BAR_HEIGHT_PX)
        )
    return image


def rasterise_qr(symbol: QrSymbol) -> Image.Image:
    """A plain bitmap of the QR modules drawn from its dark runs, inside a 4-module quiet zone."""
    side_px = (symbol.size_modules + 2 * QR_QUIET_MODULES) * PX_PER_MODULE
    image = Image.new("L", (side_px, side_px), 255)
    for row, start_col, length in symbol.dark_runs():
        left_px = (QR_QUIET_MODULES + start_col) * PX_PER_MODULE
        top_px = (QR_QUIET_MODULES + row) * PX_PER_MODULE
        box = (left_px, top_px, left_px + length * PX_PER_MODULE, top_px + PX_PER_MODULE)
        image.paste(0, box)
    return image


def decode(image: Image.Image) -> list[tuple[str, zxingcpp.BarcodeFormat]]:
    return [(result.text, result.format) for result in zxingcpp.read_barcodes(image)]


def read_qr(symbol: QrSymbol) -> zxingcpp.Barcode:
    """The one QR Code the decoder finds in the rasterised symbol (other symbologies ignored: a
    linear reader may see a few digits in the modules' stripes)."""
    results = zxingcpp.read_barcodes(rasterise_qr(symbol), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return results[0]


def format_bits(dark: tuple[bytes, ...]) -> tuple[str, str]:
    """Both copies of the format information, most significant bit first (ISO/IEC 18004 7.9):
    around the top-left finder, and split between the bottom-left and top-right finders."""
    size = len(dark)
    top_left = [(8, col) for col in range(6)] + [(8, 7), (8, 8), (7, 8)]
    top_left += [(row, 8) for row in range(5, -1, -1)]
    split = [(row, 8) for row in range(size - 1, size - 8, -1)]
    split += [(8, col) for col in range(size - 8, size)]
    return (
        "".join("1" if dark[row][col] else "0" for row, col in top_left),
        "".join("1" if dark[row][col] else "0" for row, col in split),
    )


def version_bits(dark: tuple[bytes, ...]) -> tuple[int, int]:
    """Both copies of the version information (ISO/IEC 18004 7.10), most significant bit first:
    the 6 x 3 block left of the top-right finder and its transpose above the bottom-left one."""
    size = len(dark)
    top_right = bottom_left = 0
    for outer in range(5, -1, -1):
        for inner in range(size - 9, size - 12, -1):
            top_right = top_right << 1 | dark[outer][inner]
            bottom_left = bottom_left << 1 | dark[inner][outer]
    return top_right, bottom_left


def url(scheme_and_host_upper: bool) -> st.SearchStrategy[str]:
    """https URLs of up to 300 characters, the scheme and host in capitals or in small letters."""

    def build(host: str, path: str) -> str:
        origin = f"https://{host}.vn"
        if scheme_and_host_upper:
            origin = origin.upper()
        return f"{origin}/{path}"[:MAX_GENERATED_CHARS]

    return st.builds(
        build,
        st.text(URL_HOST_CHARS, min_size=1, max_size=40),
        st.text(URL_PATH_CHARS, max_size=MAX_GENERATED_CHARS),
    )


def segno_version(content: str) -> int:
    """The version segno, the encoder make_qr replaced, chooses for `content` at level M."""
    reference = segno.make(content, error="M", boost_error=False, micro=False)
    return int(reference.version)


# --- EAN-13 / UPC-A / EAN-8 reference encodings ---------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "gtin", "digits", "modules"),
    [
        (make_ean13, "5901234123457", "5901234123457", EAN13_5901234123457),
        (make_ean13, "036000291452", "0036000291452", EAN13_0036000291452),
        (make_ean8, "96385074", "96385074", EAN8_96385074),
    ],
)
def test_modules_match_the_published_encoding(maker, gtin, digits, modules) -> None:
    symbol = maker(gtin)
    assert symbol.digits == digits
    assert symbol.modules == modules


@pytest.mark.parametrize(
    ("symbol", "width", "guards"),
    [
        (make_ean13("5901234123457"), 95, EAN13_GUARDS),
        (make_ean8("96385074"), 67, EAN8_GUARDS),
    ],
)
def test_guard_modules_are_marked(symbol: LinearSymbol, width: int, guards: frozenset) -> None:
    assert symbol.width_modules == width
    assert symbol.guard_module_indices == guards


@pytest.mark.parametrize(
    ("symbol", "bar_count", "guard_bar_count"),
    [
        (make_ean13("5901234123457"), 30, 6),  # two bars per digit, two per guard
        (make_ean8("96385074"), 22, 6),
    ],
)
def test_bar_runs_cover_every_dark_module(
    symbol: LinearSymbol, bar_count: int, guard_bar_count: int
) -> None:
    runs = symbol.bar_runs()
    assert len(runs) == bar_count
    assert sum(1 for _start, _width, is_guard in runs if is_guard) == guard_bar_count
    redrawn = ["0"] * symbol.width_modules
    for start, width, _is_guard in runs:
        assert 1 <= width <= 4  # no EAN element is wider than 4 modules
        redrawn[start : start + width] = ["1"] * width
    assert "".join(redrawn) == symbol.modules


@pytest.mark.parametrize(
    ("symbol", "groups"),
    [
        (make_ean13("5901234123457"), ((-11, 0, "5"), (3, 45, "901234"), (50, 92, "123457"))),
        (make_ean8("96385074"), ((3, 31, "9638"), (36, 64, "5074"))),
    ],
)
def test_digit_groups_sit_between_the_guards(symbol: LinearSymbol, groups: tuple) -> None:
    assert symbol.digit_groups == groups


@pytest.mark.parametrize(
    ("symbol_type", "quiet_left", "quiet_right"),
    [(Ean13Symbol, 11, 7), (Ean8Symbol, 7, 7)],
)
def test_quiet_zones_follow_gs1(symbol_type: type, quiet_left: int, quiet_right: int) -> None:
    assert (symbol_type.quiet_left_modules, symbol_type.quiet_right_modules) == (
        quiet_left,
        quiet_right,
    )


def test_module_range_is_80_to_200_percent_of_nominal() -> None:
    assert (EAN_MODULE_MM_MIN, EAN_MODULE_MM_MAX) == (0.264, 0.660)


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "gtin", "expected_digit"),
    [
        (make_ean13, "5901234123458", "7"),
        (make_ean13, "8936012345670", "4"),
        (make_ean13, "036000291453", "2"),
        (make_ean8, "96385070", "4"),
        (make_retail_barcode, "8936055501236", "5"),
        (make_retail_barcode, "96385075", "4"),
        (make_retail_barcode, "18936012345670", "1"),
    ],
)
def test_wrong_check_digit_is_refused_with_the_expected_one(maker, gtin, expected_digit) -> None:
    with pytest.raises(CodeError, match=rf"expected {expected_digit} "):
        maker(gtin)


@pytest.mark.parametrize(
    ("maker", "gtin"),
    [
        (make_ean13, "96385074"),  # an EAN-8 number
        (make_ean13, "08936012345674"),  # GTIN-14
        (make_ean13, "590123412345A"),
        (make_ean13, FULLWIDTH_GTIN),
        (make_ean13, ""),
        (make_ean8, "5901234123457"),
        (make_retail_barcode, "123456789"),
    ],
)
def test_malformed_gtin_is_refused(maker, gtin: str) -> None:
    with pytest.raises(CodeError, match="must be"):
        maker(gtin)


# --- choosing the retail symbol -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gtin", "symbol_type", "digits"),
    [
        ("8936012345674", Ean13Symbol, "8936012345674"),
        ("036000291452", Ean13Symbol, "0036000291452"),
        ("96385074", Ean8Symbol, "96385074"),
    ],
)
def test_retail_barcode_picks_the_symbology(gtin: str, symbol_type: type, digits: str) -> None:
    symbol = make_retail_barcode(gtin)
    assert type(symbol) is symbol_type
    assert symbol is not None and symbol.digits == digits


def test_gtin14_has_no_retail_barcode() -> None:
    assert make_retail_barcode("18936012345671") is None


# --- round trips through zxing-cpp ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("gtin", "text", "barcode_format"),
    [
        ("5901234123457", "5901234123457", zxingcpp.BarcodeFormat.EAN13),
        ("8936012345674", "8936012345674", zxingcpp.BarcodeFormat.EAN13),
        ("8936055501235", "8936055501235", zxingcpp.BarcodeFormat.EAN13),
        ("036000291452", "0036000291452", zxingcpp.BarcodeFormat.EAN13),
        ("96385074", "96385074", zxingcpp.BarcodeFormat.EAN8),
        ("55123457", "55123457", zxingcpp.BarcodeFormat.EAN8),
    ],
)
def test_linear_symbol_decodes_to_its_gtin(gtin: str, text: str, barcode_format) -> None:
    symbol = make_retail_barcode(gtin)
    assert symbol is not None
    assert decode(rasterise_linear(symbol)) == [(text, barcode_format)]


@settings(max_examples=30, deadline=None)
@given(data_digits=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_valid_gtin13_round_trips(data_digits: str) -> None:
    gtin = data_digits + str(gtin_check_digit(data_digits))
    assert decode(rasterise_linear(make_ean13(gtin))) == [(gtin, zxingcpp.BarcodeFormat.EAN13)]


@pytest.mark.parametrize(
    "content",
    [
        "https://truyxuat.example.vn/01/08936012345674/10/L261120?17=271120",
        LONG_DIGITAL_LINK,
        "https://truyxuat.example.vn/ocop/OCOP-DT-2024-0178?10=L261120&21=A1",
        "8936012345674",
        "HTTPS://TRUYXUAT.EXAMPLE.VN/01/08936012345674",
        "x",
    ],
)
def test_qr_decodes_to_its_content(content: str) -> None:
    assert decode(rasterise_qr(make_qr(content))) == [(content, zxingcpp.BarcodeFormat.QRCode)]


@settings(max_examples=300, deadline=None)
@given(
    content=st.one_of(
        url(scheme_and_host_upper=False),
        url(scheme_and_host_upper=True),
        st.text(string.digits, min_size=1, max_size=MAX_GENERATED_CHARS),
    )
)
def test_generated_content_is_a_level_m_qr_no_larger_than_segnos(content: str) -> None:
    symbol = make_qr(content)
    decoded = read_qr(symbol)
    assert decoded.text == content
    assert decoded.bytes == content.encode("ascii")
    assert decoded.symbology_identifier == "]Q1"  # model 2 without ECI: plain bytes
    assert decoded.extra["Version"] == str(symbol.version)
    assert decoded.extra["ECLevel"] == "M"
    assert symbol.error_level == "M"
    assert symbol.size_modules == 17 + 4 * symbol.version
    assert symbol.version <= segno_version(content)
    top_left, split = format_bits(symbol.dark)
    assert top_left == split
    assert top_left in FORMAT_BITS_LEVEL_M
    assert FORMAT_BITS_LEVEL_M[top_left] == decoded.extra["DataMask"]
    if symbol.version >= 7:
        assert version_bits(symbol.dark) == (VERSION_BITS[symbol.version],) * 2


def test_mixed_segments_make_an_upper_case_host_url_a_version_smaller() -> None:
    # Alphanumeric mode for the host, numeric for the GTIN, bytes for the signature: one
    # version below segno's, which writes the whole URL in byte mode.
    symbol = make_qr(UPPER_HOST_SIGNED_URL)
    assert read_qr(symbol).text == UPPER_HOST_SIGNED_URL
    assert symbol.version == segno_version(UPPER_HOST_SIGNED_URL) - 1


def test_vietnamese_text_goes_in_as_utf8_without_eci() -> None:
    content = "Hạt sen sấy giòn – Đồng Tháp"
    decoded = read_qr(make_qr(content))
    assert decoded.text == content
    assert decoded.bytes == content.encode("utf-8")
    assert decoded.symbology_identifier == "]Q1"


# --- QR version and error level -------------------------------------------------------------------


# Capacities at level M from ISO/IEC 18004 table 7: byte mode 14/26/42/62/84 for versions 1-5
# and 2331 for version 40; numeric 34 and alphanumeric 20 for version 1.
@pytest.mark.parametrize(
    ("content", "version"),
    [
        ("a" * 14, 1),
        ("a" * 15, 2),
        ("a" * 26, 2),
        ("a" * 27, 3),
        ("a" * 42, 3),
        ("a" * 43, 4),
        ("a" * 62, 4),
        ("a" * 63, 5),
        ("a" * 84, 5),
        ("a" * 85, 6),
        ("a" * 2331, 40),
        ("1" * 34, 1),
        ("1" * 35, 2),
        ("A" * 20, 1),
        ("A" * 21, 2),
    ],
)
def test_qr_is_level_m_in_the_smallest_version(content: str, version: int) -> None:
    symbol = make_qr(content)
    assert symbol.error_level == "M"
    assert symbol.version == version
    assert symbol.size_modules == 17 + 4 * version
    assert len(symbol.dark) == symbol.size_modules
    assert all(len(row) == symbol.size_modules for row in symbol.dark)


def test_short_content_is_never_a_micro_qr() -> None:
    symbol = make_qr("1")
    assert (symbol.version, symbol.size_modules) == (1, 21)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("a" * 2332, "too long"),
        ("ạ" * 800, "too long"),  # 3 bytes each in UTF-8: 2400 bytes
        ("1" * 5597, "too long"),  # numeric mode holds 5596 digits at version 40-M
        ("\ud800", "not valid Unicode"),  # a lone surrogate has no UTF-8 form
    ],
)
def test_unencodable_qr_content_is_refused(content: str, message: str) -> None:
    with pytest.raises(CodeError, match=message):
        make_qr(content)


def test_dark_runs_merge_adjacent_modules() -> None:
    symbol = QrSymbol(
        content="",
        version=0,
        error_level="M",
        size_modules=5,
        dark=(
            bytes((1, 1, 0, 1, 1)),
            bytes((0, 0, 0, 0, 0)),
            bytes((1, 1, 1, 1, 1)),
            bytes((0, 1, 0, 1, 0)),
        ),
    )
    assert symbol.dark_runs() == ((0, 0, 2), (0, 3, 2), (2, 0, 5), (3, 1, 1), (3, 3, 1))


def test_dark_runs_redraw_the_matrix() -> None:
    symbol = make_qr(LONG_DIGITAL_LINK)
    redrawn = [[False] * symbol.size_modules for _ in range(symbol.size_modules)]
    for row, start_col, length in symbol.dark_runs():
        assert not any(redrawn[row][start_col : start_col + length])
        redrawn[row][start_col : start_col + length] = [True] * length
    assert tuple(bytes(row) for row in redrawn) == symbol.dark


def test_a_code_made_once_is_the_cached_code_and_leaves_the_cache_alone() -> None:
    make_qr.cache_clear()
    symbol = make_qr_once(LONG_DIGITAL_LINK)
    assert make_qr.cache_info().currsize == 0
    assert symbol == make_qr(LONG_DIGITAL_LINK)
