"""Preflight stage: a produced print PDF → the checks a print shop runs before release, each passed or failed, with why.

The file is read page by page (pikepdf loads objects as they are reached, and an object shared
by every sheet, such as the artwork form, is examined once), and only the sampled pages are
rasterised, one at a time in each process, so a run of thousands of sheets fits in memory.

Rasterising uses PDFium (pypdfium2) in-process: the document is opened once and each sampled
page is rendered straight into memory. Poppler's pdftoppm would re-open and re-parse a file of
hundreds of megabytes for every sampled page and pass each raster through a pipe as PNG.

The cost that grows with the file is reading each page's content: a sheet of 24 labels holds
some 17,000 operators. Its decoded bytes are searched for the operators that can bring RGB in
(`scan_colour_operators`), and only a page where that search is unsure goes to pikepdf's
parser. With more than one core, worker processes forked from this one read what each page
holds on its own (boxes, content), range by range, and rasterise the sampled pages, while this
process walks the objects pages share in page order: each is still examined once, and the
report is the one a single process would give.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import pikepdf
import pypdfium2
import zxingcpp
from PIL import Image

from labelgen.export import CUT_CONTOUR
from labelgen.production.colour import (
    ArtworkWalker,
    ColourOperators,
    Node,
    inherited_attribute,
    may_set_rgb,
    page_content_bytes,
    pdfx_output_intents,
    rgb_in_node,
    scan_colour_operators,
)

BOX_TOLERANCE_PT = 0.01
FONT_FILE_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
MAX_LISTED = 3  # problems named in full in one check's detail; the rest are counted
PARALLEL_MIN_PAGES = 32  # below this, forking workers costs more than it saves
PARALLEL_MAX_PAGES = 2_000  # above this, workers cost more memory than their time is worth
MAX_PAGES_PER_TASK = 64  # a range of pages one worker reads at a time
TASKS_PER_WORKER = 4  # ranges per worker at least, so that the workers finish together

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Check:
    """One preflight check: its name, whether it passed, and what was found."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class PreflightReport:
    """Every check run on one file, in the order they were run."""

    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def format_text(self) -> str:
        """The report for a terminal: a verdict line, then one line per check."""
        failed = sum(not check.passed for check in self.checks)
        verdict = "PASSED" if self.passed else f"FAILED ({failed} of {len(self.checks)} checks)"
        lines = [f"Preflight: {verdict}"]
        for check in self.checks:
            mark = "ok  " if check.passed else "FAIL"
            lines.append(f"  {mark} {check.name}: {check.detail}")
        return "\n".join(lines)


@dataclass
class _Findings:
    """Problems of one kind across pages: the first few in full, and how many pages had any."""

    problems: list[str] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)

    def add(self, page_number: int, problem: str) -> None:
        self.pages.add(page_number)
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)

    def check(self, name: str, passed_detail: str) -> Check:
        if not self.pages:
            return Check(name, True, passed_detail)
        first = sorted(self.pages)[0]
        detail = "; ".join(self.problems)
        if len(self.pages) > 1:
            detail += f" ({len(self.pages)} pages in all, the first page {first})"
        return Check(name, False, detail)


def preflight_pdf(
    path: Path,
    *,
    cmyk: bool,
    expected_codes: Mapping[int, Sequence[str]],
    dpi: int = 300,
    label_boxes_pt: Mapping[int, Sequence[Box]] | None = None,
    workers: int | None = None,
) -> PreflightReport:
    """Check the print PDF at `path` as a print shop would before release.

    `expected_codes` maps a 0-based page index to the QR contents expected on that page in
    reading order (rows top to bottom, left to right in a row). Those pages are rasterised at
    `dpi` and every QR code is decoded; with `label_boxes_pt` (x0, y0, x1, y1 in PDF points, per
    page) each label's box is decoded on its own instead of the whole sheet at once.
    `cmyk` adds the checks a CMYK print file must pass: no RGB anywhere and a PDF/X
    OutputIntent. A page counts as holding labels, and so needs a `CutContour` die line, when
    its content stream draws anything. `workers` processes share the work (default: one per
    core for two sampled pages or more, or PARALLEL_MIN_PAGES pages, up to PARALLEL_MAX_PAGES
    pages); the report is the same either way.
    """
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return PreflightReport((Check("not encrypted", False, "the file needs a password"),))
    with pdf:
        samples = _code_samples(pdf, expected_codes, label_boxes_pt or {})
        worker_count = _worker_count(workers, len(pdf.pages), len(samples))
        if worker_count > 1:
            checks = _checks_in_workers(pdf, path, cmyk, samples, dpi, worker_count)
        else:
            checks = _checks_here(pdf, path, cmyk, samples, dpi)
    return PreflightReport(tuple(checks))


def _worker_count(workers: int | None, page_count: int, sample_count: int) -> int:
    """How many processes share the work: `workers`, or by default one per core when there is
    work to share (pages to rasterise, or many to read) in a file of moderate size; one whenever
    this process runs other threads."""
    if workers is None:
        workers = 1
        if sample_count > 1 or page_count >= PARALLEL_MIN_PAGES:
            workers = os.cpu_count() or 1
        if page_count > PARALLEL_MAX_PAGES:
            # Each worker holds the whole page tree as qpdf parses it (some 7 kB a page: 113 MB
            # for 16,667 pages), for a preflight only 15 % faster than one process's.
            workers = 1
    # A fork copies only the calling thread: a lock another thread held (the service runs jobs
    # in threads) would stay held in the child for ever.
    if threading.active_count() > 1:
        return 1
    return max(1, workers)


def _checks_here(
    pdf: pikepdf.Pdf, path: Path, cmyk: bool, samples: list[_CodeSample], dpi: int
) -> list[Check]:
    """Every check in this process: the sampled pages' codes in a thread, as rasterising and
    decoding run in C while the pages are walked."""
    with ThreadPoolExecutor(max_workers=1) as decoder:
        code_checks = decoder.submit(_code_checks, path, samples, dpi)
        facts = (_page_facts(page, index + 1, cmyk) for index, page in enumerate(pdf.pages))
        checks = _document_checks(pdf, cmyk, facts)
        checks.extend(code_checks.result())
    return checks


def _checks_in_workers(
    pdf: pikepdf.Pdf, path: Path, cmyk: bool, samples: list[_CodeSample], dpi: int, workers: int
) -> list[Check]:
    """Every check, with `workers` forked processes reading each page's own facts and decoding
    the sampled pages while this one walks the objects pages share."""
    page_count = len(pdf.pages)
    pages_per_task = _pages_per_task(page_count, workers)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(path,),
    )
    try:
        # The sampled pages first: each takes longer than a range of pages, and the ranges
        # then fill in around them.
        code_checks = [pool.submit(_code_check_in_worker, sample, dpi) for sample in samples]
        ranges = deque(
            pool.submit(_page_facts_in_worker, first, min(first + pages_per_task, page_count), cmyk)
            for first in range(0, page_count, pages_per_task)
        )
        checks = _document_checks(pdf, cmyk, _in_page_order(ranges))
        checks.extend(future.result() for future in code_checks)
    finally:
        pool.shutdown(cancel_futures=True)
    return checks


def _pages_per_task(page_count: int, workers: int) -> int:
    """How many pages one worker reads at a time: at least TASKS_PER_WORKER ranges each."""
    tasks = workers * TASKS_PER_WORKER
    return max(1, min(MAX_PAGES_PER_TASK, math.ceil(page_count / tasks)))


def _in_page_order(ranges: deque[Future[list[_PageFacts]]]) -> Iterator[_PageFacts]:
    """The workers' page facts, one per page in page order, each range let go once taken."""
    while ranges:
        yield from ranges.popleft().result()


@dataclass(frozen=True)
class _WorkerFile:
    """The print PDF as a worker process has it open, with its pages listed once: pikepdf
    lists every page again for each page asked for by index."""

    pdf: pikepdf.Pdf
    pages: list[pikepdf.Page]


_WORKER_PATH: Path | None = None
_WORKER_FILE: _WorkerFile | None = None


def _start_worker(path: Path) -> None:
    """Remember, in a new worker process, which file to read."""
    global _WORKER_PATH
    _WORKER_PATH = path


def _page_facts_in_worker(first: int, end: int, cmyk: bool) -> list[_PageFacts]:
    """The facts of pages `first` to `end` (0-based, end excluded) of the worker's file."""
    global _WORKER_FILE
    assert _WORKER_PATH is not None
    if _WORKER_FILE is None:
        # Opened here: the parent's copy shares its file offset with the parent.
        pdf = pikepdf.open(_WORKER_PATH)
        _WORKER_FILE = _WorkerFile(pdf, list(pdf.pages))
    pages = _WORKER_FILE.pages
    return [_page_facts(pages[index], index + 1, cmyk) for index in range(first, end)]


def _code_check_in_worker(sample: _CodeSample, dpi: int) -> Check:
    """The codes check of one sampled page of the worker's file."""
    assert _WORKER_PATH is not None
    (check,) = _code_checks(_WORKER_PATH, [sample], dpi)
    return check


# --- document and page structure --------------------------------------------------------------


def _encryption_check(pdf: pikepdf.Pdf) -> Check:
    if pdf.is_encrypted:
        return Check("not encrypted", False, "the file is encrypted")
    return Check("not encrypted", True, "no encryption")


def _output_intent_check(pdf: pikepdf.Pdf) -> Check:
    intents = pdfx_output_intents(pdf)
    if not intents:
        return Check("OutputIntent", False, "no GTS_PDFX OutputIntent with a CMYK ICC profile")
    intent = intents[0]
    identifier = str(intent.get("/OutputConditionIdentifier", "?"))
    return Check("OutputIntent", True, f"GTS_PDFX, {identifier}, CMYK profile embedded")


def _document_checks(pdf: pikepdf.Pdf, cmyk: bool, facts: Iterator[_PageFacts]) -> list[Check]:
    """The checks of the file's structure, given each page's own facts in page order."""
    checks = [_encryption_check(pdf)]
    checks.extend(_page_checks(pdf, cmyk, facts))
    if cmyk:
        checks.append(_output_intent_check(pdf))
    return checks


@dataclass(frozen=True)
class _PageFacts:
    """What one page holds on its own, apart from the objects pages share: its box problems,
    its MediaBox, whether it draws anything, and (for a CMYK check) a scan of its content."""

    box_problems: tuple[str, ...]
    media_box: Box | None  # None when missing (then among the box problems)
    draws: bool
    colour_operators: ColourOperators | None


def _page_facts(page: pikepdf.Page, number: int, cmyk: bool) -> _PageFacts:
    """The facts of `page` (1-based `number`), its content scanned only for `cmyk`."""
    media = _page_box(page.obj, "/MediaBox")
    media_box = _normalised(_box(media)) if media is not None else None
    scan = scan_colour_operators(page_content_bytes(page.obj)) if cmyk else None
    return _PageFacts(
        tuple(_box_problems(page.obj, number)), media_box, _draws_anything(page), scan
    )


def _page_checks(pdf: pikepdf.Pdf, cmyk: bool, facts: Iterator[_PageFacts]) -> list[Check]:
    """The checks made page by page: each page's own facts taken from `facts`, the objects
    pages share walked here, in page order."""
    boxes = _Findings()
    media_sizes = _Findings()
    fonts = _Findings()
    rgb = _Findings()
    cut = _Findings()
    walker = ArtworkWalker()
    has_cut_contour: dict[tuple[int, int], bool] = {}
    sets_rgb: dict[tuple[tuple[int, int], frozenset[str]], bool] = {}
    first_media: Box | None = None
    page_count = 0
    for index, page in enumerate(pdf.pages):
        number = index + 1
        page_count = number
        own = next(facts)
        for problem in own.box_problems:
            boxes.add(number, problem)
        media_box = own.media_box
        if media_box is not None:
            if first_media is None:
                first_media = media_box
            elif not _same_box(media_box, first_media):
                media_sizes.add(number, f"page {number}: MediaBox {_show(media_box)}")
        for node in walker.page_nodes(page, number):
            if node.kind == "font":
                unembedded = _unembedded_font(node)
                if unembedded:
                    fonts.add(number, unembedded)
            elif cmyk:
                for use in _rgb_uses(node, own.colour_operators, sets_rgb):
                    rgb.add(number, use)
        if own.draws and not _page_has_cut_contour(page, has_cut_contour):
            cut.add(number, f"page {number}: no {CUT_CONTOUR} separation")
    pages = f"{page_count} page{'s' if page_count != 1 else ''}"
    checks = [
        boxes.check("page boxes", f"{pages}: TrimBox ⊆ BleedBox ⊆ MediaBox on every page"),
        media_sizes.check("same MediaBox", f"{pages}: every MediaBox {_show(first_media)}"),
        fonts.check("fonts embedded", "every font is embedded"),
    ]
    if cmyk:
        checks.append(rgb.check("no RGB", "no DeviceRGB or RGB ICC colour anywhere"))
    checks.append(cut.check(CUT_CONTOUR, f"a {CUT_CONTOUR} separation on every page that draws"))
    return checks


def _rgb_uses(
    node: Node,
    page_scan: ColourOperators | None,
    sets_rgb: dict[tuple[tuple[int, int], frozenset[str]], bool],
) -> list[str]:
    """Where `node` uses RGB. A page's own content is parsed only when its scan cannot rule
    RGB out; the answer for a scan's names is kept per resource dictionary in `sets_rgb`, as
    every sheet of a run shares one."""
    if node.page is None or page_scan is None:
        return rgb_in_node(node)
    resources = node.resources
    if page_scan.needs_parsing:
        may_use_rgb = True
    elif isinstance(resources, pikepdf.Dictionary) and resources.is_indirect:
        key = (resources.objgen, page_scan.space_names)
        if key not in sets_rgb:
            sets_rgb[key] = may_set_rgb(page_scan, resources)
        may_use_rgb = sets_rgb[key]
    else:
        may_use_rgb = may_set_rgb(page_scan, resources)
    return rgb_in_node(node) if may_use_rgb else []


def _page_box(page: pikepdf.Object, key: str) -> pikepdf.Object | None:
    """A page box; the MediaBox may be inherited from the page tree, the others may not."""
    if key != "/MediaBox":
        return page.get(key)
    return inherited_attribute(page, key)


def _box(value: pikepdf.Object | None) -> Box:
    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        raise ValueError("not a box")
    x0, y0, x1, y1 = (float(number) for number in value)
    return (x0, y0, x1, y1)


def _normalised(box: Box) -> Box:
    return (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))


def _inside(inner: Box, outer: Box) -> bool:
    tolerance = BOX_TOLERANCE_PT
    return (
        inner[0] >= outer[0] - tolerance
        and inner[1] >= outer[1] - tolerance
        and inner[2] <= outer[2] + tolerance
        and inner[3] <= outer[3] + tolerance
    )


def _same_box(first: Box, second: Box) -> bool:
    return all(abs(a - b) <= BOX_TOLERANCE_PT for a, b in zip(first, second, strict=True))


def _show(box: Box | None) -> str:
    if box is None:
        return "(none)"
    return "[" + " ".join(f"{value:g}" for value in box) + "]"


def _box_problems(page: pikepdf.Object, number: int) -> list[str]:
    found: dict[str, Box] = {}
    problems = []
    for key in ("/MediaBox", "/BleedBox", "/TrimBox"):
        value = _page_box(page, key)
        if value is None:
            problems.append(f"page {number}: no {key[1:]}")
            continue
        try:
            found[key] = _normalised(_box(value))
        except (ValueError, TypeError):
            problems.append(f"page {number}: {key[1:]} is not four numbers")
    if problems:
        return problems
    trim, bleed, media = found["/TrimBox"], found["/BleedBox"], found["/MediaBox"]
    if not _inside(trim, bleed):
        problems.append(
            f"page {number}: TrimBox {_show(trim)} is not inside BleedBox {_show(bleed)}"
        )
    if not _inside(bleed, media):
        problems.append(
            f"page {number}: BleedBox {_show(bleed)} is not inside MediaBox {_show(media)}"
        )
    return problems


def _unembedded_font(node: Node) -> str | None:
    font = node.obj
    subtype = font.get("/Subtype")
    if subtype == pikepdf.Name.Type3:
        return None  # its glyphs are content streams inside the file
    described = font
    if subtype == pikepdf.Name.Type0:
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, pikepdf.Array) or len(descendants) == 0:
            return f"{node.location}: a Type0 font without a descendant font"
        described = descendants[0]
    name = str(described.get("/BaseFont", font.get("/BaseFont", "?")))[1:]
    descriptor = described.get("/FontDescriptor")
    if not isinstance(descriptor, pikepdf.Dictionary) or not any(
        key in descriptor for key in FONT_FILE_KEYS
    ):
        return f"{node.location} ({name}) is not embedded"
    return None


def _draws_anything(page: pikepdf.Page) -> bool:
    """Whether the page has content (judged by stream length: decoding it again costs time)."""
    contents = page.obj.get("/Contents")
    parts = contents if isinstance(contents, pikepdf.Array) else [contents]
    return any(
        isinstance(part, pikepdf.Stream) and int(part.get("/Length", 0)) > 0 for part in parts
    )


def _page_has_cut_contour(page: pikepdf.Page, memo: dict[tuple[int, int], bool]) -> bool:
    node: pikepdf.Object | None = page.obj
    for _ in range(64):
        if node is None or "/Resources" in node:
            break
        node = node.get("/Parent")
    resources = node.get("/Resources") if node is not None else None
    return _resources_have_cut_contour(resources, memo, depth=0)


def _resources_have_cut_contour(
    resources: pikepdf.Object | None, memo: dict[tuple[int, int], bool], depth: int
) -> bool:
    """Whether `resources`, or those of a Form XObject in them (at any depth), name the
    CutContour separation. Answers are kept per object: every sheet shares its resources."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 32:
        return False
    key = resources.objgen if resources.is_indirect else None
    if key is not None and key in memo:
        return memo[key]
    if key is not None:
        memo[key] = False  # a form that includes itself must not loop
    found = False
    spaces = resources.get("/ColorSpace")
    if isinstance(spaces, pikepdf.Dictionary):
        found = any(_is_cut_contour(space) for space in spaces.values())
    xobjects = resources.get("/XObject")
    if not found and isinstance(xobjects, pikepdf.Dictionary):
        found = any(
            xobject.get("/Subtype") == pikepdf.Name.Form
            and _resources_have_cut_contour(xobject.get("/Resources"), memo, depth + 1)
            for xobject in xobjects.values()
        )
    if key is not None:
        memo[key] = found
    return found


def _is_cut_contour(space: pikepdf.Object) -> bool:
    return (
        isinstance(space, pikepdf.Array)
        and len(space) >= 2
        and space[0] == pikepdf.Name.Separation
        and str(space[1]) == "/" + CUT_CONTOUR
    )


# --- codes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spot:
    """Something found on a raster (a decoded code, or a label's box), where it is, in pixels."""

    text: str  # the code's content; for a box, its index in the caller's list
    centre_x: float
    centre_y: float
    height: float


@dataclass(frozen=True)
class _CodeSample:
    """One sampled page: the codes expected on it in reading order, and where to find them."""

    index: int  # 0-based
    expected: tuple[str, ...]
    label_boxes_pt: tuple[Box, ...]  # empty: the whole page is decoded at once
    media_box: Box | None  # None for a page past the end of the file


def _code_samples(
    pdf: pikepdf.Pdf,
    expected_codes: Mapping[int, Sequence[str]],
    label_boxes_pt: Mapping[int, Sequence[Box]],
) -> list[_CodeSample]:
    """The sampled pages in page order."""
    page_count = len(pdf.pages)
    samples = []
    for index in sorted(expected_codes):
        media_box = None
        if 0 <= index < page_count:
            media_box = _normalised(_box(_page_box(pdf.pages[index].obj, "/MediaBox")))
        boxes = tuple(label_boxes_pt.get(index) or ())
        samples.append(_CodeSample(index, tuple(expected_codes[index]), boxes, media_box))
    return samples


def _code_checks(path: Path, samples: Sequence[_CodeSample], dpi: int) -> list[Check]:
    if not samples:
        return []
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [_code_check(document, sample, dpi) for sample in samples]
    finally:
        document.close()


def _code_check(document: pypdfium2.PdfDocument, sample: _CodeSample, dpi: int) -> Check:
    name = f"codes on page {sample.index + 1}"
    page_count = len(document)
    if not 0 <= sample.index < page_count:
        return Check(name, False, f"the file has {page_count} pages")
    page = document[sample.index]
    try:
        if sample.label_boxes_pt and sample.media_box is not None:
            decoded = _decode_in_boxes(page, sample.label_boxes_pt, sample.media_box, dpi)
        else:
            decoded = [code.text for code in _reading_order(_decode(_rasterise(page, dpi)))]
    finally:
        page.close()
    return _compare_codes(name, sample.index + 1, decoded, list(sample.expected))


def _rasterise(page: pypdfium2.PdfPage, dpi: int, crop_pt: Box = (0, 0, 0, 0)) -> Image.Image:
    """The page in grey at `dpi`, less `crop_pt` (left, bottom, right, top) from its edges."""
    bitmap = page.render(scale=dpi / 72, grayscale=True, crop=crop_pt)
    image: Image.Image = bitmap.to_pil()
    image.load()
    bitmap.close()
    return image


def _decode(image: Image.Image) -> list[_Spot]:
    found = []
    for result in zxingcpp.read_barcodes(image, formats=QR_ONLY):
        position = result.position
        corners = (
            position.top_left,
            position.top_right,
            position.bottom_right,
            position.bottom_left,
        )
        xs = [corner.x for corner in corners]
        ys = [corner.y for corner in corners]
        found.append(_Spot(result.text, sum(xs) / 4, sum(ys) / 4, max(ys) - min(ys) or 1.0))
    return found


def _reading_order(codes: list[_Spot]) -> list[_Spot]:
    """Rows top to bottom, left to right within a row; a row is the codes whose centres lie
    within half a code's height of the row's first (topmost) code."""
    if not codes:
        return []
    tolerance = median(code.height for code in codes) / 2
    ordered: list[_Spot] = []
    row: list[_Spot] = []
    for code in sorted(codes, key=lambda code: code.centre_y):
        if row and code.centre_y - row[0].centre_y > tolerance:
            ordered.extend(sorted(row, key=lambda code: code.centre_x))
            row = []
        row.append(code)
    ordered.extend(sorted(row, key=lambda code: code.centre_x))
    return ordered


def _decode_in_boxes(
    page: pypdfium2.PdfPage, boxes: Sequence[Box], media: Box, dpi: int
) -> list[str]:
    """One decode per label box (boxes taken in reading order), each box rasterised on its own
    (a third of the time of the whole sheet's raster and decode); an empty string where a box
    yields no code."""
    placed = [_normalised(box) for box in boxes]
    spots = [
        _Spot(str(index), (box[0] + box[2]) / 2, media[3] - (box[1] + box[3]) / 2, box[3] - box[1])
        for index, box in enumerate(placed)
    ]
    texts = []
    for centre in _reading_order(spots):
        box = placed[int(centre.text)]
        crop_pt = (
            max(0.0, box[0] - media[0]),
            max(0.0, box[1] - media[1]),
            max(0.0, media[2] - box[2]),
            max(0.0, media[3] - box[3]),
        )
        results = zxingcpp.read_barcodes(_rasterise(page, dpi, crop_pt), formats=QR_ONLY)
        texts.append(results[0].text if len(results) == 1 else "" if not results else "(several)")
    return texts


def _compare_codes(name: str, page_number: int, decoded: list[str], expected: list[str]) -> Check:
    matched = sum(1 for got, want in zip(decoded, expected, strict=False) if got == want)
    summary = (
        f"page {page_number}: {len(decoded)} decoded of {len(expected)} expected, {matched} matched"
    )
    if decoded == expected:
        return Check(name, True, summary)
    for position, want in enumerate(expected):
        got = decoded[position] if position < len(decoded) else None
        if got != want:
            found = "nothing" if not got else repr(_shorten(got))
            return Check(
                name,
                False,
                f"{summary}; first mismatch at code {position + 1}: expected"
                f" {_shorten(want)!r}, found {found}",
            )
    extra = decoded[len(expected)]
    return Check(name, False, f"{summary}; an unexpected code {_shorten(extra)!r}")


def _shorten(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
