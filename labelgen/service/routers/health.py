"""Health resource: GET /healthz (the process answers) and GET /readyz (the render workers answer)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from labelgen.errors import ServiceUnavailableError
from labelgen.service.dispatch import PoolDep
from labelgen.service.models import Liveness, Readiness
from labelgen.service.openapi import problem_responses
from labelgen.service.problems import UNAVAILABLE

router = APIRouter(tags=["service"])

NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz", summary="Liveness", response_model=Liveness)
async def healthz() -> JSONResponse:
    """200 while the service's event loop answers; it never waits for a render."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses=problem_responses(UNAVAILABLE),
)
async def readyz(pool: PoolDep) -> JSONResponse:
    """200 when a render worker answers a ping (or all are busy rendering); 503 otherwise."""
    if not await pool.ping():
        raise ServiceUnavailableError("no render worker is answering", retry_after_s=5)
    stats = pool.stats()
    body = {
        "status": "ready",
        "workers": stats.workers,
        "idle": stats.idle,
        "waiting": stats.waiting,
    }
    return JSONResponse(body, headers=NO_STORE)
