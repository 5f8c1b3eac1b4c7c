"""Offline verification: a QR URL + published public keys → valid / invalid-signature / unsigned / unknown key.

A signed unit's URL (`signed_unit_url`, `signed_trace_url`) is the GS1 Digital Link of
labelgen.traceability with two query parameters:

    {base}/01/{GTIN-14}/10/{batch}/21/{serial}?s={stars}&8030={kid}{signature}

`s` is the star count the label shows (not a GS1 AI: Digital Link passes such parameters
through); `8030` is GS1's digital-signature AI (see labelgen.registry.signing for what it
covers).

Every claim a URL makes is signed, and a claim it does not make is signed as empty, so adding one
afterwards breaks the signature just as editing one does. Two claims are possible but left out
of the codes the registry signs, to keep the QR small (a 174-character URL, QR version 9 at
level M, where the earlier form with both took 207 characters and version 10):
`17={YYMMDD}` (the expiry: the registry holds the batch's dates and the page shows them) and
`c={certificate_no}` (percent-encoded; the registry knows the product's certificate). GS1
allows AI 8030 only beside an instance key, here GTIN + serial, so codes without a GTIN or
serial are never signed.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from labelgen.errors import CodeError, DigitalLinkError
from labelgen.gtin import is_valid_gtin, to_gtin14
from labelgen.registry.digital_link import (
    DigitalLink,
    check_ai_value,
    entry_for,
    parse_digital_link,
)
from labelgen.registry.signing import (
    KID_CHARS,
    PublicKeyEntry,
    SignatureStatus,
    Signer,
    UnitClaims,
    verify_claims,
)
from labelgen.spec import LabelSpec
from labelgen.traceability import (
    AI_BATCH,
    AI_EXPIRY,
    AI_GTIN,
    AI_SERIAL,
    check_qualifier,
    digital_link,
    format_gs1_date,
)

AI_SIGNATURE = "8030"
STARS_PARAMETER = "s"
CERTIFICATE_PARAMETER = "c"
AI_CPV = "22"
AI_TPX = "235"
STAR_COUNTS = frozenset({"1", "2", "3", "4", "5"})
MAX_URL_CHARS = 2048
CERTIFICATE_NO_MAX_CHARS = 100  # the registry's column


@dataclass(frozen=True)
class UnitCode:
    """What a scanned traceability URL says, before anything is checked against a registry."""

    gtin14: str | None
    certificate_path: str | None
    batch: str | None
    serial: str | None
    expiry_yymmdd: str | None
    stars: int | None
    certificate_no: str | None
    signature: str | None
    # `s` as scanned when it is not a star count 1-5 (`s=9`, `s=four`): a claim no signature
    # covers, so a signed code carrying it fails its signature check (see `claims`).
    unreadable_stars: str | None = None
    cpv: str | None = None  # AI 22, the consumer product variant
    tpx: str | None = None  # AI 235, the GTIN's other qualifier (third-party controlled)
    # Every (AI, value) the URL gives in its query, AI 17 and AI 8030 included.
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """A short text naming the unit, as recorded with a scan: `01/…/10/…/21/…`."""
        parts = [f"01/{self.gtin14}"] if self.gtin14 else [f"ocop/{self.certificate_path}"]
        if self.tpx is not None:
            parts.append(f"235/{self.tpx}")
        if self.batch is not None:
            parts.append(f"10/{self.batch}")
        if self.serial is not None:
            parts.append(f"21/{self.serial}")
        return "/".join(parts)

    def claims(self) -> UnitClaims | None:
        """The signed claims of a code that can carry a signature (GTIN and serial), else None."""
        if self.gtin14 is None or self.serial is None:
            return None
        if self.unreadable_stars is not None:
            return _ClaimsAsScanned(
                self.gtin14,
                self.batch or "",
                self.serial,
                self.expiry_yymmdd,
                None,
                self.certificate_no,
                self.unreadable_stars,
            )
        return UnitClaims(
            self.gtin14,
            self.batch or "",
            self.serial,
            self.expiry_yymmdd,
            self.stars,
            self.certificate_no,
        )


@dataclass(frozen=True)
class _ClaimsAsScanned(UnitClaims):
    """Claims whose star count is not a number 1-5: signed as scanned, behind a '?' that no
    star count the registry signs begins with, so no issued signature can match them."""

    stars_as_scanned: str = ""

    def message(self) -> bytes:
        fields = super().message().decode("utf-8").split("|")
        fields[5] = "?" + self.stars_as_scanned
        return "|".join(fields).encode("utf-8")


@dataclass(frozen=True)
class OfflineResult:
    """The verdict of `verify_offline` with what the code claims, for a person to compare."""

    status: SignatureStatus
    code: UnitCode
    kid: str | None
    detail: str


def scanned_code(url: str) -> UnitCode | None:
    """The code a scanned URL holds; None when it holds none (still answered, as `unknown`)."""
    try:
        return parse_unit_url(url)
    except CodeError:
        return None


def parse_unit_url(url: str) -> UnitCode:
    """The identifiers, claims and signature in a QR URL.

    Accepts a GS1 Digital Link of a GTIN (`…/01/{GTIN-14}[/22/…][/10/{batch}][/21/{serial}]`
    or `…/01/{GTIN-14}/235/{TPX}`, under any path prefix), parsed strictly by
    labelgen.registry.digital_link, and labelgen's own `…/ocop/{certificate_no}?10=…&21=…` for
    products without a GTIN. One trailing '/' is tolerated, as GS1 asks of resolvers.
    DigitalLinkError (a CodeError) names the AI and the reason when the syntax is wrong;
    a plain CodeError says the URL is valid but not a code of ours (another GS1 key).
    """
    if len(url) > MAX_URL_CHARS:
        raise DigitalLinkError(f"longer than {MAX_URL_CHARS} characters")
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as error:  # an unbalanced '[' in the host, for one
        raise DigitalLinkError(f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise DigitalLinkError("must be an https:// URL")
    if parts.path.endswith("/") and parts.path != "/":
        parts = parts._replace(path=parts.path[:-1])
    segments = parts.path.split("/")
    if "ocop" in segments and AI_GTIN not in segments:
        return _certificate_code(parts.path, parts.query)
    return _gtin_code(parse_digital_link(parts.geturl()))


def _gtin_code(link: DigitalLink) -> UnitCode:
    key, gtin14 = link.primary_key
    if key != AI_GTIN:
        raise CodeError(f"url: a Digital Link of AI {key}; this service verifies GTINs (AI 01)")
    stars, unreadable_stars = _stars_parameter(link.parameter_values(STARS_PARAMETER))
    return UnitCode(
        gtin14,
        None,
        link.value(AI_BATCH),
        link.value(AI_SERIAL),
        link.value(AI_EXPIRY),
        stars,
        _certificate_parameter(link.parameter_values(CERTIFICATE_PARAMETER)),
        link.value(AI_SIGNATURE),
        unreadable_stars,
        link.value(AI_CPV),
        link.value(AI_TPX),
        link.attributes,
    )


def _certificate_code(path: str, query: str) -> UnitCode:
    """labelgen's own `/ocop/{certificate_no}` code: the query holds AIs 10, 21 and 17 and the
    claims `s` and `c`, each at most once; it never holds a signature (AI 8030 needs a GTIN)."""
    segments = path.split("/")
    position = segments.index("ocop")
    if position + 2 != len(segments) or not segments[position + 1]:
        raise DigitalLinkError("/ocop/ must be followed by a certificate number, and only that")
    certificate_path = unquote(segments[position + 1])
    if not is_plausible_certificate_no(certificate_path):
        raise DigitalLinkError("not a certificate number after /ocop/")
    values: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, []).append(value)
    ais: dict[str, str] = {}
    for name, given in values.items():
        if not name.isdigit():
            continue
        if name == AI_SIGNATURE:
            raise DigitalLinkError("a signature needs a GTIN and a serial (01+21)", name)
        if name not in (AI_BATCH, AI_SERIAL, AI_EXPIRY):
            raise DigitalLinkError("is not read on an /ocop/ code (only 10, 21 and 17)", name)
        if len(given) > 1:
            raise DigitalLinkError("is given more than once", name)
        check_ai_value(entry_for(name), given[0])
        ais[name] = given[0]
    stars, unreadable_stars = _stars_parameter(values.get(STARS_PARAMETER, []))
    return UnitCode(
        None,
        certificate_path,
        ais.get(AI_BATCH),
        ais.get(AI_SERIAL),
        ais.get(AI_EXPIRY),
        stars,
        _certificate_parameter(values.get(CERTIFICATE_PARAMETER, [])),
        None,
        unreadable_stars,
        attributes=tuple((ai, value) for ai, value in ais.items() if ai == AI_EXPIRY),
    )


def _stars_parameter(values: list[str | None] | list[str]) -> tuple[int | None, str | None]:
    """The star count `s` claims, or the text it holds when that is not 1-5 (see UnitCode)."""
    if not values:
        return None, None
    if len(values) > 1:
        raise DigitalLinkError(f"{STARS_PARAMETER} (the star count) is given more than once")
    value = values[0]
    if value in STAR_COUNTS:
        return int(value), None
    return None, value or ""


def _certificate_parameter(values: list[str | None] | list[str]) -> str | None:
    if not values:
        return None
    if len(values) > 1 or values[0] is None:
        raise DigitalLinkError(f"{CERTIFICATE_PARAMETER} must be given once, with a value")
    return _certificate_claim(values[0])


def verify_offline(url: str, keys: dict[str, PublicKeyEntry]) -> OfflineResult:
    """Check a code's signature with published keys alone; CodeError when the URL is not a code."""
    code = parse_unit_url(url)
    claims = code.claims()
    kid = code.signature[:KID_CHARS] if code.signature else None
    if claims is None:
        detail = "no GTIN and serial, so nothing that can be signed"
        return OfflineResult("unsigned", code, None, detail)
    status = verify_claims(claims, code.signature, keys)
    return OfflineResult(status, code, kid, _describe(status, kid, keys))


def unit_claims(
    gtin: str,
    batch: str,
    serial: str,
    expiry: dt.date | None,
    stars: int | None,
    certificate_no: str | None,
) -> UnitClaims:
    """The claims of one unit, with the GTIN as GTIN-14; CodeError naming a value that cannot be coded."""
    if not is_valid_gtin(gtin):
        raise CodeError(f"product.gtin: {gtin!r} is not a valid GTIN")
    check_qualifier(batch, "product.batch")
    check_qualifier(serial, "traceability.serial")
    return UnitClaims(
        to_gtin14(gtin),
        batch,
        serial,
        format_gs1_date(expiry) if expiry is not None else None,
        stars,
        unicodedata.normalize("NFC", certificate_no) if certificate_no else None,
    )


def signed_unit_url(base_url: str, claims: UnitClaims, signer: Signer) -> str:
    """The QR URL of one signed unit (format in the module docstring)."""
    expiry = _gs1_date(claims.expiry_yymmdd) if claims.expiry_yymmdd else None
    url = digital_link(
        base_url.rstrip("/"),
        claims.gtin14,
        [(AI_BATCH, claims.batch), (AI_SERIAL, claims.serial)],
        expiry,
    )
    parameters = []
    if claims.stars is not None:
        parameters.append(f"{STARS_PARAMETER}={claims.stars}")
    if claims.certificate_no:
        parameters.append(f"{CERTIFICATE_PARAMETER}={quote(claims.certificate_no, safe='')}")
    parameters.append(f"{AI_SIGNATURE}={signer.sign(claims)}")
    return url + ("&" if "?" in url else "?") + "&".join(parameters)


def signed_trace_url(spec: LabelSpec, base_url: str, serial: str, signer: Signer) -> str:
    """The signed QR URL of one unit of `spec` (wraps labelgen.traceability, which stays unsigned).

    The code claims the spec's star count; its expiry and certificate number stay in the
    registry (see the module docstring). Needs the spec's GTIN and batch; the spec's own
    `traceability.base_url` wins over `base_url`, as in `trace_url`. CodeError names the missing
    or unusable field.
    """
    product = spec.product
    if product.gtin is None:
        raise CodeError(
            "product.gtin: a signed code needs a GTIN (GS1 AI 8030 needs GTIN + serial)"
        )
    if product.batch is None:
        raise CodeError("product.batch: a serialised unit needs its batch")
    certification = spec.certification
    claims = unit_claims(
        product.gtin,
        product.batch,
        serial,
        None,  # the registry's batch holds the expiry; the short code leaves it out
        certification.stars if certification else None,
        None,
    )
    return signed_unit_url(spec.traceability.base_url or base_url, claims, signer)


def _gs1_date(yymmdd: str) -> dt.date:
    return dt.datetime.strptime(yymmdd, "%y%m%d").date()


def _certificate_claim(value: str | None) -> str | None:
    if value is None:
        return None
    if not is_plausible_certificate_no(value):
        raise DigitalLinkError(f"{CERTIFICATE_PARAMETER} is not a certificate number")
    return unicodedata.normalize("NFC", value)


def is_plausible_certificate_no(text: str) -> bool:
    """True when `text` could be a registered certificate number: 1-100 characters, not blank,
    no control character."""
    return (
        0 < len(text) <= CERTIFICATE_NO_MAX_CHARS
        and bool(text.strip())
        and not any(unicodedata.category(char) == "Cc" for char in text)
    )


def is_codable(value: str) -> bool:
    """True when `value` can be a batch or serial in a Digital Link (1-20 characters of CSET 82)."""
    try:
        check_qualifier(value, "value")
    except CodeError:
        return False
    return True


def _describe(status: SignatureStatus, kid: str | None, keys: dict[str, PublicKeyEntry]) -> str:
    if status == "valid":
        return f"signed by key {kid}"
    if status == "unsigned":
        return "the code carries no signature (AI 8030)"
    if status == "unknown-key":
        entry = keys.get(kid or "")
        if entry is not None and entry.retired_at is not None:
            return f"key {kid} was retired on {entry.retired_at:%Y-%m-%d}"
        if entry is not None:
            return f"key {kid} is retired"
        return f"key {kid!r} is not among the published keys"
    return "the signature does not match the code: it was altered or forged"
