"""Label specs for the compliance tests: a compliant food spec and dotted-path variations of it."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from labelgen.compliance import Report, check
from labelgen.spec import LabelSpec, parse_spec

AS_OF = dt.date(2026, 11, 28)
DELETE = object()
"""A change value that removes the key instead of setting it."""

BASE: dict[str, Any] = {
    "brand": {"name": "Sen Hồng Tháp Mười"},
    "product": {
        "name": "Hạt sen sấy giòn",
        "category": "food",
        "net_quantity": {"value": 200, "unit": "g"},
        "ingredients": "Hạt sen 95%, đường phèn 4%, muối 1%",
        "usage": "Dùng ngay sau khi mở bao bì.",
        "storage": "Nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp.",
        "warnings": "Không dùng khi bao bì bị phồng, rách.",
        "origin": {"phrase": "Sản xuất tại", "country": "Việt Nam"},
        "gtin": "8936012345674",
        "batch": "L261120",
        "manufactured_on": "2026-11-20",
        "shelf_life": {"months": 12},
    },
    "producer": {
        "name": "Hợp tác xã Nông nghiệp Sen Tháp Mười",
        "address": "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp",
    },
    "certification": {
        "scheme": "OCOP",
        "stars": 4,
        "certificate_no": "OCOP-DT-2024-0178",
        "decision_no": "2150/QĐ-UBND",
        "issued_by": "UBND tỉnh Đồng Tháp",
        "issued_on": "2024-12-27",
    },
}


def document_with(changes: dict[str, Any]) -> dict[str, Any]:
    """The base document with each dotted path set to its value (or removed, for DELETE)."""
    document = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, key = path.split(".")
        node = document
        for name in parents:
            node = node.setdefault(name, {})
        if value is DELETE:
            node.pop(key, None)
        else:
            node[key] = value
    return document


def spec_with(changes: dict[str, Any] | None = None) -> LabelSpec:
    return parse_spec(document_with(changes or {}))


def report_for(changes: dict[str, Any] | None = None, as_of: dt.date = AS_OF) -> Report:
    return check(spec_with(changes), as_of=as_of)


def rules_in(report: Report) -> set[str]:
    return {finding.rule for finding in report.findings}
