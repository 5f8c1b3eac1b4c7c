"""The registry of a `labelgen batch` run, opened in a process of its own.

Opening the registry (SQLAlchemy and the registry's modules imported, the API key checked, the
cited certificate confirmed) and loading the run's label stages each take about a quarter of a
second of a short run's start: a forked process opens the registry while this one loads the
stages, then serves the run's allocations (serials issued and signed) over a pipe, issuing the
chunks asked for ahead while this one draws. Errors are raised here as the registry raised them
there.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelgen.errors import BatchError

if TYPE_CHECKING:
    from labelgen.production.serials import UnitCode


class RegistryProcess:
    """A forked process holding the registry, opened for the API key `api_key` and the spec
    at `spec_path`, its QR URLs under `base_url()` (imported where it is found: after the fork)."""

    def __init__(self, spec_path: Path, base_url: Callable[[], str], api_key: str | None) -> None:
        # Forked before this process loads the label stages: that process reads the spec
        # itself, and imports only the registry's modules.
        context = multiprocessing.get_context("fork")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve,
            args=(child_end, self._connection, spec_path, base_url, api_key),
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._opened = False
        # Chunks asked for and not yet collected, in the order the registry answers them.
        self._asked: deque[tuple[int, str]] = deque()

    def wait_opened(self) -> None:
        """Wait until the registry is open and the cited certificate confirmed; raise what
        opening it raised."""
        if not self._opened:
            self._answer()
            self._opened = True

    def ask(self, count: int, request_id: str) -> None:
        """Ask for `count` serials under `request_id` now; `allocate` with the same arguments
        collects them (the registry issues them meanwhile)."""
        # A registry process that failed to open has ended: what it reported is read when the
        # serials are collected.
        with contextlib.suppress(BrokenPipeError):
            self._connection.send((count, request_id))
        self._asked.append((count, request_id))

    def allocate(self, count: int, request_id: str) -> list[UnitCode]:
        """`count` serials issued under `request_id`, each with its signed QR URL."""
        from labelgen.production.serials import UnitCode

        if (count, request_id) not in self._asked:
            self.ask(count, request_id)
        self.wait_opened()
        # The registry answers in the order it was asked.
        if self._asked.popleft() != (count, request_id):
            raise BatchError(f"serials collected out of the order asked: {request_id}")
        return [UnitCode(serial, url) for serial, url in self._answer()]

    def close(self) -> None:
        """Close the registry and wait for its process to end."""
        # A request, not the pipe's end: worker processes forked later hold this end too. A
        # process that ended after reporting an error has closed its end.
        with contextlib.suppress(BrokenPipeError):
            self._connection.send(None)
        # Answers asked for and never collected (the run stopped) are read and dropped: a
        # registry process blocked writing one would otherwise only end when its pipe broke.
        with contextlib.suppress(EOFError, OSError):
            while True:
                self._connection.recv()
        self._connection.close()
        self._process.join()

    def _answer(self) -> Any:
        try:
            failed, value = self._connection.recv()
        except EOFError:
            self._process.join()
            raise BatchError(
                f"the registry process ended unexpectedly (exit code {self._process.exitcode})"
            ) from None
        if failed:
            raise value
        return value


def _serve(
    connection: Connection,
    parent_end: Connection,
    spec_path: Path,
    base_url: Callable[[], str],
    api_key: str | None,
) -> None:
    from labelgen.production.serials import registry_allocator
    from labelgen.registry.service import Registry
    from labelgen.registry.settings import RegistrySettings
    from labelgen.spec import load_spec

    # Held open here, the run's end would keep this process from seeing the run end.
    parent_end.close()
    try:
        # The run reads the spec too, and reports it first if it is not valid.
        spec = load_spec(spec_path)
        registry = Registry(RegistrySettings.from_environment())
    except Exception as error:
        connection.send((True, error))
        return
    try:
        try:
            principal = registry.authenticate(api_key)
            allocate = registry_allocator(registry, principal, spec, base_url())
        except Exception as error:
            connection.send((True, error))
            return
        connection.send((False, None))
        # None, or the pipe's end when the run stopped without closing: the run is over.
        while (request := _next_request(connection)) is not None:
            try:
                units = allocate(*request)
            except Exception as error:
                connection.send((True, error))
                continue
            connection.send((False, [(unit.serial, unit.content) for unit in units]))
    finally:
        registry.close()


def _next_request(connection: Connection) -> tuple[int, str] | None:
    try:
        request: tuple[int, str] | None = connection.recv()
    except EOFError:
        return None
    return request
