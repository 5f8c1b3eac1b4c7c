"""Request → job → outcome: reads a spec body (JSON only), runs the job in the pool, raises for refusals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from labelgen.codes import PrintProcessName
from labelgen.errors import (
    LabelTooComplexError,
    MalformedBodyError,
    NotCompliantError,
    RenderError,
    RenderFailedError,
    SpecError,
    UnsupportedMediaTypeError,
)
from labelgen.service.limits import MAX_JSON_DEPTH, json_too_deep
from labelgen.service.pool import RenderPool
from labelgen.service.protocol import Job, Outcome
from labelgen.service.settings import Settings


# Coroutines, not plain functions: FastAPI would run a plain dependency in a thread of its own,
# a hop that costs more than the lookup.
async def get_pool(request: Request) -> RenderPool:
    pool: RenderPool = request.app.state.pool
    return pool


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Bodies up to this size are measured on the event loop (a fraction of a millisecond).
LARGE_BODY_BYTES = 64_000

PoolDep = Annotated[RenderPool, Depends(get_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# The press a label is checked or drawn for, as the command line's --print-process.
PrintProcessQuery = Annotated[
    PrintProcessName | None,
    Query(
        description="the press that prints it, for the codes' print tolerance: offset, "
        "digital, flexo or thermal-300dpi (instead of the spec's `print_process`)"
    ),
]


async def read_spec_body(request: Request) -> bytes:
    """The raw body of a spec request, once its media type says JSON (415 otherwise).

    The bytes are not decoded here: decoding and parsing run in a worker, like the render. Only
    their nesting is measured first (400 when too deep), so that a small body of brackets never
    costs a worker.
    """
    content_type = request.headers.get("content-type", "")
    if not is_json_media_type(content_type):
        shown = content_type.split(";")[0].strip() or "none"
        raise UnsupportedMediaTypeError(
            f"send the spec as JSON with Content-Type: application/json (not {shown})"
        )
    body = await request.body()
    if not body.strip():
        raise MalformedBodyError("the body is empty; send the label spec as a JSON object")
    # A large body is scanned in a thread: the event loop keeps answering meanwhile.
    too_deep = (
        await run_in_threadpool(json_too_deep, body)
        if len(body) > LARGE_BODY_BYTES
        else json_too_deep(body)
    )
    if too_deep:
        raise MalformedBodyError(
            f"the body is nested too deeply: a label spec nests at most {MAX_JSON_DEPTH} levels "
            "of objects and arrays"
        )
    return body


def is_json_media_type(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def run_job(pool: RenderPool, job: Job) -> Outcome:
    """The job's outcome when it made a file, a report or a spec; the matching error otherwise."""
    outcome = await pool.run(job)
    raise_for_outcome(outcome)
    return outcome


def raise_for_outcome(outcome: Outcome) -> None:
    if outcome.kind in ("file", "report", "spec"):
        return
    if outcome.kind == "invalid-spec":
        raise SpecError(list(outcome.problems))
    if outcome.kind == "not-compliant":
        raise NotCompliantError(outcome.report)
    if outcome.kind == "malformed-body":
        raise MalformedBodyError(outcome.detail)
    if outcome.kind == "cannot-render":
        raise RenderError(outcome.detail)
    if outcome.kind == "too-complex":
        raise LabelTooComplexError("rendering this label needed more memory than a render may use")
    raise RenderFailedError("the render failed")
