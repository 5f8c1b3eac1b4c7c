"""The application factory: Settings → a FastAPI app with its routers, limits, headers, problems and render pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from labelgen.service import pages
from labelgen.service.headers import SecurityHeadersMiddleware
from labelgen.service.limits import BodySizeLimitMiddleware
from labelgen.service.openapi import build_openapi
from labelgen.service.pool import RenderPool
from labelgen.service.problems import install_problem_handlers
from labelgen.service.routers import check, docs, health, labels, problems, templates
from labelgen.service.settings import Settings

DESCRIPTION = """\
Render compliant OCOP packaging labels (SVG, PNG, print PDF) and check them against the
labelling rules. Send a label spec as JSON; every error is answered as
`application/problem+json` (RFC 9457) whose `type` is one of the `/problems/{slug}` URIs
described under GET /problems.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app; its render workers start with the app's lifespan and stop when it ends.

    Settings are read here (from LABELGEN_* variables unless given), not when the module is
    imported, so that each app, and each test, gets its own.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A fresh pool for each run of the app: a server (or a test) may start it again.
        pool = RenderPool(settings)
        app.state.pool = pool
        await run_in_threadpool(pool.start)
        try:
            yield
        finally:
            # Called after the server has stopped taking requests (on SIGTERM, uvicorn first
            # lets the requests in progress finish): the pool then lets its renders finish too.
            await run_in_threadpool(pool.close)

    app = FastAPI(
        title="labelgen",
        version=_package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # Nothing leaves the box: no OpenTelemetry export, whatever the environment says.
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.settings = settings
    # Until the lifespan starts one, a pool that is not started: renders are answered 503.
    app.state.pool = RenderPool(settings)
    install_problem_handlers(app)
    # The last added runs first: the headers wrap every answer, the 413 included.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in (
        labels.router,
        check.router,
        templates.router,
        health.router,
        problems.router,
        docs.router,
    ):
        app.include_router(router)
    app.include_router(pages.router)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
    return app


def _package_version() -> str:
    try:
        return version("labelgen")
    except PackageNotFoundError:
        return "0"
