"""Benchmark: print runs of signed round-jar stickers (1,000 / 10,000 / 100,000) on A4 and SRA3,
beside the naive path (each label's SVG handed to WeasyPrint for a PDF of its own, up to 1,000)
measured in the same run.

Each run is a `labelgen batch` subprocess in CMYK against a throwaway SQLite registry that
issues and signs the serials; its peak memory is the largest sum of the proportional set sizes
of the run's processes (main and workers), sampled every 50 ms. The run's wall time counts
everything a print shop waits for: start-up, serial allocation and signing, drawing, writing and the
preflight; `sheets/s` is the rate of the sheets phase alone (the run's own timing: the sheets
drawn while the serials are asked for, chunk by chunk). Prints figures and ratios; asserts nothing.

    .venv/bin/python benchmarks/bench_batch.py [COUNTS...]   # default: 1000 10000 100000
        [--save FILE]      # the figures as JSON, to compare a later run against
        [--against FILE]   # labels/s and bytes per label beside those saved, with the ratios

A change may cost at most 5 % of either (TOLERANCE): `--against` marks a larger loss.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from labelgen.export import weasyprint_pdf
from labelgen.layout import layout_label
from labelgen.registry.commands import API_KEY_VARIABLE
from labelgen.registry.testing import seeded_environment, temporary_database
from labelgen.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "examples" / "hat-sen-say.yaml"
NAIVE_MAX = 1000
TARGET_LABELS_PER_S = 1500
TARGET_RATIO = 30
TARGET_PEAK_MB = 300
TARGET_BYTES_PER_LABEL = 5000
TOLERANCE = 0.05  # the most a change may cost of labels/s or bytes per label


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10_000, 100_000])
    parser.add_argument("--save", type=Path, help="write the figures as JSON to this file")
    parser.add_argument("--against", type=Path, help="compare with figures saved by --save")
    arguments = parser.parse_args()
    counts = arguments.counts
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        spec_path = _round_jar_spec(directory)
        naive_per_s = _naive_labels_per_s(spec_path, min(NAIVE_MAX, max(counts)))
        print(f"naive path: one WeasyPrint PDF per label: {naive_per_s:,.1f} labels/s")
        with temporary_database("sqlite", directory) as url:
            environment = _registry_environment(url, directory)
            print(
                f"{'sheet':<6}{'labels':>9}{'seconds':>9}{'labels/s':>10}{'× naive':>9}"
                f"{'sheets/s':>10}{'peak MB':>9}{'MB':>8}{'B/label':>9}  phases (s)"
            )
            results: dict[tuple[str, int], tuple[float, int]] = {}
            for sheet in ("A4", "SRA3"):
                for count in counts:
                    seconds, peak_bytes, size_bytes, phases = _run(
                        spec_path, directory, sheet, count, environment
                    )
                    results[(sheet, count)] = (seconds, size_bytes)
                    rate = count / seconds
                    drawing_rate = count / phases["sheets"]
                    shown = " ".join(f"{name} {value:.1f}" for name, value in phases.items())
                    print(
                        f"{sheet:<6}{count:>9,}{seconds:>9.1f}{rate:>10,.0f}"
                        f"{rate / naive_per_s:>9.0f}{drawing_rate:>10,.0f}"
                        f"{peak_bytes / 1e6:>9.0f}{size_bytes / 1e6:>8.1f}"
                        f"{size_bytes / count:>9,.0f}  {shown}"
                    )
            _print_marginal_bytes(results, counts)
    figures = {
        f"{sheet} {count}": {"labels_per_s": count / seconds, "bytes_per_label": size / count}
        for (sheet, count), (seconds, size) in results.items()
    }
    if arguments.save is not None:
        arguments.save.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    if arguments.against is not None:
        _print_comparison(figures, json.loads(arguments.against.read_text(encoding="utf-8")))
    print(
        f"targets: ≥ {TARGET_LABELS_PER_S:,} labels/s, ≥ {TARGET_RATIO}× naive, peak < "
        f"{TARGET_PEAK_MB} MB at 100,000, < {TARGET_BYTES_PER_LABEL:,} bytes per extra label"
    )
    return 0


def _print_comparison(
    figures: dict[str, dict[str, float]], before: dict[str, dict[str, float]]
) -> None:
    """Labels/s and bytes per label beside a saved run's, a loss over TOLERANCE marked."""
    print(
        f"{'run':<12}{'labels/s before':>16}{'after':>9}{'ratio':>7}{'B/label before':>16}"
        f"{'after':>8}{'ratio':>7}"
    )
    for key, after in figures.items():
        if key not in before:
            continue
        speed = after["labels_per_s"] / before[key]["labels_per_s"]
        size = after["bytes_per_label"] / before[key]["bytes_per_label"]
        mark = "" if speed >= 1 - TOLERANCE and size <= 1 + TOLERANCE else "  REGRESSION"
        print(
            f"{key:<12}{before[key]['labels_per_s']:>16,.0f}{after['labels_per_s']:>9,.0f}"
            f"{speed:>7.3f}{before[key]['bytes_per_label']:>16,.0f}"
            f"{after['bytes_per_label']:>8,.0f}{size:>7.3f}{mark}"
        )


def _round_jar_spec(directory: Path) -> Path:
    """The example on a round-jar lid with a back panel: the lid alone has no room for the
    producer's details, and a run imposes the panel with the code, the lid."""
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    document["template"] = ["round-jar", "back-panel"]
    path = directory / "jar.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _naive_labels_per_s(spec_path: Path, count: int) -> float:
    """One WeasyPrint document per label, each with its own serial, as a render loop handing
    each label's SVG to WeasyPrint would (not `export_pdf`: labelgen's own PDF writer is no
    naive path)."""
    spec = parse_spec(yaml.safe_load(spec_path.read_text(encoding="utf-8")), spec_path.parent)
    weasyprint_pdf(layout_label(spec, serial="WARM"))
    started = time.perf_counter()
    for index in range(count):
        weasyprint_pdf(layout_label(spec, serial=f"N{index:07d}"))
    return count / (time.perf_counter() - started)


def _registry_environment(url: str, directory: Path) -> dict[str, str]:
    """A seeded registry and the producer's key, as `labelgen batch` finds them."""
    seed, variables = seeded_environment(url, directory)
    return {**os.environ, **variables, API_KEY_VARIABLE: seed.producer_secret}


def _run(
    spec_path: Path, directory: Path, sheet: str, count: int, environment: dict[str, str]
) -> tuple[float, int, int, dict[str, float]]:
    output = directory / f"run-{sheet}-{count}.pdf"
    command = [sys.executable, "-m", "labelgen.cli", "batch", str(spec_path), "--cmyk"]
    command += ["--sheet", sheet, "--count", str(count), "-o", str(output)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = _PeakMemory(process.pid)
    peak.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode != 0:
        raise SystemExit(f"labelgen batch failed ({process.returncode}):\n{stdout}\n{stderr}")
    size_bytes = output.stat().st_size
    for leftover in directory.glob(f"run-{sheet}-{count}*"):
        leftover.unlink()
    return seconds, peak.bytes, size_bytes, _phases(stdout)


def _phases(stdout: str) -> dict[str, float]:
    """The run's own timing line (`setup 0.2 s · artwork 0.2 s · sheets 5.4 s · …`)."""
    phases = {}
    for line in stdout.splitlines():
        if " s · " in line:
            for part in line.split(" · "):
                name, value, _ = part.split()
                phases[name] = float(value)
    return phases


def _print_marginal_bytes(
    results: dict[tuple[str, int], tuple[float, int]], counts: list[int]
) -> None:
    ordered = sorted(counts)
    for sheet in ("A4", "SRA3"):
        for smaller, larger in itertools.pairwise(ordered):
            extra = results[(sheet, larger)][1] - results[(sheet, smaller)][1]
            print(
                f"{sheet}: {extra / (larger - smaller):,.0f} bytes per extra label "
                f"({smaller:,} → {larger:,})"
            )


class _PeakMemory(threading.Thread):
    """The largest total proportional set size (PSS) of a process and its children, sampled.

    PSS and not RSS: forked workers share the main process's pages, and summing their resident
    sizes would count those pages once per process.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self._pid = pid
        self._running = True
        self.bytes = 0

    def run(self) -> None:
        while self._running:
            self.bytes = max(self.bytes, _tree_pss_bytes(self._pid))
            time.sleep(0.05)

    def stop(self) -> None:
        self._running = False
        self.join()


def _tree_pss_bytes(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("PPid:"):
                children.setdefault(int(line.split()[1]), []).append(int(entry.name))
                break
    total = 0
    stack = [root_pid]
    while stack:
        pid = stack.pop()
        total += _pss_bytes(pid)
        stack.extend(children.get(pid, []))
    return total


def _pss_bytes(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
