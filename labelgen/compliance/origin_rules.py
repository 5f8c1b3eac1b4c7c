"""A LabelSpec → findings about its origin phrase and country name (REGULATIONS §3)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.catalogue import FINISHING_PHRASES, ORIGIN_PHRASES, make_finding
from labelgen.compliance.report import Finding
from labelgen.compliance.vntext import fold, nfc
from labelgen.spec import LabelSpec

ALLOWED_PHRASES = ORIGIN_PHRASES + FINISHING_PHRASES
VIETNAM = "Việt Nam"
# How Việt Nam is written without its diacritics or as an abbreviation, folded.
_VIETNAM_FOLDED = frozenset({"viet nam", "vietnam", "vn", "v n", "vnm"})
# Vietnamese names of countries that are themselves short plain-letter words, not abbreviations.
_SHORT_COUNTRY_NAMES = frozenset({"anh", "nga"})
_ABBREVIATION = re.compile(r"^(?:[A-Z]\.?){2,3}$|^(?:[A-Za-z]\.){2,3}$")


def made_in_vietnam(spec: LabelSpec) -> bool:
    """Whether the spec says the goods come from Việt Nam, however the name is written."""
    origin = spec.product.origin
    return origin is not None and fold(origin.country) in _VIETNAM_FOLDED


def is_allowed_phrase(phrase: str) -> bool:
    """Whether an origin phrase is one the decree allows (case and a trailing colon aside)."""
    written = nfc(phrase).rstrip(": ").casefold()
    return any(written == allowed.casefold() for allowed in ALLOWED_PHRASES)


def is_abbreviated_country(country: str) -> bool:
    """'VN', 'V.N.', 'vn', 'USA' are abbreviations; 'Việt Nam', 'Nga', 'Anh' are names."""
    compact = "".join(nfc(country).split())
    if fold(country) in _SHORT_COUNTRY_NAMES:
        return False
    return bool(_ABBREVIATION.match(compact)) or fold(country) in {"vn", "v n", "vnm"}


def check_origin_phrase(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    origin = spec.product.origin
    if origin is not None and not is_allowed_phrase(origin.phrase):
        allowed = ", ".join(f"“{phrase}”" for phrase in ALLOWED_PHRASES)
        yield make_finding(
            "VN-LBL-ORIGIN-PHRASE", "product.origin.phrase", phrase=origin.phrase, allowed=allowed
        )


def check_country_not_abbreviated(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    origin = spec.product.origin
    if origin is not None and is_abbreviated_country(origin.country):
        yield make_finding(
            "VN-LBL-ORIGIN-COUNTRY", "product.origin.country", country=origin.country
        )


def check_vietnam_spelling(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    origin = spec.product.origin
    if origin is None or is_abbreviated_country(origin.country) or not made_in_vietnam(spec):
        return
    if nfc(origin.country).casefold() != VIETNAM.casefold():
        yield make_finding(
            "VN-LBL-ORIGIN-COUNTRY-SPELLING", "product.origin.country", country=origin.country
        )


CHECKS: dict[str, Check] = {
    "VN-LBL-ORIGIN-PHRASE": check_origin_phrase,
    "VN-LBL-ORIGIN-COUNTRY": check_country_not_abbreviated,
    "VN-LBL-ORIGIN-COUNTRY-SPELLING": check_vietnam_spelling,
}
