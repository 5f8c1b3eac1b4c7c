"""Labels resource: POST /api/v1/labels with a spec → the label as an SVG, PNG or PDF download.

Two checks against the certificate registry run in the service's own process (the render
workers never touch the database): with LABELGEN_REQUIRE_REGISTERED_CERTIFICATES on, a label
may cite only a certificate the registry holds for its product, with the same stars and in
force; and a serialised label asked for with a producer's API key (`?serial=…` and
`Authorization: Bearer KEY`) gets the registry's signed QR URL for that unit. The setting is
off by default so that the designer page renders any spec, such as a trial with the example
certificate, on a service whose registry is still empty; a deployment that prints for real
turns it on, and then a serialised label must be signed (an API key is required).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from labelgen.errors import RenderFailedError
from labelgen.registry.apikeys import Principal
from labelgen.service.dispatch import (
    PoolDep,
    PrintProcessQuery,
    SettingsDep,
    read_spec_body,
    run_job,
)
from labelgen.service.jobs import decode_body
from labelgen.service.openapi import problem_responses, spec_request_body
from labelgen.service.pool import RenderPool
from labelgen.service.problems import (
    BUSY,
    CANNOT_RENDER,
    CERTIFICATE_NOT_REGISTERED,
    FORBIDDEN,
    INTERNAL,
    INVALID_PARAMETER,
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
from labelgen.service.registry import RegistryAccess, get_principal, get_registry, require_role
from labelgen.service.settings import Settings
from labelgen.spec import Certification, normalise_text

router = APIRouter(prefix="/api/v1", tags=["labels"])

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
# GS1 CSET 82, the characters a serial may hold in a GS1 Digital Link (AI 21).
SERIAL_PATTERN = r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$"
# An SVG is a document a browser would run: downloaded, never shown inline from this origin,
# and sandboxed if it is opened anyway (its fonts and logo are data: URIs).
SVG_CSP = "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; sandbox"

FILE_RESPONSE = {
    "description": "The label file, as an attachment named after the product.",
    "content": {
        media_type: {"schema": {"type": "string", "format": "binary"}}
        for media_type in (*MEDIA_TYPES.values(), "application/zip")
    },
    "headers": {
        "Content-Disposition": {
            "description": 'attachment; filename="<product>.<format>"',
            "schema": {"type": "string"},
        }
    },
}
RENDER_PROBLEMS = (
    MALFORMED_BODY,
    INVALID_PARAMETER,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    INVALID_SPEC,
    NOT_COMPLIANT,
    CANNOT_RENDER,
    TOO_COMPLEX,
    BUSY,
    INTERNAL,
    UNAVAILABLE,
    RENDER_TIMEOUT,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_REGISTERED,
    CERTIFICATE_NOT_REGISTERED,
    SIGNING_UNAVAILABLE,
    REGISTRY_UNAVAILABLE,
)


@router.post(
    "/labels",
    summary="Render a label",
    response_class=Response,
    responses={200: FILE_RESPONSE, **problem_responses(*RENDER_PROBLEMS)},
    openapi_extra=spec_request_body("The label spec (the same document the CLI reads)."),
)
async def render_label(
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    output_format: Annotated[
        Literal["svg", "png", "pdf"], Query(alias="format", description="the file to make")
    ],
    dpi: Annotated[float, Query(ge=10, le=2400, description="PNG resolution")] = 300,
    draft: Annotated[
        bool,
        Query(description="render a non-compliant label with a BẢN NHÁP / DRAFT mark"),
    ] = False,
    as_of: Annotated[
        dt.date | None, Query(description="check the label as of this date (today)")
    ] = None,
    serial: Annotated[
        str | None,
        Query(
            pattern=SERIAL_PATTERN,
            description="a per-unit serial for the QR code; with a producer's API key, one "
            "allocated to the spec's batch, and the QR holds the registry's signed URL",
        ),
    ] = None,
    panel: Annotated[
        str | None,
        Query(
            max_length=80,
            description="for an SVG or PNG of a label set: the panel (template id) to draw; "
            "without it a set of several panels is answered as a ZIP of one file per panel",
        ),
    ] = None,
    cmyk: Annotated[
        bool,
        Query(description="a PDF in press CMYK, PDF/X-4 with its OutputIntent (PDF only)"),
    ] = False,
    print_process: PrintProcessQuery = None,
    view: Annotated[
        Literal["flat", "folded"],
        Query(
            description="a carton (spec with `package:`): its flat dieline, or `folded`: the "
            "closed box as PNG (`panel=listing`: the square listing image)"
        ),
    ] = "flat",
) -> Response:
    """The label as a file: `image/svg+xml`, `image/png` or `application/pdf`.

    A label set's PDF has one page per panel; its SVG or PNG is one panel (`panel=`), or a
    ZIP (`application/zip`) holding `<name>-<panel>.<format>` for each panel.

    A spec whose label breaks an `error` rule is answered 422 `/problems/not-compliant` with
    the findings, unless `draft=true`. A certification the registry does not hold is answered
    422 `/problems/certificate-not-registered` when the service requires registered
    certificates, and always for a signed serialised label.
    """
    body = await read_spec_body(request)
    qr_url = None
    if not draft:
        qr_url = await _registry_checks(request, pool, settings, body, serial)
    job = Job(
        kind="render",
        body=body,
        base_url=settings.base_url,
        output_format=output_format,
        dpi=dpi,
        draft=draft,
        serial=serial,
        as_of=as_of,
        qr_url=qr_url,
        panel=panel,
        cmyk=cmyk,
        print_process=print_process,
        view=view,
    )
    outcome = await run_job(pool, job)
    headers = {"Content-Disposition": f'attachment; filename="{outcome.filename}"'}
    if output_format == "svg":
        headers["Content-Security-Policy"] = SVG_CSP
    return Response(outcome.data, media_type=outcome.media_type, headers=headers)


async def _registry_checks(
    request: Request, pool: RenderPool, settings: Settings, body: bytes, serial: str | None
) -> str | None:
    """The signed QR URL of a serialised label asked for with an API key (None otherwise),
    after the certificate checks the service's settings ask for."""
    signs = serial is not None and (
        request.headers.get("authorization") is not None or settings.require_registered_certificates
    )
    if signs:
        assert serial is not None
        access = await get_registry(request)
        principal = await get_principal(request, access)
        return await _signed_url(access, pool, principal, body, serial, settings.base_url)
    if settings.require_registered_certificates:
        certification, gtin = _cited_certification(decode_body(body))
        if certification is not None:
            access = await get_registry(request)
            await access.call(access.registry.confirm_certification, certification, gtin)
    return None


async def _signed_url(
    access: RegistryAccess,
    pool: RenderPool,
    principal: Principal,
    body: bytes,
    serial: str,
    base_url: str,
) -> str:
    require_role(principal, "producer", "render serialised labels")
    # The whole spec is needed here (GTIN, batch, stars, its own base URL), but a spec is a
    # stranger's input (a logo to rasterise above all): a worker parses it, within its limits.
    outcome = await run_job(pool, Job(kind="parse", body=body, base_url=base_url))
    spec = outcome.spec
    if spec is None:
        raise RenderFailedError("the worker answered no spec")
    url: str = await access.call(
        access.registry.signed_label_url, principal, spec, serial, base_url
    )
    return url


def _cited_certification(document: dict[str, Any]) -> tuple[Certification | None, str | None]:
    """The certification block and GTIN of a spec document, read without parsing the rest; a
    block that is not valid is left for the render's own checks to report."""
    product = document.get("product")
    gtin = product.get("gtin") if isinstance(product, dict) else None
    block = document.get("certification")
    if not isinstance(block, dict):
        return None, None
    try:
        certification = Certification.model_validate(normalise_text(block))
    except ValidationError:
        return None, None
    return certification, gtin if isinstance(gtin, str) else None
