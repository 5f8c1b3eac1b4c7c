"""API response models: what each route answers, as pydantic models for validation and the OpenAPI description."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from labelgen.registry.lookup import VerdictReason, VerificationStatus


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
    role: Literal["front", "back", "single"] = Field(
        description="front: brand, name, net quantity, badge; back: the mandatory text and "
        "codes; single: a label that carries everything by itself"
    )
    sides: list[str] = Field(
        description="the other panels printed with this one (a two-sided tag's back)"
    )
    side_of: str | None = Field(
        description="the template this panel is a side of; such a panel is not offered alone"
    )
    quantity_range: TemplateQuantityRange | None = Field(
        description="the pack sizes (g or ml) whose legal net-quantity height the template holds"
    )


class TemplateQuantityRange(BaseModel):
    min: float
    max: float


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


# --- the certificate registry ---------------------------------------------------------------


class ProducerSummary(BaseModel):
    name: str
    address: str
    phone: str | None


class CertifiedProduct(BaseModel):
    name: str
    gtin: str | None = Field(description="GTIN-14")


class CertificateSummary(BaseModel):
    """A certificate as the registry holds it; `in_force` is true while it is active and its
    validity has not ended (today in Vietnam)."""

    certificate_no: str = Field(examples=["OCOP-DT-2024-0178"])
    scheme: Literal["OCOP"]
    stars: int = Field(ge=1, le=5)
    decision_no: str
    issued_by: str
    issued_on: dt.date
    valid_until: dt.date
    province: str | None
    status: Literal["active", "suspended", "revoked"]
    in_force: bool
    product: CertifiedProduct
    producer: ProducerSummary
    updated_at: dt.datetime


class HistoryEntryModel(BaseModel):
    """One change to a certificate: who, when, what it became; `hash` chains it to the one before."""

    sequence: int
    action: Literal["registered", "renewed", "suspended", "reinstated", "revoked"]
    actor: str = Field(description="role and key id, never the key itself")
    occurred_at: dt.datetime
    state: dict[str, object]
    reason: str | None
    hash: str


class StatusChange(BaseModel):
    """The body of revoke, suspend and reinstate (optional)."""

    reason: str | None = Field(default=None, max_length=500)


class RenewalRequest(BaseModel):
    """A renewal: the new decision, and what else it changed."""

    decision_no: str
    issued_on: dt.date
    valid_until: dt.date | None = Field(default=None, description="36 months on when left out")
    stars: int | None = Field(default=None, ge=3, le=5)
    issued_by: str | None = None
    reason: str | None = Field(default=None, max_length=500)


class ProductSummary(BaseModel):
    id: int = Field(description="names a product without a GTIN in paths")
    name: str
    gtin: str | None = Field(description="GTIN-14")
    producer: str


class BatchSummary(BaseModel):
    code: str = Field(examples=["L261120"])
    manufactured_on: dt.date | None
    expires_on: dt.date | None
    product: ProductSummary


class SerialAllocationSummary(BaseModel):
    request_id: str | None
    batch: BatchSummary
    serials: list[str]
    created: bool = Field(description="false when a repeated request_id returned earlier serials")


class CodesRequest(BaseModel):
    serials: list[str] = Field(min_length=1, max_length=1000)


class SignedCode(BaseModel):
    serial: str
    url: str = Field(description="the signed GS1 Digital Link URL the unit's QR code holds")


class SignedCodes(BaseModel):
    codes: list[SignedCode]


# --- verification ---------------------------------------------------------------------------


class VerificationAnswer(BaseModel):
    """What a scanned code's URL answers as JSON. `status` is `valid` only for a signed unit the
    registry issued; `certified` for a registered product and batch whose code cannot prove
    the package genuine; registry data (product, producer, certificate, batch) is given only
    when the code names a registered batch."""

    model_config = ConfigDict(extra="allow")

    status: VerificationStatus = Field(
        description="valid: a registry-issued, correctly signed unit, certificate in force; "
        "certified: a registered product and batch under a certificate in force, but the code "
        "does not identify one package; unknown: GTIN, batch or serial not in the registry; "
        "invalid-signature: a signed unit whose signature is missing, wrong or by a retired "
        "key; expired, revoked, suspended: the certificate's state"
    )
    reason: VerdictReason = Field(description="why the status is what it is")
    checked_at: dt.datetime
    signature: Literal["valid", "invalid-signature", "unsigned", "unknown-key"]
    batch_expired: bool = Field(
        description="the batch is past its expiry date (the page says so above all else)"
    )
    scan_count: int = Field(
        description="scans of this serial, this one included, counted up to 1,000"
    )
    first_verified_at: dt.datetime | None
    may_be_copy: bool = Field(description="scans of this serial came from many networks")


class Link(BaseModel):
    href: str
    title: str | None = None
    type: str | None = None
    hreflang: list[str] | None = None


class Linkset(BaseModel):
    """RFC 9264 linkset, as GS1 Digital Link resolvers answer `?linkType=linkset`: one context
    object whose `anchor` is the code's URI without its query, with an `itemDescription`, and
    whose other members are GS1 link types (valid against GS1's linkset schema)."""

    linkset: list[dict[str, object]]


class FakeReportInput(BaseModel):
    """`POST /api/v1/reports`: a suspected fake, as the verification page's form reports it."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the scanned code's URL on this service, or its path")
    reason: Literal["code-mismatch", "unusual-packaging", "suspicious-seller", "other"]
    text: str | None = Field(default=None, max_length=500)


class FakeReport(BaseModel):
    """A stored counterfeit report: the code, its parsed parts, the reason, the verdict then."""

    id: int
    url: str
    gtin: str | None
    batch: str | None
    serial: str | None
    reason: str
    text: str | None
    status: str
    created_at: dt.datetime
