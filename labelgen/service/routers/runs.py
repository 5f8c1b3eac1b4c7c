"""Print-runs resource: a producer's run order → a background job (202), its progress, then its PDF and serials.

`POST /api/v1/runs` is `labelgen batch` over HTTP, with the same options. Everything that can
be checked is checked before the order is accepted: the body's fields and limits, the sheet
(the imposition module's own words), the spec (in a render worker, as `POST /api/v1/check`
does it: 422 invalid-spec or not-compliant), the label fitting the sheet as asked, and the
serial source. Without `serials` the registry issues `count` serials of the spec's batch,
signed, for the caller: the certificate the spec cites must be registered for its product
(422 certificate-not-registered), the GTIN and batch must be the caller's (404, as the products
routes answer) and a signing key must be ready (503). Given `serials` are printed in unsigned
codes, as `labelgen batch --serials` prints them, for serials kept outside the registry.

The run is drawn later by a worker (labelgen.service.queue): poll its document, on any server
process, until `status` is `done`, then download `links.pdf` and `links.serials`. A run is its
producer's own: another producer's is answered 404 exactly as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool

from labelgen.errors import (
    CodeError,
    NotCompliantError,
    NotFoundError,
    Problem,
    RegistryInputError,
    RenderFailedError,
    SheetError,
    SigningKeyError,
    SpecError,
)
from labelgen.layout import PanelSize
from labelgen.production import CARTON_RUN_REASON
from labelgen.production.imposition import (
    CALIBRATION_OFFSET_MAX_MM,
    CALIBRATION_SCALE_MAX,
    CALIBRATION_SCALE_MIN,
    Calibration,
    ImpositionOptions,
    impose,
    resolve_sheet,
)
from labelgen.production.serials import AllocateChunk, formula_problem, registry_allocator
from labelgen.registry.apikeys import Principal
from labelgen.registry.service import Registry
from labelgen.service.dispatch import PoolDep, SettingsDep, run_job
from labelgen.service.models import ProblemDetails
from labelgen.service.openapi import SPEC_SCHEMA_REF, problem_responses
from labelgen.service.pool import RenderPool
from labelgen.service.problems import (
    BUSY,
    CERTIFICATE_NOT_REGISTERED,
    CONFLICT,
    FORBIDDEN,
    INTERNAL,
    INVALID_REQUEST,
    INVALID_SPEC,
    MALFORMED_BODY,
    NOT_COMPLIANT,
    NOT_REGISTERED,
    REGISTRY_UNAVAILABLE,
    RENDER_TIMEOUT,
    REQUEST_TOO_LARGE,
    SIGNING_UNAVAILABLE,
    TOO_COMPLEX,
    UNAUTHORIZED,
    UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.protocol import Job
from labelgen.service.queue import run_jobs
from labelgen.service.registry import (
    PrincipalDep,
    RegistryAccess,
    RegistryDep,
    require_role,
)
from labelgen.service.registry_documents import read_json_object
from labelgen.service.runs import (
    RUNS_PATH,
    RunManager,
    RunOrder,
    canonical_spec_bytes,
    get_runs,
)
from labelgen.service.settings import Settings
from labelgen.spec import LabelSpec
from labelgen.traceability import GS1_QUALIFIER_MAX_CHARS, check_qualifier

router = APIRouter(prefix=RUNS_PATH, tags=["runs"], lifespan=run_jobs)

MAX_RUN_LABELS = 100_000
MAX_GRID = 100  # columns or rows: more than any sheet holds
MAX_GUTTER_MM = 50.0
MAX_MARGIN_MM = 100.0
MAX_LISTED_SERIAL_PROBLEMS = 10  # a list of 100,000 bad serials is not answered in full
NO_STORE = {"Cache-Control": "no-store"}
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# GS1 CSET 82, the characters a serial may hold in a GS1 Digital Link (AI 21).
SERIAL_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": GS1_QUALIFIER_MAX_CHARS,
    "pattern": r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$",
}
_FIELD_PREFIX = re.compile(r"^(?P<field>[a-z_]+(?:\.[a-z_]+)*): (?P<reason>.+)$", re.S)

SerialText = Annotated[str, WithJsonSchema(SERIAL_SCHEMA)]
JobName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]


class CalibrationInput(BaseModel):
    """A measured printer error to cancel: the sheet's content is moved (mm, right and down),
    then scaled about the sheet's top-left corner."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offset_x_mm: float = Field(
        default=0, ge=-CALIBRATION_OFFSET_MAX_MM, le=CALIBRATION_OFFSET_MAX_MM
    )
    offset_y_mm: float = Field(
        default=0, ge=-CALIBRATION_OFFSET_MAX_MM, le=CALIBRATION_OFFSET_MAX_MM
    )
    scale_x: float = Field(default=1, ge=CALIBRATION_SCALE_MIN, le=CALIBRATION_SCALE_MAX)
    scale_y: float = Field(default=1, ge=CALIBRATION_SCALE_MIN, le=CALIBRATION_SCALE_MAX)


class RunInput(BaseModel):
    """A print run order: the options of `labelgen batch`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: dict[str, Any] = Field(description="the label spec (as POST /api/v1/labels takes it)")
    count: int = Field(ge=1, le=MAX_RUN_LABELS, description="how many units to print")
    sheet: str = Field(
        min_length=1,
        max_length=40,
        description="A4, A3, SRA3, WIDTHxHEIGHTmm or a label-sheet preset name",
        examples=["A4"],
    )
    columns: int | None = Field(
        default=None, ge=1, le=MAX_GRID, description="labels across (default: most that fit)"
    )
    rows: int | None = Field(
        default=None, ge=1, le=MAX_GRID, description="labels down (default: most that fit)"
    )
    gutter_mm: float | None = Field(
        default=None, ge=0, le=MAX_GUTTER_MM, description="gap between trims (default: 2 × bleed)"
    )
    margin_mm: float = Field(
        default=ImpositionOptions.margin_mm,
        ge=0,
        le=MAX_MARGIN_MM,
        description="the press sheet's unprinted edge, per side",
    )
    start_position: int = Field(
        default=1, ge=1, le=MAX_GRID * MAX_GRID, description="first free label of sheet 1"
    )
    crop_marks: bool = True
    calibration: CalibrationInput = Field(default_factory=CalibrationInput)
    cmyk: bool = Field(default=False, description="CMYK with an output intent (PDF/X-4)")
    job_name: JobName | None = Field(
        default=None, description="on the slug line (default: the download's name)"
    )
    serials: list[SerialText] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_RUN_LABELS,
        description="serials to print (unsigned codes); without them the registry issues "
        "`count` signed serials of the spec's batch",
    )

    @field_validator("sheet")
    @classmethod
    def _known_sheet(cls, value: str) -> str:
        try:
            resolve_sheet(value)
        except SheetError as error:
            raise PydanticCustomError("sheet", "{reason}", {"reason": _reason(error)}) from None
        return value


class RunProgress(BaseModel):
    labels_done: int
    labels_total: int
    sheets_done: int
    sheets_total: int


class RunLinks(BaseModel):
    pdf: str = Field(description="the print PDF")
    serials: str = Field(description="the manifest: position, serial and QR content, as CSV")


class PreflightCheck(BaseModel):
    name: str
    passed: bool
    detail: str


class RunPreflight(BaseModel):
    """The checks of the produced PDF before it is released (boxes, fonts, colour, codes)."""

    passed: bool
    checks: list[PreflightCheck]


class RunDocument(BaseModel):
    """A print run: where it is, and once `done` its files. Any server process answers it."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: RunProgress
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: ProblemDetails | None = Field(description="why it failed (problem details)")
    links: RunLinks | None = Field(description="the downloads, once done")
    preflight: RunPreflight | None = Field(description="once drawn")
    labels: int
    sheets: int
    size_bytes: int | None = Field(description="of the PDF, once done")
    elapsed_s: float | None


def _request_schema() -> dict[str, Any]:
    """RunInput's schema for the operation, its `spec` the LabelSpec of the components."""
    schema = _inline_definitions(RunInput.model_json_schema())
    spec = schema["properties"]["spec"]
    schema["properties"]["spec"] = {**SPEC_SCHEMA_REF, "description": spec["description"]}
    return schema


def _inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$defs` put in place of their references, so that it stands alone in
    an operation (the OpenAPI components are not ours to add to)."""
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return inline(definitions[reference.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result


RUN_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The run: the spec, how many units and from which serials, on what sheets.",
        "content": {"application/json": {"schema": _request_schema()}},
    }
}
ORDER_PROBLEMS = (
    UNAUTHORIZED,
    FORBIDDEN,
    MALFORMED_BODY,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    INVALID_REQUEST,
    INVALID_SPEC,
    NOT_COMPLIANT,
    TOO_COMPLEX,
    CERTIFICATE_NOT_REGISTERED,
    NOT_REGISTERED,
    BUSY,
    INTERNAL,
    UNAVAILABLE,
    RENDER_TIMEOUT,
    SIGNING_UNAVAILABLE,
    REGISTRY_UNAVAILABLE,
)
READ_PROBLEMS = (UNAUTHORIZED, FORBIDDEN, NOT_REGISTERED, UNAVAILABLE, REGISTRY_UNAVAILABLE)
DOWNLOAD_HEADERS = {
    "Content-Disposition": {
        "description": 'attachment; filename="<product>-<run>.<pdf|serials.csv>"',
        "schema": {"type": "string"},
    }
}


@router.post(
    "",
    status_code=202,
    summary="Start a print run (producer)",
    response_model=RunDocument,
    responses={
        202: {
            "description": "Accepted: the run waits for its turn. Poll `Location`.",
            "headers": {
                "Location": {"description": "the run's document", "schema": {"type": "string"}}
            },
        },
        **problem_responses(*ORDER_PROBLEMS),
    },
    openapi_extra=RUN_REQUEST_BODY,
)
async def start_run(
    request: Request,
    access: RegistryDep,
    principal: PrincipalDep,
    pool: PoolDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Many serialised labels imposed on sheets in one print PDF, drawn in the background (see
    the module description for what is checked first)."""
    require_role(principal, "producer", "start print runs")
    assert principal.producer_id is not None
    runs = await get_runs(request)
    order = parse_run_input(await read_json_object(request))
    # Refused now rather than after the costly checks below.
    await access.call(runs.check_capacity)
    spec, panel = await _checked_spec(pool, settings, order.spec)
    sheet, sheets_total = await run_in_threadpool(_imposition, panel, order)
    base_url = spec.traceability.base_url or settings.base_url
    await _check_serial_source(access, principal, spec, order, settings, base_url)
    run_id = await access.call(
        runs.add,
        principal.producer_id,
        RunOrder(
            spec=spec,
            spec_bytes=canonical_spec_bytes(order.spec),
            count=order.count,
            sheet=sheet,
            sheets_total=sheets_total,
            cmyk=order.cmyk,
            base_url=base_url,
            job_name=order.job_name,
            serials=tuple(order.serials) if order.serials is not None else None,
            principal=principal if order.serials is None else None,
        ),
    )
    try:
        await runs.enqueue(run_id)
    except Exception:
        # Not queued, so never drawn: the row goes rather than wait for ever.
        await access.call(runs.book.remove, run_id)
        raise
    document = await access.call(runs.document, run_id, principal.producer_id)
    headers = {**NO_STORE, "Location": f"{RUNS_PATH}/{run_id}"}
    return JSONResponse(document, status_code=202, headers=headers)


@router.get(
    "/{run_id}",
    summary="A print run's status and progress (producer)",
    response_model=RunDocument,
    responses=problem_responses(*READ_PROBLEMS),
)
async def get_run(
    run_id: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> JSONResponse:
    """The run's status (`queued`, `running`, `done`, `failed`), progress, preflight and,
    once done, the links to its files."""
    runs = await _producer_runs(request, principal, "read print runs")
    assert principal.producer_id is not None
    document = await access.call(runs.document, run_id, principal.producer_id)
    return JSONResponse(document, headers=NO_STORE)


@router.get(
    "/{run_id}/pdf",
    summary="A finished print run's PDF (producer)",
    response_class=Response,
    responses={
        200: {
            "description": "The print PDF, as an attachment.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "headers": DOWNLOAD_HEADERS,
        },
        **problem_responses(*READ_PROBLEMS, CONFLICT),
    },
)
async def get_run_pdf(
    run_id: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> Response:
    """The PDF of a `done` run; 409 while it is queued or running, or when it failed."""
    return await _download(request, access, principal, run_id, "pdf")


@router.get(
    "/{run_id}/serials.csv",
    summary="A finished print run's serials (producer)",
    response_class=Response,
    responses={
        200: {
            "description": "The manifest, in print order: `position,serial,url` (UTF-8 CSV).",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": DOWNLOAD_HEADERS,
        },
        **problem_responses(*READ_PROBLEMS, CONFLICT),
    },
)
async def get_run_serials(
    run_id: str, request: Request, access: RegistryDep, principal: PrincipalDep
) -> Response:
    """Each unit's serial and QR content, in the order they are printed."""
    return await _download(request, access, principal, run_id, "serials")


# --- the order -------------------------------------------------------------------------------


def parse_run_input(document: dict[str, Any]) -> RunInput:
    """`document` as a RunInput; RegistryInputError (422 invalid-request) naming each bad field."""
    try:
        order = RunInput.model_validate(document)
    except ValidationError as error:
        raise RegistryInputError([_validation_problem(item) for item in error.errors()]) from None
    problems = _serial_problems(order)
    if problems:
        raise RegistryInputError(problems)
    return order


def _serial_problems(order: RunInput) -> list[Problem]:
    if order.serials is None:
        return []
    problems = []
    first_position: dict[str, int] = {}
    for position, serial in enumerate(order.serials):
        field = f"serials[{position}]"
        try:
            check_qualifier(serial, field)
        except CodeError as error:
            problems.append(Problem(field, _reason(error)))
        if (reason := formula_problem(serial)) is not None:
            problems.append(Problem(field, reason))
        if serial in first_position:
            problems.append(Problem(field, f"is serials[{first_position[serial]}] again"))
        first_position.setdefault(serial, position)
        if len(problems) >= MAX_LISTED_SERIAL_PROBLEMS:
            break
    if order.count > len(order.serials):
        problems.append(Problem("count", f"is more than the {len(order.serials)} serials given"))
    return problems


async def _checked_spec(
    pool: RenderPool, settings: Settings, document: dict[str, Any]
) -> tuple[LabelSpec, PanelSize]:
    """The spec and its code panel's size, as a render worker parsed and checked it as POST
    /api/v1/check does: a hostile spec (a logo to rasterise) costs a worker, never the service's
    process, which parses nothing of it. Its problems name fields under `spec.`."""
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    job = Job(kind="check", body=body, base_url=settings.base_url, with_spec=True)
    try:
        outcome = await run_job(pool, job)
    except SpecError as error:
        raise SpecError([_within_spec(problem) for problem in error.problems]) from None
    if outcome.spec is not None and outcome.spec.package is not None:
        raise SpecError([Problem("spec.package", CARTON_RUN_REASON)])
    if outcome.report is None:
        raise RenderFailedError("the check answered no report")
    if not outcome.report.compliant:
        raise NotCompliantError(outcome.report)
    if outcome.spec is None or outcome.code_panel is None:
        raise RenderFailedError("the check answered no spec")
    return outcome.spec, outcome.code_panel


def _within_spec(problem: Problem) -> Problem:
    return Problem(f"spec.{problem.field}" if problem.field else "spec", problem.reason)


def _imposition(panel: PanelSize, order: RunInput) -> tuple[ImpositionOptions, int]:
    """The sheet options, checked against the size of the panel that holds the codes (as
    layout_label sizes it), and the number of sheets the run takes."""
    calibration = order.calibration
    options = ImpositionOptions(
        sheet=order.sheet,
        columns=order.columns,
        rows=order.rows,
        gutter_mm=order.gutter_mm,
        margin_mm=order.margin_mm,
        start_position=order.start_position,
        crop_marks=order.crop_marks,
        calibration=Calibration(
            calibration.offset_x_mm,
            calibration.offset_y_mm,
            calibration.scale_x,
            calibration.scale_y,
        ),
    )
    try:
        imposition = impose(panel.width_mm, panel.height_mm, panel.bleed_mm, options)
    except SheetError as error:
        raise RegistryInputError([_sheet_problem(error)]) from None
    return options, imposition.sheets_needed(order.count)


async def _check_serial_source(
    access: RegistryAccess,
    principal: Principal,
    spec: LabelSpec,
    order: RunInput,
    settings: Settings,
    base_url: str,
) -> None:
    """What the registry's allocation for the run (when the order gives no serials) would
    fail on in the background, checked now."""
    if order.serials is not None:
        if settings.require_registered_certificates:
            await access.call(access.registry.confirm_cited_certificate, spec)
        return
    await access.call(_checked_allocator, access.registry, principal, spec, base_url)


def _checked_allocator(
    registry: Registry, principal: Principal, spec: LabelSpec, base_url: str
) -> AllocateChunk:
    """`registry_allocator` (which checks the cited certificate), after the checks its first
    allocation would fail on in the background: the caller's batch, a signing key."""
    allocate = registry_allocator(registry, principal, spec, base_url)
    gtin, batch = spec.product.gtin, spec.product.batch
    assert gtin is not None and batch is not None  # registry_allocator requires them
    # NotFoundError when the GTIN is not one of the caller's products.
    batches = registry.list_batches(principal, gtin)
    if batch not in {record.code for record in batches}:
        raise NotFoundError(f"product.batch: no batch {batch!r} of product {gtin!r}")
    if not any(key.signs for key in registry.list_signing_keys()):
        raise SigningKeyError(
            "no active signing key to sign the run's codes: the operator makes one with "
            "`labelgen registry keys rotate`"
        )
    return allocate


# --- reading runs ----------------------------------------------------------------------------


async def _producer_runs(request: Request, principal: Principal, doing: str) -> RunManager:
    require_role(principal, "producer", doing)
    return await get_runs(request)


async def _download(
    request: Request,
    access: RegistryAccess,
    principal: Principal,
    run_id: str,
    kind: Literal["pdf", "serials"],
) -> Response:
    runs = await _producer_runs(request, principal, "download print runs")
    assert principal.producer_id is not None
    found = await access.call(runs.finished_file, run_id, principal.producer_id, kind)
    media_type = "application/pdf" if kind == "pdf" else CSV_MEDIA_TYPE
    return FileResponse(
        found.path, media_type=media_type, filename=found.filename, headers=NO_STORE
    )


# --- problems --------------------------------------------------------------------------------


def _reason(error: Exception) -> str:
    """An error's message without the 'field: ' it starts with."""
    match = _FIELD_PREFIX.match(str(error))
    return match["reason"] if match else str(error)


def _sheet_problem(error: SheetError) -> Problem:
    """A SheetError as a problem of the field it names (the sheet when it names none)."""
    match = _FIELD_PREFIX.match(str(error))
    if match is None:
        return Problem("sheet", str(error))
    return Problem(match["field"], match["reason"])


def _validation_problem(item: Any) -> Problem:
    field = _field_path(item["loc"])
    if item["type"] == "missing":
        return Problem(field, "is required")
    if item["type"] == "extra_forbidden":
        return Problem(field, "is not a known field (check the spelling)")
    reason = str(item["msg"]).removeprefix("Value error, ")
    if reason.startswith("Input should"):
        reason = "should" + reason.removeprefix("Input should")
    return Problem(field, reason)


def _field_path(location: tuple[str | int, ...]) -> str:
    """('serials', 3) → 'serials[3]'; ('calibration', 'scale_x') → 'calibration.scale_x'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif path:
            path += f".{part}"
        else:
            path = part
    return path
