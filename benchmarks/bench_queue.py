"""Benchmark: a print run through the job queue (serve → PostgreSQL → workers) beside the same run by `labelgen batch`.

One registry in a throw-away PostgreSQL schema issues and signs the serials of every run; the
runs are the same round-jar stickers in CMYK on SRA3 as benchmarks/bench_batch.py draws. The
direct run is `labelgen batch`. The queued run is ordered over HTTP from a `labelgen serve`
(one process, one render worker) and drawn by 1, then 2, `labelgen worker` processes; its time
runs from the POST to the first poll that says `done` (polled every POLL_S), so it holds the
queue's pick-up, the progress writes and the poll's granularity. A run is drawn by one worker on
every core, so a second worker does not make one run faster: it takes the next run, or this
one if its worker dies. Peak memory is the largest total proportional set size of the drawing
processes (the CLI and its workers; the `labelgen worker` processes and theirs), sampled.

    .venv/bin/python benchmarks/bench_queue.py [COUNT]     # default 100000
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from bench_batch import _PeakMemory, _registry_environment, _round_jar_spec, _run
from bench_verify import free_port, wait_until_up

from labelgen.registry.testing import temporary_database

POLL_S = 0.5
RUN_LIMIT_S = 3600.0
MIB = 1024 * 1024


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(
        f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}; "
        f"{count:,} round-jar labels, CMYK, SRA3, serials issued by PostgreSQL"
    )
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        spec_path = _round_jar_spec(directory)
        with temporary_database("postgresql", directory) as url:
            environment = _registry_environment(url, directory)
            environment["LABELGEN_DATA_DIR"] = str(directory / "data")
            environment["LABELGEN_RUN_STORE_DIR"] = str(directory / "store")
            direct_s, direct_peak, _size, _phases = _run(
                spec_path, directory, "SRA3", count, environment
            )
            print(
                f"{'path':<22}{'seconds':>9}{'labels/s':>10}{'× direct':>10}{'peak MB':>9}"
                f"{'load':>6}"
            )
            _line("labelgen batch", direct_s, count, direct_s, direct_peak)
            for workers in (1, 2):
                seconds, peak = _queued_run(spec_path, count, workers, environment)
                _line(f"queue, {workers} worker(s)", seconds, count, direct_s, peak)
    return 0


def _line(name: str, seconds: float, count: int, direct_s: float, peak_bytes: int) -> None:
    print(
        f"{name:<22}{seconds:>9.1f}{count / seconds:>10.0f}{seconds / direct_s:>10.2f}"
        f"{peak_bytes / MIB:>9.0f}{os.getloadavg()[0]:>6.1f}"
    )


def _queued_run(
    spec_path: Path, count: int, workers: int, environment: dict[str, str]
) -> tuple[float, int]:
    """Seconds from the order to `done`, and the workers' peak memory."""
    port = free_port()
    command = [sys.executable, "-m", "labelgen.cli"]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workers", "1", "--render-workers", "1"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    drawers = [
        subprocess.Popen(
            [*command, "worker"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    peaks = [_PeakMemory(drawer.pid) for drawer in drawers]
    try:
        wait_until_up(port, server)
        for peak in peaks:
            peak.start()
        document = json.loads(json.dumps(yaml.safe_load(spec_path.read_text()), default=str))
        order = {"spec": document, "count": count, "sheet": "SRA3", "cmyk": True}
        headers = {"Authorization": f"Bearer {environment['LABELGEN_API_KEY']}"}
        base = f"http://127.0.0.1:{port}/api/v1/runs"
        started = time.perf_counter()
        accepted = httpx.post(base, json=order, headers=headers, timeout=120)
        if accepted.status_code != 202:
            raise SystemExit(f"the order was refused: {accepted.text}")
        location = f"{base}/{accepted.json()['id']}"
        while True:
            status = httpx.get(location, headers=headers, timeout=30).json()
            if status["status"] in ("done", "failed"):
                break
            if time.perf_counter() - started > RUN_LIMIT_S:
                raise SystemExit("the queued run did not finish")
            time.sleep(POLL_S)
        seconds = time.perf_counter() - started
        if status["status"] != "done":
            raise SystemExit(f"the queued run failed: {status['error']}")
    finally:
        for peak in peaks:
            if peak.is_alive():
                peak.stop()
        for process in (server, *drawers):
            process.send_signal(signal.SIGTERM)
        for process in (server, *drawers):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    # The workers' trees are sampled apart: their sum is the memory the queue's drawing took.
    return seconds, sum(peak.bytes for peak in peaks)


if __name__ == "__main__":
    raise SystemExit(main())
