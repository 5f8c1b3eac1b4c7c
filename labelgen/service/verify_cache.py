"""Cached scans: the Verifier with a ReadingCache in front of its SELECT (PostgreSQL), and the choice of the two.

A verdict is still judged on every scan (the signature checked, the certificate's dates against
today, the scan recorded); only the registry's reading of the code comes from memory when the
same code was read before and nothing in the registry changed since (see
labelgen.registry.cache for why that is never stale, and how late other processes' scans are
counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable

from labelgen.registry.cache import ReadingCache
from labelgen.registry.lookup import BufferedScan, ScanBuffer
from labelgen.registry.service import Registry
from labelgen.registry.verify import UnitCode
from labelgen.service.settings import Settings
from labelgen.service.verifier import Reading, Verifier


class _ObservedScanBuffer(ScanBuffer):
    """The scan buffer, telling the cache of each scan this process records."""

    def __init__(self, on_add: Callable[[BufferedScan], None]) -> None:
        super().__init__()
        self._on_add = on_add

    def add(self, scan: BufferedScan) -> None:
        super().add(scan)
        self._on_add(scan)


class CachingVerifier(Verifier):
    """A Verifier that reads a code again from its ReadingCache when it can."""

    def __init__(self, registry: Registry, cache: ReadingCache) -> None:
        super().__init__(registry)
        self.cache = cache
        self.buffer = _ObservedScanBuffer(
            lambda scan: cache.record_scan(scan.serial_id, scan.scanned_at, scan.network)
        )

    def start(self) -> None:
        self.cache.open()
        self.cache.watch_writes(self.registry.engine)
        super().start()

    def close(self) -> None:
        super().close()
        self.cache.close()

    def read(self, code: UnitCode | None, now: dt.datetime) -> Reading:
        key = _cache_key(code)
        if key is None:
            return super().read(code, now)
        cached = self.cache.get(key)
        if cached is not None:
            return Reading(cached, self.published_keys())
        generation = self.cache.generation()
        reading = super().read(code, now)
        self.cache.put(key, generation, reading.unit)
        return reading


def _cache_key(code: UnitCode | None) -> Hashable | None:
    """What the registry's reading of a code depends on (its SELECT's parameters)."""
    if code is None:
        return None
    return (code.gtin14, code.certificate_path, code.batch, code.serial)


def make_verifier(registry: Registry, settings: Settings) -> Verifier:
    """The app's verifier: cached on PostgreSQL when LABELGEN_VERIFY_CACHE_S is above 0."""
    if registry.engine.dialect.name != "postgresql" or settings.verify_cache_s <= 0:
        return Verifier(registry)
    return CachingVerifier(registry, ReadingCache(registry.engine, settings.verify_cache_s))
