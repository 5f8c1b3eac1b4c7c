"""Labels resource: POST /api/v1/labels with a spec → the label as an SVG, PNG or PDF download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from labelgen.service.dispatch import PoolDep, SettingsDep, read_spec_body, run_job
from labelgen.service.openapi import problem_responses, spec_request_body
from labelgen.service.problems import (
    BUSY,
    CANNOT_RENDER,
    INTERNAL,
    INVALID_PARAMETER,
    INVALID_SPEC,
    MALFORMED_BODY,
    NOT_COMPLIANT,
    RENDER_TIMEOUT,
    REQUEST_TOO_LARGE,
    TOO_COMPLEX,
    UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.protocol import Job

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
        for media_type in MEDIA_TYPES.values()
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
        Query(pattern=SERIAL_PATTERN, description="a per-unit serial for the QR code"),
    ] = None,
) -> Response:
    """The label as a file: `image/svg+xml`, `image/png` or `application/pdf`.

    A spec whose label breaks an `error` rule is answered 422 `/problems/not-compliant` with
    the findings, unless `draft=true`.
    """
    body = await read_spec_body(request)
    job = Job(
        kind="render",
        body=body,
        base_url=settings.base_url,
        output_format=output_format,
        dpi=dpi,
        draft=draft,
        serial=serial,
        as_of=as_of,
    )
    outcome = await run_job(pool, job)
    headers = {"Content-Disposition": f'attachment; filename="{outcome.filename}"'}
    if output_format == "svg":
        headers["Content-Security-Policy"] = SVG_CSP
    return Response(outcome.data, media_type=MEDIA_TYPES[output_format], headers=headers)
