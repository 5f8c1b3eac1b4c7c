"""A LabelSpec → warnings about producer-address units abolished or merged in 2025."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.admin_units import province_label, read_address
from labelgen.compliance.catalogue import make_finding
from labelgen.compliance.origin_rules import made_in_vietnam
from labelgen.compliance.report import Finding
from labelgen.spec import LabelSpec

FIELD = "producer.address"


def check_province_current(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    for unit in read_address(spec.producer.address).unknown_provinces:
        yield make_finding("VN-LBL-ADDRESS-PROVINCE", FIELD, unit=unit)


def check_names_a_province(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    # A foreign maker's address names no Vietnamese province, rightly.
    if made_in_vietnam(spec) and not read_address(spec.producer.address).names_a_province:
        yield make_finding("VN-LBL-ADDRESS-NO-PROVINCE", FIELD)


def check_no_former_units(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    for unit in read_address(spec.producer.address).former_units:
        yield make_finding("VN-LBL-ADDRESS-FORMER-UNIT", FIELD, unit=unit)


def check_commune_current(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    reading = read_address(spec.producer.address)
    if reading.province is None:
        return
    for unit in reading.unknown_communes:
        yield make_finding(
            "VN-LBL-ADDRESS-COMMUNE", FIELD, unit=unit, province=province_label(reading.province)
        )


CHECKS: dict[str, Check] = {
    "VN-LBL-ADDRESS-PROVINCE": check_province_current,
    "VN-LBL-ADDRESS-NO-PROVINCE": check_names_a_province,
    "VN-LBL-ADDRESS-FORMER-UNIT": check_no_former_units,
    "VN-LBL-ADDRESS-COMMUNE": check_commune_current,
}
