"""A LabelSpec → findings on GTIN check digit and prefix, and Digital Link batch/serial."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.catalogue import Bilingual, make_finding
from labelgen.compliance.origin_rules import made_in_vietnam
from labelgen.compliance.report import Finding
from labelgen.gtin import VIETNAM_PREFIX, gtin_check_digit, is_valid_gtin
from labelgen.spec import LabelSpec

# GS1 AI encodable character set 82 (GS1 General Specifications, Figure 7.11-1).
GS1_CHARSET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
DIGITAL_LINK_VALUE_MAX_CHARS = 20


def gs1_prefix(gtin: str) -> str:
    """The first three digits of the GS1 prefix: a GTIN-12 reads as a GTIN-13 with a leading 0,
    a GTIN-14's indicator digit comes before the prefix."""
    if len(gtin) == 14:
        return gtin[1:4]
    if len(gtin) == 12:
        return ("0" + gtin)[:3]
    return gtin[:3]


def digital_link_problem(value: str) -> Bilingual | None:
    """Why a batch or serial cannot go into a GS1 Digital Link, or None when it can."""
    if len(value) > DIGITAL_LINK_VALUE_MAX_CHARS:
        return Bilingual(f"hiện có {len(value)} ký tự", f"it has {len(value)} characters")
    bad = sorted({char for char in value if char not in GS1_CHARSET_82}, key=value.index)
    if not bad:
        return None
    shown_vi = ", ".join("dấu cách" if char == " " else f"“{char}”" for char in bad)
    shown_en = ", ".join("space" if char == " " else f"“{char}”" for char in bad)
    return Bilingual(f"ký tự không hợp lệ: {shown_vi}", f"characters not allowed: {shown_en}")


def check_gtin_check_digit(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    gtin = spec.product.gtin
    if gtin is not None and not is_valid_gtin(gtin):
        yield make_finding(
            "GS1-GTIN-CHECK-DIGIT",
            "product.gtin",
            gtin=gtin,
            expected_digit=gtin_check_digit(gtin[:-1]),
        )


def check_gtin_prefix(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    gtin = spec.product.gtin
    if gtin is not None and made_in_vietnam(spec) and gs1_prefix(gtin) != VIETNAM_PREFIX:
        yield make_finding("GS1-GTIN-PREFIX", "product.gtin", gtin=gtin)


def check_batch_for_digital_link(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    batch = spec.product.batch
    # Without a GTIN there is no Digital Link, and a batch may use any printable characters.
    if spec.product.gtin is None or batch is None:
        return
    problem = digital_link_problem(batch)
    if problem is not None:
        yield make_finding("GS1-BATCH-CHARSET", "product.batch", value=batch, problem=problem)


def check_serial_for_digital_link(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    serial = spec.traceability.serial
    if spec.product.gtin is None or serial is None:
        return
    problem = digital_link_problem(serial)
    if problem is not None:
        yield make_finding(
            "GS1-SERIAL-CHARSET", "traceability.serial", value=serial, problem=problem
        )


CHECKS: dict[str, Check] = {
    "GS1-GTIN-CHECK-DIGIT": check_gtin_check_digit,
    "GS1-GTIN-PREFIX": check_gtin_prefix,
    "GS1-BATCH-CHARSET": check_batch_for_digital_link,
    "GS1-SERIAL-CHARSET": check_serial_for_digital_link,
}
