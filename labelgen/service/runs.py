"""Print-run jobs: accepted run orders → drawn one at a time by a background thread, with status, progress, files.

A print run already keeps every core busy (`run_batch` draws sheets in worker processes), so the
runs of one service are drawn one at a time, in the order they were accepted, by a thread that
the app's lifespan starts and stops. At most `MAX_WAITING_RUNS` orders wait; more are refused
(429) rather than piling up.

The jobs' status lives in this process's memory only: it is lost when the service stops, and a
run is known only to the instance that accepted it (a deployment of several instances must send
a producer's GETs to the one that answered its POST). Because a run cannot be looked up after a
restart anyway, stopping the service does not wait for a run to finish: the running run is
stopped at its next sheet (or its next chunk of registry serials) and marked failed with
`/problems/unavailable`, the waiting ones too, and their files are deleted. The producer starts
them again; serials the registry issued to a stopped run stay allocated and are never printed,
which costs nothing (a serial is only a number that was never used).

Each run's files are under `{data dir}/runs/{run id}/`: `run.pdf` and `run.serials.csv` (the
manifest: position, serial, QR content) beside the state files of `run_batch`. They are served
only once the run is `done`; a run that fails (its preflight included) has its folder deleted, so
half a PDF, or one that did not pass, is never downloadable. Finished runs are kept for
`KEEP_FINISHED_S` (and at most `MAX_FINISHED_RUNS` of them); folders older than that, left by an
earlier process, are deleted when the service starts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import queue
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool

from labelgen.errors import (
    ConflictError,
    LabelgenError,
    NotFoundError,
    RegistryUnavailableError,
    ServiceBusyError,
    ServiceUnavailableError,
)
from labelgen.production.imposition import ImpositionOptions
from labelgen.production.preflight import PreflightReport
from labelgen.production.run import Progress, RunRequest, RunResult, run_batch
from labelgen.production.serials import AllocateChunk, UnitCode
from labelgen.registry.settings import default_data_dir
from labelgen.service.jobs import download_name
from labelgen.service.problems import (
    CANNOT_RENDER,
    INTERNAL,
    ProblemKind,
    labelgen_error_response,
    problem_response,
)
from labelgen.service.settings import Settings
from labelgen.spec import LabelSpec

logger = logging.getLogger(__name__)

RUNS_PATH = "/api/v1/runs"
RUNS_FOLDER_NAME = "runs"
PDF_NAME = "run.pdf"  # run_batch writes the manifest beside it as run.serials.csv
GIVEN_SERIALS_NAME = "given-serials.csv"
MAX_WAITING_RUNS = 16
BUSY_RETRY_AFTER_S = 60
KEEP_FINISHED_S = 24 * 3600
MAX_FINISHED_RUNS = 200
STOPPED_DETAIL = "the service stopped before the run finished; start the run again"

RunStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class RunOrder:
    """A run as accepted: everything checked, nothing drawn or allocated yet."""

    spec: LabelSpec
    spec_bytes: bytes  # the spec as canonical JSON: part of the run's fingerprint
    count: int
    sheet: ImpositionOptions
    sheets_total: int
    cmyk: bool
    base_url: str
    job_name: str | None
    # Given serials are printed in unsigned codes, as `labelgen batch --serials` prints them;
    # None: `allocate` has the registry issue and sign them.
    serials: tuple[str, ...] | None
    allocate: AllocateChunk | None


@dataclass
class RunJob:
    """One run and how far it is; changed by the run thread under the manager's lock."""

    id: str
    owner: int  # the producer's registry id
    # Dropped once the run is drawn or failed: a spec with its logo and up to 100,000 serials
    # are not kept for every finished run.
    order: RunOrder | None
    folder: Path
    download_stem: str
    created_at: dt.datetime
    progress: Progress
    status: RunStatus = "queued"
    started_s: float | None = None  # time.monotonic() when drawing began
    elapsed_s: float | None = None
    finished_at: dt.datetime | None = None
    error: dict[str, Any] | None = None
    result: RunResult | None = None
    preflight: PreflightReport | None = None

    @property
    def pdf_path(self) -> Path:
        return self.folder / PDF_NAME

    @property
    def manifest_path(self) -> Path:
        return self.folder / (Path(PDF_NAME).stem + ".serials.csv")


@dataclass(frozen=True)
class RunFile:
    """A finished run's file to send: where it is and the name the download gets."""

    path: Path
    filename: str


class RunManager:
    """The runs of one app: accepts orders, draws them one at a time in its thread, answers
    what each producer may see of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._jobs: dict[str, RunJob] = {}
        # Guards every job's changing fields: the run thread writes them, requests read them.
        self._lock = threading.Lock()
        self._queue: queue.Queue[RunJob | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Make the runs folder, clear out what earlier processes left, start the run thread."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _remove_old_folders(self.folder, time.time() - KEEP_FINISHED_S)
        # A daemon, so that an app whose lifespan never ends cannot keep the interpreter alive;
        # the lifespan's stop() is what ends it normally.
        self._thread = threading.Thread(target=self._serve, name="labelgen-runs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Fail the waiting runs, stop the running one at its next sheet, end the thread."""
        self._stopping.set()
        with self._lock:
            waiting = [job for job in self._jobs.values() if job.status == "queued"]
            for job in waiting:
                self._finish(job, "failed", error=_stopped_problem())
                job.order = None
        for job in waiting:
            _remove_folder(job.folder)
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join()

    def submit(self, owner: int, order: RunOrder) -> RunJob:
        """Queue `order` for `owner`; ServiceBusyError when `MAX_WAITING_RUNS` already wait."""
        if self._stopping.is_set():
            raise ServiceUnavailableError("the service is stopping; start the run again later")
        run_id = uuid.uuid4().hex
        stem = download_name(order.spec, "pdf").removesuffix(".pdf")
        job = RunJob(
            id=run_id,
            owner=owner,
            order=order,
            folder=self.folder / run_id,
            download_stem=f"{stem}-{run_id[:8]}",
            created_at=_now(),
            progress=Progress(0, order.sheets_total, 0, order.count, 0.0),
        )
        with self._lock:
            self._refuse_when_full()
            self._jobs[run_id] = job
        self._queue.put(job)
        return job

    def check_capacity(self) -> None:
        """ServiceBusyError when no more orders may wait (asked before an order's costly checks)."""
        with self._lock:
            self._refuse_when_full()

    def document(self, run_id: str, owner: int) -> dict[str, Any]:
        """The run's job document; NotFoundError when it is not one of `owner`'s."""
        with self._lock:
            return run_document(self._own_job(run_id, owner))

    def finished_file(self, run_id: str, owner: int, kind: Literal["pdf", "serials"]) -> RunFile:
        """The PDF or the manifest of a `done` run; ConflictError while it is not done."""
        with self._lock:
            job = self._own_job(run_id, owner)
            if job.status != "done":
                raise ConflictError(_not_done_reason(job))
            if kind == "pdf":
                return RunFile(job.pdf_path, f"{job.download_stem}.pdf")
            return RunFile(job.manifest_path, f"{job.download_stem}.serials.csv")

    # --- the run thread ------------------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._draw(job)
            self._forget_old_runs()

    def _draw(self, job: RunJob) -> None:
        with self._lock:
            if job.status != "queued":  # failed by stop() while it waited
                return
            job.status = "running"
            job.started_s = time.monotonic()
        try:
            request = self._request(job)
            result = run_batch(request, lambda progress: self._advance(job, progress))
        except LabelgenError as error:
            self._fail(job, _error_problem(error))
        except (OperationalError, InterfaceError) as error:
            problem = _error_problem(RegistryUnavailableError(f"{error.orig}"))
            self._fail(job, problem)
        except Exception:
            logger.exception("print run %s failed", job.id)
            self._fail(job, _problem(INTERNAL, "the run failed; the failure has been logged"))
        else:
            self._complete(job, result)
        finally:
            with self._lock:
                job.order = None

    def _request(self, job: RunJob) -> RunRequest:
        order = job.order
        assert order is not None  # dropped only once the run is over
        job.folder.mkdir(parents=True)
        serials_file = None
        if order.serials is not None:
            serials_file = job.folder / GIVEN_SERIALS_NAME
            write_serial_list(serials_file, order.serials)
        allocate = None
        if order.allocate is not None:
            allocate = self._stoppable(order.allocate)
        return RunRequest(
            spec=order.spec,
            spec_bytes=order.spec_bytes,
            output=job.pdf_path,
            count=order.count,
            serials_file=serials_file,
            allocate=allocate,
            sheet=order.sheet,
            cmyk=order.cmyk,
            base_url=order.base_url,
            job_name=order.job_name or job.download_stem,
        )

    def _stoppable(self, allocate: AllocateChunk) -> AllocateChunk:
        def allocate_unless_stopping(count: int, request_id: str) -> list[UnitCode]:
            self._raise_if_stopping()
            return allocate(count, request_id)

        return allocate_unless_stopping

    def _advance(self, job: RunJob, progress: Progress) -> None:
        # Raising here is how a run is stopped: run_batch calls this after every sheet.
        self._raise_if_stopping()
        with self._lock:
            job.progress = progress

    def _raise_if_stopping(self) -> None:
        if self._stopping.is_set():
            raise ServiceUnavailableError(STOPPED_DETAIL, retry_after_s=BUSY_RETRY_AFTER_S)

    def _complete(self, job: RunJob, result: RunResult) -> None:
        if not result.preflight.passed:
            failed = [check.name for check in result.preflight.checks if not check.passed]
            logger.warning("print run %s failed its preflight: %s", job.id, ", ".join(failed))
            detail = (
                f"the PDF failed its preflight ({', '.join(failed)}), so it is not released; "
                "`preflight` says what was found"
            )
            with self._lock:
                job.result = result
                job.preflight = result.preflight
            self._fail(job, _problem(CANNOT_RENDER, detail))
            return
        with self._lock:
            job.result = result
            job.preflight = result.preflight
            self._finish(job, "done", elapsed_s=result.elapsed_s)

    def _fail(self, job: RunJob, problem: dict[str, Any]) -> None:
        # The folder goes before the status says failed: nothing of it is ever served.
        _remove_folder(job.folder)
        with self._lock:
            self._finish(job, "failed", error=problem)

    def _finish(
        self,
        job: RunJob,
        status: RunStatus,
        *,
        error: dict[str, Any] | None = None,
        elapsed_s: float | None = None,
    ) -> None:
        """Mark `job` finished; the caller holds the lock."""
        job.status = status
        job.error = error
        job.finished_at = _now()
        if elapsed_s is None and job.started_s is not None:
            elapsed_s = time.monotonic() - job.started_s
        job.elapsed_s = elapsed_s

    def _forget_old_runs(self) -> None:
        """Drop finished runs past their keeping time, and the oldest beyond the most kept."""
        cutoff = _now() - dt.timedelta(seconds=KEEP_FINISHED_S)
        with self._lock:
            finished = sorted(
                (job for job in self._jobs.values() if job.finished_at is not None),
                key=lambda job: job.finished_at or cutoff,
            )
            surplus = max(0, len(finished) - MAX_FINISHED_RUNS)
            expired = [
                job
                for index, job in enumerate(finished)
                if index < surplus or (job.finished_at is not None and job.finished_at < cutoff)
            ]
            for job in expired:
                del self._jobs[job.id]
        for job in expired:
            _remove_folder(job.folder)

    # --- under the lock ------------------------------------------------------------------------

    def _own_job(self, run_id: str, owner: int) -> RunJob:
        job = self._jobs.get(run_id)
        # Another producer's run is answered as one that does not exist.
        if job is None or job.owner != owner:
            raise NotFoundError(f"run: no run {run_id!r} of yours")
        return job

    def _refuse_when_full(self) -> None:
        waiting = sum(1 for job in self._jobs.values() if job.status == "queued")
        if waiting >= MAX_WAITING_RUNS:
            raise ServiceBusyError(BUSY_RETRY_AFTER_S)


def run_document(job: RunJob) -> dict[str, Any]:
    """The job document the API answers (see RunDocument in the runs router)."""
    progress = job.progress
    result = job.result
    done = job.status == "done"
    elapsed_s = job.elapsed_s
    if elapsed_s is None and job.started_s is not None:
        elapsed_s = time.monotonic() - job.started_s
    links = None
    if done:
        links = {"pdf": f"{RUNS_PATH}/{job.id}/pdf", "serials": f"{RUNS_PATH}/{job.id}/serials.csv"}
    return {
        "id": job.id,
        "status": job.status,
        "progress": {
            "labels_done": progress.labels_done,
            "labels_total": progress.labels_total,
            "sheets_done": progress.sheets_done,
            "sheets_total": progress.sheets_total,
        },
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "error": job.error,
        "links": links,
        "preflight": preflight_document(job.preflight) if job.preflight else None,
        "labels": result.labels if result else progress.labels_total,
        "sheets": result.sheets if result else progress.sheets_total,
        "size_bytes": result.size_bytes if result and done else None,
        "elapsed_s": round(elapsed_s, 3) if elapsed_s is not None else None,
    }


def preflight_document(report: PreflightReport) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "checks": [
            {"name": check.name, "passed": check.passed, "detail": check.detail}
            for check in report.checks
        ],
    }


def write_serial_list(path: Path, serials: tuple[str, ...]) -> None:
    """Given serials as the CSV `read_serial_file` reads: a `serial` header, one a line."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("serial",))
        writer.writerows((serial,) for serial in serials)


def runs_folder(settings: Settings) -> Path:
    """Where the runs' files go: `runs` in the service's data dir."""
    return (settings.data_dir or default_data_dir()) / RUNS_FOLDER_NAME


@asynccontextmanager
async def run_jobs(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of the runs router: the app's RunManager, started and stopped with the app.

    FastAPI runs a router's lifespan inside the app's own, so the registry is open for as long
    as runs are drawn."""
    manager = RunManager(runs_folder(app.state.settings))
    await run_in_threadpool(manager.start)
    app.state.runs = manager
    try:
        yield
    finally:
        app.state.runs = None
        await run_in_threadpool(manager.stop)


async def get_runs(request: Request) -> RunManager:
    manager: RunManager | None = getattr(request.app.state, "runs", None)
    if manager is None:
        raise ServiceUnavailableError("print runs are not taken yet", retry_after_s=2)
    return manager


def _not_done_reason(job: RunJob) -> str:
    if job.status == "failed":
        return f"run {job.id} failed, so it has no files; `error` in its document says why"
    return (
        f"run {job.id} is {job.status}: its files are there once GET {RUNS_PATH}/{job.id} says done"
    )


def _error_problem(error: LabelgenError) -> dict[str, Any]:
    """The problem document the API would answer for `error`."""
    return _body(labelgen_error_response(error))


def _problem(kind: ProblemKind, detail: str) -> dict[str, Any]:
    return _body(problem_response(kind, detail))


def _body(response: JSONResponse) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(bytes(response.body))
    return document


def _stopped_problem() -> dict[str, Any]:
    return _error_problem(ServiceUnavailableError(STOPPED_DETAIL))


def _remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _remove_old_folders(folder: Path, older_than: float) -> None:
    for child in folder.iterdir():
        try:
            if child.is_dir() and child.stat().st_mtime < older_than:
                _remove_folder(child)
        except OSError:
            continue  # gone already, or another process's: not ours to worry about


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
