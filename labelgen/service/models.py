"""API response models: what each route answers, as pydantic models for validation and the OpenAPI description."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One bad field: its dotted path ('' for the spec as a whole) and the reason."""

    field: str
    reason: str


class Finding(BaseModel):
    """One finding of the compliance report (see docs/rules.md for the rules)."""

    model_config = ConfigDict(extra="allow")

    rule: str = Field(examples=["VN-LBL-DATE-ORDER"])
    severity: Literal["error", "warning", "info"]
    field: str = Field(examples=["product.expires_on"])
    message_vi: str
    message_en: str
    reference: str


class ComplianceReport(BaseModel):
    """The compliance report: `compliant` is true exactly when no finding is an error."""

    model_config = ConfigDict(extra="allow")

    compliant: bool
    as_of: dt.date
    findings: list[Finding]


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details. `type` is one of the documented
    `/problems/{slug}` URIs (GET it for a description); extension members depend on it."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/invalid-spec"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    problems: list[FieldProblem] | None = Field(
        default=None, description="invalid-spec, invalid-parameter: each bad field"
    )
    findings: list[Finding] | None = Field(
        default=None, description="not-compliant: every finding of the report"
    )
    compliant: bool | None = Field(default=None, description="not-compliant: always false")
    as_of: dt.date | None = Field(default=None, description="not-compliant: the check date")


class TemplateSize(BaseModel):
    width_mm: float
    height_mm: float
    bleed_mm: float
    safe_mm: float


class TemplateShape(BaseModel):
    kind: Literal["rect", "circle", "tag"]
    corner_radius_mm: float
    hole_diameter_mm: float | None
    hole_center_mm: tuple[float, float] | None


class TemplateDescription(BaseModel):
    vi: str
    en: str


class TemplateSlots(BaseModel):
    """The template's named places: text slots and graphic slots (badge, qr, barcode, logo)."""

    text: list[str]
    graphic: list[str]


class TemplateInfo(BaseModel):
    """A bundled template, as `template:` in a spec names it."""

    id: str = Field(examples=["ocop-classic"])
    name: str
    size: TemplateSize
    shape: TemplateShape
    description: TemplateDescription
    slots: TemplateSlots


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    workers: int = Field(description="render workers alive")
    idle: int = Field(description="render workers waiting for work")
    waiting: int = Field(description="renders waiting for a worker")


class ProblemTypeInfo(BaseModel):
    """What one problem `type` means."""

    type: str
    title: str
    status: int
    description: str
