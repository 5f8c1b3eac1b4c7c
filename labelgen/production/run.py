"""Run stage: spec, serial source and sheet options → one imposed print PDF, its manifest, a preflight.

The static design is laid out, checked and drawn once (WeasyPrint), converted to CMYK when
asked, and becomes one form XObject; sheets are then drawn by worker processes (both cores)
while this process asks for the next chunks of serials, and streamed to disk in order by
`StreamingPdfWriter`, so memory does not grow with the run. A state file beside the output
records the run's id and a checkpoint of the file every few seconds: `resume=True` carries on
from there, `restart=True` draws again with the same serials.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pikepdf

from labelgen.codes import PrintProcess, print_process
from labelgen.errors import BatchError, NotCompliantError
from labelgen.export import (
    die_line_path,
    drop_unused_colour_spaces,
    export_artwork_pdf,
    make_cut_contour_space,
    make_overprint_state,
    tag_subsets_by_content,
)
from labelgen.files import write_atomically
from labelgen.layout import LabelSet, Layout, layout_set
from labelgen.pipeline import check_set
from labelgen.production import CARTON_RUN_REASON
from labelgen.production.colour import add_output_intent, convert_pdf_to_cmyk, set_pdfx4_metadata
from labelgen.production.imposition import Imposition, ImpositionOptions, impose
from labelgen.production.outlines import PT_PER_MM, glyph_forms
from labelgen.production.preflight import Box, PreflightReport, preflight_pdf
from labelgen.production.serials import (
    CHUNK_UNITS,
    AllocateChunk,
    AskAhead,
    ManifestWriter,
    UnitCode,
    count_manifest,
    read_manifest,
    read_serial_file,
    registry_chunks,
    unfinished_manifest_path,
    unsigned_chunks,
)
from labelgen.production.stamp import (
    CMYK_INKS,
    CUT_COLOUR_SPACE_NAME,
    GREY_INKS,
    OVERPRINT_STATE_NAME,
    PROCESS_PLATES,
    REGISTRATION_COLOUR_SPACE_NAME,
    LabelGeometry,
    SheetPlan,
    Unit,
    sheet_operators,
)
from labelgen.production.writer import (
    SharedObjects,
    StreamingPdfWriter,
    WriterState,
    compress_content,
)
from labelgen.spec import LabelSpec
from labelgen.traceability import DEFAULT_BASE_URL

CHECKPOINT_INTERVAL_S = 2.0
WRITE_BUFFER_BYTES = 1 << 20  # pages come at some 60 kB each: written a few at a time
# Sheets handed to the workers ahead of the one being written: enough labels that the workers
# keep drawing while this process asks the registry for the next chunk of serials (0.1 s for
# 1,000). A thread asking for them instead made every sheet wait for the interpreter lock.
LABELS_IN_FLIGHT = 2 * CHUNK_UNITS
LABELS_PER_TASK = 48
SERIAL_PROCESS_MAX_UNITS = 200  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class RunRequest:
    """What to print: the spec, how many units and from which serials, on what sheets."""

    spec: LabelSpec
    spec_bytes: bytes  # the spec file as given: part of the run's fingerprint
    output: Path
    count: int | None = None
    serials_file: Path | None = None
    allocate: AllocateChunk | None = None  # the registry's, when it issues the serials
    ask_ahead: AskAhead | None = None  # a registry answering in the background: see serials
    sheet: ImpositionOptions = field(default_factory=ImpositionOptions)
    cmyk: bool = False
    base_url: str = DEFAULT_BASE_URL
    job_name: str | None = None
    workers: int = 0  # 0: one per core
    resume: bool = False
    restart: bool = False
    show_serials: bool = True
    as_of: dt.date | None = None
    spec_dir: Path | None = None


@dataclass(frozen=True)
class Progress:
    """How far a run is."""

    sheets_done: int
    sheets_total: int
    labels_done: int
    labels_total: int
    elapsed_s: float


@dataclass(frozen=True)
class RunResult:
    """A finished run: its files, its size and its preflight."""

    output: Path
    manifest: Path
    labels: int
    sheets: int
    labels_per_sheet: int
    labels_drawn: int  # by this call: fewer than `labels` when it resumed an interrupted run
    elapsed_s: float
    size_bytes: int
    preflight: PreflightReport
    phases_s: dict[str, float]  # setup, artwork, sheets, preflight
    rotated: bool = False  # the labels stand turned 90° on the sheets


@dataclass(frozen=True)
class RunPaths:
    """The files of a run named after its output."""

    output: Path
    manifest: Path
    state: Path
    partial: Path

    @classmethod
    def beside(cls, output: Path) -> RunPaths:
        return cls(
            output=output,
            manifest=output.with_name(output.stem + ".serials.csv"),
            state=output.with_name(output.name + ".state.json"),
            partial=output.with_name(output.name + ".part"),
        )


ProgressCallback = Callable[[Progress], None]


def run_batch(request: RunRequest, on_progress: ProgressCallback | None = None) -> RunResult:
    """Make the run's PDF (see the module docstring); BatchError when it cannot start."""
    started = time.perf_counter()
    phases = _Phases()
    paths = RunPaths.beside(request.output)
    if request.spec.package is not None:
        raise BatchError(f"package: {CARTON_RUN_REASON}")
    # The label and the sheet options are checked before any serial is issued or file written.
    label = _compliant_code_panel(
        request, layout_set(request.spec, spec_dir=request.spec_dir, base_url=request.base_url)
    )
    imposition = impose(label.width_mm, label.height_mm, label.bleed_mm, request.sheet)
    fingerprint = _fingerprint(request)
    state = _starting_state(request, paths, fingerprint)
    sheets_before = state["sheets_done"]
    manifest: ManifestWriter | None = None
    try:
        feed, manifest = _open_units(request, paths, state)
        units_total = feed.total
        sample_layout = _checked_layout(request, feed.first_unit())
        phases.end("setup")
        # The run's moment is kept in its state: a resumed run writes the same dates and slugs.
        created_at = dt.datetime.fromisoformat(state["created_at"])
        shared_pdf, shared = _shared_document(sample_layout, request, created_at)
    except BaseException:
        if manifest is not None:
            manifest.close()
        if state["sheets_done"] == 0 and state["writer"] is None and not request.restart:
            # Nothing was drawn: leave no run behind that would stop the corrected command
            # (registry serials already issued stay unused; they were never printed).
            paths.state.unlink(missing_ok=True)
            unfinished_manifest_path(paths.manifest).unlink(missing_ok=True)
        raise
    geometry = _label_geometry(sample_layout, print_process(request.spec.print_process))
    sheets_total = imposition.sheets_needed(units_total)
    plan = SheetPlan(
        imposition=imposition,
        label=geometry,
        inks=CMYK_INKS if request.cmyk else GREY_INKS,
        show_serials=request.show_serials,
    )
    job_name = request.job_name or request.output.stem
    slugs = _Slugs(job_name, sheets_total, units_total, created_at.date())
    writer, handle = _open_writer(paths, state, shared_pdf)
    phases.end("artwork")
    try:
        _draw_sheets(request, paths, state, writer, handle, plan, feed, slugs, started, on_progress)
        if manifest is not None:
            manifest.finish()
        forms = glyph_forms(geometry.family, state.get("glyph_ids", []))
        writer.finish(shared, forms, bytes.fromhex(fingerprint[:32]))
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        if manifest is not None:
            manifest.close()
        handle.close()
    paths.partial.replace(paths.output)
    paths.state.unlink(missing_ok=True)
    phases.end("sheets")
    expected_codes, label_boxes_pt = _sample_codes(paths, imposition, sheets_total)
    report = preflight_pdf(
        paths.output,
        cmyk=request.cmyk,
        expected_codes=expected_codes,
        label_boxes_pt=label_boxes_pt,
    )
    phases.end("preflight")
    return RunResult(
        output=paths.output,
        manifest=paths.manifest,
        labels=units_total,
        sheets=sheets_total,
        labels_per_sheet=imposition.labels_per_sheet,
        labels_drawn=units_total - _labels_on_sheets(imposition, sheets_before, units_total),
        elapsed_s=time.perf_counter() - started,
        size_bytes=paths.output.stat().st_size,
        preflight=report,
        phases_s=phases.seconds,
        rotated=imposition.rotated,
    )


class _Phases:
    """How long each part of a run took, for the report at its end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._since = time.perf_counter()

    def end(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._since
        self._since = now


# --- the run's state and manifest ------------------------------------------------------------


def _fingerprint(request: RunRequest) -> str:
    """What makes two runs the same job: the spec file, the sheets, the colour and the serials."""
    digest = hashlib.sha256(request.spec_bytes)
    options = {
        "sheet": repr(request.sheet),
        "cmyk": request.cmyk,
        "count": request.count,
        "serials": request.serials_file.read_bytes().hex() if request.serials_file else None,
        "registry": request.allocate is not None,
        "base_url": request.base_url,
        "serial_lines": request.show_serials,
    }
    digest.update(json.dumps(options, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _starting_state(request: RunRequest, paths: RunPaths, fingerprint: str) -> dict[str, Any]:
    """The state to start from, after refusing what would lose or duplicate serials."""
    previous = _read_state(paths)
    if previous is not None and previous.get("fingerprint") != fingerprint:
        raise BatchError(
            f"{paths.state.name} belongs to another job (a different spec, sheet or serials); "
            f"finish that job, or choose another output file than {paths.output.name}"
        )
    if request.resume:
        if previous is None:
            raise BatchError(f"--resume: no interrupted run of {paths.output.name} to resume")
        # A run stopped before its first checkpoint resumes from its first sheet.
        return previous
    if previous is not None and not request.restart:
        raise BatchError(
            f"an interrupted run of {paths.output.name} is there "
            f"({previous.get('sheets_done', 0)} sheets drawn): --resume carries on, "
            "--restart draws it again with the same serials"
        )
    if paths.manifest.exists() and previous is None and not request.restart:
        raise BatchError(
            f"{paths.manifest.name} holds the serials of an earlier run: --restart prints "
            "those same serials again; choose another output file for new ones"
        )
    state: dict[str, Any] = {
        "fingerprint": fingerprint,
        "run_id": previous["run_id"] if previous else uuid.uuid4().hex[:20],
        "sheets_done": 0,
        "writer": None,
        "glyph_ids": [],
        "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    _save_state(paths, state)
    return state


def _read_state(paths: RunPaths) -> dict[str, Any] | None:
    if not paths.state.exists():
        return None
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BatchError(
            f"{paths.state} cannot be read ({error}); delete it to start over"
        ) from None
    if not isinstance(state, dict):
        raise BatchError(f"{paths.state} is not a run state; delete it to start over")
    return state


def _save_state(paths: RunPaths, state: dict[str, Any]) -> None:
    write_atomically(paths.state, json.dumps(state).encode("utf-8"))


def _open_units(
    request: RunRequest, paths: RunPaths, state: dict[str, Any]
) -> tuple[_UnitFeed, ManifestWriter | None]:
    """The run's units, and the manifest they are written to as they come (None when an
    earlier attempt of this job finished it: its units are read back, never asked for again)."""
    if paths.manifest.exists() and (request.resume or request.restart):
        count = count_manifest(paths.manifest)
        if request.count is not None and count != request.count:
            raise BatchError(
                f"--count: {paths.manifest.name} holds {count} serials for this job, "
                f"not {request.count}"
            )
        return _UnitFeed(count, _in_groups(read_manifest(paths.manifest), CHUNK_UNITS)), None
    count, chunks = _unit_source(request, state["run_id"])
    manifest = ManifestWriter(paths.manifest, check_earlier=request.resume or request.restart)
    return _UnitFeed(count, _recorded(chunks, manifest)), manifest


def _unit_source(request: RunRequest, run_id: str) -> tuple[int, Iterator[list[UnitCode]]]:
    """How many units the run has and their chunks, from the serial file or the registry."""
    if request.serials_file is not None:
        serials = read_serial_file(request.serials_file)
        if request.count is not None:
            if request.count > len(serials):
                raise BatchError(
                    f"--count: {request.serials_file.name} lists {len(serials)} serials, "
                    f"fewer than {request.count}"
                )
            serials = serials[: request.count]
        return len(serials), unsigned_chunks(request.spec, serials, request.base_url)
    if request.allocate is not None:
        if request.count is None:
            raise BatchError("--count: say how many serials the registry should issue")
        return request.count, registry_chunks(
            request.count, run_id, request.allocate, request.ask_ahead
        )
    raise BatchError(
        "no serials: give --serials FILE, or set LABELGEN_API_KEY to a producer's key so the "
        "registry issues serials that verify"
    )


def _recorded(
    chunks: Iterator[list[UnitCode]], manifest: ManifestWriter
) -> Iterator[list[UnitCode]]:
    """`chunks`, each written to the manifest (or checked against what an interrupted attempt
    of the same job wrote there) before it is drawn."""
    for chunk in chunks:
        manifest.write(chunk)
        yield chunk


class _UnitFeed:
    """The run's units in order, from chunks asked for as the sheets need them."""

    def __init__(self, total: int, chunks: Iterator[list[UnitCode]]) -> None:
        self.total = total
        self._chunks = chunks
        self._first_chunk: list[UnitCode] | None = None

    def first_unit(self) -> UnitCode:
        """The run's first unit (its chunk is asked for here, and drawn first)."""
        if self._first_chunk is None:
            self._first_chunk = next(self._chunks, [])
        if not self._first_chunk:
            raise BatchError("the run has no units")
        return self._first_chunk[0]

    def units(self) -> Iterator[UnitCode]:
        if self._first_chunk is not None:
            yield from self._first_chunk
            self._first_chunk = None
        for chunk in self._chunks:
            yield from chunk


# --- the design every unit shares ----------------------------------------------------------


def _checked_layout(request: RunRequest, unit: UnitCode) -> Layout:
    """The layout of the run's first unit, refused unless it is compliant."""
    label_set = layout_set(
        request.spec,
        spec_dir=request.spec_dir,
        serial=unit.serial if request.show_serials else None,
        qr_url=unit.content,
        base_url=request.base_url,
    )
    layout = _compliant_code_panel(request, label_set)
    if layout.qr is None or layout.qr_box is None:
        raise BatchError(f"template {request.spec.template} has no QR slot for the units' codes")
    return layout


def _compliant_code_panel(request: RunRequest, label_set: LabelSet) -> Layout:
    """The panel a run prints, its units' codes on it, once the whole set is found compliant
    (the other panels of a set carry no unit's code and are printed as one design)."""
    report = check_set(request.spec, label_set, as_of=request.as_of)
    if not report.compliant:
        raise NotCompliantError(report)
    return label_set.code_panel


def _label_geometry(layout: Layout, process: PrintProcess) -> LabelGeometry:
    assert layout.qr_box is not None
    return LabelGeometry(
        width_mm=layout.width_mm,
        height_mm=layout.height_mm,
        bleed_mm=layout.bleed_mm,
        family=layout.font_family,
        qr_box=layout.qr_box,
        qr_slot=layout.manifest.graphic_slots["qr"],
        die_line_operators=die_line_path(layout, 0.0, 0.0),
        process=process,
    )


def _shared_document(
    layout: Layout, request: RunRequest, created_at: dt.datetime
) -> tuple[pikepdf.Pdf, SharedObjects]:
    """The objects every sheet refers to: the static artwork as a form, the colour spaces of the
    die line and the marks, and (in CMYK) the output intent and PDF/X-4 metadata."""
    static_layout = replace(layout, qr=None, serial_line=None)
    artwork = pikepdf.open(io.BytesIO(export_artwork_pdf(static_layout, press=request.cmyk)))
    if request.cmyk:
        convert_pdf_to_cmyk(artwork)
    drop_unused_colour_spaces(artwork)
    tag_subsets_by_content(artwork)
    shared = pikepdf.new()
    page = artwork.pages[0]
    form = page.as_form_xobject()
    # The form's box must be the whole page: the trim box would cut the bleed off.
    form.BBox = page.mediabox
    artwork_form = shared.copy_foreign(form)
    cut = make_cut_contour_space(shared)
    registration = _registration_space(shared)
    overprint = make_overprint_state(shared)
    title = f"{request.spec.product.name} — {request.job_name or request.output.stem}"
    shared.docinfo["/Title"] = title
    shared.docinfo["/Creator"] = "labelgen"
    catalog_entries = ""
    if request.cmyk:
        add_output_intent(shared)
        set_pdfx4_metadata(shared, title, created_at=created_at)
        catalog_entries = (
            f"/OutputIntents {shared.Root.OutputIntents.unparse().decode('latin-1')}"
            f" /Metadata {shared.Root.Metadata.unparse().decode('latin-1')}"
        )
    objects = SharedObjects(
        artwork_number=artwork_form.objgen[0],
        colour_spaces={
            CUT_COLOUR_SPACE_NAME: cut.objgen[0],
            REGISTRATION_COLOUR_SPACE_NAME: registration.objgen[0],
        },
        graphics_states={OVERPRINT_STATE_NAME: overprint.objgen[0]},
        catalog_entries=catalog_entries,
        info=shared.docinfo.unparse(resolved=True).decode("latin-1"),
    )
    return shared, objects


def _registration_space(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The four process plates at once, for marks that print on every plate so every plate can
    be trimmed. Not the separation `All`: that would put the marks on the CutContour plate too,
    and a cutter fed that plate would cut them."""
    identity = pdf.make_stream(b"{}", FunctionType=4, Domain=[0, 1] * 4, Range=[0, 1] * 4)
    return pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Name.DeviceN,
                pikepdf.Array([pikepdf.Name(f"/{plate}") for plate in PROCESS_PLATES]),
                pikepdf.Name.DeviceCMYK,
                identity,
            ]
        )
    )


# --- drawing the sheets ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Slugs:
    """The slug line of each sheet: job, sheet n/N, labels, date."""

    job_name: str
    sheets_total: int
    labels_total: int
    day: dt.date

    def text(self, sheet_index: int) -> str:
        return (
            f"{self.job_name} · tờ/sheet {sheet_index + 1}/{self.sheets_total} · "
            f"{self.labels_total} tem/labels · {self.day:%d/%m/%Y}"
        )


def _open_writer(
    paths: RunPaths, state: dict[str, Any], shared_pdf: pikepdf.Pdf
) -> tuple[StreamingPdfWriter, BinaryIO]:
    if state.get("writer") is not None:
        if not paths.partial.exists():
            raise BatchError(f"--resume: {paths.partial.name} is gone; use --restart")
        writer_state = WriterState(**state["writer"])
        handle = paths.partial.open("r+b", buffering=WRITE_BUFFER_BYTES)
        handle.truncate(writer_state.size_bytes)
        handle.seek(writer_state.size_bytes)
        return StreamingPdfWriter(handle, writer_state), handle
    handle = paths.partial.open("w+b", buffering=WRITE_BUFFER_BYTES)
    return StreamingPdfWriter.start(handle, shared_pdf), handle


def _sheet_units(
    imposition: Imposition, units: Iterator[UnitCode]
) -> Iterator[tuple[int, list[Unit]]]:
    """Units grouped by sheet, in order, with their slots."""
    current_sheet = 0
    batch: list[Unit] = []
    for unit_index, unit in enumerate(units):
        sheet_index, slot = imposition.place(unit_index)
        if sheet_index != current_sheet and batch:
            yield current_sheet, batch
            batch = []
        current_sheet = sheet_index
        batch.append(Unit(slot.index, unit.content, unit.serial))
    if batch:
        yield current_sheet, batch


_WORKER_PLAN: SheetPlan | None = None


def _start_worker(plan: SheetPlan) -> None:
    global _WORKER_PLAN
    _WORKER_PLAN = plan


def _draw_sheets_in_worker(
    sheets: list[tuple[list[Unit], str]],
) -> list[tuple[bytes, frozenset[int]]]:
    assert _WORKER_PLAN is not None
    return [draw_sheet(_WORKER_PLAN, units, slug) for units, slug in sheets]


def draw_sheet(plan: SheetPlan, units: list[Unit], slug: str) -> tuple[bytes, frozenset[int]]:
    """One sheet's compressed content stream and the glyphs it calls."""
    operators, glyph_ids = sheet_operators(plan, units, slug)
    return compress_content(operators), glyph_ids


def _draw_sheets(
    request: RunRequest,
    paths: RunPaths,
    state: dict[str, Any],
    writer: StreamingPdfWriter,
    handle: BinaryIO,
    plan: SheetPlan,
    feed: _UnitFeed,
    slugs: _Slugs,
    started: float,
    on_progress: ProgressCallback | None,
) -> None:
    imposition = plan.imposition
    sheet_width_pt = imposition.sheet.width_mm * PT_PER_MM
    sheet_height_pt = imposition.sheet.height_mm * PT_PER_MM
    sheet_box = (0.0, 0.0, sheet_width_pt, sheet_height_pt)
    sheets = _sheet_units(imposition, feed.units())
    sheets = itertools.islice(sheets, state["sheets_done"], None)
    glyph_ids = set(state.get("glyph_ids", []))
    labels_done = _labels_on_sheets(imposition, state["sheets_done"], slugs.labels_total)
    last_checkpoint = time.perf_counter()
    for sheet_index, units, content, used in _drawn(request, plan, sheets, slugs):
        writer.add_page(content, sheet_box, sheet_box, sheet_box)
        glyph_ids |= used
        labels_done += len(units)
        state["sheets_done"] = sheet_index + 1
        if time.perf_counter() - last_checkpoint > CHECKPOINT_INTERVAL_S:
            _checkpoint(paths, state, writer, handle, glyph_ids)
            last_checkpoint = time.perf_counter()
        if on_progress is not None:
            on_progress(
                Progress(
                    sheet_index + 1,
                    slugs.sheets_total,
                    labels_done,
                    slugs.labels_total,
                    time.perf_counter() - started,
                )
            )
    state["glyph_ids"] = sorted(glyph_ids)


def _labels_on_sheets(imposition: Imposition, sheets: int, labels_total: int) -> int:
    if sheets == 0:
        return 0
    first = imposition.labels_per_sheet - (imposition.start_position - 1)
    return min(labels_total, first + (sheets - 1) * imposition.labels_per_sheet)


def _checkpoint(
    paths: RunPaths,
    state: dict[str, Any],
    writer: StreamingPdfWriter,
    handle: BinaryIO,
    glyph_ids: set[int],
) -> None:
    """Make what is written durable, then record it: a resume starts from here."""
    handle.flush()
    os.fsync(handle.fileno())
    state["writer"] = writer.state.as_record()
    state["glyph_ids"] = sorted(glyph_ids)
    _save_state(paths, state)


def _drawn(
    request: RunRequest,
    plan: SheetPlan,
    sheets: Iterator[tuple[int, list[Unit]]],
    slugs: _Slugs,
) -> Iterator[tuple[int, list[Unit], bytes, frozenset[int]]]:
    """Each sheet drawn, in order: by worker processes for big runs, here for small ones."""
    workers = request.workers or os.cpu_count() or 1
    if workers == 1 or slugs.labels_total <= SERIAL_PROCESS_MAX_UNITS:
        for sheet_index, units in sheets:
            content, used = draw_sheet(plan, units, slugs.text(sheet_index))
            yield sheet_index, units, content, used
        return
    labels_per_sheet = plan.imposition.labels_per_sheet
    # A task of a few sheets: a sheet of 6 labels alone costs as much to hand over as to draw.
    sheets_per_task = -(-LABELS_PER_TASK // labels_per_sheet)
    tasks_in_flight = max(2 * workers, -(-LABELS_IN_FLIGHT // (sheets_per_task * labels_per_sheet)))
    context = _process_context()
    pending: deque[_Task] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(plan,)
    ) as pool:
        for task_sheets in _in_groups(sheets, sheets_per_task):
            handed = [(units, slugs.text(sheet_index)) for sheet_index, units in task_sheets]
            pending.append((task_sheets, pool.submit(_draw_sheets_in_worker, handed)))
            if len(pending) >= tasks_in_flight:
                yield from _task_sheets(pending.popleft())
        while pending:
            yield from _task_sheets(pending.popleft())


_Item = TypeVar("_Item")


def _in_groups(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    """`items` in lists of `size`, the last one shorter when they run out."""
    group: list[_Item] = []
    for item in items:
        group.append(item)
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


_Task = tuple[list[tuple[int, list[Unit]]], Future[list[tuple[bytes, frozenset[int]]]]]


def _task_sheets(task: _Task) -> Iterator[tuple[int, list[Unit], bytes, frozenset[int]]]:
    """A task's sheets, drawn, in order (waiting for the worker when it is not done)."""
    task_sheets, future = task
    for (sheet_index, units), (content, used) in zip(task_sheets, future.result(), strict=True):
        yield sheet_index, units, content, used


def _process_context() -> multiprocessing.context.BaseContext:
    """`fork` when this process has one thread: workers start in milliseconds, already holding
    the fonts and templates. A process with other threads (the service runs jobs in one) must
    not fork; `forkserver` starts its workers from a clean single-threaded server instead."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["labelgen.production.stamp"])
    return context


def _sample_codes(
    paths: RunPaths, imposition: Imposition, sheets_total: int
) -> tuple[dict[int, list[str]], dict[int, list[Box]]]:
    """What the QRs of the first, middle and last sheets must hold, in reading order, and the
    boxes (PDF points) of the labels that hold them, for the preflight to decode one by one."""
    samples = sorted({0, sheets_total // 2, sheets_total - 1})
    units_on: dict[int, list[Unit]] = {sheet: [] for sheet in samples}
    for sheet_index, units in _sheet_units(imposition, read_manifest(paths.manifest)):
        if sheet_index in units_on:
            units_on[sheet_index] = sorted(units, key=lambda unit: unit.slot_index)
        if sheet_index > samples[-1]:
            break
    codes = {sheet: [unit.content for unit in units] for sheet, units in units_on.items()}
    boxes = {
        sheet: [imposition.bleed_box_pt(imposition.slots[unit.slot_index]) for unit in units]
        for sheet, units in units_on.items()
    }
    return codes, boxes
