"""Serials: their format and randomness, and no duplicate when several processes allocate at once."""

from __future__ import annotations

import multiprocessing
import secrets
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from labelgen.registry import AllocationInput, Registry, RegistrySettings, new_serial
from labelgen.registry.models import Serial
from labelgen.registry.serials import (
    CROCKFORD_ALPHABET,
    SERIAL_CHARS,
    encode_crockford,
    is_registry_serial,
)
from labelgen.registry.testing import (
    Seed,
    clear_database,
    seed_registry,
)
from labelgen.traceability import GS1_CSET_82, GS1_QUALIFIER_MAX_CHARS

PROCESSES = 4
SERIALS_PER_PROCESS = 500
REQUESTS_PER_PROCESS = 10
# A draw from only 16,384 values: the 2,000 serials then collide about a hundred times, often
# between processes, which exercises the database's refusal of duplicates rather than the
# improbability of an 80-bit clash.
NARROW_SERIAL_BITS = 14


def decode_crockford(text: str) -> int:
    number = 0
    for char in text:
        number = number * 32 + CROCKFORD_ALPHABET.index(char)
    return number


def narrow_serial() -> str:
    return "N" + encode_crockford(secrets.randbits(NARROW_SERIAL_BITS), 3)


@given(st.data())
@settings(max_examples=200)
def test_serials_are_16_upper_case_crockford_characters_in_gs1_cset_82(data: st.DataObject) -> None:
    serial = new_serial()
    assert len(serial) == SERIAL_CHARS <= GS1_QUALIFIER_MAX_CHARS
    assert set(serial) <= set(CROCKFORD_ALPHABET) <= GS1_CSET_82
    assert serial == serial.upper() and not set(serial) & set("ILOU")
    assert is_registry_serial(serial)


@given(st.integers(min_value=0, max_value=2**80 - 1))
def test_encoding_keeps_every_bit(number: int) -> None:
    encoded = encode_crockford(number, SERIAL_CHARS)
    assert len(encoded) == SERIAL_CHARS and decode_crockford(encoded) == number


@given(st.integers(min_value=2**80))
def test_numbers_too_big_for_the_serial_are_refused(number: int) -> None:
    with pytest.raises(ValueError):
        encode_crockford(number, SERIAL_CHARS)


def test_many_draws_are_distinct_and_use_every_character() -> None:
    draws = [new_serial() for _ in range(50_000)]
    assert len(set(draws)) == len(draws)
    assert set("".join(draws)) == set(CROCKFORD_ALPHABET)
    # 80 random bits: the leading character takes each of its 32 values about equally often.
    leading = [draw[0] for draw in draws]
    counts = [leading.count(char) for char in CROCKFORD_ALPHABET]
    assert min(counts) > 50_000 / 32 * 0.8 and max(counts) < 50_000 / 32 * 1.2


@pytest.mark.parametrize(
    "serial", ["0123456789ABCDE", "0123456789ABCDEFG", "0123456789ABCDEI", "0123456789abcdef"]
)
def test_other_forms_are_not_registry_serials(serial: str) -> None:
    assert not is_registry_serial(serial)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> tuple[str, Seed]:
    registry = Registry(RegistrySettings(database_url, tmp_path / "keys", b"salt"))
    try:
        clear_database(registry.engine)
        return database_url, seed_registry(registry, serial_count=1)
    finally:
        registry.close()


_start: Barrier | None = None


def share_the_start(start: Barrier) -> None:
    """Pool initializer: a barrier reaches the workers only when they are created."""
    global _start
    _start = start


def allocate_in_a_process(
    database_url: str, key_dir: str, producer_secret: str, gtin: str, batch_code: str, narrow: bool
) -> list[str]:
    registry = Registry(
        RegistrySettings(database_url, Path(key_dir), b"salt"),
        serial_factory=narrow_serial if narrow else new_serial,
    )
    try:
        producer = registry.authenticate(producer_secret)
        assert _start is not None
        _start.wait()  # every process allocates at the same moment
        serials: list[str] = []
        for _ in range(REQUESTS_PER_PROCESS):
            request = AllocationInput(count=SERIALS_PER_PROCESS // REQUESTS_PER_PROCESS)
            serials += registry.allocate_serials(producer, gtin, batch_code, request).serials
        return serials
    finally:
        registry.close()


@pytest.mark.parametrize("narrow", [False, True], ids=["80-bit", "14-bit-colliding"])
def test_processes_allocating_at_once_never_share_a_serial(
    seeded: tuple[str, Seed], tmp_path: Path, narrow: bool
) -> None:
    database_url, seed = seeded
    # Forked workers start at once with everything imported (a spawned one re-imports labelgen
    # and its renderers, seconds per worker on two cores). Each opens its own connections, and
    # pool workers leave through os._exit, so nothing they inherit is closed under the parent.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(PROCESSES)
    arguments = (
        database_url,
        str(tmp_path / "keys"),
        seed.producer_secret,
        seed.gtin,
        seed.batch_code,
        narrow,
    )
    with context.Pool(PROCESSES, initializer=share_the_start, initargs=(start,)) as pool:
        results = pool.starmap(allocate_in_a_process, [arguments] * PROCESSES)
    allocated = [serial for result in results for serial in result]
    assert [len(result) for result in results] == [SERIALS_PER_PROCESS] * PROCESSES
    assert len(set(allocated)) == len(allocated) == PROCESSES * SERIALS_PER_PROCESS
    registry = Registry(RegistrySettings(database_url, tmp_path / "keys", b"salt"))
    try:
        with registry.engine.connect() as connection:
            stored = connection.execute(
                select(func.count(), func.count(func.distinct(Serial.serial)))
            ).one()
    finally:
        registry.close()
    expected = PROCESSES * SERIALS_PER_PROCESS + 2  # plus the seed's one serial per producer
    assert tuple(stored) == (expected, expected)
