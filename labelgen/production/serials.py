"""Serial stage: a serial source (the registry or a list/CSV file) → the run's manifest of units.

The manifest (`NAME.serials.csv` beside the PDF) is written before any sheet is drawn, and a
resumed or restarted run reads it back instead of asking for serials again, so no serial is
ever allocated twice for one run. Registry serials are asked for in chunks, each with its own
request id derived from the run's id: the registry answers a repeated request id with the
serials it gave the first time, so even a run interrupted during allocation cannot duplicate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labelgen.errors import BatchError, CodeError, Problem, RegistryInputError
from labelgen.spec import LabelSpec
from labelgen.traceability import check_qualifier, trace_url

if TYPE_CHECKING:
    from labelgen.registry.apikeys import Principal
    from labelgen.registry.service import Registry

MANIFEST_HEADER = ("position", "serial", "url")
REGISTRY_CHUNK = 10_000
MAX_RUN_UNITS = 1_000_000


@dataclass(frozen=True)
class UnitCode:
    """One unit of a run: its serial and what its QR holds."""

    serial: str
    content: str


def read_serial_file(path: Path) -> list[str]:
    """The serials listed in `path`: a CSV whose first row may be a header naming a `serial`
    column (else its first column is used) or a plain list, one per line; UTF-8, BOM or not."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise BatchError(f"--serials: cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise BatchError(
            f"--serials: {path} is not UTF-8 text (byte {error.start}); save it as UTF-8 CSV"
        ) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise BatchError(f"--serials: {path} lists no serials")
    column = 0
    first_line = 1
    header = [cell.strip().lower() for cell in rows[0]]
    if "serial" in header:
        column = header.index("serial")
        rows = rows[1:]
        first_line = 2
    if not rows:
        raise BatchError(f"--serials: {path} lists no serials under its header")
    serials = []
    seen: dict[str, int] = {}
    for line_number, row in enumerate(rows, start=first_line):
        serial = row[column].strip() if column < len(row) else ""
        where = f"--serials: {path.name} line {line_number}"
        try:
            check_qualifier(serial, "serial")
        except CodeError as error:
            raise BatchError(f"{where}: {error}") from None
        if serial in seen:
            raise BatchError(f"{where}: serial {serial} is already on line {seen[serial]}")
        seen[serial] = line_number
        serials.append(serial)
    return serials


def unsigned_units(spec: LabelSpec, serials: list[str], base_url: str) -> Iterator[UnitCode]:
    """Units whose QR holds the spec's traceability URL with the serial (no signature)."""
    for serial in serials:
        content = trace_url(spec, base_url, serial)
        if content is None:
            raise BatchError("the spec has no traceability URL to put a serial in")
        yield UnitCode(serial, content)


def write_manifest(path: Path, units: Iterator[UnitCode] | list[UnitCode]) -> int:
    """Write the manifest (through a temporary file, so a half-written one never exists)."""
    partial = path.with_name(path.name + ".part")
    count = 0
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MANIFEST_HEADER)
        for position, unit in enumerate(units, start=1):
            writer.writerow((position, unit.serial, unit.content))
            count = position
    partial.replace(path)
    return count


def read_manifest(path: Path) -> Iterator[UnitCode]:
    """The manifest's units in order, read as they are needed."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        if tuple(next(reader, ())) != MANIFEST_HEADER:
            raise BatchError(f"{path} is not a labelgen run manifest")
        for row in reader:
            yield UnitCode(row[1], row[2])


def count_manifest(path: Path) -> int:
    """How many units the manifest holds."""
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in handle) - 1


AllocateChunk = Callable[[int, str], list[UnitCode]]


def registry_units(count: int, run_id: str, allocate_chunk: AllocateChunk) -> Iterator[UnitCode]:
    """`count` registry units, asked for `REGISTRY_CHUNK` at a time, each chunk under the
    request id `{run_id}-{chunk}` so that asking again returns the same serials."""
    for chunk_index, start in enumerate(range(0, count, REGISTRY_CHUNK)):
        size = min(REGISTRY_CHUNK, count - start)
        yield from allocate_chunk(size, f"{run_id}-{chunk_index}")


def registry_allocator(
    registry: Registry, principal: Principal, spec: LabelSpec, base_url: str
) -> AllocateChunk:
    """Allocation of the spec's batch's serials by `registry` for `principal`, each with its
    signed QR URL, after checking that the certificate the spec cites is registered."""
    from labelgen.registry.inputs import AllocationInput

    gtin, batch = spec.product.gtin, spec.product.batch
    if gtin is None or batch is None:
        field = "product.gtin" if gtin is None else "product.batch"
        raise RegistryInputError([Problem(field, "is required for registry serials")])
    registry.confirm_cited_certificate(spec)

    def allocate(count: int, request_id: str) -> list[UnitCode]:
        request = AllocationInput(count=count, request_id=request_id)
        allocation = registry.allocate_serials(principal, gtin, batch, request)
        urls = registry.signed_unit_urls(principal, gtin, batch, allocation.serials, base_url)
        return [UnitCode(serial, url) for serial, url in zip(allocation.serials, urls, strict=True)]

    return allocate
