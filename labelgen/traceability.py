"""Traceability stage: a LabelSpec (and optional serial) → the ASCII https URL its QR code holds."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from labelgen.errors import CodeError
from labelgen.gtin import gtin_check_digit, is_valid_gtin, to_gtin14
from labelgen.spec import LabelSpec

# The service's configured base URL replaces this; it only keeps a bare library call working.
DEFAULT_BASE_URL = "https://truyxuat.example.vn"

# GS1 General Specifications figure 7.11-1, "AI encodable character set 82": what AI 10 (batch)
# and AI 21 (serial) may hold. No space, no '#', no '~', no letters beyond ASCII.
GS1_CSET_82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
GS1_QUALIFIER_MAX_CHARS = 20

AI_GTIN = "01"
AI_BATCH = "10"
AI_SERIAL = "21"
AI_EXPIRY = "17"


def trace_url(spec: LabelSpec, default_base_url: str, serial: str | None = None) -> str | None:
    """The URL the label's QR code opens, or None when there is nothing to verify.

    With a GTIN it is a GS1 Digital Link URI, `{base}/01/{GTIN-14}[/10/{batch}][/21/{serial}]`,
    plus `?17=YYMMDD` when the expiry is known. Without a GTIN but with a certification it is
    `{base}/ocop/{certificate_no}[?10={batch}][&21={serial}]`. Raises CodeError naming the field
    when the GTIN, batch, serial or base URL cannot go into such a URL.
    """
    base_url = _checked_base_url(spec.traceability.base_url or default_base_url)
    serial = serial if serial is not None else spec.traceability.serial
    qualifiers = _qualifiers(spec.product.batch, serial)
    if spec.product.gtin is not None:
        return digital_link(base_url, spec.product.gtin, qualifiers, spec.product.expiry_date)
    if spec.certification is not None:
        return certificate_link(base_url, spec.certification.certificate_no, qualifiers)
    return None


def digital_link(
    base_url: str,
    gtin: str,
    qualifiers: list[tuple[str, str]],
    expiry: dt.date | None,
) -> str:
    """A GS1 Digital Link URI: key and qualifiers in the path, the expiry as the only attribute.

    The expiry (AI 17) is the one date worth its ten characters: it is what a shopper checking a
    pack wants to see confirmed, and the verification page cannot derive it from the certificate.
    The production date (AI 11) is printed on the pack and belongs to the batch record, so it is
    left out. Length matters: at level M a version-4 QR Code holds 62 bytes, version 5 84 and
    version 6 106, and the bundled examples run 55-56 characters bare, 66 with `17`, 76 with
    `17` and `11` and 89 with both dates and a 9-character serial; each step up adds 4 modules
    a side, which the label pays for in area at the minimum module size.

    The scheme and host stay as configured, in small letters, although RFC 3986 makes them
    case-insensitive and `HTTPS://HOST` would let the QR code carry them in alphanumeric mode
    (one version smaller for some signed unit URLs). Not every phone opens such a code: some
    Android camera and scanner apps match the scheme case-sensitively and offer `HTTPS://…` as
    text or a web search instead of a link, and a code that does not open is worth less than
    4 modules a side.
    """
    if not is_valid_gtin(gtin):
        expected = gtin_check_digit(gtin[:-1]) if gtin.isdigit() and len(gtin) > 1 else None
        hint = f": expected check digit {expected}" if expected is not None else ""
        raise CodeError(f"product.gtin: {gtin!r} is not a valid GTIN{hint}")
    path = f"/{AI_GTIN}/{to_gtin14(gtin)}"
    path += "".join(f"/{ai}/{encode_ai_value(value)}" for ai, value in qualifiers)
    query = f"?{AI_EXPIRY}={format_gs1_date(expiry)}" if expiry is not None else ""
    return base_url + path + query


def certificate_link(base_url: str, certificate_no: str, qualifiers: list[tuple[str, str]]) -> str:
    """Our own verification path for a product without a GTIN, keyed by its OCOP certificate.

    The certificate number may hold '/' or Vietnamese letters, so it is percent-encoded whole
    (UTF-8) into one path segment. Batch and serial use the AI numbers as query keys so the
    verification page reads both kinds of URL the same way.
    """
    path = "/ocop/" + quote(certificate_no, safe="")
    query = "&".join(f"{ai}={encode_ai_value(value)}" for ai, value in qualifiers)
    return base_url + path + (f"?{query}" if query else "")


def encode_ai_value(value: str) -> str:
    """A CSET 82 value percent-encoded as GS1 Digital Link requires.

    Of the 82 characters only letters, digits, '-', '.' and '_' may stay literal; the rest
    (! " % & ' ( ) * + , / : ; < = > ?) are URI delimiters or unsafe and become %XX.
    """
    return quote(value, safe="")


def format_gs1_date(date: dt.date) -> str:
    """A date as GS1 writes it in AIs 11-17: YYMMDD."""
    return date.strftime("%y%m%d")


def check_qualifier(value: str, field: str) -> None:
    """Raise CodeError naming `field` unless `value` is 1-20 characters of GS1 CSET 82."""
    if not 1 <= len(value) <= GS1_QUALIFIER_MAX_CHARS:
        raise CodeError(
            f"{field}: must be 1 to {GS1_QUALIFIER_MAX_CHARS} characters "
            f"for the GS1 Digital Link QR code, not {len(value)}"
        )
    if GS1_CSET_82.issuperset(value):
        return
    refused = sorted({char for char in value if char not in GS1_CSET_82})
    shown = " ".join(repr(char) for char in refused)
    raise CodeError(
        f"{field}: {shown} cannot go into a GS1 Digital Link; use ASCII letters, digits "
        "and !\"%&'()*+,-./:;<=>?_ only (no spaces or Vietnamese letters)"
    )


def _qualifiers(batch: str | None, serial: str | None) -> list[tuple[str, str]]:
    # Checked even without a GTIN, so that adding a GTIN later cannot break a working batch code.
    qualifiers: list[tuple[str, str]] = []
    if batch is not None:
        check_qualifier(batch, "product.batch")
        qualifiers.append((AI_BATCH, batch))
    if serial is not None:
        check_qualifier(serial, "traceability.serial")
        qualifiers.append((AI_SERIAL, serial))
    return qualifiers


def _checked_base_url(base_url: str) -> str:
    base_url = base_url.rstrip("/")
    if not base_url.isascii() or not base_url.startswith("https://"):
        raise CodeError(f"traceability.base_url: {base_url!r} must be an ASCII https:// URL")
    if any(char in base_url for char in "?# "):
        raise CodeError(
            f"traceability.base_url: {base_url!r} must not hold a query, fragment or space, "
            "since the identifiers are appended to its path"
        )
    return base_url
