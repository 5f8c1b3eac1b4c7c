"""Job queue: a print run's id → a procrastinate job in PostgreSQL for `labelgen worker`, or a runner in `serve`.

procrastinate keeps its jobs in the registry's own PostgreSQL database (no broker to run), takes
each for one worker with `SELECT … FOR UPDATE SKIP LOCKED`, wakes workers with LISTEN/NOTIFY,
retries a job whose run was interrupted, and records each worker's heartbeat. A worker that is
killed leaves its job `doing` with a heartbeat that stops: every worker looks for such jobs
every RESCUE_EVERY_S and puts them back in the queue, and the next worker resumes the run from
its checkpoint (labelgen.service.runs). A session lock on the run (RunBook.exclusive) keeps a
run from being drawn twice at once even if a slow worker were taken for dead.

SQLite has no such queue and is one machine's database: there each `serve` process runs a
LocalRunner thread that takes queued runs from the same `print_runs` table.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from labelgen.errors import (
    QueueConfigError,
    RegistryUnavailableError,
    RunInterruptedError,
)
from labelgen.registry.database import libpq_conninfo
from labelgen.service.runs import LocalRunner, RunBook, RunDrawer, RunManager, run_store
from labelgen.service.settings import Settings

if TYPE_CHECKING:
    import procrastinate
    from procrastinate.job_context import JobContext

logger = logging.getLogger(__name__)

QUEUE_NAME = "print-runs"
TASK_NAME = "labelgen.draw_run"
# A worker's heartbeat; a worker silent for STALLED_AFTER_S is taken for dead and its job
# handed on. Drawing runs in a thread, so the heartbeat (on the worker's event loop) goes on
# through the longest sheet.
WORKER_HEARTBEAT_S = 2.0
STALLED_AFTER_S = 10.0
RESCUE_EVERY_S = 2.0
# An interrupted run is taken up again after this wait, as many times as it takes.
RETRY_WAIT_S = 2
MAX_ATTEMPTS = 1000
# Any fixed 64-bit number: the processes that create the queue's tables at once wait on it.
SCHEMA_LOCK_ID = 0x6C6162656C717565
WORKER_POOL_CONNECTIONS = 4


def uses_queue(engine: Engine) -> bool:
    """Whether runs go through the job queue (PostgreSQL), not a runner inside `serve`."""
    return engine.dialect.name == "postgresql"


def make_queue_app(engine: Engine) -> procrastinate.App:
    """A procrastinate app on the engine's database, with the print-run task."""
    import procrastinate

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=libpq_conninfo(engine), min_size=1, max_size=WORKER_POOL_CONNECTIONS
        )
    )
    app.task(
        name=TASK_NAME,
        queue=QUEUE_NAME,
        pass_context=True,
        retry=procrastinate.RetryStrategy(
            max_attempts=MAX_ATTEMPTS,
            wait=RETRY_WAIT_S,
            retry_exceptions={RunInterruptedError},
        ),
    )(_draw_run)
    return app


def _draw_run(context: JobContext, run_id: str) -> None:
    drawer: RunDrawer = context.additional_context["drawer"]
    drawer.draw(run_id)


def ensure_queue_schema(engine: Engine) -> None:
    """Create procrastinate's tables and functions in the database once (several processes
    may start at the same moment: they wait on one lock, and the later ones find them there).

    They live beside the registry's tables but outside its Alembic history: procrastinate
    ships its own SQL migrations, applied on an upgrade (docs/deploy.md)."""
    from procrastinate.schema import SchemaManager

    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": SCHEMA_LOCK_ID})
        connection.commit()
        try:
            present = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
            if present is None:
                # Through the driver: the script's $$-quoted bodies and casts are not for
                # SQLAlchemy's text() to read as bind parameters.
                dbapi_connection: Any = connection.connection.dbapi_connection
                dbapi_connection.execute(SchemaManager.get_schema())
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": SCHEMA_LOCK_ID})
            connection.commit()


async def defer_run(app: procrastinate.App, run_id: str) -> None:
    """Queue the job that draws `run_id`; the run id is its lock, so its attempts never
    overlap."""
    from procrastinate.exceptions import ConnectorException

    try:
        await app.tasks[TASK_NAME].configure(lock=run_id).defer_async(run_id=run_id)
    except ConnectorException as error:
        raise RegistryUnavailableError(
            f"the job queue's database failed: {error.__cause__ or error}"
        ) from None


@asynccontextmanager
async def run_jobs(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of the runs router: the app's RunManager, with the queue (PostgreSQL) or
    the runner in this process (SQLite).

    FastAPI runs a router's lifespan inside the app's own, so the registry is open for as long
    as runs are taken."""
    settings: Settings = app.state.settings
    registry = app.state.registry.registry
    store = run_store(settings)
    await run_in_threadpool(store.open)
    book = RunBook(registry.engine)
    if uses_queue(registry.engine):
        await run_in_threadpool(ensure_queue_schema, registry.engine)
        queue_app = make_queue_app(registry.engine)
        async with queue_app.open_async():
            manager = RunManager(book, store, lambda run_id: defer_run(queue_app, run_id))
            await run_in_threadpool(manager.tidy)
            app.state.runs = manager
            try:
                yield
            finally:
                app.state.runs = None
        return
    runner = LocalRunner(RunDrawer(book, store, registry))

    async def wake_runner(_run_id: str) -> None:
        runner.wake()

    manager = RunManager(book, store, wake_runner)
    await run_in_threadpool(manager.tidy)
    runner.start()
    app.state.runs = manager
    try:
        yield
    finally:
        app.state.runs = None
        await run_in_threadpool(runner.stop)


# --- `labelgen worker` -------------------------------------------------------------------------


def run_worker(settings: Settings) -> None:
    """Take print runs from the queue and draw them, one at a time, until SIGTERM or Ctrl-C
    (the run being drawn stops at its next sheet and goes back to the queue)."""
    # A worker has no other output: what it takes, finishes and hands back is its log.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_work(settings))


async def _work(settings: Settings) -> None:
    from labelgen.registry.service import Registry

    registry = Registry(settings.registry_settings())
    try:
        if not uses_queue(registry.engine):
            raise QueueConfigError(
                "LABELGEN_DATABASE_URL: `labelgen worker` takes print runs from a PostgreSQL "
                "database (postgresql+psycopg://…); with the embedded SQLite file, "
                "`labelgen serve` draws them itself"
            )
        await run_in_threadpool(registry.migrate)
        await run_in_threadpool(ensure_queue_schema, registry.engine)
        store = run_store(settings)
        await run_in_threadpool(store.open)
        drawer = RunDrawer(RunBook(registry.engine), store, registry)
        queue_app = make_queue_app(registry.engine)
        async with queue_app.open_async():
            await _serve_queue(queue_app, drawer)
    finally:
        registry.close()


async def _serve_queue(queue_app: procrastinate.App, drawer: RunDrawer) -> None:
    worker = asyncio.create_task(
        queue_app.run_worker_async(
            queues=[QUEUE_NAME],
            concurrency=1,  # a run keeps every core busy already
            additional_context={"drawer": drawer},
            install_signal_handlers=False,
            update_heartbeat_interval=WORKER_HEARTBEAT_S,
            stalled_worker_timeout=STALLED_AFTER_S,
            fetch_job_polling_interval=RESCUE_EVERY_S,
        )
    )
    rescuer = asyncio.create_task(_rescue_stalled_jobs(queue_app))

    def stop() -> None:
        logger.info("labelgen worker: stopping; the run in progress goes back to the queue")
        drawer.stopping.set()  # the run ends at its next sheet
        worker.cancel()  # procrastinate then waits for it, and takes no other job

    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop)
    try:
        await worker
    except asyncio.CancelledError:
        pass
    finally:
        rescuer.cancel()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signal_number)


async def _rescue_stalled_jobs(queue_app: procrastinate.App) -> None:
    """Put back in the queue the jobs of workers whose heartbeat stopped (killed, or their
    machine gone)."""
    import psycopg

    manager = queue_app.job_manager
    while True:
        await asyncio.sleep(RESCUE_EVERY_S)
        try:
            stalled = await manager.get_stalled_jobs(
                queue=QUEUE_NAME, seconds_since_heartbeat=STALLED_AFTER_S
            )
            for job in stalled:
                logger.warning("print run job %s lost its worker; queued again", job.id)
                await manager.retry_job(job)
        except psycopg.Error as error:
            logger.warning("looking for stalled print runs failed: %s", error)
