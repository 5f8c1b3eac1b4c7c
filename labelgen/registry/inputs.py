"""Registry inputs: request documents (API bodies, CLI options) → validated, NFC-normalised pydantic models."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from labelgen.errors import CodeError, Problem, RegistryInputError
from labelgen.gtin import is_valid_gtin
from labelgen.spec import Certification, Producer, normalise_text
from labelgen.traceability import check_qualifier

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Gtin = Annotated[str, StringConstraints(pattern=r"^\d{8}$|^\d{12,14}$")]
RequestId = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,100}$")]
MAX_SERIALS_PER_REQUEST = 100_000

ModelT = TypeVar("ModelT", bound=BaseModel)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        # The same letter typed on two keyboards must name the same producer or certificate.
        return normalise_text(value)


def _checked_gtin(value: str | None) -> str | None:
    if value is not None and not is_valid_gtin(value):
        raise ValueError("is not a valid GTIN (wrong check digit)")
    return value


class ProductInput(_Input):
    """A product as registered: its name and, when it has one, its GTIN-8/12/13/14."""

    name: Text
    gtin: Gtin | None = None

    _gtin = field_validator("gtin")(_checked_gtin)


class CertificateInput(Certification):
    """`POST /api/v1/certificates`: the spec's certification fields plus producer and product."""

    # The widths of the registry's columns (labelgen.registry.models), checked before the
    # database would refuse the row.
    COLUMN_LIMITS: ClassVar[dict[str, int]] = {
        "certificate_no": 100,
        "decision_no": 100,
        "issued_by": 300,
        "province": 100,
        "producer.name": 200,
        "producer.address": 400,
        "producer.phone": 40,
    }

    producer: Producer
    product: ProductInput

    @model_validator(mode="before")
    @classmethod
    def _nfc(cls, value: Any) -> Any:
        return normalise_text(value)


class RenewalInput(_Input):
    """A renewal (re-recognition): the new decision, and what else it changed."""

    COLUMN_LIMITS: ClassVar[dict[str, int]] = {"decision_no": 100}

    decision_no: Text
    issued_on: dt.date
    valid_until: dt.date | None = None
    stars: int | None = Field(default=None, ge=1, le=5)
    issued_by: Text | None = None


class BatchInput(_Input):
    """A production batch: its code (GS1 AI 10) and its NSX / HSD."""

    code: Text
    manufactured_on: dt.date | None = None
    expires_on: dt.date | None = None

    @field_validator("code")
    @classmethod
    def _codable(cls, value: str) -> str:
        try:
            check_qualifier(value, "code")
        except CodeError as error:
            raise ValueError(str(error).removeprefix("code: ")) from None
        return value

    @model_validator(mode="after")
    def _expiry_after_manufacture(self) -> BatchInput:
        if self.manufactured_on and self.expires_on and self.expires_on <= self.manufactured_on:
            raise ValueError("expires_on must be after manufactured_on")
        return self


class AllocationInput(_Input):
    """A request for `count` new serials; the same `request_id` again returns the same serials."""

    count: int = Field(ge=1, le=MAX_SERIALS_PER_REQUEST)
    request_id: RequestId | None = None


def parse_input(model: type[ModelT], document: Any) -> ModelT:
    """`document` validated as `model`; RegistryInputError naming every bad field.

    Text holding control characters (a NUL, which PostgreSQL cannot store) and text longer
    than its column are refused here, by field, rather than by the database.
    """
    problems = _control_characters(document, "")
    limits: dict[str, int] = getattr(model, "COLUMN_LIMITS", {})
    problems += [
        Problem(field, f"must be at most {limit} characters")
        for field, limit in limits.items()
        if len(str(_field_value(document, field) or "")) > limit
    ]
    if problems:
        raise RegistryInputError(problems)
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise RegistryInputError([_problem(item) for item in error.errors()]) from None


def has_control_characters(text: str) -> bool:
    """True when `text` holds a control character (category Cc: NUL, line breaks, escapes…)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def _control_characters(value: Any, path: str) -> list[Problem]:
    if isinstance(value, str):
        return (
            [Problem(path, "must not hold control characters")]
            if has_control_characters(value)
            else []
        )
    if isinstance(value, dict):
        return [
            problem
            for key, item in value.items()
            for problem in _control_characters(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list):
        return [
            problem
            for position, item in enumerate(value)
            for problem in _control_characters(item, f"{path}[{position}]")
        ]
    return []


def _field_value(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _problem(error: Any) -> Problem:
    field = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return Problem(field, "is required")
    if error["type"] == "extra_forbidden":
        return Problem(field, "is not a known field (check the spelling)")
    if error["type"] == "string_pattern_mismatch" and field.endswith("gtin"):
        return Problem(field, "must be 8, 12, 13 or 14 digits")
    return Problem(field, str(error["msg"]).removeprefix("Value error, "))
