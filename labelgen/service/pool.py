"""Render pool: jobs from request handlers → worker processes with a time limit, a bounded queue and replacement.

Each worker is a process of its own (forked from a fork server that has the renderers loaded),
talking to the service over a pipe. A request waits for an idle worker in a thread of the
pool's own, never on the event loop; when the workers are busy and `max_queue` requests are
already waiting, the next one is refused at once (429) instead of piling up. A render that
overruns its time limit costs its worker: the process is killed and a fresh one takes its place,
so the other workers and the event loop never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from labelgen.errors import (
    RenderFailedError,
    RenderTimeoutError,
    ServiceBusyError,
    ServiceUnavailableError,
    WorkerStartError,
)
from labelgen.service.protocol import PING, PONG, READY, STOP, Job, Outcome
from labelgen.service.settings import Settings
from labelgen.service.worker import serve_jobs

logger = logging.getLogger(__name__)

WORKER_MODULE = "labelgen.service.worker"
STOP_GRACE_S = 5.0
PING_TIMEOUT_S = 2.0
RESPAWN_DELAY_S = 1.0


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    connection: Connection
    tasks: int = 0


@dataclass
class PoolStats:
    """Counters since the pool started, and what it is doing now."""

    workers: int = 0
    idle: int = 0
    waiting: int = 0
    running: int = 0
    completed: int = 0
    timed_out: int = 0
    failed: int = 0
    refused: int = 0
    replaced: int = 0


class RenderPool:
    """Worker processes that run Jobs; `await pool.run(job)` from a request handler."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Read at each render, so that a test can shorten it on a running pool.
        self.render_timeout_s = settings.render_timeout_s
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([WORKER_MODULE])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._admitted = 0
        self._running = 0
        self._closing = False
        self._started = False
        self._mean_render_s = 0.2
        self._stats = PoolStats()
        self._helpers: list[threading.Thread] = []
        self._dispatchers = ThreadPoolExecutor(
            max_workers=settings.render_workers + settings.max_queue,
            thread_name_prefix="labelgen-render",
        )

    @property
    def capacity(self) -> int:
        """Requests the pool holds at once: one per worker plus the queue."""
        return self._settings.render_workers + self._settings.max_queue

    def start(self) -> None:
        """Start every worker and wait until each has warmed up (blocking; call it off the loop)."""
        with self._lock:
            self._started = True
        starters = [
            threading.Thread(target=self._start_worker_logged, name="labelgen-worker-start")
            for _ in range(self._settings.render_workers)
        ]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        if not self._workers:
            raise WorkerStartError("no render worker could be started")

    async def run(self, job: Job) -> Outcome:
        """The outcome of `job`, run in a worker; raises ServiceBusyError when the queue is full,
        RenderTimeoutError past the time limit, ServiceUnavailableError when no worker comes."""
        self._admit()
        loop = asyncio.get_running_loop()
        try:
            dispatched = loop.run_in_executor(self._dispatchers, self._dispatch, job)
        except RuntimeError:
            # The executor refuses new work once shutdown has begun.
            self._leave()
            raise ServiceUnavailableError("the service is shutting down") from None
        return await dispatched

    async def ping(self) -> bool:
        """True when a worker answers (or all are busy rendering, which is an answer too)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._ping)

    def stats(self) -> PoolStats:
        """A snapshot of the counters and of the workers' state."""
        with self._lock:
            stats = PoolStats(**vars(self._stats))
            stats.workers = len(self._workers)
            stats.running = self._running
            stats.waiting = max(0, self._admitted - self._running)
        stats.idle = self._idle.qsize()
        return stats

    def worker_process_ids(self) -> list[int]:
        """The process ids of the live workers, for diagnostics."""
        with self._lock:
            return sorted(worker.process.pid for worker in self._workers if worker.process.pid)

    def close(self) -> None:
        """Let the renders in progress (and those already queued) finish, then stop every worker."""
        with self._lock:
            self._closing = True
        self._dispatchers.shutdown(wait=True)
        for helper in list(self._helpers):
            helper.join(timeout=self._settings.worker_start_timeout_s)
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            self._stop(worker)

    def _admit(self) -> None:
        with self._lock:
            if self._closing or not self._started:
                raise ServiceUnavailableError("the service is not accepting renders now")
            if self._admitted >= self.capacity:
                self._stats.refused += 1
                raise ServiceBusyError(self._retry_after_s())
            self._admitted += 1

    def _retry_after_s(self) -> int:
        waiting = max(1, self._admitted - self._running)
        return max(1, math.ceil(waiting * self._mean_render_s / self._settings.render_workers))

    def _dispatch(self, job: Job) -> Outcome:
        """Runs in a dispatcher thread: wait for a worker, hand it the job, wait for the answer."""
        try:
            worker = self._acquire_for(job)
            with self._lock:
                self._running += 1
            try:
                return self._await_outcome(worker)
            finally:
                with self._lock:
                    self._running -= 1
        finally:
            self._leave()

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _acquire(self) -> _Worker:
        try:
            return self._idle.get(timeout=self._settings.queue_timeout_s)
        except queue.Empty:
            raise ServiceUnavailableError("no render worker became free in time") from None

    def _acquire_for(self, job: Job) -> _Worker:
        """An idle worker that has taken `job`. One found dead (killed while idle, by the OOM
        killer say) had not started it: it is replaced, and the job goes to the next worker
        instead of failing the request."""
        while True:
            worker = self._acquire()
            if worker.process.is_alive():
                try:
                    worker.connection.send(job)
                except OSError:
                    pass  # the pipe's other end is gone: the job was not taken
                else:
                    return worker
            logger.error("a render worker died while idle; it has been replaced")
            self._replace(worker, kill=True, counter="failed")

    def _await_outcome(self, worker: _Worker) -> Outcome:
        limit_s = self.render_timeout_s
        started = time.perf_counter()
        try:
            if not worker.connection.poll(limit_s):
                self._replace(worker, kill=True, counter="timed_out")
                raise RenderTimeoutError(limit_s)
            outcome: Outcome = worker.connection.recv()
        except (EOFError, OSError):
            self._replace(worker, kill=True, counter="failed")
            logger.error("a render worker died while rendering; it has been replaced")
            raise RenderFailedError("the render worker stopped unexpectedly") from None
        self._record(time.perf_counter() - started)
        worker.tasks += 1
        if outcome.retire_worker or worker.tasks >= self._settings.worker_max_tasks:
            self._replace(worker, kill=False, counter="replaced")
        else:
            self._idle.put(worker)
        return outcome

    def _record(self, elapsed_s: float) -> None:
        with self._lock:
            self._stats.completed += 1
            # An exponential average: recent renders say more about the next wait than old ones.
            self._mean_render_s += (elapsed_s - self._mean_render_s) * 0.1

    def _replace(self, worker: _Worker, *, kill: bool, counter: str) -> None:
        with self._lock:
            self._workers.discard(worker)
            setattr(self._stats, counter, getattr(self._stats, counter) + 1)
            closing = self._closing
        if kill:
            worker.process.kill()
        self._in_background(self._retire_and_respawn, worker, not closing)

    def _retire_and_respawn(self, worker: _Worker, respawn: bool) -> None:
        self._stop(worker)
        if respawn:
            self._start_worker_logged()

    def _in_background(self, target: Any, *args: Any) -> None:
        helper = threading.Thread(target=target, args=args, name="labelgen-worker-swap")
        with self._lock:
            self._helpers = [thread for thread in self._helpers if thread.is_alive()]
            self._helpers.append(helper)
        helper.start()

    def _start_worker_logged(self) -> None:
        for attempt in range(3):
            try:
                self._start_worker()
                return
            except WorkerStartError as error:
                logger.error("render worker failed to start (attempt %d): %s", attempt + 1, error)
                time.sleep(RESPAWN_DELAY_S)

    def _start_worker(self) -> None:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve_jobs,
            args=(
                child_end,
                self._settings.render_memory_mb,
                self._settings.max_logo_pixels,
                self._settings.worker_max_rss_mb,
            ),
            name="labelgen-render-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        try:
            ready = parent_end.poll(self._settings.worker_start_timeout_s) and (
                parent_end.recv() == READY
            )
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop(worker)
            raise WorkerStartError("the worker did not report ready")
        with self._lock:
            if self._closing:
                closing = True
            else:
                closing = False
                self._workers.add(worker)
        if closing:
            self._stop(worker)
            return
        self._idle.put(worker)

    def _ping(self) -> bool:
        with self._lock:
            if self._closing or not self._workers:
                return False
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            return True  # every worker is rendering: busy, not dead
        try:
            worker.connection.send(PING)
            answered = worker.connection.poll(PING_TIMEOUT_S) and worker.connection.recv() == PONG
        except (EOFError, OSError):
            answered = False
        if answered:
            self._idle.put(worker)
        else:
            self._replace(worker, kill=True, counter="failed")
        return answered

    def _stop(self, worker: _Worker) -> None:
        """Ask a worker to finish, then make sure it has: STOP, a grace period, then kill."""
        if worker.process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                worker.connection.send(STOP)
            worker.process.join(STOP_GRACE_S)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(STOP_GRACE_S)
        worker.connection.close()
