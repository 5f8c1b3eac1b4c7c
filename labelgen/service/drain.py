"""Shutdown drain: SIGTERM → readiness fails at once, new requests get 503, requests in flight finish, then a stop."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from labelgen.service.problems import UNAVAILABLE, problem_response

logger = logging.getLogger(__name__)

# Liveness stays true while draining: the process is well, only no longer taking work.
LIVENESS_PATH = "/healthz"
DRAIN_RETRY_AFTER_S = 5
DRAINING_DETAIL = "the service is shutting down; try again (another instance will answer)"
SignalHandler = Callable[[int, FrameType | None], Any]


class Drain:
    """Whether the process is draining, and how many requests it still has to finish."""

    def __init__(self) -> None:
        self.draining = False
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def begin(self) -> None:
        self.draining = True

    def enter(self) -> None:
        self.in_flight += 1
        self._idle.clear()

    def leave(self) -> None:
        self.in_flight -= 1
        if self.in_flight == 0:
            self._idle.set()

    async def wait_idle(self, limit_s: float) -> bool:
        """True once no request is in flight; False when `limit_s` passed first."""
        try:
            async with asyncio.timeout(limit_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True


class DrainMiddleware:
    """Count the requests in flight; once draining, answer every new one 503 (Retry-After,
    `Connection: close`) before it costs anything, the readiness probe included."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == LIVENESS_PATH:
            await self.app(scope, receive, send)
            return
        if self.drain.draining:
            headers = {"Retry-After": str(DRAIN_RETRY_AFTER_S), "Connection": "close"}
            response = problem_response(UNAVAILABLE, DRAINING_DETAIL, headers=headers)
            await response(scope, receive, send)
            return
        self.drain.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.drain.leave()


def install_sigterm_drain(drain: Drain, limit_s: float) -> Callable[[], None]:
    """Make SIGTERM drain first: the server's own handler (uvicorn's, which stops accepting and
    shuts down) is called only once no request is in flight, or after `limit_s`.

    Without this, uvicorn closes its socket at once; with several server processes the
    supervisor still holds it, so new connections wait unanswered until it exits. Only the main
    thread can handle signals (a test's app runs elsewhere): then nothing is installed. Returns
    the function that puts the previous handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)
    if not callable(previous):
        return lambda: None
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if drain.draining:
            previous(signum, frame)  # a second SIGTERM stops at once
            return
        drain.begin()  # readiness fails from the next request on
        # A signal handler may run inside the loop's own code: the task starts from the loop.
        loop.call_soon_threadsafe(start_stopping, signum)

    def start_stopping(signum: int) -> None:
        task = loop.create_task(_stop_when_idle(drain, limit_s, previous, signum))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    signal.signal(signal.SIGTERM, on_sigterm)
    return lambda: _restore(on_sigterm, previous)


async def _stop_when_idle(drain: Drain, limit_s: float, stop: SignalHandler, signum: int) -> None:
    if not await drain.wait_idle(limit_s):
        logger.warning(
            "%d requests still in flight after %.0f s; stopping", drain.in_flight, limit_s
        )
    stop(signum, None)


def _restore(installed: SignalHandler, previous: SignalHandler) -> None:
    # Only when still ours: the server may have put its own predecessor back already.
    if signal.getsignal(signal.SIGTERM) is installed:
        signal.signal(signal.SIGTERM, previous)
