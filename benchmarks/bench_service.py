"""Benchmark: `labelgen serve` on loopback under concurrent clients → renders/s and latency per format,
/healthz latency during the load, against the single-process render rate measured in the same run.

Usage: benchmarks/bench_service.py [SECONDS_PER_FORMAT] [CLIENTS]. Prints figures only; it talks to
127.0.0.1 and nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from labelgen.pipeline import OutputFormat, render
from labelgen.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "examples" / "hat-sen-say.yaml"
FORMATS: tuple[OutputFormat, ...] = ("svg", "png", "pdf")
MAX_REQUESTS_PER_FORMAT = 2000
TARGET_SHARE = 0.80
TARGET_HEALTHZ_P99_MS = 50.0
HEALTHZ_INTERVAL_S = 0.02


@dataclass
class LoadResult:
    """What the clients saw for one format."""

    elapsed_s: float
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)

    @property
    def rate_per_s(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of the samples."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def spec_document() -> dict[str, object]:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    document["template"] = "ocop-classic"  # one label (the example is a front and back set)
    loaded: dict[str, object] = json.loads(json.dumps(document, default=str))
    return loaded


def single_process_rate(output_format: OutputFormat, seconds: float) -> float:
    """Renders per second of one warm process rendering one label after another (the core
    benchmark's measure: the spec is parsed once)."""
    spec = parse_spec(spec_document())
    render(spec, output_format)  # warm fonts, shaping and the renderer
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        render(spec, output_format)
        count += 1
    return count / (time.perf_counter() - start)


def start_service(port: int) -> subprocess.Popen[bytes]:
    labelgen = Path(sys.executable).with_name("labelgen")
    return subprocess.Popen(
        [str(labelgen), "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("labelgen serve exited while starting")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("labelgen serve did not become ready")


def drive(
    base_url: str, output_format: str, body: bytes, clients: int, seconds: float
) -> LoadResult:
    """`clients` threads, each with its own keep-alive connection, posting renders until the
    time or the request budget is spent."""
    url = f"{base_url}/api/v1/labels?format={output_format}"
    latencies_ms: list[float] = []
    failures: dict[int, int] = {}
    lock = threading.Lock()
    budget = [MAX_REQUESTS_PER_FORMAT]
    deadline = time.perf_counter() + seconds

    def client() -> None:
        with httpx.Client(timeout=60, headers={"content-type": "application/json"}) as session:
            while time.perf_counter() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                start = time.perf_counter()
                response = session.post(url, content=body)
                elapsed_ms = (time.perf_counter() - start) * 1000
                with lock:
                    if response.status_code == 200:
                        latencies_ms.append(elapsed_ms)
                    else:
                        failures[response.status_code] = failures.get(response.status_code, 0) + 1

    started = time.perf_counter()
    run_threads([client] * clients)
    return LoadResult(time.perf_counter() - started, latencies_ms, failures)


def run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def watch_healthz(base_url: str, stop: threading.Event, samples_ms: list[float]) -> None:
    """Poll /healthz on a connection of its own while the renders run."""
    with httpx.Client(timeout=10) as session:
        while not stop.is_set():
            start = time.perf_counter()
            response = session.get(f"{base_url}/healthz")
            if response.status_code == 200:
                samples_ms.append((time.perf_counter() - start) * 1000)
            stop.wait(HEALTHZ_INTERVAL_S)


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 8.0
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    body = json.dumps(spec_document()).encode()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, clients: {clients}")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    process = start_service(port)
    baseline: dict[str, float] = {}
    results: dict[str, LoadResult] = {}
    healthz_ms: list[float] = []
    try:
        wait_until_ready(base_url, process, limit_s=120)
        for fmt in FORMATS:
            # Measured just before the service's run of the same format, so that a change in
            # what else the machine is doing affects both sides alike.
            baseline[fmt] = single_process_rate(fmt, seconds / 2)
            warm_up(base_url, fmt, body)
            stop = threading.Event()
            watcher = threading.Thread(target=watch_healthz, args=(base_url, stop, healthz_ms))
            watcher.start()
            results[fmt] = drive(base_url, fmt, body, clients, seconds)
            stop.set()
            watcher.join()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    report(results, baseline, healthz_ms)
    return 0


def warm_up(base_url: str, output_format: str, body: bytes) -> None:
    """One render per worker, so that the timed run starts with warm caches."""
    for _ in range(2):
        httpx.post(
            f"{base_url}/api/v1/labels?format={output_format}",
            content=body,
            headers={"content-type": "application/json"},
            timeout=60,
        )


def report(
    results: dict[str, LoadResult], baseline: dict[str, float], healthz_ms: list[float]
) -> None:
    print(
        "single process: one warm process rendering the parsed spec again and again; "
        "service: labelgen serve (default settings) over loopback"
    )
    header = f"{'format':<7}{'single/s':>9}{'service/s':>10}{'share':>7}"
    print(header + f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'requests':>10}  other answers")
    for fmt, result in results.items():
        samples = result.latencies_ms or [float("nan")]
        share = result.rate_per_s / baseline[fmt]
        verdict = "ok" if share >= TARGET_SHARE else "UNDER"
        print(
            f"{fmt:<7}{baseline[fmt]:>9.1f}{result.rate_per_s:>10.1f}{share:>7.0%}"
            f"{percentile(samples, 0.50):>8.0f}{percentile(samples, 0.95):>8.0f}"
            f"{percentile(samples, 0.99):>8.0f}{len(result.latencies_ms):>10}  "
            f"{result.failures or '-'} {verdict}"
        )
    if healthz_ms:
        p99 = percentile(healthz_ms, 0.99)
        verdict = "ok" if p99 < TARGET_HEALTHZ_P99_MS else "OVER"
        print(
            f"/healthz during the load: {len(healthz_ms)} probes, "
            f"p50 {statistics.median(healthz_ms):.1f} ms, p95 {percentile(healthz_ms, 0.95):.1f} ms, "
            f"p99 {p99:.1f} ms, max {max(healthz_ms):.1f} ms "
            f"(target p99 < {TARGET_HEALTHZ_P99_MS:.0f} ms) {verdict}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
