"""Output formats: codes that a real decoder reads, print-ready PDF structure, self-contained SVG,
PNG sizes, and every Vietnamese letter drawn by the bundled fonts."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cairosvg
import pikepdf
import pytest
from defusedxml import ElementTree
from imaging import (
    decode_codes,
    expected_pixels,
    ink_pixels,
    on_white,
    open_png,
    pdf_text,
    rasterise_pdf,
    trim_origin_px,
)
from PIL import Image, ImageChops

from labelgen.errors import NotCompliantError, SpecError
from labelgen.export import export_pdf, export_png, export_svg
from labelgen.fonts import BOLD, DEFAULT_FAMILY, REGULAR, font_face
from labelgen.layout import layout_label
from labelgen.pipeline import check_spec, render_panels
from labelgen.spec import parse_spec
from labelgen.templates import bundled_template_ids, listed_template_ids, load_template

if TYPE_CHECKING:
    from conftest import LabelCase

from conftest import panel_layout

MakeDocument = Callable[[str, str], dict[str, Any]]

PT_PER_MM = 72 / 25.4
BLEED_MM = 3.0
BOX_TOLERANCE_PT = 0.01
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
FOOD_EXAMPLE = "hat-sen-say"
HANDICRAFT_EXAMPLE = "chieu-dinh-yen"


def test_cases_cover_every_bundled_template(
    label_cases: dict[str, LabelCase],
    template_ids: tuple[str, ...],
    barcode_template_ids: frozenset[str],
) -> None:
    assert set(template_ids) == set(listed_template_ids())
    assert {case.panel for case in label_cases.values()} == set(bundled_template_ids())
    with_barcode = {
        template
        for template in bundled_template_ids()
        if "barcode" in load_template(template).manifest.graphic_slots
    }
    assert with_barcode == barcode_template_ids


# --- codes, read back by a real decoder ----------------------------------------------------------


def assert_codes_read_back(found: dict[str, list[str]], case: LabelCase, source: str) -> None:
    """The QR holds the traceability URL, the EAN-13 the GTIN, and nothing else is found."""
    layout = case.layout
    expected = {}
    if "qr" in layout.manifest.graphic_slots:  # a tag's back leaves its QR to the front
        assert layout.qr_content, f"{case.case_id}: the layout has no QR content"
        expected["QRCode"] = [layout.qr_content]
    if case.has_barcode_slot:
        assert case.spec.product.gtin is not None
        expected["EAN13"] = [case.spec.product.gtin]
    assert found == expected, f"{case.case_id}, {source}: decoded {found}, expected {expected}"


@pytest.mark.parametrize("dpi", [300, 150])
def test_codes_decode_from_png(label_case: LabelCase, dpi: int) -> None:
    found = decode_codes(label_case.png_image(dpi))
    assert_codes_read_back(found, label_case, f"PNG at {dpi} dpi")


@pytest.mark.slow
def test_codes_decode_from_pdf(label_case: LabelCase) -> None:
    found = decode_codes(label_case.pdf_raster(300))
    assert_codes_read_back(found, label_case, "PDF rasterised at 300 dpi by pdftoppm")


def test_barcode_encodes_the_gtin(barcode_case: LabelCase) -> None:
    barcode = barcode_case.layout.barcode
    assert barcode is not None, f"{barcode_case.case_id}: no barcode placed"
    assert barcode.symbol.digits == barcode_case.spec.product.gtin


# --- PDF structure -------------------------------------------------------------------------------


def box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float]:
    value = page.obj.get(name)
    assert isinstance(value, pikepdf.Array), f"the page has no {name}"
    left, bottom, right, top = (float(item) for item in value)
    return left, bottom, right, top


def contains(outer: tuple[float, ...], inner: tuple[float, ...]) -> bool:
    """Whether box `inner` lies inside box `outer` (edges may touch)."""
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def test_pdf_print_boxes(label_case: LabelCase) -> None:
    layout = label_case.layout
    with pikepdf.open(io.BytesIO(label_case.pdf)) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        media = tuple(float(value) for value in page.mediabox)  # may be inherited
        trim = box(page, "/TrimBox")
        bleed = box(page, "/BleedBox")
    manifest = load_template(label_case.template).manifest
    assert (layout.width_mm, layout.height_mm) == (manifest.width_mm, manifest.height_mm)
    assert trim[2] - trim[0] == pytest.approx(layout.width_mm * PT_PER_MM, abs=BOX_TOLERANCE_PT)
    assert trim[3] - trim[1] == pytest.approx(layout.height_mm * PT_PER_MM, abs=BOX_TOLERANCE_PT)
    bleed_pt = BLEED_MM * PT_PER_MM
    expected_bleed = (
        trim[0] - bleed_pt,
        trim[1] - bleed_pt,
        trim[2] + bleed_pt,
        trim[3] + bleed_pt,
    )
    assert bleed == pytest.approx(expected_bleed, abs=BOX_TOLERANCE_PT)
    assert contains(bleed, trim)
    assert contains(media, bleed)
    # The crop marks need room outside the bleed on every side.
    assert media[0] < bleed[0] and media[1] < bleed[1]
    assert bleed[2] < media[2] and bleed[3] < media[3]


def all_fonts(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            yield obj


SUBSET_NAME = re.compile(r"^/[A-Z]{6}\+")


def test_pdf_fonts_embedded_and_subset(label_case: LabelCase) -> None:
    checked = 0
    with pikepdf.open(io.BytesIO(label_case.pdf)) as pdf:
        for font in all_fonts(pdf):
            subtype = font.get("/Subtype")
            if subtype == pikepdf.Name.Type0:
                # A composite font carries its glyphs in its descendant CIDFont, which is a
                # /Type /Font object of its own and is checked when the loop reaches it.
                assert SUBSET_NAME.match(str(font.BaseFont)), font.BaseFont
                continue
            assert subtype != pikepdf.Name.Type3, "a Type 3 (drawn) font instead of the TTF"
            name = str(font.get("/BaseFont"))
            descriptor = font.get("/FontDescriptor")
            assert descriptor is not None, f"{name} ({subtype}) has no font descriptor"
            assert "/FontFile2" in descriptor, f"{name} is not embedded as TrueType (FontFile2)"
            assert SUBSET_NAME.match(name), f"{name} is not a subset (no XXXXXX+ prefix)"
            assert SUBSET_NAME.match(str(descriptor.FontName)), descriptor.FontName
            checked += 1
    assert checked >= 2, f"expected the regular and bold faces, found {checked} embedded fonts"

    # Poppler's view of the same: embedded, subset, and mapped back to Unicode.
    listing = subprocess.run(
        ["pdffonts", "-"], input=label_case.pdf, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        flags = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert flags is not None, row
        assert flags.groups() == ("yes", "yes", "yes"), f"not embedded/subset/unicode: {row}"
        assert DEFAULT_FAMILY.replace(" ", "-") in row, f"a font that is not bundled: {row}"


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def test_pdf_text_layer_holds_the_product_name(label_case: LabelCase) -> None:
    text = pdf_text(label_case.pdf)
    assert unicodedata.is_normalized("NFC", text)
    spec = label_case.spec
    assert unicodedata.is_normalized("NFC", spec.product.name)
    flowing = collapse_whitespace(text)
    assert spec.brand.name in flowing
    if not label_case.prints_name:
        return  # a tag's back: the name is on its front
    assert spec.product.name in flowing, flowing[:400]
    if spec.bilingual and spec.product.name_en:
        assert spec.product.name_en in flowing


def test_food_example_product_name_is_the_vietnamese_text(
    label_cases: dict[str, LabelCase],
) -> None:
    # Guards the assertion above against a silently changed example.
    spec = label_cases[f"{FOOD_EXAMPLE}-on-ocop-classic"].spec
    assert spec.product.name == "Hạt sen sấy giòn"


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(first: Matrix, second: Matrix) -> Matrix:
    """`first` then `second`, as PDF matrices compose (`cm` makes CTM = M x CTM)."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = second
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def numbers(operands: Any) -> list[float]:
    return [float(value) for value in operands]


def die_line_subpaths(page: pikepdf.Page) -> tuple[list[list[tuple[float, float]]], bool, bool]:
    """Points of every subpath painted in the CutContour separation, in page space, and whether
    that paint was a stroke and overprinted. Follows q/Q and cm through the page's content."""
    color_spaces = page.obj.Resources.get("/ColorSpace", pikepdf.Dictionary())
    states = page.obj.Resources.get("/ExtGState", pikepdf.Dictionary())
    cut_names = {
        str(name)
        for name, value in color_spaces.items()
        if isinstance(value, pikepdf.Array)
        and value[0] == pikepdf.Name.Separation
        and value[1] == pikepdf.Name("/CutContour")
    }
    assert cut_names, "no /Separation /CutContour colour space in the page resources"
    stack: list[tuple[Matrix, str | None, bool]] = []
    ctm, stroke_space, overprint = IDENTITY, None, False
    subpaths: list[list[tuple[float, float]]] = []
    current: list[list[tuple[float, float]]] = []
    stroked = overprinted = False
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "q":
            stack.append((ctm, stroke_space, overprint))
        elif op == "Q":
            ctm, stroke_space, overprint = stack.pop()
        elif op == "cm":
            ctm = multiply(tuple(numbers(operands)), ctm)  # type: ignore[arg-type]
        elif op == "CS":
            stroke_space = str(operands[0])
        elif op == "gs":
            state = states.get(str(operands[0]))
            if state is not None and "/OP" in state:  # gs changes only the keys it holds
                overprint = bool(state.OP)
        elif op == "m":
            current.append([apply(ctm, *numbers(operands))])
        elif op in ("l", "c", "v", "y") and current:
            values = numbers(operands)
            current[-1].extend(
                apply(ctm, x, y) for x, y in zip(values[::2], values[1::2], strict=True)
            )
        elif op == "re":
            x, y, width, height = numbers(operands)
            corners = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
            current.append([apply(ctm, cx, cy) for cx, cy in corners])
        elif op in ("S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n"):
            if stroke_space in cut_names and op in ("S", "s", "B", "B*", "b", "b*"):
                subpaths.extend(current)
                stroked = op in ("S", "s")
                overprinted = overprint
            current = []
    return subpaths, stroked, overprinted


def bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_pdf_die_line_follows_the_trim(label_case: LabelCase) -> None:
    """The CutContour die line is stroked, overprinted, on the trim outline and around the hole."""
    shape = label_case.layout.manifest.shape
    with pikepdf.open(io.BytesIO(label_case.pdf)) as pdf:
        page = pdf.pages[0]
        trim = box(page, "/TrimBox")
        subpaths, stroked, overprinted = die_line_subpaths(page)
    assert subpaths, "nothing is painted in the CutContour separation"
    assert stroked, "the die line must be stroked, not filled"
    assert overprinted, "the die line must overprint, or it knocks out the artwork under it"
    outline = bounds(subpaths[0])
    assert outline == pytest.approx(trim, abs=0.05), f"die line {outline} is not on the trim {trim}"
    expected_holes = []
    if shape.hole_diameter_mm and shape.hole_center_mm:
        radius_pt = shape.hole_diameter_mm / 2 * PT_PER_MM
        center_x = trim[0] + shape.hole_center_mm[0] * PT_PER_MM
        center_y = trim[3] - shape.hole_center_mm[1] * PT_PER_MM  # measured from the top edge
        expected_holes.append(
            (center_x - radius_pt, center_y - radius_pt, center_x + radius_pt, center_y + radius_pt)
        )
    holes = [bounds(points) for points in subpaths[1:]]
    assert len(holes) == len(expected_holes)
    for hole, expected in zip(holes, expected_holes, strict=True):
        assert hole == pytest.approx(expected, abs=0.05), (
            f"the punch-hole die line is at {hole}, the hole is at {expected} (page space, y up)"
        )


def xobject_streams(resources: pikepdf.Dictionary, seen: set[tuple[int, int]]) -> Iterator[Any]:
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        yield xobject
        if xobject.get("/Subtype") == pikepdf.Name.Form and "/Resources" in xobject:
            yield from xobject_streams(xobject.Resources, seen)


def image_count(pdf_bytes: bytes) -> int:
    """Image XObjects anywhere in the file plus inline images in the page and its forms."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        images = sum(
            1
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
        )
        page = pdf.pages[0]
        streams: list[Any] = [page]
        streams += [
            form
            for form in xobject_streams(page.obj.Resources, set())
            if form.get("/Subtype") == pikepdf.Name.Form
        ]
        for stream in streams:
            for instruction in pikepdf.parse_content_stream(stream):
                if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                    images += 1
    return images


def test_pdf_artwork_is_vector(label_case: LabelCase) -> None:
    assert label_case.spec.brand.logo is None
    assert image_count(label_case.pdf) == 0


LOGO_COLOR = (200, 30, 90)


@pytest.mark.slow
def test_logo_is_drawn_in_every_format(make_document: MakeDocument, tmp_path: Path) -> None:
    """A raster logo reaches the SVG, the PNG and the PDF; this also shows that the vector
    check above can see an image when there is one."""
    Image.new("RGB", (40, 24), LOGO_COLOR).save(tmp_path / "logo.png")
    document = make_document(FOOD_EXAMPLE, "ocop-classic")
    document["brand"]["logo"] = "logo.png"
    layout = layout_label(parse_spec(document, base_dir=tmp_path), spec_dir=tmp_path)
    assert layout.logo is not None
    assert 'href="data:image/png;base64,' in export_svg(layout).decode("utf-8")
    box_mm = layout.logo.box
    center_mm = (box_mm.x_mm + box_mm.width_mm / 2, box_mm.y_mm + box_mm.height_mm / 2)
    dpi = 100
    png = on_white(open_png(export_png(layout, dpi)))
    center_px = tuple(round(value / 25.4 * dpi) for value in center_mm)
    assert png.getpixel(center_px) == pytest.approx(LOGO_COLOR, abs=8), "no logo in the PNG"
    pdf = export_pdf(layout)
    assert image_count(pdf) >= 1, "no image in the PDF: the logo was dropped"
    trim_left_px, trim_top_px = trim_origin_px(pdf, dpi)
    page_px = (trim_left_px + center_px[0], trim_top_px + center_px[1])
    color = rasterise_pdf(pdf, dpi).getpixel(page_px)
    assert color == pytest.approx(LOGO_COLOR, abs=8), f"no logo in the PDF: {color} at {page_px}"


@pytest.mark.slow
def test_renders_are_byte_identical(
    label_case: LabelCase, make_document: MakeDocument, examples_dir: Path
) -> None:
    """A fresh spec and layout give the same bytes as the first render, in every format."""
    document = make_document(label_case.example, label_case.template)
    again = panel_layout(parse_spec(document, base_dir=examples_dir), label_case.panel)
    assert export_svg(again) == label_case.svg
    assert export_png(again, 150) == label_case.png(150)
    assert export_pdf(again) == label_case.pdf


@pytest.mark.parametrize("output_format", ["svg", "png"])
def test_pipeline_render_gives_the_exported_bytes(
    label_case: LabelCase, output_format: str, examples_dir: Path
) -> None:
    """`pipeline.render` (which checks compliance first) draws what the exporters draw, and
    refuses a label its own check finds non-compliant."""
    spec = label_case.spec
    expected = label_case.svg if output_format == "svg" else label_case.png(150)
    if check_spec(spec, spec_dir=examples_dir).compliant:
        panels = render_panels(spec, output_format, dpi=150, spec_dir=examples_dir)
        assert {panel.panel: panel.content for panel in panels}[label_case.panel] == expected
    else:
        with pytest.raises(NotCompliantError):
            render_panels(spec, output_format, dpi=150, spec_dir=examples_dir)


REPRODUCE_SCRIPT = """
import hashlib, sys
from pathlib import Path
import yaml
from labelgen.export import export_pdf, export_png, export_svg
from labelgen.layout import layout_set
from labelgen.spec import parse_spec
examples, example, template = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
document = yaml.safe_load((examples / f"{example}.yaml").read_text(encoding="utf-8"))
document["template"] = template
layout = layout_set(parse_spec(document, base_dir=examples), spec_dir=examples).panels[0]
for data in (export_svg(layout), export_png(layout, 150), export_pdf(layout)):
    print(hashlib.sha256(data).hexdigest())
"""


@pytest.mark.slow
def test_renders_are_identical_across_processes(
    label_cases: dict[str, LabelCase], examples_dir: Path
) -> None:
    """Another interpreter, with another hash seed, renders the very same bytes."""
    case = label_cases[f"{HANDICRAFT_EXAMPLE}-on-hang-tag"]
    here = [hashlib.sha256(data).hexdigest() for data in (case.svg, case.png(150), case.pdf)]
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    completed = subprocess.run(
        [sys.executable, "-c", REPRODUCE_SCRIPT, str(examples_dir), case.example, case.template],
        capture_output=True,
        check=True,
        timeout=120,
        env=environment,
    )
    there = completed.stdout.decode().split()
    assert there == here, "SVG, PNG and PDF hashes differ between processes"


# --- SVG -----------------------------------------------------------------------------------------


def parse_svg(data: bytes) -> Any:
    return ElementTree.fromstring(data)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def test_svg_size_in_millimetres(label_case: LabelCase) -> None:
    root = parse_svg(label_case.svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    manifest = load_template(label_case.template).manifest
    for attribute, expected_mm in (("width", manifest.width_mm), ("height", manifest.height_mm)):
        value = root.get(attribute)
        assert value is not None and value.endswith("mm"), f"{attribute}={value!r}"
        assert float(value.removesuffix("mm")) == pytest.approx(expected_mm, abs=1e-3)


EXTERNAL_SCHEME = re.compile(r"^\s*(https?|file|ftp):", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]*)", re.IGNORECASE)


def is_internal_reference(value: str) -> bool:
    """A data: URI, or a fragment naming an element of the same document."""
    stripped = value.strip()
    return stripped.startswith("data:") or stripped.startswith("#")


def test_svg_is_self_contained(label_case: LabelCase) -> None:
    root = parse_svg(label_case.svg)
    references = 0
    for element in root.iter():
        name = local_name(element.tag)
        assert name not in ("script", "foreignObject"), f"<{name}> in the SVG"
        for attribute, value in element.attrib.items():
            attribute_name = local_name(attribute)
            assert not attribute_name.lower().startswith("on"), f"event handler {attribute}"
            assert not EXTERNAL_SCHEME.match(value), f"{name} {attribute}={value[:60]!r}"
            if attribute in ("href", XLINK_HREF, "src"):
                references += 1
                assert is_internal_reference(value), f"<{name} {attribute}={value[:60]!r}>"
            for url in CSS_URL.findall(value):
                assert is_internal_reference(url), f"url({url[:60]}) in {name} {attribute}"
        if name == "style":
            css = "".join(element.itertext())
            assert "@import" not in css
            urls = CSS_URL.findall(css)
            assert urls, "the screen SVG should embed its fonts in @font-face rules"
            for url in urls:
                assert url.startswith("data:font/woff2;base64,"), url[:60]
    assert references == 0 or label_case.spec.brand.logo is not None


def test_svg_embeds_woff2_fonts(label_case: LabelCase) -> None:
    css = "".join(
        "".join(element.itertext())
        for element in parse_svg(label_case.svg).iter(f"{{{SVG_NS}}}style")
    )
    faces = re.findall(r"@font-face\{([^}]*)\}", css)
    weights = set()
    for face in faces:
        assert f'font-family:"{DEFAULT_FAMILY}"' in face
        payload = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", face)
        assert payload is not None, face[:120]
        assert base64.b64decode(payload.group(1))[:4] == b"wOF2"
        weight = re.search(r"font-weight:(\d+)", face)
        assert weight is not None
        weights.add(int(weight.group(1)))
    assert {REGULAR, BOLD} <= weights


def test_svg_carries_the_product_name_as_text(label_case: LabelCase) -> None:
    root = parse_svg(label_case.svg)
    name = label_case.spec.product.name
    drawn = collapse_whitespace(
        " ".join("".join(element.itertext()) for element in root.iter(f"{{{SVG_NS}}}text"))
    )
    if label_case.prints_name:  # a tag's back leaves the name to its front
        assert name in drawn, drawn[:300]
    title = root.find(f"{{{SVG_NS}}}title")
    accessible_names = [root.get("aria-label") or "", "" if title is None else title.text or ""]
    assert any(name in accessible for accessible in accessible_names), accessible_names


# --- PNG -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [300, 150, 72])
def test_png_pixel_size(label_case: LabelCase, dpi: int) -> None:
    image = label_case.png_image(dpi)
    assert image.format == "PNG"
    width_px = expected_pixels(label_case.layout.width_mm, dpi)
    height_px = expected_pixels(label_case.layout.height_mm, dpi)
    assert abs(image.width - width_px) <= 1 and abs(image.height - height_px) <= 1, (
        f"{image.size} at {dpi} dpi, expected about {(width_px, height_px)}"
    )


# --- Vietnamese letters --------------------------------------------------------------------------

VOWELS = "aăâeêioôơuưy"
CONSONANTS = "bcdđghklmnpqrstvx"
TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
# The toned vowels written out by hand, to check the composition below against.
TONED_VOWELS_BY_HAND = (
    "àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ"
).replace(" ", "")


def vietnamese_lowercase() -> list[str]:
    """The 89 lower-case letters: 12 vowels in 6 tones (none and 5 marks) and 17 consonants."""
    letters = []
    for vowel in VOWELS:
        letters.append(vowel)
        for mark in TONE_MARKS:
            composed = unicodedata.normalize("NFC", vowel + mark)
            assert len(composed) == 1, f"{vowel}+U+{ord(mark):04X} has no precomposed form"
            letters.append(composed)
    return letters + list(CONSONANTS)


def vietnamese_letters() -> list[str]:
    lowercase = vietnamese_lowercase()
    return lowercase + [letter.upper() for letter in lowercase]


def test_vietnamese_letter_set() -> None:
    """178 letters in all (89 per case); 134 of them (67 per case: 60 toned vowels and
    ă â đ ê ô ơ ư) are outside ASCII and are the ones a font can lack."""
    letters = vietnamese_letters()
    assert len(letters) == len(set(letters)) == 178
    toned = [letter for letter in vietnamese_lowercase() if base_letter(letter) != letter]
    toned = [letter for letter in toned if letter not in "ăâêôơưđ"]
    assert toned == list(TONED_VOWELS_BY_HAND)
    assert len(toned) == 60
    non_ascii = [letter for letter in letters if not letter.isascii()]
    assert len(non_ascii) == 134
    assert all(letter.upper() in letters and letter.lower() in letters for letter in letters)


FACES = [(REGULAR, False), (BOLD, False), (REGULAR, True), (BOLD, True)]


@pytest.mark.parametrize(("weight", "italic"), FACES)
def test_bundled_faces_cover_every_vietnamese_letter(weight: int, italic: bool) -> None:
    face = font_face(DEFAULT_FAMILY, weight, italic)
    assert face.missing_characters("".join(vietnamese_letters())) == []
    assert face.missing_characters("★漢") == ["★", "漢"]  # the check itself can find a gap


# Cells tall enough that stacked marks (Ẫ, Ặ) and descenders (ỵ, g) stay inside their own cell.
CELL_MM = 14.0
GLYPH_SIZE_MM = 7.0
BASELINE_MM = 9.0
GRID_DPI = 150
GRID_COLUMNS = 18
MISSING_GLYPH = "\ue000"  # a private-use code point no bundled font maps


def letter_cells(letters: list[str], weight: int, italic: bool) -> dict[str, Image.Image]:
    """Each letter drawn alone in its own cell of one grid, by the PNG renderer (CairoSVG)
    with the bundled fonts, cut back out into one image per letter."""
    rows = (len(letters) + GRID_COLUMNS - 1) // GRID_COLUMNS
    width_mm, height_mm = GRID_COLUMNS * CELL_MM, rows * CELL_MM
    texts = []
    for index, letter in enumerate(letters):
        column, row = index % GRID_COLUMNS, index // GRID_COLUMNS
        x_mm = column * CELL_MM + 3.0
        y_mm = row * CELL_MM + BASELINE_MM
        texts.append(f'<text x="{x_mm}" y="{y_mm}">{letter}</text>')
    svg = (
        f'<svg xmlns="{SVG_NS}" width="{width_mm}mm" height="{height_mm}mm"'
        f' viewBox="0 0 {width_mm} {height_mm}"><rect width="100%" height="100%" fill="#FFFFFF"/>'
        f'<g font-family="{DEFAULT_FAMILY}" font-size="{GLYPH_SIZE_MM}" font-weight="{weight}"'
        f' font-style="{"italic" if italic else "normal"}" fill="#000000">{"".join(texts)}</g></svg>'
    )
    grid = open_png(cairosvg.svg2png(bytestring=svg.encode("utf-8"), dpi=GRID_DPI)).convert("RGB")
    cell_px = CELL_MM / 25.4 * GRID_DPI
    cells = {}
    for index, letter in enumerate(letters):
        column, row = index % GRID_COLUMNS, index // GRID_COLUMNS
        left, top = round(column * cell_px), round(row * cell_px)
        cells[letter] = grid.crop((left, top, left + int(cell_px), top + int(cell_px)))
    return cells


def border_ink(cell: Image.Image, width_px: int = 2) -> int:
    """Ink pixels along the cell's four edges (the corners count twice)."""
    right, bottom = cell.width, cell.height
    strips = (
        (0, 0, right, width_px),
        (0, bottom - width_px, right, bottom),
        (0, 0, width_px, bottom),
        (right - width_px, 0, right, bottom),
    )
    return sum(ink_pixels(cell.crop(strip)) for strip in strips)


def base_letter(letter: str) -> str:
    """The letter without its diacritics: ằ → a, Ư → U, đ → d."""
    if letter in "đĐ":
        return "d" if letter == "đ" else "D"
    return unicodedata.normalize("NFD", letter)[0]


def pixels_apart(first: Image.Image, second: Image.Image) -> int:
    difference = ImageChops.difference(first, second).convert("L")
    return sum(difference.histogram()[64:])


@pytest.mark.parametrize(("weight", "italic"), FACES)
def test_every_vietnamese_letter_renders(weight: int, italic: bool) -> None:
    letters = vietnamese_letters()
    cells = letter_cells([*letters, MISSING_GLYPH], weight, italic)
    missing_box = cells.pop(MISSING_GLYPH)
    blank = [letter for letter, cell in cells.items() if ink_pixels(cell) < 40]
    assert not blank, f"no ink for {' '.join(blank)}"
    spilling = [letter for letter, cell in cells.items() if border_ink(cell) > 0]
    assert not spilling, f"ink reaches the cell edge, cells overlap: {' '.join(spilling)}"
    like_missing = [
        letter for letter, cell in cells.items() if pixels_apart(cell, missing_box) < 20
    ]
    assert not like_missing, f"drawn as the missing-glyph box: {' '.join(like_missing)}"
    unmarked = [
        letter
        for letter, cell in cells.items()
        if base_letter(letter) != letter and pixels_apart(cell, cells[base_letter(letter)]) < 8
    ]
    assert not unmarked, f"diacritics not drawn (same as the bare letter): {' '.join(unmarked)}"


def letter_words(letters: list[str], size: int = 8) -> str:
    return " ".join(
        "".join(letters[start : start + size]) for start in range(0, len(letters), size)
    )


@pytest.mark.slow
def test_every_vietnamese_letter_survives_the_pipeline(
    make_document: MakeDocument, examples_dir: Path
) -> None:
    """All letters in a spec lay out without a glyph error and come back out of the PDF."""
    lowercase = vietnamese_lowercase()
    uppercase = [letter.upper() for letter in lowercase]
    document = make_document(FOOD_EXAMPLE, "back-panel")
    document["product"]["ingredients"] = letter_words(lowercase)
    document["product"]["usage"] = letter_words(uppercase)
    layout = layout_label(parse_spec(document, base_dir=examples_dir), spec_dir=examples_dir)
    text = pdf_text(export_pdf(layout))
    lost = [letter for letter in lowercase + uppercase if letter not in text]
    assert not lost, f"missing from the PDF text layer: {' '.join(lost)}"
    svg_text = export_svg(layout).decode("utf-8")
    assert all(letter in svg_text for letter in lowercase + uppercase)


@pytest.mark.parametrize("character", ["★", "漢"])
def test_character_without_glyph_is_a_spec_error(
    character: str, make_document: MakeDocument, examples_dir: Path
) -> None:
    document = make_document(FOOD_EXAMPLE, "ocop-classic")
    document["product"]["name"] = f"Hạt sen {character} sấy giòn"
    bad_spec = parse_spec(document, base_dir=examples_dir)
    with pytest.raises(SpecError) as caught:
        layout_label(bad_spec, spec_dir=examples_dir)
    problems = caught.value.problems
    assert [problem.field for problem in problems] == ["product.name"]
    assert character in problems[0].reason
    assert f"U+{ord(character):04X}" in problems[0].reason
