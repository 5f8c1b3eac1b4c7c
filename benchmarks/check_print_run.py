"""Acceptance check of a whole print run: signed round-jar stickers on SRA3 in CMYK, every code decoded
from the rendered sheets and verified through the service. Prints figures; exits 1 on a failure.

A throwaway SQLite registry issues and signs the serials, `labelgen batch`'s engine makes the PDF,
the preflight decodes the QR of every label on every sheet (not a sample) against the manifest,
and each decoded URL is then opened on the service (JSON) and must answer `valid`.

    .venv/bin/python benchmarks/check_print_run.py [COUNT]   # default: 10000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from labelgen.production.imposition import ImpositionOptions
from labelgen.production.preflight import preflight_pdf
from labelgen.production.run import RunRequest, run_batch
from labelgen.production.serials import UnitCode, read_manifest, registry_allocator
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import seed_registry, temporary_database
from labelgen.service.app import create_app
from labelgen.service.settings import Settings
from labelgen.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "examples" / "hat-sen-say.yaml"
BASE_URL = "https://truyxuat.example.vn"


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
        # The lid alone has no room for the producer's details; the run imposes the lid.
        document["template"] = ["round-jar", "back-panel"]
        spec_bytes = yaml.safe_dump(document, allow_unicode=True).encode("utf-8")
        with temporary_database("sqlite", directory) as url:
            registry = Registry(RegistrySettings(url, directory / "keys", bytes(range(32))))
            try:
                return _check(registry, directory, spec_bytes, count)
            finally:
                registry.close()


def _check(registry: Registry, directory: Path, spec_bytes: bytes, count: int) -> int:
    seed = seed_registry(registry)
    spec = parse_spec(yaml.safe_load(spec_bytes), directory)
    request = RunRequest(
        spec=spec,
        spec_bytes=spec_bytes,
        output=directory / "jar.pdf",
        count=count,
        allocate=registry_allocator(registry, seed.producer, spec, BASE_URL),
        sheet=ImpositionOptions(sheet="SRA3"),
        cmyk=True,
        base_url=BASE_URL,
    )
    result = run_batch(request)
    print(
        f"run: {result.labels:,} labels on {result.sheets} SRA3 sheets of "
        f"{result.labels_per_sheet}, {result.size_bytes / 1e6:.1f} MB, {result.elapsed_s:.1f} s "
        f"({result.labels / result.elapsed_s:,.0f} labels/s, serial allocation and signing included)"
    )
    print(" · ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases_s.items()))
    print(result.preflight.format_text())
    units = list(read_manifest(result.manifest))
    expected = _codes_by_page(units, result.labels_per_sheet)
    started = time.perf_counter()
    full = preflight_pdf(result.output, cmyk=True, expected_codes=expected)
    decoded_ok = all(check.passed for check in full.checks if check.name.startswith("codes"))
    print(
        f"every sheet decoded: {'all codes match' if decoded_ok else 'MISMATCH'} "
        f"({len(expected)} sheets, {time.perf_counter() - started:.0f} s)"
    )
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    with TestClient(create_app(Settings(render_workers=1), registry=registry)) as client:
        for unit in units:
            response = client.get(
                unit.content.removeprefix(BASE_URL), headers={"Accept": "application/json"}
            )
            status = response.json().get("status", f"HTTP {response.status_code}")
            statuses[status] = statuses.get(status, 0) + 1
    print(f"verified through the service: {statuses} ({time.perf_counter() - started:.0f} s)")
    passed = result.preflight.passed and decoded_ok and statuses == {"valid": len(units)}
    print("PASSED" if passed else "FAILED")
    return 0 if passed else 1


def _codes_by_page(units: list[UnitCode], per_sheet: int) -> dict[int, list[str]]:
    pages: dict[int, list[str]] = {}
    for index, unit in enumerate(units):
        pages.setdefault(index // per_sheet, []).append(unit.content)
    return pages


if __name__ == "__main__":
    raise SystemExit(main())
