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
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from labelgen.errors import CodeError
from labelgen.gtin import is_valid_gtin, to_gtin14
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
MAX_URL_CHARS = 2048
CERTIFICATE_NO_MAX_CHARS = 100  # the registry's column
_YYMMDD = re.compile(r"^\d{6}$")


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

    @property
    def key(self) -> str:
        """A short text naming the unit, as recorded with a scan: `01/…/10/…/21/…`."""
        parts = [f"01/{self.gtin14}"] if self.gtin14 else [f"ocop/{self.certificate_path}"]
        if self.batch is not None:
            parts.append(f"10/{self.batch}")
        if self.serial is not None:
            parts.append(f"21/{self.serial}")
        return "/".join(parts)

    def claims(self) -> UnitClaims | None:
        """The signed claims of a code that can carry a signature (GTIN and serial), else None."""
        if self.gtin14 is None or self.serial is None:
            return None
        return UnitClaims(
            self.gtin14,
            self.batch or "",
            self.serial,
            self.expiry_yymmdd,
            self.stars,
            self.certificate_no,
        )


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
    """The identifiers, claims and signature in a QR URL; CodeError when it is not one of ours.

    Accepts a GS1 Digital Link (`…/01/{GTIN}[/22/…][/10/{batch}][/21/{serial}]`, under any path
    prefix) and labelgen's own `…/ocop/{certificate_no}?10=…&21=…` for products without a GTIN.
    """
    if len(url) > MAX_URL_CHARS:
        raise CodeError(f"url: longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise CodeError("url: must be an https:// URL")
    segments = parts.path.rstrip("/").split("/")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    stars = _stars_claim(query.get(STARS_PARAMETER))
    certificate_no = _certificate_claim(query.get(CERTIFICATE_PARAMETER))
    expiry = query.get(AI_EXPIRY)
    if expiry is not None and not _YYMMDD.match(expiry):
        raise CodeError(f"url: AI 17 (expiry) must be YYMMDD, not {expiry!r}")
    signature = query.get(AI_SIGNATURE) or None
    if AI_GTIN in segments:
        gtin14, qualifiers = _digital_link_path(segments)
        batch, serial, certificate_path = qualifiers.get(AI_BATCH), qualifiers.get(AI_SERIAL), None
    elif "ocop" in segments:
        position = segments.index("ocop")
        if position + 1 >= len(segments) or not segments[position + 1]:
            raise CodeError("url: /ocop/ must be followed by a certificate number")
        gtin14, certificate_path = None, unquote(segments[position + 1])
        if not is_plausible_certificate_no(certificate_path):
            raise CodeError("url: not a certificate number after /ocop/")
        batch, serial = query.get(AI_BATCH), query.get(AI_SERIAL)
    else:
        raise CodeError("url: neither a GS1 Digital Link (/01/GTIN) nor a labelgen /ocop/ link")
    for value, field in ((batch, "url: batch (AI 10)"), (serial, "url: serial (AI 21)")):
        if value is not None:
            check_qualifier(value, field)
    return UnitCode(
        gtin14, certificate_path, batch, serial, expiry, stars, certificate_no, signature
    )


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


def _digital_link_path(segments: list[str]) -> tuple[str, dict[str, str]]:
    position = segments.index(AI_GTIN)
    pairs = segments[position + 1 :]
    if not pairs or not is_valid_gtin(pairs[0]):
        raise CodeError("url: AI 01 must be followed by a valid GTIN")
    gtin14 = to_gtin14(pairs[0])
    qualifiers: dict[str, str] = {}
    rest = pairs[1:]
    if len(rest) % 2:
        raise CodeError("url: each AI in the path must be followed by its value")
    allowed = [AI_CPV, AI_BATCH, AI_SERIAL]
    for ai, value in zip(rest[::2], rest[1::2], strict=True):
        if ai not in allowed:
            raise CodeError(f"url: AI {ai} is not a GTIN qualifier in GS1 order (22, 10, 21)")
        # Each qualifier may follow only those before it in GS1's order.
        allowed = allowed[allowed.index(ai) + 1 :]
        qualifiers[ai] = unquote(value)
    return gtin14, qualifiers


def _stars_claim(value: str | None) -> int | None:
    if value is None:
        return None
    if value not in {"1", "2", "3", "4", "5"}:
        raise CodeError(f"url: {STARS_PARAMETER} (the star count) must be 1 to 5, not {value!r}")
    return int(value)


def _certificate_claim(value: str | None) -> str | None:
    if value is None:
        return None
    if not is_plausible_certificate_no(value):
        raise CodeError(f"url: {CERTIFICATE_PARAMETER} is not a certificate number")
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
