"""Preflight stage: a produced print PDF → the checks a print shop runs before release, each passed or failed, with why.

The file is read page by page (pikepdf loads objects as they are reached, and an object shared
by every sheet, such as the artwork form, is examined once), and only the sampled pages are
rasterised, one at a time, so a run of thousands of sheets fits in memory.

Rasterising uses PDFium (pypdfium2) in-process: the document is opened once and each sampled
page is rendered straight into memory. Poppler's pdftoppm would re-open and re-parse a file of
hundreds of megabytes for every sampled page and pass each raster through a pipe as PNG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
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
    Node,
    inherited_attribute,
    pdfx_output_intents,
    rgb_in_node,
)

BOX_TOLERANCE_PT = 0.01
FONT_FILE_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
MAX_LISTED = 3  # problems named in full in one check's detail; the rest are counted

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
) -> PreflightReport:
    """Check the print PDF at `path` as a print shop would before release.

    `expected_codes` maps a 0-based page index to the QR contents expected on that page in
    reading order (rows top to bottom, left to right in a row). Those pages are rasterised at
    `dpi` and every QR code is decoded; with `label_boxes_pt` (x0, y0, x1, y1 in PDF points, per
    page) each label's box is decoded on its own instead of the whole sheet at once.
    `cmyk` adds the checks a CMYK print file must pass: no RGB anywhere and a PDF/X
    OutputIntent. A page counts as holding labels, and so needs a `CutContour` die line, when
    its content stream draws anything.
    """
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return PreflightReport((Check("not encrypted", False, "the file needs a password"),))
    with pdf, ThreadPoolExecutor(max_workers=1) as decoder:
        page_count = len(pdf.pages)
        media_boxes = {
            index: _normalised(_box(_page_box(pdf.pages[index].obj, "/MediaBox")))
            for index in expected_codes
            if 0 <= index < page_count
        }
        # Rasterising and decoding happen in C and let the structure checks run meanwhile.
        code_checks = decoder.submit(
            _code_checks, path, expected_codes, dpi, label_boxes_pt or {}, media_boxes
        )
        checks = [_encryption_check(pdf)]
        checks.extend(_page_checks(pdf, cmyk))
        if cmyk:
            checks.append(_output_intent_check(pdf))
        checks.extend(code_checks.result())
    return PreflightReport(tuple(checks))


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


def _page_checks(pdf: pikepdf.Pdf, cmyk: bool) -> list[Check]:
    boxes = _Findings()
    media_sizes = _Findings()
    fonts = _Findings()
    rgb = _Findings()
    cut = _Findings()
    walker = ArtworkWalker()
    has_cut_contour: dict[tuple[int, int], bool] = {}
    first_media: Box | None = None
    page_count = 0
    for index, page in enumerate(pdf.pages):
        number = index + 1
        page_count = number
        for problem in _box_problems(page.obj, number):
            boxes.add(number, problem)
        media = _page_box(page.obj, "/MediaBox")
        if media is not None:
            media_box = _normalised(_box(media))
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
                for use in rgb_in_node(node):
                    rgb.add(number, use)
        if _draws_anything(page) and not _page_has_cut_contour(page, has_cut_contour):
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


def _code_checks(
    path: Path,
    expected_codes: Mapping[int, Sequence[str]],
    dpi: int,
    label_boxes_pt: Mapping[int, Sequence[Box]],
    media_boxes: Mapping[int, Box],
) -> list[Check]:
    if not expected_codes:
        return []
    checks = []
    document = pypdfium2.PdfDocument(str(path))
    try:
        page_count = len(document)
        for index in sorted(expected_codes):
            name = f"codes on page {index + 1}"
            if not 0 <= index < page_count:
                checks.append(Check(name, False, f"the file has {page_count} pages"))
                continue
            raster = _rasterise(document, index, dpi)
            boxes = label_boxes_pt.get(index)
            if boxes:
                decoded = _decode_in_boxes(raster, boxes, media_boxes[index], dpi)
            else:
                decoded = [code.text for code in _reading_order(_decode(raster))]
            del raster  # one page's raster at a time
            checks.append(_compare_codes(name, index + 1, decoded, list(expected_codes[index])))
    finally:
        document.close()
    return checks


def _rasterise(document: pypdfium2.PdfDocument, index: int, dpi: int) -> Image.Image:
    page = document[index]
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image: Image.Image = bitmap.to_pil()
        image.load()
        bitmap.close()
    finally:
        page.close()
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


def _decode_in_boxes(image: Image.Image, boxes: Sequence[Box], media: Box, dpi: int) -> list[str]:
    """One decode per label box (boxes taken in reading order); an empty string where a box
    yields no code."""
    scale = dpi / 72
    placed = [_normalised(box) for box in boxes]
    spots = [
        _Spot(str(index), (box[0] + box[2]) / 2, media[3] - (box[1] + box[3]) / 2, box[3] - box[1])
        for index, box in enumerate(placed)
    ]
    texts = []
    for centre in _reading_order(spots):
        box = placed[int(centre.text)]
        crop = image.crop(
            (
                max(0, round((box[0] - media[0]) * scale)),
                max(0, round((media[3] - box[3]) * scale)),
                min(image.width, round((box[2] - media[0]) * scale)),
                min(image.height, round((media[3] - box[1]) * scale)),
            )
        )
        results = zxingcpp.read_barcodes(crop, formats=QR_ONLY)
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
