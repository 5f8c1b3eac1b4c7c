"""The application factory: Settings → a FastAPI app with routers, middleware, problems, registry and render pool."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from labelgen.service import pages
from labelgen.service.drain import Drain, DrainMiddleware, install_sigterm_drain
from labelgen.service.headers import PublicLocationMiddleware, SecurityHeadersMiddleware
from labelgen.service.limits import BodySizeLimitMiddleware
from labelgen.service.openapi import build_openapi
from labelgen.service.pool import RenderPool
from labelgen.service.problems import install_problem_handlers
from labelgen.service.registry import RegistryAccess, open_registry
from labelgen.service.routers import (
    certificates,
    check,
    docs,
    health,
    labels,
    problems,
    products,
    reports,
    runs,
    templates,
    verification,
)
from labelgen.service.routers.verification import VerdictFastPath
from labelgen.service.settings import Settings
from labelgen.service.verify_cache import make_verifier

if TYPE_CHECKING:
    from labelgen.registry.service import Registry

# Answers not worth compressing again: Starlette's list, plus PDF (its streams are deflated).
COMPRESSED_ALREADY = (
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "application/pdf",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "audio/*",
    "video/*",
)

# Beyond a render's time limit, what a request in flight may take to finish on SIGTERM.
DRAIN_MARGIN_S = 5.0

DESCRIPTION = """\
Render compliant OCOP packaging labels (SVG, PNG, print PDF) and check them against the
labelling rules; keep the registry of OCOP certificates, products, batches and serials
(issuers and producers, with `Authorization: Bearer KEY`); and answer the URL a label's QR
code holds with the verdict on it. Send a label spec as JSON; every error is answered as
`application/problem+json` (RFC 9457) whose `type` is one of the `/problems/{slug}` URIs
described under GET /problems.
"""


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    """A new app; its registry opens and its render workers start with the app's lifespan, and
    both close when it ends.

    Settings are read here (from LABELGEN_* variables unless given), not when the module is
    imported, so that each app, and each test, gets its own. The registry is the embedded
    SQLite file under the data dir unless LABELGEN_DATABASE_URL names another database; its
    schema is brought up to date once, at start-up. A `registry` passed in (a test's, with its
    own clock) is used as it is and left open for its owner to close.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        restore_sigterm = install_sigterm_drain(drain, settings.render_timeout_s + DRAIN_MARGIN_S)
        opened, owned = await run_in_threadpool(open_registry, settings, registry)
        verifier = make_verifier(opened, settings)
        verifier.start()
        app.state.registry = RegistryAccess(opened, settings.registry_threads, verifier)
        # A fresh pool for each run of the app: a server (or a test) may start it again.
        pool = RenderPool(settings)
        app.state.pool = pool
        try:
            await run_in_threadpool(pool.start)
            freeze_start_up_objects()
            yield
        finally:
            gc.unfreeze()
            restore_sigterm()
            # Called after the server has stopped taking requests (on SIGTERM, uvicorn first
            # lets the requests in progress finish): the pool then lets its renders finish too.
            await run_in_threadpool(pool.close)
            app.state.registry = None
            # The scans still buffered are written before the registry closes.
            await run_in_threadpool(verifier.close)
            if owned:
                await run_in_threadpool(opened.close)

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
    drain = Drain()
    app.state.drain = drain
    # Until the lifespan starts one, a pool that is not started: renders are answered 503.
    app.state.pool = RenderPool(settings)
    app.state.registry = None
    install_problem_handlers(app)
    # The last added runs first: the headers wrap every answer, the 413 included.
    # Scans are answered here, inside the body limit and the security headers but in front of
    # the routing (see VerdictFastPath); the route under it documents them and answers the rest.
    app.add_middleware(VerdictFastPath)
    # Text answers (pages, scripts, JSON, SVG) are compressed for phones on mobile data; images,
    # PDFs and archives are compressed already.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1000,
        compresslevel=6,
        exclude_content_types=COMPRESSED_ALREADY,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # On SIGTERM new requests are answered 503 here, while those in flight finish.
    app.add_middleware(DrainMiddleware, drain=drain)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(PublicLocationMiddleware, origin=settings.public_origin())
    if settings.trusted_proxies:
        # First of all, so that everything after it (a scan's network hash above all) sees the
        # client the proxy reports; from any other peer, the headers are ignored.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
    # The scanned codes' URLs first: routes are matched in order, and they are the busiest.
    for router in (
        verification.router,
        labels.router,
        check.router,
        templates.router,
        certificates.router,
        products.router,
        reports.router,
        health.router,
        problems.router,
        docs.router,
    ):
        app.include_router(router)
    app.include_router(runs.router)
    app.include_router(pages.router)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
    return app


def freeze_start_up_objects() -> None:
    """Take what start-up built out of the cyclic garbage collector's sight until the app stops.

    A server process holds some 215,000 objects that the collector tracks once its modules,
    routes, templates and registry are loaded, and they live as long as the process. Each
    collection of the oldest generation walked all of them: 100-300 ms on two shared cores (more
    on a busy machine) during which the event loop answered nothing, a few times a minute under
    load, and the p99 of a scan at 1,000 scans/s was that pause (benchmarks/bench_verify.py).
    Frozen, they are skipped, and such a collection walks only what was made since (the verdict
    cache's entries first of all). The garbage of start-up is collected first, so that none is
    kept for good.
    """
    gc.collect()
    gc.freeze()


def _package_version() -> str:
    try:
        return version("labelgen")
    except PackageNotFoundError:
        return "0"
