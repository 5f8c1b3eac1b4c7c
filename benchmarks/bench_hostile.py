"""Benchmark: `labelgen serve` under scans + PNG renders, with and without hostile nested bodies → req/s, p99, ratio.

Usage: benchmarks/bench_hostile.py [SECONDS] [HOSTILE_LOOPS]. Targets (issue 13): with two hostile
loops, normal clients' p99 under 1.5 times that of the same load without them; /healthz p99 under
50 ms throughout. Prints figures only; it talks to 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from bench_service import (
    free_port,
    percentile,
    run_threads,
    spec_document,
    start_service,
    wait_until_ready,
    watch_healthz,
)

JSON_HEADERS = {"content-type": "application/json"}
SCAN_PATH = "/01/08936099999999/21/X1"
# About 2.5 KB: what a stranger needs to send to reach 500 levels of nesting.
HOSTILE_BODY = b'{"brand":' + b'{"a":' * 500 + b"1" + b"}" * 500 + b"}"
NORMAL_CLIENTS = 2


@dataclass
class Mix:
    """What the normal clients saw in one phase."""

    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    healthz_ms: list[float] = field(default_factory=list)
    hostile_sent: int = 0


def normal_client(
    base_url: str, body: bytes, deadline: float, mix: Mix, lock: threading.Lock
) -> Callable[[], None]:
    """A client alternating a scan (JSON verdict) and a PNG render, one connection of its own."""

    def run() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as session:
            turn = 0
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                if turn % 2:
                    response = session.post(
                        "/api/v1/labels?format=png&dpi=150", content=body, headers=JSON_HEADERS
                    )
                else:
                    response = session.get(SCAN_PATH, headers={"accept": "application/json"})
                elapsed_ms = (time.perf_counter() - start) * 1000
                turn += 1
                with lock:
                    if response.status_code == 200:
                        mix.latencies_ms.append(elapsed_ms)
                    else:
                        mix.failures[response.status_code] = (
                            mix.failures.get(response.status_code, 0) + 1
                        )

    return run


def hostile_client(
    base_url: str, deadline: float, mix: Mix, lock: threading.Lock
) -> Callable[[], None]:
    """A loop posting the nested body as fast as the service answers it."""

    def run() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as session:
            while time.perf_counter() < deadline:
                session.post("/api/v1/check", content=HOSTILE_BODY, headers=JSON_HEADERS)
                with lock:
                    mix.hostile_sent += 1

    return run


def run_phase(base_url: str, body: bytes, seconds: float, hostile_loops: int) -> Mix:
    mix = Mix()
    lock = threading.Lock()
    stop = threading.Event()
    watcher = threading.Thread(target=watch_healthz, args=(base_url, stop, mix.healthz_ms))
    watcher.start()
    deadline = time.perf_counter() + seconds
    targets = [normal_client(base_url, body, deadline, mix, lock)] * NORMAL_CLIENTS
    targets += [hostile_client(base_url, deadline, mix, lock)] * hostile_loops
    started = time.perf_counter()
    run_threads(targets)
    mix.seconds = time.perf_counter() - started
    stop.set()
    watcher.join()
    return mix


def describe(name: str, mix: Mix) -> str:
    rate = len(mix.latencies_ms) / mix.seconds
    return (
        f"{name:<22} {rate:7.1f} req/s   p50 {percentile(mix.latencies_ms, 0.5):7.1f} ms   "
        f"p99 {percentile(mix.latencies_ms, 0.99):7.1f} ms   /healthz p99 "
        f"{percentile(mix.healthz_ms, 0.99):6.1f} ms   hostile sent {mix.hostile_sent}   "
        f"failures {mix.failures or 'none'}"
    )


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
    hostile_loops = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    document = spec_document()
    if isinstance(document.get("template"), list):
        document["template"] = document["template"][0]  # type: ignore[index]
    body = httpx.Request("POST", base_url, json=document).content
    # The service's registry in a folder of its own, not the user's data folder.
    scratch = tempfile.TemporaryDirectory(prefix="labelgen-bench-")
    os.environ["LABELGEN_DATA_DIR"] = scratch.name
    process = start_service(port)
    try:
        wait_until_ready(base_url, process, limit_s=120)
        run_phase(base_url, body, 2.0, 0)  # warm-up
        quiet = run_phase(base_url, body, seconds, 0)
        hostile = run_phase(base_url, body, seconds, hostile_loops)
    finally:
        process.terminate()
        process.wait(timeout=60)
        scratch.cleanup()
    print(describe("normal mix", quiet))
    print(describe(f"+ {hostile_loops} hostile loops", hostile))
    ratio = percentile(hostile.latencies_ms, 0.99) / percentile(quiet.latencies_ms, 0.99)
    throughput = (len(hostile.latencies_ms) / hostile.seconds) / (
        len(quiet.latencies_ms) / quiet.seconds
    )
    print(
        f"p99 with / without hostile traffic: {ratio:.2f}x (target < 1.5x); "
        f"throughput kept: {throughput:.0%}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
