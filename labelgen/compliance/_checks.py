"""Shared shapes for the spec-level checks: a check takes (spec, as_of) and gives findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from labelgen.compliance.report import Finding
from labelgen.spec import LabelSpec

Check = Callable[[LabelSpec, dt.date], Iterable[Finding]]
"""A check of one rule: every finding it yields carries that rule's id."""


def value_at(spec: LabelSpec, path: str) -> Any:
    """The value at a dotted spec path ('product.net_quantity'); None when any step is unset."""
    value: Any = spec
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return None
    return value
