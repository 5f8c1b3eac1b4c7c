"""Print runs in the database, drawn by any process: the book, the drawer, resuming after a stop, claims."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from service_support import spec_document
from sqlalchemy import func, select, update

from labelgen.errors import ConflictError, NotFoundError, RunInterruptedError
from labelgen.production.imposition import ImpositionOptions
from labelgen.production.run import Progress
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.models import PrintRun, Serial
from labelgen.registry.testing import Seed, seed_registry, temporary_database
from labelgen.service.jobs import parse_service_spec
from labelgen.service.runs import (
    RunBook,
    RunDrawer,
    RunManager,
    RunOrder,
    canonical_spec_bytes,
)
from labelgen.storage import RunStore

BASE_URL = "https://truyxuat.example.vn"
SALT = bytes(range(32))
START = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
OWNER_UNKNOWN = 999_999


@dataclass
class Setting:
    registry: Registry
    seed: Seed
    book: RunBook
    store: RunStore

    def drawer(self) -> RunDrawer:
        return RunDrawer(self.book, self.store, self.registry)

    def manager(self) -> RunManager:
        return RunManager(self.book, self.store, _not_queued)

    def serials_issued(self) -> int:
        with self.registry.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Serial)).scalar_one())


async def _not_queued(_run_id: str) -> None:
    """These tests draw the runs themselves."""


@pytest.fixture(params=["sqlite", "postgresql"])
def setting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setting]:
    with temporary_database(request.param, tmp_path) as url:
        registry = Registry(RegistrySettings(url, tmp_path / "keys", SALT), clock=lambda: START)
        try:
            seed = seed_registry(registry)
            store = RunStore(tmp_path / "store")
            store.open()
            yield Setting(registry, seed, RunBook(registry.engine), store)
        finally:
            registry.close()


def registry_order(setting: Setting, count: int, sheet: str = "A4") -> RunOrder:
    """An order whose serials the registry issues to the seed producer."""
    document = spec_document()
    return RunOrder(
        spec=parse_service_spec(document),
        spec_bytes=canonical_spec_bytes(document),
        count=count,
        sheet=ImpositionOptions(sheet=sheet),
        sheets_total=1,
        cmyk=False,
        base_url=BASE_URL,
        job_name=None,
        serials=None,
        principal=setting.seed.producer,
    )


def manifest(setting: Setting, run_id: str) -> list[dict[str, str]]:
    path = setting.store.folder(run_id) / "run.serials.csv"
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_an_order_read_back_from_its_row_is_the_order_accepted(setting: Setting) -> None:
    order = registry_order(setting, 5)
    run_id = setting.book.add(setting.seed.producer.producer_id or 0, order)
    row = setting.book.row(run_id)
    assert row is not None and row["order_json"] is not None
    again = RunOrder.from_json(row["order_json"])
    assert again.spec == order.spec
    assert again.spec_bytes == order.spec_bytes  # the run's fingerprint does not change
    assert again.principal == setting.seed.producer
    assert again.sheet == order.sheet and again.count == 5


def test_a_run_stopped_mid_way_resumes_in_another_drawer_without_new_serials(
    setting: Setting,
) -> None:
    owner = setting.seed.producer.producer_id
    assert owner is not None
    issued_before = setting.serials_issued()
    count = 40
    run_id = setting.book.add(owner, registry_order(setting, count))
    first = setting.drawer()
    advanced: list[Progress] = []
    write_progress = first.book.advance

    def stop_after_first_sheet(run: str, progress: Progress) -> None:
        write_progress(run, progress)
        advanced.append(progress)
        first.stopping.set()  # as SIGTERM does: the run ends at its next sheet

    first.book = RunBook(setting.registry.engine)
    first.book.advance = stop_after_first_sheet  # type: ignore[method-assign]
    with pytest.raises(RunInterruptedError):
        first.draw(run_id)
    stopped = setting.manager().document(run_id, owner)
    assert stopped["status"] == "queued"
    assert 1 <= stopped["progress"]["sheets_done"] < stopped["progress"]["sheets_total"]
    assert (setting.store.folder(run_id) / "run.pdf.state.json").exists()

    setting.drawer().draw(run_id)
    document = setting.manager().document(run_id, owner)
    assert document["status"] == "done", document["error"]
    rows = manifest(setting, run_id)
    serials = [row["serial"] for row in rows]
    assert len(serials) == len(set(serials)) == count
    # Asked for again under the same request ids, the registry gave the same serials back.
    assert setting.serials_issued() == issued_before + count
    with pikepdf.open(setting.store.folder(run_id) / "run.pdf") as pdf:
        assert len(pdf.pages) == document["sheets"]


def test_a_run_that_fails_leaves_nothing_to_download(setting: Setting) -> None:
    owner = setting.seed.producer.producer_id
    assert owner is not None
    for key in setting.registry.list_signing_keys():
        setting.registry.retire_signing_key(key.kid)
    run_id = setting.book.add(owner, registry_order(setting, 3))
    setting.drawer().draw(run_id)
    manager = setting.manager()
    document = manager.document(run_id, owner)
    assert document["status"] == "failed"
    assert document["error"]["type"] == "/problems/signing-unavailable"
    assert document["links"] is None and document["size_bytes"] is None
    assert not setting.store.folder(run_id).exists()
    with pytest.raises(ConflictError, match="failed"):
        manager.finished_file(run_id, owner, "pdf")
    with pytest.raises(NotFoundError):
        manager.document(run_id, OWNER_UNKNOWN)
    row = setting.book.row(run_id)
    assert row is not None and row["order_json"] is None  # the order is not kept once over


def test_a_queued_run_is_claimed_once_and_a_lost_one_is_claimed_again(setting: Setting) -> None:
    run_id = setting.book.add(1, registry_order(setting, 3))
    other_process = RunBook(setting.registry.engine)
    assert setting.book.claim_next() == run_id
    assert other_process.claim_next() is None
    # Its process died: the heartbeat stops, and after STALE_AFTER_S another takes it.
    with setting.registry.engine.begin() as connection:
        connection.execute(
            update(PrintRun)
            .where(PrintRun.id == run_id)
            .values(heartbeat_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        )
    assert other_process.claim_next() == run_id


def test_too_many_waiting_runs_are_refused(setting: Setting, monkeypatch: Any) -> None:
    from labelgen.errors import ServiceBusyError
    from labelgen.service import runs

    monkeypatch.setattr(runs, "MAX_WAITING_RUNS", 2)
    manager = setting.manager()
    order = registry_order(setting, 3)
    manager.add(1, order)
    manager.add(1, order)
    with pytest.raises(ServiceBusyError):
        manager.add(1, order)


def labelgen_worker(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labelgen.cli", "worker"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_worker_without_postgresql_says_which_setting_to_change(tmp_path: Path) -> None:
    completed = labelgen_worker({"LABELGEN_DATA_DIR": str(tmp_path), "LABELGEN_DATABASE_URL": ""})
    assert completed.returncode == 2
    assert completed.stderr.startswith("labelgen: LABELGEN_DATABASE_URL: ")
    assert "PostgreSQL" in completed.stderr and "Traceback" not in completed.stderr


def test_a_run_store_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    with temporary_database("postgresql", tmp_path) as url:
        completed = labelgen_worker(
            {
                "LABELGEN_DATA_DIR": str(tmp_path),
                "LABELGEN_DATABASE_URL": url,
                "LABELGEN_RUN_STORE_DIR": "/proc/labelgen-runs",
            }
        )
    assert completed.returncode == 2
    assert completed.stderr.startswith("labelgen: LABELGEN_RUN_STORE_DIR: cannot write to ")
    assert "Traceback" not in completed.stderr
