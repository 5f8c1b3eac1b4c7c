"""Parse stage: a JSON/YAML document (file, bytes or stdin) → a frozen, NFC-normalised LabelSpec."""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import json
import math
import mimetypes
import re
import sys
import unicodedata
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from labelgen.codes import (
    DEFAULT_PRINT_PROCESS,
    EAN_MAGNIFICATION_MAX,
    EAN_MAGNIFICATION_MIN,
    EAN_MAGNIFICATION_TOLERANT,
    PrintProcessName,
)
from labelgen.errors import Problem, SpecError
from labelgen.logos import LOGO_MAX_BYTES, sanitize_logo

Category = Literal[
    "food",
    "staple",
    "supplement",
    "beverage",
    "alcohol",
    "cosmetic",
    "herbal",
    "handicraft",
    "other",
]
Language = Literal["vi", "en"]
# Every text field has a maximum (docs/spec.md): far above what any label prints, far below what
# would cost a render seconds to lay out and refuse.
MAX_TEXT_CHARS = 300
MAX_LONG_TEXT_CHARS = 3000
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT_CHARS)
]
# Ingredients, usage, storage, warnings and function: paragraphs rather than names.
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_LONG_TEXT_CHARS)
]
# Dates a label can print and compute with (a certificate's 36 months, a shelf life of 20 years).
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)


def _date_in_range(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be a date from {MIN_DATE} to {MAX_DATE}")
    return value


SpecDate = Annotated[dt.date, AfterValidator(_date_in_range)]
HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]

LOGO_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp", "image/svg+xml")
# No figure on a label needs more digits; a longer number in a spec file is refused, not built.
MAX_NUMBER_DIGITS = 40


class _Model(BaseModel):
    # Unknown keys are refused: a misspelt "manufacured_on" must not vanish silently.
    # Infinity and NaN are no figure a label prints (1e400 in JSON reads as infinity).
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )


class Size(_Model):
    # Below 10 mm no label carries its mandatory text; near zero the scaled slots vanish.
    width_mm: float = Field(ge=10, le=1000)
    height_mm: float = Field(ge=10, le=1000)


class Colors(_Model):
    primary: HexColor = "#0B6E4F"
    accent: HexColor = "#F2A541"
    text: HexColor = "#1D1D1B"
    background: HexColor = "#FFFFFF"


class Brand(_Model):
    name: Text
    logo: str | None = None
    colors: Colors = Colors()
    font: Text = "Be Vietnam Pro"


class NetQuantity(_Model):
    value: float = Field(gt=0, le=1_000_000)
    unit: Text


class Origin(_Model):
    phrase: Text
    country: Text


class ShelfLife(_Model):
    months: int | None = Field(default=None, gt=0, le=240)
    days: int | None = Field(default=None, gt=0, le=7300)

    @model_validator(mode="after")
    def _exactly_one(self) -> ShelfLife:
        if (self.months is None) == (self.days is None):
            raise ValueError("give exactly one of months or days")
        return self


class Product(_Model):
    name: Text
    name_en: Text | None = None
    category: Category
    net_quantity: NetQuantity | None = None
    function: LongText | None = None
    function_en: LongText | None = None
    ingredients: LongText | None = None
    ingredients_en: LongText | None = None
    usage: LongText | None = None
    usage_en: LongText | None = None
    storage: LongText | None = None
    storage_en: LongText | None = None
    warnings: LongText | None = None
    warnings_en: LongText | None = None
    origin: Origin | None = None
    gtin: Annotated[str, StringConstraints(pattern=r"^\d{8}$|^\d{12,14}$")] | None = None
    batch: Text | None = None
    manufactured_on: SpecDate | None = None
    expires_on: SpecDate | None = None
    shelf_life: ShelfLife | None = None
    ethanol_percent: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_expiry_form(self) -> Product:
        if self.expires_on is not None and self.shelf_life is not None:
            raise ValueError("give expires_on or shelf_life, not both")
        if self.shelf_life is not None and self.manufactured_on is None:
            raise ValueError("shelf_life needs manufactured_on to count from")
        return self

    @property
    def expiry_date(self) -> dt.date | None:
        """The expiry as a date, whether given directly or as a shelf life after manufacture."""
        if self.expires_on is not None:
            return self.expires_on
        if self.shelf_life is None or self.manufactured_on is None:
            return None
        if self.shelf_life.days is not None:
            return self.manufactured_on + dt.timedelta(days=self.shelf_life.days)
        return add_months(self.manufactured_on, self.shelf_life.months or 0)


class Producer(_Model):
    name: Text
    address: Text
    phone: Text | None = None


class Certification(_Model):
    scheme: Literal["OCOP"] = "OCOP"
    stars: int = Field(ge=1, le=5)
    certificate_no: Text
    decision_no: Text
    issued_by: Text
    issued_on: SpecDate
    valid_until: SpecDate | None = None
    province: Text | None = None
    # The official OCOP mark file for this star level, drawn instead of labelgen's own badge.
    mark: str | None = None

    @property
    def valid_until_date(self) -> dt.date:
        """The last day of validity: the given date, or 36 months after the decision."""
        return self.valid_until or add_months(self.issued_on, 36)


class Traceability(_Model):
    base_url: (
        Annotated[str, StringConstraints(pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[!-~]*)?$")]
        | None
    ) = None
    serial: Text | None = None

    @field_validator("base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str | None) -> str | None:
        # The QR's path (/01/…) and query (?17=…) are appended to it: a query or fragment
        # here would swallow them and leave a code no scanner resolves.
        if value and ("?" in value or "#" in value):
            raise ValueError("must not hold a query (?) or a fragment (#)")
        return value.rstrip("/") if value else value


class Elsewhere(_Model):
    """Where a label too small for every mandatory item says the rest is printed (Decree
    43/2017 Art. 10(2)): e.g. "xem trên hộp ngoài" (on the outer box)."""

    where: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
    where_en: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
        | None
    ) = None


class CodeOptions(_Model):
    """How the codes are printed, where the print process's defaults do not suit (docs/spec.md)."""

    # GS1's 80 % is the least allowed; below the tolerant 100 % the report warns.
    ean_magnification_min: float = Field(
        default=EAN_MAGNIFICATION_TOLERANT, ge=EAN_MAGNIFICATION_MIN, le=EAN_MAGNIFICATION_MAX
    )
    # Taken off every bar in print PDFs instead of the print process's own (the printer's figure).
    bar_width_reduction_mm: float | None = Field(default=None, ge=0, le=0.1)


MAX_PANELS = 6

CartonStyle = Literal["reverse-tuck-end", "straight-tuck-end", "crash-lock", "sleeve"]


class Package(_Model):
    """A folding carton: its style and inside dimensions (labelgen.packaging draws it)."""

    style: CartonStyle
    length_mm: float = Field(ge=20, le=600)  # the front's width
    width_mm: float = Field(ge=15, le=600)  # the side's width
    depth_mm: float = Field(ge=20, le=600)  # the height when the box stands on its base
    board_mm: float = Field(default=0.4, ge=0.2, le=1.5)  # folding boxboard caliper


class LabelSpec(_Model):
    # One template, or the panels of one package in the order they are printed.
    template: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_PANELS)] = (
        "ocop-classic"
    )
    size: Size | None = None
    languages: list[Language] = ["vi"]
    brand: Brand
    product: Product
    producer: Producer
    certification: Certification | None = None
    traceability: Traceability = Traceability()
    elsewhere: Elsewhere | None = None
    # How the labels are printed: picks the codes' print tolerance (labelgen.codes.PRINT_PROCESSES).
    print_process: PrintProcessName = DEFAULT_PRINT_PROCESS
    codes: CodeOptions = CodeOptions()
    package: Package | None = None  # a folding carton: `template:` names its artwork style

    @field_validator("template", mode="before")
    @classmethod
    def _one_template_or_a_set(cls, value: Any) -> Any:
        # Checked before the union of the two forms, whose own errors would name neither.
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValueError("must name at least one template")
        if len(items) > MAX_PANELS:
            raise ValueError(f"a label set has at most {MAX_PANELS} panels")
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise ValueError("must be a template id or folder, or a list of them (a label set)")
        if len({item.strip() for item in items}) != len(items):
            raise ValueError("each panel may appear once in a label set")
        return value

    @model_validator(mode="after")
    def _size_of_one_template(self) -> LabelSpec:
        if self.size is not None and len(self.template_ids) > 1:
            raise ValueError(
                "size applies to one template; the panels of a set keep their own sizes"
            )
        return self

    @property
    def template_ids(self) -> tuple[str, ...]:
        """The templates named by `template:`, as a tuple even when it names one."""
        if isinstance(self.template, str):
            return (self.template,)
        return tuple(self.template)

    @field_validator("languages")
    @classmethod
    def _vietnamese_first(cls, value: list[Language]) -> list[Language]:
        if not value or value[0] != "vi":
            raise ValueError("Vietnamese ('vi') must come first")
        if len(set(value)) != len(value):
            raise ValueError("each language may appear once")
        return value

    @property
    def bilingual(self) -> bool:
        return "en" in self.languages


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def normalise_text(value: Any) -> Any:
    """Every string in a parsed document, NFC-normalised, recursively."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {normalise_text(key): normalise_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise_text(item) for item in value]
    return value


def parse_spec(document: Any, base_dir: Path | None = None) -> LabelSpec:
    """A LabelSpec from an already-decoded document; raises SpecError naming every bad field.

    `base_dir` is where a relative logo path is looked for; without it only data: URIs are allowed.
    """
    if not isinstance(document, dict):
        raise SpecError([Problem("", "the spec must be a mapping of fields (an object)")])
    document = normalise_text(document)
    image_problems = [
        problem
        for section, key in (("brand", "logo"), ("certification", "mark"))
        if (problem := _embed_image(document, base_dir, section, key)) is not None
    ]
    try:
        spec = LabelSpec.model_validate(document)
    except ValidationError as error:
        problems = [_problem_from(item) for item in error.errors()]
        raise SpecError([*image_problems, *problems]) from None
    if image_problems:
        raise SpecError(image_problems)
    return spec


def load_spec(source: str | Path) -> LabelSpec:
    """A LabelSpec read from a .json/.yaml/.yml file, or from stdin when `source` is '-'."""
    if str(source) == "-":
        raw = sys.stdin.buffer.read()
        return parse_spec(decode_document(raw, "stdin"), base_dir=Path.cwd())
    path = Path(source)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SpecError([Problem("", f"cannot read {path}: {error.strerror}")]) from None
    return parse_spec(decode_document(raw, path.name), base_dir=path.parent)


def decode_document(raw: bytes, name: str) -> Any:
    """The document inside UTF-8 bytes (BOM tolerated), read as JSON or YAML."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpecError([Problem("", f"{name} is not UTF-8 (byte {error.start})")]) from None
    try:
        if name.endswith(".json"):
            return json.loads(text, parse_int=_json_int, parse_float=_json_float)
        # YAML is a superset of JSON for our purposes, so stdin may hold either.
        return yaml.load(text, Loader=SpecLoader)  # a safe loader: see SpecLoader
    except NumberRangeError as error:
        raise SpecError([Problem("", str(error))]) from None
    except json.JSONDecodeError as error:
        reason = f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise SpecError([Problem("", reason)]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise SpecError([Problem("", f"not valid YAML: {problem}{where}")]) from None


_BOOL_TAG = "tag:yaml.org,2002:bool"


class SpecLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml.safe_load's loader with YAML 1.2 core-schema numbers, each at most MAX_NUMBER_DIGITS long.

    YAML 1.1 reads `1:59:59` as one base-60 integer, built in quadratic time (a file of such
    digits costs minutes of CPU), `0b1`, `1_000` and `012` as numbers nobody meant, and `on`,
    `yes`, `n` as booleans; here they stay text. Dates (YYYY-MM-DD) are still read as dates.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [
            (tag, pattern)
            for tag, pattern in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", _BOOL_TAG)
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_YAML_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_YAML_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
SpecLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
SpecLoader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML_INT, list("-+0123456789"))
SpecLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789."))


class NumberRangeError(ValueError):
    """A number in a spec file too long or too large to be a label's figure."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = _number_text(loader, node)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def _construct_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    text = _number_text(loader, node)
    if text.lstrip("+-").lower() in (".inf", ".nan"):
        raise _number_error(node, "infinity and NaN are not numbers a label prints")
    value = float(text)
    if not math.isfinite(value):
        raise _number_error(node, "is too large a number")
    return value


def _number_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if sum(character.isdigit() for character in text) > MAX_NUMBER_DIGITS:
        raise _number_error(node, f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return text


def _number_error(node: yaml.Node, reason: str) -> NumberRangeError:
    mark = node.start_mark
    return NumberRangeError(f"{reason} (line {mark.line + 1}, column {mark.column + 1})")


SpecLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
SpecLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise NumberRangeError(f"a number has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or len(text) > 2 * MAX_NUMBER_DIGITS:
        raise NumberRangeError("a number is too large or too long")
    return value


def _problem_from(error: Any) -> Problem:
    path = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        reason = "is required"
    elif kind == "extra_forbidden":
        reason = "is not a known field (check the spelling)"
    elif kind == "string_pattern_mismatch":
        reason = _pattern_reason(path)
    elif kind.startswith("date"):
        reason = "must be a date written YYYY-MM-DD"
    else:
        reason = str(error["msg"]).removeprefix("Value error, ")
        if reason.startswith("Input should"):
            reason = "should" + reason.removeprefix("Input should")
    if kind == "literal_error" and path == "product.category":
        reason = "must be one of " + ", ".join(get_args(Category))
    return Problem(path, reason)


def _pattern_reason(path: str) -> str:
    if path.endswith("gtin"):
        return "must be 8, 12, 13 or 14 digits"
    if path.startswith("brand.colors"):
        return "must be a colour written #RRGGBB"
    if path.endswith("base_url"):
        return "must be an https:// URL with an ASCII host name"
    return "has characters that are not allowed here"


_DATA_URI = re.compile(r"^data:(?P<type>[\w.+-]+/[\w.+-]+)(?P<params>(;[\w-]+=[\w.-]+)*);base64,")


def _embed_image(
    document: dict[str, Any], base_dir: Path | None, section: str, key: str
) -> Problem | None:
    """Replace an image path by a sanitised base64 data: URI so the spec carries all it draws."""
    holder = document.get(section)
    if not isinstance(holder, dict) or not isinstance(holder.get(key), str):
        return None
    field = f"{section}.{key}"
    image = holder[key].strip()
    match = _DATA_URI.match(image)
    if match:
        if match["type"] not in LOGO_MEDIA_TYPES:
            return Problem(field, "must be PNG, JPEG, WebP or SVG")
        if len(image) > LOGO_MAX_BYTES * 4 // 3 + 100:
            return Problem(field, f"is larger than {LOGO_MAX_BYTES // 1_000_000} MB")
        return _store_sanitized_image(holder, key, field, image)
    if image.startswith("data:"):
        return Problem(field, "must be a base64 data: URI of PNG, JPEG, WebP or SVG")
    if base_dir is None or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", image):
        return Problem(field, "must be a file next to the spec or a data: URI")
    path = base_dir / image
    media_type = mimetypes.guess_type(path.name)[0]
    if media_type not in LOGO_MEDIA_TYPES:
        return Problem(field, "must be a .png, .jpg, .webp or .svg file")
    try:
        payload = path.read_bytes()
    except OSError as error:
        return Problem(field, f"cannot read {image}: {error.strerror}")
    if len(payload) > LOGO_MAX_BYTES:
        return Problem(field, f"is larger than {LOGO_MAX_BYTES // 1_000_000} MB")
    data_uri = f"data:{media_type};base64," + base64.b64encode(payload).decode("ascii")
    return _store_sanitized_image(holder, key, field, data_uri)


def _store_sanitized_image(
    holder: dict[str, Any], key: str, field: str, data_uri: str
) -> Problem | None:
    """Put the image in the spec re-encoded as PNG (see labelgen.logos), or name what is wrong."""
    try:
        holder[key] = sanitize_logo(data_uri)
    except SpecError as error:
        return Problem(field, error.problems[0].reason)
    return None
