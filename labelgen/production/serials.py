"""Serial stage: a serial source (the registry or a list/CSV file) → the run's manifest of units.

The manifest (`NAME.serials.csv` beside the PDF) is written as the units arrive, each unit
before its sheet is drawn. A resumed or restarted run reads a finished manifest back instead of
asking for serials again; an unfinished one is made again from its source and checked against
the rows already written. Registry serials are asked for in chunks, each under its own request
id derived from the run's id: the registry answers a repeated request id with the serials it
gave the first time, so a run interrupted during allocation cannot duplicate or lose one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
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
# Units come in chunks so that drawing starts after the first one; a registry chunk is one
# allocation (one request id) of about 0.1 s.
CHUNK_UNITS = 1_000
# A run's first registry chunks are smaller, each twice the one before: drawing starts once the
# first is in (some 20 ms), while the registry issues the next.
FIRST_CHUNK_UNITS = 125
# A registry answering in the background issues this many chunks ahead of the one being drawn:
# each is twice the one before and takes longer to issue than the one before it to draw.
ASK_AHEAD_CHUNKS = 3
MAX_RUN_UNITS = 1_000_000
# A cell starting with one of these is run as a formula when a spreadsheet opens the manifest.
FORMULA_STARTS = ("=", "+", "-", "@")


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
        if (reason := formula_problem(serial)) is not None:
            raise BatchError(f"{where}: serial {reason}")
        if serial in seen:
            raise BatchError(f"{where}: serial {serial} is already on line {seen[serial]}")
        seen[serial] = line_number
        serials.append(serial)
    return serials


def unsigned_chunks(spec: LabelSpec, serials: list[str], base_url: str) -> Iterator[list[UnitCode]]:
    """Units whose QR holds the spec's traceability URL with the serial (no signature), made
    `CHUNK_UNITS` at a time."""
    for start in range(0, len(serials), CHUNK_UNITS):
        chunk = []
        for serial in serials[start : start + CHUNK_UNITS]:
            content = trace_url(spec, base_url, serial)
            if content is None:
                raise BatchError("the spec has no traceability URL to put a serial in")
            chunk.append(UnitCode(serial, content))
        yield chunk


def formula_problem(serial: str) -> str | None:
    """Why `serial` may not go into a manifest (a spreadsheet would run it), or None."""
    if serial.startswith(FORMULA_STARTS):
        return "must not start with =, +, - or @ (a spreadsheet would run it as a formula)"
    return None


class ManifestWriter:
    """The manifest written as the units arrive, through `NAME.serials.csv.part`, renamed once
    the last unit is in: a manifest under its own name is always whole.

    With `check_earlier`, a `.part` left by an interrupted attempt of the same job is kept: each
    unit is compared with its row there, one row at a time, and writing goes on after the last
    whole row. A unit that differs from what was written (and may have been printed) is refused.
    """

    def __init__(self, path: Path, *, check_earlier: bool = False) -> None:
        self.path = path
        self.partial = unfinished_manifest_path(path)
        self.count = 0
        self._checking = check_earlier and self.partial.exists()
        header = _csv_lines([MANIFEST_HEADER])
        if self._checking:
            self._handle = self.partial.open("r+b")
            if self._handle.readline() != header:
                self._handle.close()
                raise BatchError(f"{self.partial} is not a labelgen run manifest")
        else:
            self._handle = self.partial.open("w+b")
            self._handle.write(header)

    def write(self, units: list[UnitCode]) -> None:
        rows = [
            (self.count + offset, unit.serial, unit.content)
            for offset, unit in enumerate(units, start=1)
        ]
        data = _csv_lines(rows)
        if self._checking:
            data = self._after_earlier_rows(data, units)
        self._handle.write(data)
        self.count += len(units)
        # On disk before the chunk's sheets are drawn, for a resume to check against.
        self._handle.flush()

    def finish(self) -> None:
        self._handle.close()
        self.partial.replace(self.path)

    def close(self) -> None:
        """Stop writing and keep what is written, for a resumed run to check against."""
        self._handle.close()

    def _after_earlier_rows(self, data: bytes, units: list[UnitCode]) -> bytes:
        """What of `data` (a row per unit, none spanning two lines: serials and URLs hold no
        line break) the earlier attempt has not written yet; BatchError when a row it wrote
        differs. Once its whole rows are used up, the file is left ready to be written on."""
        lines = data.splitlines(keepends=True)
        for index, (line, unit) in enumerate(zip(lines, units, strict=True)):
            earlier = self._handle.readline()
            if not earlier.endswith(b"\n"):
                # The earlier rows end here, the last perhaps cut short: write over it.
                self._handle.seek(-len(earlier), io.SEEK_CUR)
                self._handle.truncate()
                self._checking = False
                return b"".join(lines[index:])
            if earlier != line:
                earlier_serial = next(csv.reader([earlier.decode("utf-8")]))[1]
                raise BatchError(
                    f"unit {self.count + index + 1} is {unit.serial} now but was "
                    f"{earlier_serial} when this run was interrupted: the serial source changed; "
                    "start a new run under another output name"
                )
        return b""


def _csv_lines(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as the UTF-8 CSV lines the manifest holds."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode("utf-8")


def unfinished_manifest_path(path: Path) -> Path:
    """Where the manifest `path` is written until its last unit is in."""
    return path.with_name(path.name + ".part")


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
AskAhead = Callable[[int, str], None]


def chunk_requests(count: int, run_id: str) -> list[tuple[int, str]]:
    """The registry chunks of a run of `count` units: sizes doubling from `FIRST_CHUNK_UNITS` up
    to `CHUNK_UNITS`, each under the request id `{run_id}-{chunk}` so that asking again returns
    the same serials."""
    requests: list[tuple[int, str]] = []
    size = min(FIRST_CHUNK_UNITS, CHUNK_UNITS)
    start = 0
    while start < count:
        chunk_size = min(size, count - start)
        requests.append((chunk_size, f"{run_id}-{len(requests)}"))
        start += chunk_size
        size = min(2 * size, CHUNK_UNITS)
    return requests


def registry_chunks(
    count: int, run_id: str, allocate_chunk: AllocateChunk, ask_ahead: AskAhead | None = None
) -> Iterator[list[UnitCode]]:
    """`count` registry units, chunk by chunk (see `chunk_requests`). With `ask_ahead` (a
    registry that answers in the background) the next `ASK_AHEAD_CHUNKS` chunks are asked for
    before each chunk is drawn, and `allocate_chunk` then collects them."""
    requests = chunk_requests(count, run_id)
    asked = 0
    for index, (size, request_id) in enumerate(requests):
        if ask_ahead is not None:
            while asked < min(len(requests), index + 1 + ASK_AHEAD_CHUNKS):
                ask_ahead(*requests[asked])
                asked += 1
        yield allocate_chunk(size, request_id)


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
