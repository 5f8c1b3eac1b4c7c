"""A LabelSpec and a date → findings on OCOP stars, issuer level and certificate validity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.admin_units import (
    DISTRICT_KINDS,
    IssuerLevel,
    find_province,
    is_central_city,
    issuer_level,
    issuer_unit,
)
from labelgen.compliance.catalogue import Bilingual, make_finding
from labelgen.compliance.report import Finding
from labelgen.spec import Certification, LabelSpec, add_months

MIN_MARK_STARS = 3
VALIDITY_MONTHS = 36
RENEWAL_NOTICE_DAYS = 30
# Decision 148/QĐ-TTg gave 3-star recognition to districts from its date until Decision 1489
# (applied from 06/07/2025) returned it to the provinces.
DISTRICT_THREE_STAR_FROM = dt.date(2023, 2, 24)
DISTRICT_THREE_STAR_UNTIL = dt.date(2025, 7, 5)

ISSUER_NAMES: dict[IssuerLevel, Bilingual] = {
    "ministry": Bilingual(
        "Bộ Nông nghiệp và Môi trường (trước đây là Bộ Nông nghiệp và Phát triển nông thôn)",
        "the Ministry of Agriculture and Environment (formerly of Agriculture and Rural "
        "Development)",
    ),
    "province": Bilingual("UBND cấp tỉnh", "a provincial People's Committee"),
    "district": Bilingual("UBND cấp huyện", "a district People's Committee"),
}


def lawful_end(certification: Certification) -> dt.date:
    """The last day a certificate can be valid: 36 months after its decision."""
    return add_months(certification.issued_on, VALIDITY_MONTHS)


def last_valid_day(certification: Certification) -> dt.date:
    """The last day of validity: the stated one, but never past the lawful 36 months."""
    return min(certification.valid_until_date, lawful_end(certification))


def expected_issuer(stars: int, decided_on: dt.date) -> IssuerLevel:
    """Who recognises a product with this many stars on this date."""
    if stars >= 5:
        return "ministry"
    if stars == 3 and DISTRICT_THREE_STAR_FROM <= decided_on <= DISTRICT_THREE_STAR_UNTIL:
        return "district"
    return "province"


def check_stars_may_carry_mark(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is not None and certification.stars < MIN_MARK_STARS:
        yield make_finding("OCOP-STARS-MARK", "certification.stars", stars=certification.stars)


def check_issuer_level(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is None or certification.stars < MIN_MARK_STARS:
        return
    level = issuer_level(certification.issued_by, certification.issued_on)
    expected = expected_issuer(certification.stars, certification.issued_on)
    if level is not None and level != expected:
        yield make_finding(
            "OCOP-ISSUER-LEVEL",
            "certification.issued_by",
            stars=certification.stars,
            issued_on=certification.issued_on,
            expected=ISSUER_NAMES[expected],
            issued_by=certification.issued_by,
        )


def check_issuer_readable(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is None or certification.stars < MIN_MARK_STARS:
        return
    if issuer_level(certification.issued_by, certification.issued_on) is None:
        yield make_finding(
            "OCOP-ISSUER-UNKNOWN", "certification.issued_by", issued_by=certification.issued_by
        )


def issuer_no_longer_exists(issued_by: str) -> bool:
    """Whether the issuing People's Committee's unit was abolished or merged in 2025."""
    unit = issuer_unit(issued_by)
    if unit is None:
        return False
    if unit.kind in DISTRICT_KINDS:
        return True
    if unit.kind == "thành phố":
        return not is_central_city(unit.name)
    return unit.kind == "tỉnh" and find_province(unit.name) is None


def check_issuer_still_exists(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is not None and issuer_no_longer_exists(certification.issued_by):
        yield make_finding(
            "OCOP-ISSUER-FORMER-UNIT", "certification.issued_by", issued_by=certification.issued_by
        )


def check_valid_until(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is None or certification.valid_until is None:
        return
    end = lawful_end(certification)
    if not certification.issued_on < certification.valid_until <= end:
        yield make_finding(
            "OCOP-VALID-UNTIL",
            "certification.valid_until",
            valid_until=certification.valid_until,
            issued_on=certification.issued_on,
            lawful_end=end,
        )


def check_not_expired(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is not None and as_of > last_valid_day(certification):
        yield make_finding(
            "OCOP-CERT-EXPIRED",
            "certification.valid_until",
            valid_until=last_valid_day(certification),
            issued_on=certification.issued_on,
        )


def check_renewal_due(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is None:
        return
    # Counting today: on the last valid day one day is left.
    days_left = (last_valid_day(certification) - as_of).days + 1
    if 1 <= days_left <= RENEWAL_NOTICE_DAYS:
        yield make_finding(
            "OCOP-CERT-RENEWAL",
            "certification.valid_until",
            valid_until=last_valid_day(certification),
            days_left=days_left,
        )


def check_decision_not_future(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    certification = spec.certification
    if certification is not None and certification.issued_on > as_of:
        yield make_finding(
            "OCOP-DECISION-FUTURE",
            "certification.issued_on",
            issued_on=certification.issued_on,
            as_of=as_of,
        )


CHECKS: dict[str, Check] = {
    "OCOP-STARS-MARK": check_stars_may_carry_mark,
    "OCOP-ISSUER-LEVEL": check_issuer_level,
    "OCOP-ISSUER-UNKNOWN": check_issuer_readable,
    "OCOP-ISSUER-FORMER-UNIT": check_issuer_still_exists,
    "OCOP-VALID-UNTIL": check_valid_until,
    "OCOP-CERT-EXPIRED": check_not_expired,
    "OCOP-CERT-RENEWAL": check_renewal_due,
    "OCOP-DECISION-FUTURE": check_decision_not_future,
}
