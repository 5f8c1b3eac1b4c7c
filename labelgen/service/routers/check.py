"""Check resource: POST /api/v1/check with a spec → its compliance report (JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from labelgen.errors import RenderFailedError
from labelgen.service.dispatch import (
    PoolDep,
    PrintProcessQuery,
    SettingsDep,
    read_spec_body,
    run_job,
)
from labelgen.service.models import ComplianceReport
from labelgen.service.openapi import problem_responses, spec_request_body
from labelgen.service.problems import (
    BUSY,
    CANNOT_RENDER,
    INTERNAL,
    INVALID_PARAMETER,
    INVALID_SPEC,
    MALFORMED_BODY,
    RENDER_TIMEOUT,
    REQUEST_TOO_LARGE,
    TOO_COMPLEX,
    UNAVAILABLE,
    UNSUPPORTED_MEDIA_TYPE,
)
from labelgen.service.protocol import Job
from labelgen.service.registry_check import with_registry_warnings

router = APIRouter(prefix="/api/v1", tags=["labels"])

CHECK_PROBLEMS = (
    MALFORMED_BODY,
    INVALID_PARAMETER,
    REQUEST_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    INVALID_SPEC,
    CANNOT_RENDER,
    TOO_COMPLEX,
    BUSY,
    INTERNAL,
    UNAVAILABLE,
    RENDER_TIMEOUT,
)


@router.post(
    "/check",
    summary="Check a label",
    response_model=ComplianceReport,
    responses=problem_responses(*CHECK_PROBLEMS),
    openapi_extra=spec_request_body("The label spec to check."),
)
async def check_label(
    request: Request,
    pool: PoolDep,
    settings: SettingsDep,
    as_of: Annotated[
        dt.date | None, Query(description="check as of this date (today by default)")
    ] = None,
    print_process: PrintProcessQuery = None,
) -> JSONResponse:
    """The compliance report of the spec and of its label as laid out (200 whether or not it
    is compliant: the report says so)."""
    body = await read_spec_body(request)
    job = Job(
        kind="check",
        body=body,
        base_url=settings.base_url,
        as_of=as_of,
        print_process=print_process,
        with_spec=True,
    )
    outcome = await run_job(pool, job)
    if outcome.report is None:
        raise RenderFailedError("the check answered no report")
    report = await with_registry_warnings(request, outcome.report, outcome.spec)
    return JSONResponse(report.to_dict(), headers={"Cache-Control": "no-store"})
