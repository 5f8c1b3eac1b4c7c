"""A LabelSpec and a check date → findings about its manufacture and expiry dates (§2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from labelgen.compliance._checks import Check
from labelgen.compliance.catalogue import make_finding
from labelgen.compliance.report import Finding
from labelgen.spec import LabelSpec


def expiry_field(spec: LabelSpec) -> str:
    """The spec field the expiry comes from: the shelf life when given that way."""
    return "product.shelf_life" if spec.product.shelf_life is not None else "product.expires_on"


def check_date_order(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    manufactured, expiry = spec.product.manufactured_on, spec.product.expiry_date
    if manufactured is not None and expiry is not None and expiry <= manufactured:
        yield make_finding(
            "VN-LBL-DATE-ORDER", expiry_field(spec), expiry=expiry, manufactured=manufactured
        )


def check_not_expired(spec: LabelSpec, as_of: dt.date) -> Iterator[Finding]:
    expiry = spec.product.expiry_date
    if expiry is not None and expiry < as_of:
        yield make_finding("VN-LBL-DATE-EXPIRED", expiry_field(spec), expiry=expiry, as_of=as_of)


CHECKS: dict[str, Check] = {
    "VN-LBL-DATE-ORDER": check_date_order,
    "VN-LBL-DATE-EXPIRED": check_not_expired,
}
