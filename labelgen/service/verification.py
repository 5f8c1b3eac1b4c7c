"""The answer to a scanned code: a Verification → the consumer page (HTML), its JSON, or a GS1 linkset.

The page is rendered here with Jinja2 (autoescaped) from `web/templates/verify.html.j2`, in
Vietnamese unless English is asked for (`?lang=en`, or `Accept-Language` preferring English),
with every word from the `verify` group of `web/strings/<lang>.yaml`. It loads one style sheet,
`/static/verify.css`, and nothing else: the OCOP badge is inline SVG drawn by labelgen.badge,
there is no script, and no request leaves the service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from markupsafe import Markup

from labelgen.badge import (
    CERTIFIED_STARS,
    BadgeColors,
    badge_height_mm,
    draw_badge,
    shows_caption,
)
from labelgen.registry.lookup import SCAN_COUNT_CAP, Verification
from labelgen.registry.records import CertificateRecord
from labelgen.registry.reports import MAX_REPORT_TEXT_CHARS, REPORT_REASONS
from labelgen.service.pages import LANGUAGES, environment, ui_strings

AnswerForm = Literal["html", "json", "linkset"]
LINKSET_MEDIA_TYPE = "application/linkset+json"
NATIONAL_OCOP_SYSTEM_URL = "https://ocopvietnam.gov.vn"
GS1_VOCABULARY = "https://gs1.org/voc/"
# GS1's JSON-LD context for linksets (repository gs1/linkset, published with its pages).
LINKSET_CONTEXT_URL = "https://gs1.github.io/linkset/linksetContext.jsonld"
JSON_LD_CONTEXT_RELATION = "http://www.w3.org/ns/json-ld#context"
# Query parameters of the page itself, not of the code: left out of the links a linkset gives.
PAGE_PARAMETERS = frozenset({"lang", "linkType"})
# No script may run and nothing may be framed; the one style sheet comes from here, and the
# one form (the counterfeit report) posts back here.
VERIFY_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Where the page's counterfeit report form posts (labelgen.service.routers.reports).
REPORT_FORM_PATH = "/report"
# Verdicts under which the report form is shown open rather than folded away.
PROMINENT_REPORT_STATUSES = frozenset({"unknown", "invalid-signature", "revoked", "expired"})
# The page's colour and icon when the batch is past its expiry date: amber, whatever the
# certificate says (labelgen.service.web.static/verify.css).
BATCH_EXPIRED_TONE = "batch-expired"
VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")
BADGE_WIDTH_MM = 24.0
_MEDIA_FORMS: dict[str, AnswerForm] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/json": "json",
    LINKSET_MEDIA_TYPE: "linkset",
}
_MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def answer_form(accept: str | None, link_type: str | None) -> AnswerForm:
    """Which form the client asked for: `?linkType=all` or the best of `Accept` (HTML when
    nothing is said or a browser's `*/*` wins)."""
    if link_type == "all":
        return "linkset"
    best: tuple[float, int, AnswerForm] = (0.0, 0, "html")
    for position, (media_type, quality) in enumerate(_accepted(accept or "")):
        form = _MEDIA_FORMS.get(media_type)
        # Earlier types win ties, as browsers list what they prefer first.
        if form is not None and (quality, -position) > best[:2]:
            best = (quality, -position, form)
    return best[2] if best[0] > 0 else "html"


def page_language(lang: str | None, accept_language: str | None) -> str:
    """`vi` or `en`: `?lang=` when it names one, else the first of them in Accept-Language."""
    if lang in LANGUAGES:
        return lang
    ranked = sorted(
        ((quality, -position, tag) for position, (tag, quality) in
         enumerate(_accepted(accept_language or ""))),
        reverse=True,
    )  # fmt: skip
    for quality, _, tag in ranked:
        primary = tag.split("-")[0]
        if quality > 0 and primary in LANGUAGES:
            return primary
    return "vi"


def _accepted(header: str) -> list[tuple[str, float]]:
    """An Accept-style header as (value, quality) pairs, in the order given."""
    items = []
    for part in header.split(",")[:32]:
        value, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, number = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        if value:
            items.append((value.lower(), quality))
    return items


def code_url(url: str) -> str:
    """The scanned URL without the page's own parameters (`lang`, `linkType`)."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
             if name not in PAGE_PARAMETERS]  # fmt: skip
    return parts._replace(query=urlencode(query, safe="")).geturl()


def linkset_document(url: str, language: str) -> dict[str, Any]:
    """The RFC 9264 linkset of a code, valid against GS1's linkset schema, from its URL alone.

    It is anchored on the code's URI without its query (the identified item), describes the
    item by its GS1 AIs, and names where to verify the code (this page in each language, and
    its JSON form, with the code's own query so that its claims are checked) and the national
    OCOP system for an independent check. The default link has a title and nothing else, as
    the GS1-Conformant Resolver standard asks. It reads no registry data and records no scan,
    so it says nothing about whether the code is real: the verification service does.
    """
    anchor = anchor_url(url)
    code = code_url(url)
    strings = ui_strings(language)["verify"]
    page = {"href": code, "title": strings["title"], "type": "text/html", "hreflang": ["vi"]}
    return {
        "linkset": [
            {
                "anchor": anchor,
                "itemDescription": item_description(anchor),
                GS1_VOCABULARY + "defaultLink": [{"href": code, "title": strings["title"]}],
                GS1_VOCABULARY + "verificationService": [
                    page,
                    {**page, "href": _with_parameter(code, "lang", "en"), "hreflang": ["en"]},
                    {"href": code, "title": strings["json_title"], "type": "application/json"},
                ],
                GS1_VOCABULARY + "certificationInfo": [
                    {
                        "href": NATIONAL_OCOP_SYSTEM_URL,
                        "title": strings["national_system"],
                        "type": "text/html",
                        "hreflang": ["vi"],
                        # Not another site's business: the code's claims and signature.
                        "fwqs": False,
                    }
                ],
            }
        ]
    }


def linkset_header(url: str) -> str:
    """The `Link` header of every answer to a code: its linkset, as GS1 resolvers give it."""
    target = _with_parameter(code_url(url), "linkType", "linkset")
    return f'<{target}>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}"'


def linkset_context_header() -> str:
    """The `Link` to the JSON-LD context that reads a linkset as linked data (GS1's own)."""
    return f'<{LINKSET_CONTEXT_URL}>; rel="{JSON_LD_CONTEXT_RELATION}"; type="application/ld+json"'


def anchor_url(url: str) -> str:
    """The identified item's URI: the scanned URL without its query, fragment or trailing '/'."""
    parts = urlsplit(url)
    path = parts.path[:-1] if parts.path.endswith("/") and parts.path != "/" else parts.path
    return parts._replace(path=path, query="", fragment="").geturl()


def item_description(anchor: str) -> str:
    """The item as GS1's human-readable interpretation writes it: `(01) 0893… (10) L1`."""
    segments = [unquote(segment) for segment in urlsplit(anchor).path.split("/")]
    if "ocop" in segments and "01" not in segments:
        return f"OCOP {segments[segments.index('ocop') + 1]}"
    start = segments.index("01") if "01" in segments else len(segments)
    pairs = zip(segments[start::2], segments[start + 1 :: 2], strict=False)
    return " ".join(f"({ai}) {value}" for ai, value in pairs) or anchor


def _with_parameter(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{name}={value}" if parts.query else f"{name}={value}"
    return parts._replace(query=query).geturl()


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme="", netloc="").geturl()


def render_page(verification: Verification, language: str, url: str) -> str:
    """The consumer page of a verdict, in `language`.

    Everything the page shows is formatted here, and its facts handed over as (label, value)
    rows with the empty ones left out, so that the template only fills in: it is rendered at
    every scan, where its earlier macros and attribute lookups cost more than the SELECT.
    """
    strings = ui_strings(language)["verify"]
    other = "en" if language == "vi" else "vi"
    product = verification.product
    certificate = verification.certificate
    verdict = verdict_words(strings, verification, language)
    return str(
        _template().render(
            lang=language,
            other_lang=other,
            t=strings,
            status=verification.status,
            tone=verdict.tone,
            headline=verdict.headline,
            detail=verdict.detail,
            certificate_verdict=verdict.certificate_verdict,
            # Only a proven genuine package in date is shown in colour (badge, stars, links).
            proven=verdict.tone == "valid",
            # Relative: the language switch stays on whatever origin served the page.
            switch_url=_path_and_query(_with_parameter(code_url(url), "lang", other)),
            may_be_copy=verification.may_be_copy,
            label_mismatch=product is not None and not verification.label_matches_registry,
            product_name=product.name if product is not None else None,
            badge=_badge(verification),
            stars=_stars(strings, certificate),
            product_rows=_product_rows(strings, verification),
            certificate_rows=_certificate_rows(strings, certificate, language),
            batch_rows=_batch_rows(strings, verification, language),
            batch_expired=verification.batch_expired,
            national_url=NATIONAL_OCOP_SYSTEM_URL,
            checked_at=format_moment(verification.checked_at, language),
            report_path=REPORT_FORM_PATH,
            report_code=_path_and_query(code_url(url)),
            report_open=verification.status in PROMINENT_REPORT_STATUSES,
            report_reasons=REPORT_REASONS,
            report_text_chars=MAX_REPORT_TEXT_CHARS,
        )
    )


@dataclass(frozen=True)
class VerdictWords:
    """What the top of the page says: its tone (colour and icon), headline and detail, and
    the certificate's own verdict when the headline speaks of something else."""

    tone: str
    headline: str
    detail: str
    certificate_verdict: str | None = None


def verdict_words(
    strings: dict[str, Any], verification: Verification, language: str
) -> VerdictWords:
    """The verdict as the page words it: by status, with the reason's own detail when it has
    one, and a batch past its expiry date above everything the certificate says."""
    status_words = strings["status"][verification.status]
    detail = strings["reasons"].get(verification.reason, status_words["detail"])
    batch = verification.batch
    if verification.batch_expired and batch is not None:
        expired = strings["batch_expired_verdict"]
        return VerdictWords(
            tone=BATCH_EXPIRED_TONE,
            headline=expired["headline"],
            detail=str(expired["detail"]).replace(
                "{date}", format_date(batch.expires_on, language)
            ),
            certificate_verdict=f"{strings['certificate_verdict']} {status_words['headline']}",
        )
    return VerdictWords(verification.status, status_words["headline"], detail)


def render_thanks(language: str, code_path: str) -> str:
    """The page that thanks a consumer for a report and leads back to the code's page."""
    strings = ui_strings(language)["verify"]
    back = code_path if language == "vi" else _with_parameter(code_path, "lang", language)
    return str(_thanks_template().render(lang=language, t=strings, back_url=back))


Rows = list[tuple[str, str]]


def _filled(rows: list[tuple[str, str | None]]) -> Rows:
    return [(label, value) for label, value in rows if value]


def _stars(strings: dict[str, Any], certificate: CertificateRecord | None) -> str | None:
    if certificate is None:
        return None
    return str(strings["stars_value"]).replace("{n}", str(certificate.stars))


def _product_rows(strings: dict[str, Any], verification: Verification) -> Rows:
    product, producer = verification.product, verification.producer
    if product is None or producer is None:
        return []
    return _filled(
        [
            (strings["gtin"], product.gtin),
            (strings["producer"], producer.name),
            (strings["address"], producer.address),
            (strings["phone"], producer.phone),
        ]
    )


def _certificate_rows(
    strings: dict[str, Any], certificate: CertificateRecord | None, language: str
) -> Rows:
    if certificate is None:
        return []
    return _filled(
        [
            (strings["certificate_no"], certificate.certificate_no),
            (strings["decision_no"], certificate.decision_no),
            (strings["issued_by"], certificate.issued_by),
            (strings["issued_on"], format_date(certificate.issued_on, language)),
            (strings["valid_until"], format_date(certificate.valid_until, language)),
        ]
    )


def _batch_rows(strings: dict[str, Any], verification: Verification, language: str) -> Rows:
    batch, code = verification.batch, verification.code
    rows: list[tuple[str, str | None]] = []
    if batch is not None:
        rows += [
            (strings["batch_code"], batch.code),
            (strings["manufactured_on"], _optional_date(batch.manufactured_on, language)),
            (strings["expires_on"], _optional_date(batch.expires_on, language)),
        ]
    rows.append((strings["serial"], code.serial if code is not None else None))
    if verification.first_verified_at is not None:
        rows += [
            (strings["first_verified"], format_moment(verification.first_verified_at, language)),
            (strings["scan_count"], _scan_count(strings, verification.scan_count)),
        ]
    return _filled(rows)


def _optional_date(value: dt.date | None, language: str) -> str | None:
    return format_date(value, language) if value is not None else None


def _scan_count(strings: dict[str, Any], count: int) -> str:
    if count >= SCAN_COUNT_CAP:
        return str(strings["scans_many"])
    return str(strings["scans_value"]).replace("{n}", str(count))


def format_date(value: dt.date | None, language: str) -> str:
    """A date as a Vietnamese reads it (27/12/2027) or in English (27 Dec 2027)."""
    if value is None:
        return "–"
    if language == "vi":
        return f"{value:%d/%m/%Y}"
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def format_moment(value: dt.datetime | None, language: str) -> str:
    """A moment in Vietnam's time: `17:05, 28/11/2026` or `17:05, 28 Nov 2026`."""
    if value is None:
        return "–"
    local = value.astimezone(VIETNAM_TIME)
    return f"{local:%H:%M}, {format_date(local.date(), language)}"


def _badge(verification: Verification) -> Markup | None:
    certificate = verification.certificate
    if certificate is None or certificate.stars not in CERTIFIED_STARS:
        return None
    return Markup(_badge_svg(certificate.stars, certificate.issued_on.year, certificate.province))


@lru_cache(maxsize=64)
def _badge_svg(stars: int, year: int | None, province: str | None) -> str:
    """The OCOP badge as an inline <svg> (labelgen.badge escapes its own text)."""
    with_caption = shows_caption(BADGE_WIDTH_MM, year, province)
    height_mm = badge_height_mm(BADGE_WIDTH_MM, with_caption=with_caption)
    if not with_caption:
        year, province = None, None
    drawing = draw_badge(
        stars, width_mm=BADGE_WIDTH_MM, colors=BadgeColors(), year=year, province=province
    )
    return (
        f'<svg class="badge" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {BADGE_WIDTH_MM:g} {height_mm:.3f}" aria-hidden="true">{drawing}</svg>'
    )


@cache
def _template() -> Any:
    return environment().get_template("verify.html.j2")


@cache
def _thanks_template() -> Any:
    return environment().get_template("report_thanks.html.j2")
