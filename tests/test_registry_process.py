"""A print run's registry: serials asked for in chunks that grow, asked ahead of the drawing,
collected in order, and a registry process that ends whatever the run left uncollected."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from labelgen.errors import AuthenticationError
from labelgen.production.registry_process import RegistryProcess
from labelgen.production.serials import (
    ASK_AHEAD_CHUNKS,
    CHUNK_UNITS,
    FIRST_CHUNK_UNITS,
    UnitCode,
    chunk_requests,
    registry_chunks,
)
from labelgen.registry.testing import Seed, seeded_environment, temporary_database

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BASE_URL = "https://truyxuat.example.vn"


def test_chunks_grow_from_a_small_first_one_and_cover_the_run_exactly() -> None:
    requests = chunk_requests(3000, "run")
    sizes = [size for size, _ in requests]
    assert sizes[0] == FIRST_CHUNK_UNITS
    assert sizes == [125, 250, 500, 1000, 1000, 125]
    assert sum(sizes) == 3000
    assert max(sizes) == CHUNK_UNITS
    assert [request_id for _, request_id in requests] == [f"run-{i}" for i in range(6)]
    assert chunk_requests(40, "small") == [(40, "small-0")]
    assert chunk_requests(0, "none") == []


def test_chunks_are_asked_for_ahead_and_collected_in_the_order_asked() -> None:
    events: list[tuple[str, str]] = []

    def ask(count: int, request_id: str) -> None:
        events.append(("ask", request_id))

    def collect(count: int, request_id: str) -> list[UnitCode]:
        events.append(("collect", request_id))
        return [UnitCode(f"{request_id}.{index}", "url") for index in range(count)]

    chunks = registry_chunks(2000, "run", collect, ask)
    first = next(chunks)
    # Before the first chunk is drawn, the registry already has the next ones to issue.
    assert [request_id for kind, request_id in events if kind == "ask"] == [
        f"run-{index}" for index in range(ASK_AHEAD_CHUNKS + 1)
    ]
    sizes = [len(first)] + [len(chunk) for chunk in chunks]
    assert sizes == [125, 250, 500, 1000, 125]
    asked = [request_id for kind, request_id in events if kind == "ask"]
    collected = [request_id for kind, request_id in events if kind == "collect"]
    assert asked == collected == [f"run-{index}" for index in range(5)]
    outstanding = 0
    for kind, _ in events:
        outstanding += 1 if kind == "ask" else -1
        assert 0 <= outstanding <= ASK_AHEAD_CHUNKS + 1


@pytest.fixture
def registry_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Seed, Path]]:
    """A seeded SQLite registry in the environment a registry process reads, and a spec of
    the seeded producer's batch."""
    with temporary_database("sqlite", tmp_path) as url:
        seed, variables = seeded_environment(url, tmp_path)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        document = yaml.safe_load((EXAMPLES / "hat-sen-say.yaml").read_text(encoding="utf-8"))
        spec_path = tmp_path / "spec.yaml"
        spec_path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        yield seed, spec_path


def closed_in_time(process: RegistryProcess) -> bool:
    """Whether `process.close()` returns within a minute (a hang fails the test, not the run)."""
    closer = threading.Thread(target=process.close, daemon=True)
    closer.start()
    closer.join(timeout=60)
    return not closer.is_alive()


def test_a_run_that_stops_with_chunks_uncollected_ends_its_registry_process_quietly(
    registry_spec: tuple[Seed, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    seed, spec_path = registry_spec
    process = RegistryProcess(spec_path, lambda: BASE_URL, seed.producer_secret)
    # Four chunks of signed URLs are more than the pipe holds: the registry process is left
    # writing an answer nobody collects when the run stops after the first.
    for index in range(4):
        process.ask(CHUNK_UNITS, f"stopped-{index}")
    first = process.allocate(CHUNK_UNITS, "stopped-0")
    assert len({unit.serial for unit in first}) == CHUNK_UNITS
    assert all(unit.content.startswith(BASE_URL) for unit in first)
    assert closed_in_time(process)
    # Ended by the request to end, not by a pipe broken under it (a traceback to the user).
    assert "Traceback" not in capfd.readouterr().err


def test_chunks_asked_for_before_the_registry_opened_get_its_error(
    registry_spec: tuple[Seed, Path],
) -> None:
    _, spec_path = registry_spec
    process = RegistryProcess(spec_path, lambda: BASE_URL, "lgk_not_a_key")
    try:
        process.ask(10, "refused-0")
        process.ask(10, "refused-1")
        with pytest.raises(AuthenticationError):
            process.allocate(10, "refused-0")
    finally:
        assert closed_in_time(process)
