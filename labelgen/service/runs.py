"""Print-run jobs: accepted run orders → rows in the database, drawn by a worker, answered by any server process.

A run is a row of `print_runs` (labelgen.registry.models.PrintRun) from the moment it is
accepted: its order (the checked spec, the sheet, the serial source), then its progress, then
its outcome. Any server process reads it there, so a producer may poll and download through
whichever instance a proxy sends it to. Its files are in the run store (labelgen.storage), a
directory every server and worker mounts.

Who draws it depends on the database (labelgen.service.queue): on PostgreSQL a job is queued
with procrastinate and `labelgen worker` processes, on any machine, take it; with the embedded
SQLite file each `labelgen serve` process runs a `LocalRunner` thread that takes queued rows
itself, one run at a time, so a single machine needs nothing more. Either way `RunDrawer`
draws it, the same code.

A run survives the process that draws it. The run engine (labelgen.production.run) keeps a
checkpoint of the PDF and the serials it has written in the run's folder; a run taken up again,
after its worker was stopped or killed, resumes from there: its registry serials are asked for
again under the same request ids, so the registry answers the same serials and none is printed
twice. A worker that stops (SIGTERM) ends its run at the next sheet and puts it back in the
queue; a worker that dies is noticed by its missing heartbeat and its run is given to another.

A run's folder is served only once the run is `done`; a run that fails (its preflight
included) has its folder deleted, so half a PDF, or one that did not pass, is never
downloadable. Finished runs are kept for `KEEP_FINISHED_S` (and at most `MAX_FINISHED_RUNS` of
them), then forgotten with their files.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import Engine, Table, delete, func, select, text, update
from sqlalchemy.exc import InterfaceError, OperationalError

from labelgen.errors import (
    ConflictError,
    LabelgenError,
    NotFoundError,
    Problem,
    RegistryUnavailableError,
    RunInterruptedError,
    ServiceBusyError,
    ServiceUnavailableError,
    SpecError,
    StorageError,
)
from labelgen.production.imposition import Calibration, ImpositionOptions
from labelgen.production.preflight import PreflightReport
from labelgen.production.run import Progress, RunPaths, RunRequest, RunResult, run_batch
from labelgen.production.serials import AllocateChunk, UnitCode, registry_allocator
from labelgen.registry.apikeys import Principal
from labelgen.registry.models import PrintRun
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
from labelgen.storage import RunStore, is_run_id

if TYPE_CHECKING:
    from labelgen.registry.service import Registry

logger = logging.getLogger(__name__)

RUNS_PATH = "/api/v1/runs"
RUNS_FOLDER_NAME = "runs"
PDF_NAME = "run.pdf"  # run_batch writes the manifest beside it as run.serials.csv
GIVEN_SERIALS_NAME = "given-serials.csv"
MAX_WAITING_RUNS = 16
BUSY_RETRY_AFTER_S = 60
KEEP_FINISHED_S = 24 * 3600
MAX_FINISHED_RUNS = 200
# A drawing run's row is touched this often; a `running` row untouched for STALE_AFTER_S lost
# its process (SQLite mode; on PostgreSQL the queue's worker heartbeats say it).
HEARTBEAT_S = 2.0
STALE_AFTER_S = 20.0
# Progress is written at most this often: a run of 100,000 labels has thousands of sheets.
PROGRESS_EVERY_S = 0.5
STOPPED_DETAIL = (
    "the worker stopped before the run finished; the run is drawn again from its last checkpoint"
)

RunStatus = Literal["queued", "running", "done", "failed"]
# Core statements on the mapped table: rows move as plain dicts between processes, no ORM state.
RUNS = cast(Table, PrintRun.__table__)


@dataclass(frozen=True)
class RunOrder:
    """A run as accepted: everything checked, nothing drawn or allocated yet.

    It is kept as JSON in the run's row, so that a worker on another machine draws it: the spec
    as the canonical JSON it was checked from, the serial source as data (the serials given,
    or the producer whose batch the registry issues them from)."""

    spec: LabelSpec
    spec_bytes: bytes  # the spec as canonical JSON: part of the run's fingerprint
    count: int
    sheet: ImpositionOptions
    sheets_total: int
    cmyk: bool
    base_url: str
    job_name: str | None
    # Given serials are printed in unsigned codes, as `labelgen batch --serials` prints them.
    serials: tuple[str, ...] | None
    # Without given serials: the producer whose batch the registry issues and signs them from.
    principal: Principal | None

    def to_json(self) -> str:
        sheet = dataclasses.asdict(self.sheet)
        return json.dumps(
            {
                # The spec as the render worker parsed it (logos re-encoded): read back without
                # parsing it again, so no server process ever decodes a client's image.
                "spec": self.spec.model_dump(mode="json"),
                "spec_bytes": self.spec_bytes.decode("utf-8"),
                "count": self.count,
                "sheet": sheet,
                "sheets_total": self.sheets_total,
                "cmyk": self.cmyk,
                "base_url": self.base_url,
                "job_name": self.job_name,
                "serials": list(self.serials) if self.serials is not None else None,
                "principal": dataclasses.asdict(self.principal) if self.principal else None,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, document_text: str) -> RunOrder:
        document = json.loads(document_text)
        sheet = dict(document["sheet"])
        sheet["calibration"] = Calibration(**sheet["calibration"])
        principal = document["principal"]
        return cls(
            spec=_checked_spec(document["spec"]),
            spec_bytes=document["spec_bytes"].encode("utf-8"),
            count=document["count"],
            sheet=ImpositionOptions(**sheet),
            sheets_total=document["sheets_total"],
            cmyk=document["cmyk"],
            base_url=document["base_url"],
            job_name=document["job_name"],
            serials=tuple(document["serials"]) if document["serials"] is not None else None,
            principal=Principal(**principal) if principal else None,
        )


def _checked_spec(document: dict[str, Any]) -> LabelSpec:
    """A spec stored by `RunOrder.to_json`; SpecError when this version cannot read it."""
    try:
        return LabelSpec.model_validate(document)
    except ValidationError as error:
        raise SpecError([Problem("spec", str(error.errors()[0]["msg"]))]) from None


def canonical_spec_bytes(document: dict[str, Any]) -> bytes:
    """A spec document as the canonical JSON that is part of its run's fingerprint."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class RunFile:
    """A finished run's file to send: where it is and the name the download gets."""

    path: Path
    filename: str


# --- the rows ------------------------------------------------------------------------------------


class RunBook:
    """The `print_runs` rows of one database: what every process knows of every run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, owner: int, order: RunOrder) -> str:
        """A new queued run of `order` for `owner`; its id."""
        run_id = uuid.uuid4().hex
        stem = download_name(order.spec, "pdf").removesuffix(".pdf")
        with self.engine.begin() as connection:
            connection.execute(
                RUNS.insert().values(
                    id=run_id,
                    owner=owner,
                    status="queued",
                    order_json=order.to_json(),
                    download_stem=f"{stem}-{run_id[:8]}",
                    labels_done=0,
                    labels_total=order.count,
                    sheets_done=0,
                    sheets_total=order.sheets_total,
                    attempts=0,
                    created_at=_now(),
                )
            )
        return run_id

    def remove(self, run_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(RUNS).where(RUNS.c.id == run_id))

    def row(self, run_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            found = connection.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
        return dict(found) if found is not None else None

    def waiting(self) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(RUNS).where(RUNS.c.status == "queued")
            ).scalar_one()
        return int(count)

    def start(self, run_id: str) -> RunOrder | None:
        """Mark the run running and give its order; None when it is not there to draw (done,
        failed or forgotten meanwhile)."""
        now = _now()
        with self.engine.begin() as connection:
            found = connection.execute(
                select(RUNS.c.status, RUNS.c.order_json, RUNS.c.started_at).where(
                    RUNS.c.id == run_id
                )
            ).first()
            if found is None or found.status in ("done", "failed") or found.order_json is None:
                return None
            connection.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id)
                .values(
                    status="running",
                    attempts=RUNS.c.attempts + 1,
                    drawn_by=drawer_name(),
                    started_at=found.started_at or now,
                    heartbeat_at=now,
                )
            )
        return RunOrder.from_json(found.order_json)

    def claim_next(self) -> str | None:
        """Take the oldest queued run for this process (SQLite mode); None when none waits.

        Several server processes share the database: the conditional UPDATE is what makes
        one of them, and only one, take a run."""
        now = _now()
        with self.engine.begin() as connection:
            connection.execute(
                update(RUNS)
                .where(
                    RUNS.c.status == "running",
                    RUNS.c.heartbeat_at < now - dt.timedelta(seconds=STALE_AFTER_S),
                )
                .values(status="queued")
            )
            run_id = connection.execute(
                select(RUNS.c.id)
                .where(RUNS.c.status == "queued")
                .order_by(RUNS.c.created_at)
                .limit(1)
            ).scalar()
            if run_id is None:
                return None
            taken = connection.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id, RUNS.c.status == "queued")
                .values(status="running", heartbeat_at=now)
            ).rowcount
        return str(run_id) if taken else None

    def beat(self, run_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id, RUNS.c.status == "running")
                .values(heartbeat_at=_now())
            )

    def advance(self, run_id: str, progress: Progress) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id)
                .values(
                    labels_done=progress.labels_done,
                    sheets_done=progress.sheets_done,
                    sheets_total=progress.sheets_total,
                    labels_total=progress.labels_total,
                    heartbeat_at=_now(),
                )
            )

    def requeue(self, run_id: str) -> None:
        """Back in the queue, its progress kept: it resumes from its checkpoint."""
        with self.engine.begin() as connection:
            connection.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id, RUNS.c.status == "running")
                .values(status="queued", heartbeat_at=None)
            )

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: dict[str, Any] | None = None,
        result: RunResult | None = None,
    ) -> None:
        """The run's outcome; its order is dropped (a spec with its logo and up to 100,000
        serials is not kept for every finished run)."""
        values: dict[str, Any] = {
            "status": status,
            "order_json": None,
            "finished_at": _now(),
            "error_json": json.dumps(error) if error else None,
        }
        if result is not None:
            values.update(
                result_json=json.dumps(_result_document(result)),
                elapsed_s=result.elapsed_s,
                labels_done=result.labels,
                labels_total=result.labels,
                sheets_done=result.sheets,
                sheets_total=result.sheets,
            )
        with self.engine.begin() as connection:
            started = connection.execute(
                select(RUNS.c.started_at).where(RUNS.c.id == run_id)
            ).scalar()
            if result is None and started is not None:
                values["elapsed_s"] = (_now() - _aware(started)).total_seconds()
            connection.execute(update(RUNS).where(RUNS.c.id == run_id).values(**values))

    def forget_old(self) -> list[str]:
        """Delete finished runs past their keeping time, and the oldest beyond the most kept;
        their ids (whose folders go next)."""
        cutoff = _now() - dt.timedelta(seconds=KEEP_FINISHED_S)
        with self.engine.begin() as connection:
            finished = connection.execute(
                select(RUNS.c.id, RUNS.c.finished_at)
                .where(RUNS.c.finished_at.is_not(None))
                .order_by(RUNS.c.finished_at.desc())
            ).all()
            expired = [
                row.id
                for index, row in enumerate(finished)
                if index >= MAX_FINISHED_RUNS or _aware(row.finished_at) < cutoff
            ]
            if expired:
                connection.execute(delete(RUNS).where(RUNS.c.id.in_(expired)))
        return expired

    def unfinished_ids(self) -> set[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(RUNS.c.id).where(RUNS.c.status.in_(("queued", "running")))
            ).scalars()
            return set(rows)

    @contextmanager
    def exclusive(self, run_id: str) -> Iterator[bool]:
        """Whether this process may draw the run: on PostgreSQL a session lock on the run,
        held while it is drawn and let go by the server when the process dies, so that a run
        handed on from a worker thought dead is never drawn twice at once. On SQLite the
        conditional claim of `claim_next` does that."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int(run_id[:15], 16)  # 60 bits of the run's random id: fits PostgreSQL's bigint
        with self.engine.connect() as connection:
            held = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            )
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()


# --- drawing -------------------------------------------------------------------------------------


class RunDrawer:
    """Draws queued runs: the order from the book, the files in the store, the serials from the
    registry. One per worker process (or per `serve` process in SQLite mode)."""

    def __init__(self, book: RunBook, store: RunStore, registry: Registry) -> None:
        self.book = book
        self.store = store
        self.registry = registry
        self.stopping = threading.Event()

    def draw(self, run_id: str) -> None:
        """Draw the run to its end, or fail it; RunInterruptedError when stopped (the run is
        then queued again, and resumes from its checkpoint when it is taken up)."""
        with self.book.exclusive(run_id) as held:
            if not held:
                raise RunInterruptedError(f"run {run_id} is being drawn by another worker")
            try:
                order = self.book.start(run_id)
            except LabelgenError as error:
                # An order this version cannot read (written by another): refused, not retried.
                self._fail(run_id, _error_problem(error))
                return
            if order is None:
                return
            heartbeat = _Heartbeat(self.book, run_id)
            heartbeat.start()
            try:
                self._draw(run_id, order)
            except RunInterruptedError:
                self.book.requeue(run_id)
                raise
            finally:
                heartbeat.stop()
        for expired in self.book.forget_old():
            self.store.remove(expired)

    def _draw(self, run_id: str, order: RunOrder) -> None:
        folder = self.store.prepare(run_id)
        last_written = [0.0]

        def advance(progress: Progress) -> None:
            # Raising here is how a run is stopped: run_batch calls this after every sheet.
            self._raise_if_stopping()
            now = time.monotonic()
            if now - last_written[0] >= PROGRESS_EVERY_S:
                last_written[0] = now
                self.book.advance(run_id, progress)

        try:
            result = run_batch(self._request(run_id, folder, order), advance)
        except RunInterruptedError:
            raise
        except LabelgenError as error:
            self._fail(run_id, _error_problem(error))
        except (OperationalError, InterfaceError) as error:
            self._fail(run_id, _error_problem(RegistryUnavailableError(f"{error.orig}")))
        except Exception:
            logger.exception("print run %s failed", run_id)
            self._fail(run_id, _problem(INTERNAL, "the run failed; the failure has been logged"))
        else:
            self._complete(run_id, result)

    def _request(self, run_id: str, folder: Path, order: RunOrder) -> RunRequest:
        output = folder / PDF_NAME
        paths = RunPaths.beside(output)
        serials_file = None
        if order.serials is not None:
            serials_file = folder / GIVEN_SERIALS_NAME
            write_serial_list(serials_file, order.serials)
        allocate = None
        if order.principal is not None:
            allocate = self._stoppable(
                registry_allocator(self.registry, order.principal, order.spec, order.base_url)
            )
        # An earlier attempt left its checkpoint: carry on from it. One that finished drawing
        # but not its preflight left the manifest alone: draw again with those serials.
        resume = paths.state.exists()
        restart = not resume and paths.manifest.exists()
        return RunRequest(
            spec=order.spec,
            spec_bytes=order.spec_bytes,
            output=output,
            count=order.count,
            serials_file=serials_file,
            allocate=allocate,
            sheet=order.sheet,
            cmyk=order.cmyk,
            base_url=order.base_url,
            job_name=order.job_name or self._stem(run_id),
            resume=resume,
            restart=restart,
        )

    def _stem(self, run_id: str) -> str:
        row = self.book.row(run_id)
        return str(row["download_stem"]) if row else run_id

    def _stoppable(self, allocate: AllocateChunk) -> AllocateChunk:
        def allocate_unless_stopping(count: int, request_id: str) -> list[UnitCode]:
            self._raise_if_stopping()
            return allocate(count, request_id)

        return allocate_unless_stopping

    def _raise_if_stopping(self) -> None:
        if self.stopping.is_set():
            raise RunInterruptedError(STOPPED_DETAIL)

    def _complete(self, run_id: str, result: RunResult) -> None:
        if not result.preflight.passed:
            failed = [check.name for check in result.preflight.checks if not check.passed]
            logger.warning("print run %s failed its preflight: %s", run_id, ", ".join(failed))
            detail = (
                f"the PDF failed its preflight ({', '.join(failed)}), so it is not released; "
                "`preflight` says what was found"
            )
            self.store.remove(run_id)
            self.book.finish(run_id, "failed", error=_problem(CANNOT_RENDER, detail), result=result)
            return
        self.book.finish(run_id, "done", result=result)

    def _fail(self, run_id: str, problem: dict[str, Any]) -> None:
        # The folder goes before the status says failed: nothing of it is ever served.
        self.store.remove(run_id)
        self.book.finish(run_id, "failed", error=problem)


class _Heartbeat:
    """Touches a drawing run's row every HEARTBEAT_S, through its slow phases too (the artwork,
    the preflight), so that no other process takes it for lost."""

    def __init__(self, book: RunBook, run_id: str) -> None:
        self._book = book
        self._run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="labelgen-run-beat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self._book.beat(self._run_id)
            except (OperationalError, InterfaceError):
                logger.warning("print run %s: heartbeat not written", self._run_id)


class LocalRunner:
    """The worker inside a `serve` process on the embedded SQLite database: a thread that takes
    queued runs from the book, one at a time, and draws them."""

    POLL_S = 1.0

    def __init__(self, drawer: RunDrawer) -> None:
        self.drawer = drawer
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        # A daemon, so that an app whose lifespan never ends cannot keep the interpreter alive;
        # the lifespan's stop() is what ends it normally.
        self._thread = threading.Thread(target=self._serve, name="labelgen-runs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop the running run at its next sheet (it is queued again), end the thread."""
        self.drawer.stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def _serve(self) -> None:
        while not self.drawer.stopping.is_set():
            try:
                run_id = self.drawer.book.claim_next()
            except (OperationalError, InterfaceError):
                logger.warning("print runs: the database cannot be read; trying again")
                run_id = None
            if run_id is None:
                self._wake.wait(self.POLL_S)
                self._wake.clear()
                continue
            try:
                self.drawer.draw(run_id)
            except RunInterruptedError:
                return


# --- what the API asks -------------------------------------------------------------------------

Enqueue = Callable[[str], Awaitable[None]]


class RunManager:
    """The runs as one app sees them: accepts orders into the book and hands them to the queue,
    answers what each producer may see of its own, from any server process."""

    def __init__(self, book: RunBook, store: RunStore, enqueue: Enqueue) -> None:
        self.book = book
        self.store = store
        # Called with a new run's id: defers the queue's job (PostgreSQL), or wakes this
        # process's runner (SQLite).
        self._enqueue = enqueue

    def check_capacity(self) -> None:
        """ServiceBusyError when `MAX_WAITING_RUNS` orders already wait, on any process."""
        if self.book.waiting() >= MAX_WAITING_RUNS:
            raise ServiceBusyError(BUSY_RETRY_AFTER_S)

    def add(self, owner: int, order: RunOrder) -> str:
        self.check_capacity()
        return self.book.add(owner, order)

    async def enqueue(self, run_id: str) -> None:
        await self._enqueue(run_id)

    def document(self, run_id: str, owner: int) -> dict[str, Any]:
        return run_document(self._own_row(run_id, owner))

    def finished_file(self, run_id: str, owner: int, kind: Literal["pdf", "serials"]) -> RunFile:
        """The PDF or the manifest of a `done` run; ConflictError while it is not done."""
        row = self._own_row(run_id, owner)
        if row["status"] != "done":
            raise ConflictError(_not_done_reason(row))
        paths = RunPaths.beside(self.store.folder(run_id) / PDF_NAME)
        stem = row["download_stem"]
        found = RunFile(paths.output, f"{stem}.pdf")
        if kind == "serials":
            found = RunFile(paths.manifest, f"{stem}.serials.csv")
        if not found.path.exists():
            raise StorageError(
                f"LABELGEN_RUN_STORE_DIR: {self.store.root} does not hold the files of run "
                f"{run_id}; every server and worker must mount the same run store"
            )
        return found

    def tidy(self) -> None:
        """Forget expired runs and delete their files, and folders no run owns any more."""
        for expired in self.book.forget_old():
            self.store.remove(expired)
        self.store.remove_stale(KEEP_FINISHED_S, self.book.unfinished_ids())

    def _own_row(self, run_id: str, owner: int) -> dict[str, Any]:
        row = self.book.row(run_id) if is_run_id(run_id) else None
        # Another producer's run is answered as one that does not exist.
        if row is None or row["owner"] != owner:
            raise NotFoundError(f"run: no run {run_id!r} of yours")
        return row


def run_document(row: dict[str, Any]) -> dict[str, Any]:
    """The job document the API answers (see RunDocument in the runs router)."""
    run_id = row["id"]
    done = row["status"] == "done"
    result = json.loads(row["result_json"]) if row["result_json"] else None
    elapsed_s = row["elapsed_s"]
    if elapsed_s is None and row["started_at"] is not None and row["status"] == "running":
        elapsed_s = (_now() - _aware(row["started_at"])).total_seconds()
    links = None
    if done:
        links = {"pdf": f"{RUNS_PATH}/{run_id}/pdf", "serials": f"{RUNS_PATH}/{run_id}/serials.csv"}
    finished_at = row["finished_at"]
    return {
        "id": run_id,
        "status": row["status"],
        "progress": {
            "labels_done": row["labels_done"],
            "labels_total": row["labels_total"],
            "sheets_done": row["sheets_done"],
            "sheets_total": row["sheets_total"],
        },
        "created_at": _aware(row["created_at"]).isoformat(),
        "finished_at": _aware(finished_at).isoformat() if finished_at else None,
        "error": json.loads(row["error_json"]) if row["error_json"] else None,
        "links": links,
        "preflight": result["preflight"] if result else None,
        "labels": result["labels"] if result else row["labels_total"],
        "sheets": result["sheets"] if result else row["sheets_total"],
        "size_bytes": result["size_bytes"] if result and done else None,
        "elapsed_s": round(elapsed_s, 3) if elapsed_s is not None else None,
    }


def _result_document(result: RunResult) -> dict[str, Any]:
    return {
        "labels": result.labels,
        "sheets": result.sheets,
        "size_bytes": result.size_bytes,
        "preflight": preflight_document(result.preflight),
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


def run_store(settings: Settings) -> RunStore:
    """The run store: LABELGEN_RUN_STORE_DIR, else `runs` in the service's data dir."""
    root = settings.run_store_dir or (settings.data_dir or default_data_dir()) / RUNS_FOLDER_NAME
    return RunStore(root)


async def get_runs(request: Request) -> RunManager:
    manager: RunManager | None = getattr(request.app.state, "runs", None)
    if manager is None:
        raise ServiceUnavailableError("print runs are not taken yet", retry_after_s=2)
    return manager


def _not_done_reason(row: dict[str, Any]) -> str:
    run_id, status = row["id"], row["status"]
    if status == "failed":
        return f"run {run_id} failed, so it has no files; `error` in its document says why"
    return f"run {run_id} is {status}: its files are there once GET {RUNS_PATH}/{run_id} says done"


def _error_problem(error: LabelgenError) -> dict[str, Any]:
    """The problem document the API would answer for `error`."""
    return _body(labelgen_error_response(error))


def _problem(kind: ProblemKind, detail: str) -> dict[str, Any]:
    return _body(problem_response(kind, detail))


def _body(response: JSONResponse) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(bytes(response.body))
    return document


def drawer_name() -> str:
    """`host:pid` of this process: which one draws a run, for the operator."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
