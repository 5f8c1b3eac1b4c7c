"""Preflight stage: small print PDFs made here, good and bad, each check passing or failing with a
reason that names the page, the same in one process or several; and one real label page."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf
import pytest
import segno
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labelgen.production import colour, preflight
from labelgen.production.preflight import Check, PreflightReport, preflight_pdf

if TYPE_CHECKING:
    from conftest import LabelCase

MEDIA = (0, 0, 400, 400)
BLEED = (20, 20, 380, 380)
TRIM = (29, 29, 371, 371)
MODULE_PT = 3.0
# Four labels on a sheet, two rows of two, each with its own code: (left, bottom) of each code.
CODE_ORIGINS = ((40, 220), (220, 225), (45, 40), (215, 35))
CODES = [f"https://truyxuat.example.vn/01/08936012345674/21/SN{index:04d}" for index in range(4)]

MakePdf = Callable[..., Path]


@cache  # every page of a test file draws the same few codes
def qr_operators(text: str, left: float, bottom: float) -> str:
    """A QR code as filled squares in 100 % K on a white quiet zone."""
    matrix = [list(row) for row in segno.make(text, error="m", boost_error=False).matrix]
    size = len(matrix)
    side = (size + 8) * MODULE_PT
    parts = [f"0 0 0 0 k {left} {bottom} {side} {side} re f 0 0 0 1 k"]
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                x = left + (column_index + 4) * MODULE_PT
                y = bottom + side - (row_index + 5) * MODULE_PT
                parts.append(f"{x:g} {y:g} {MODULE_PT:g} {MODULE_PT:g} re")
    parts.append("f")
    return " ".join(parts)


def cut_contour(pdf: pikepdf.Pdf) -> pikepdf.Array:
    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[0, 1, 0, 0], N=1)
    return pikepdf.Array(
        [pikepdf.Name.Separation, pikepdf.Name("/CutContour"), pikepdf.Name.DeviceCMYK, tint]
    )


@pytest.fixture
def make_pdf(tmp_path: Path) -> MakePdf:
    """A sheet PDF: `pages` pages, each page's boxes, codes and extras changeable by index."""

    def make(
        pages: int = 2,
        *,
        codes: dict[int, list[str]] | None = None,
        boxes: dict[int, dict[str, tuple[float, ...] | None]] | None = None,
        extra: dict[int, str] | None = None,
        fonts: dict[int, pikepdf.Dictionary] | None = None,
        without_cut: frozenset[int] = frozenset(),
        output_intent: bool = True,
        encrypt: bool = False,
    ) -> Path:
        pdf = pikepdf.new()
        for index in range(pages):
            page = pdf.add_blank_page(page_size=(MEDIA[2], MEDIA[3]))
            page_boxes: dict[str, tuple[float, ...] | None] = {
                "/MediaBox": MEDIA,
                "/BleedBox": BLEED,
                "/TrimBox": TRIM,
            }
            page_boxes.update((boxes or {}).get(index, {}))
            for key, value in page_boxes.items():
                if value is None:
                    if key in page.obj:
                        del page.obj[key]
                else:
                    page.obj[key] = pikepdf.Array(value)
            page_codes = (codes or {}).get(index, CODES)
            operators = [
                qr_operators(text, *origin)
                for text, origin in zip(page_codes, CODE_ORIGINS, strict=True)
            ]
            resources = pikepdf.Dictionary()
            if index not in without_cut:
                resources.ColorSpace = pikepdf.Dictionary(CSCut=cut_contour(pdf))
                operators.append("q /CSCut CS 1 SCN 0.25 w 29 29 342 342 re S Q")
            operators.append((extra or {}).get(index, ""))
            if fonts and index in fonts:
                resources.Font = pikepdf.Dictionary(F1=fonts[index])
                operators.append("BT /F1 8 Tf 40 30 Td (Lot 7) Tj ET")
            page.obj.Resources = resources
            page.obj.Contents = pdf.make_stream(" ".join(operators).encode("ascii"))
        if output_intent:
            colour.add_output_intent(pdf)
        path = tmp_path / "sheets.pdf"
        encryption = pikepdf.Encryption(owner="shop", user="") if encrypt else False
        pdf.save(path, encryption=encryption)
        return path

    return make


def check_named(report: PreflightReport, name: str) -> Check:
    (check,) = (check for check in report.checks if check.name == name)
    return check


def test_a_good_file_passes_every_check(make_pdf: MakePdf) -> None:
    report = preflight_pdf(make_pdf(), cmyk=True, expected_codes={0: CODES, 1: CODES})
    assert report.passed, report.format_text()
    names = [check.name for check in report.checks]
    assert names == [
        "not encrypted",
        "page boxes",
        "same MediaBox",
        "fonts embedded",
        "no RGB",
        "CutContour",
        "OutputIntent",
        "codes on page 1",
        "codes on page 2",
    ]
    assert check_named(report, "codes on page 2").detail == (
        "page 2: 4 decoded of 4 expected, 4 matched"
    )
    assert report.format_text().startswith("Preflight: PASSED")


def test_a_missing_trim_box_fails_naming_the_page(make_pdf: MakePdf) -> None:
    path = make_pdf(3, boxes={1: {"/TrimBox": None}})
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "page boxes")
    assert not check.passed
    assert check.detail == "page 2: no TrimBox"


def test_a_trim_box_outside_the_bleed_box_fails(make_pdf: MakePdf) -> None:
    path = make_pdf(2, boxes={1: {"/TrimBox": (10, 29, 371, 371)}})
    report = preflight_pdf(path, cmyk=True, expected_codes={})
    check = check_named(report, "page boxes")
    assert not check.passed
    assert check.detail.startswith("page 2: TrimBox [10 29 371 371] is not inside BleedBox")
    assert "FAIL page boxes: page 2" in report.format_text()


def test_a_bleed_box_outside_the_media_box_and_a_different_media_box_fail(
    make_pdf: MakePdf,
) -> None:
    path = make_pdf(3, boxes={2: {"/MediaBox": (0, 0, 375, 400)}})
    report = preflight_pdf(path, cmyk=True, expected_codes={})
    assert "page 3: BleedBox" in check_named(report, "page boxes").detail
    same = check_named(report, "same MediaBox")
    assert not same.passed
    assert same.detail == "page 3: MediaBox [0 0 375 400]"


def test_an_rgb_operator_fails_a_cmyk_file_only(make_pdf: MakePdf) -> None:
    path = make_pdf(2, extra={1: "1 0 0 rg 0 0 5 5 re f"})
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "no RGB")
    assert not check.passed
    assert check.detail == "page 2: RGB colour operator rg"
    names = [check.name for check in preflight_pdf(path, cmyk=False, expected_codes={}).checks]
    assert "no RGB" not in names
    assert "OutputIntent" not in names


def test_an_rgb_colour_space_inside_a_form_fails(make_pdf: MakePdf, tmp_path: Path) -> None:
    path = make_pdf(1)
    with pikepdf.open(path) as pdf:
        form = pdf.make_stream(
            b"/DeviceRGB cs 0 0.5 1 sc 0 0 5 5 re f",
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 10, 10],
        )
        pdf.pages[0].Resources.XObject = pikepdf.Dictionary(Art=form)
        pdf.pages[0].contents_add(pdf.make_stream(b"/Art Do"))
        changed = tmp_path / "form.pdf"
        pdf.save(changed)
    check = check_named(preflight_pdf(changed, cmyk=True, expected_codes={}), "no RGB")
    assert check.detail == "page 1 › XObject /Art: operator /DeviceRGB cs"


def test_an_unembedded_font_fails_naming_page_and_font(make_pdf: MakePdf) -> None:
    helvetica = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    path = make_pdf(2, fonts={1: helvetica})
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "fonts embedded")
    assert not check.passed
    assert check.detail == "page 2 › Font /F1 (Helvetica) is not embedded"


def test_a_page_without_cut_contour_fails(make_pdf: MakePdf) -> None:
    path = make_pdf(3, without_cut=frozenset({2}))
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "CutContour")
    assert not check.passed
    assert check.detail == "page 3: no CutContour separation"


def test_a_missing_output_intent_fails_a_cmyk_file(make_pdf: MakePdf) -> None:
    path = make_pdf(1, output_intent=False)
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "OutputIntent")
    assert not check.passed


def test_an_encrypted_file_fails(make_pdf: MakePdf) -> None:
    report = preflight_pdf(make_pdf(1, encrypt=True), cmyk=True, expected_codes={})
    assert not check_named(report, "not encrypted").passed
    assert not report.passed


def test_a_wrong_code_is_named_with_its_position(make_pdf: MakePdf) -> None:
    wrong = [CODES[0], CODES[1], "https://truyxuat.example.vn/forged", CODES[3]]
    path = make_pdf(2, codes={1: wrong})
    report = preflight_pdf(path, cmyk=True, expected_codes={0: CODES, 1: CODES})
    assert check_named(report, "codes on page 1").passed
    check = check_named(report, "codes on page 2")
    assert not check.passed
    assert check.detail == (
        "page 2: 4 decoded of 4 expected, 3 matched; first mismatch at code 3: expected"
        f" {CODES[2]!r}, found 'https://truyxuat.example.vn/forged'"
    )


def test_codes_out_of_order_fail(make_pdf: MakePdf) -> None:
    swapped = [CODES[1], CODES[0], CODES[2], CODES[3]]
    report = preflight_pdf(make_pdf(1), cmyk=True, expected_codes={0: swapped})
    check = check_named(report, "codes on page 1")
    assert not check.passed
    assert "first mismatch at code 1" in check.detail


def test_label_boxes_decode_each_label_on_its_own(make_pdf: MakePdf) -> None:
    side = (segno.make(CODES[0], error="m", boost_error=False).symbol_size(border=4)[0]) * MODULE_PT
    # Given in any order: preflight puts the boxes in reading order itself.
    boxes = [
        (left - 5, bottom - 5, left + side + 5, bottom + side + 5) for left, bottom in CODE_ORIGINS
    ]
    boxes.reverse()
    path = make_pdf(1, codes={0: [CODES[0], CODES[1], CODES[2], "https://x.example/other"]})
    report = preflight_pdf(
        path, cmyk=True, expected_codes={0: CODES}, label_boxes_pt={0: boxes}, dpi=150
    )
    check = check_named(report, "codes on page 1")
    assert check.detail.startswith("page 1: 4 decoded of 4 expected, 3 matched")
    assert "first mismatch at code 4" in check.detail


def test_a_sampled_page_past_the_end_fails(make_pdf: MakePdf) -> None:
    report = preflight_pdf(make_pdf(1), cmyk=True, expected_codes={5: CODES})
    check = check_named(report, "codes on page 6")
    assert (check.passed, check.detail) == (False, "the file has 1 pages")


def test_a_real_converted_label_page_passes(
    label_cases: dict[str, LabelCase], tmp_path: Path
) -> None:
    case = label_cases["hat-sen-say-on-round-jar"]
    pdf = pikepdf.open(io.BytesIO(case.pdf))
    colour.convert_pdf_to_cmyk(pdf)
    colour.add_output_intent(pdf)
    colour.set_pdfx4_metadata(pdf, case.layout.title)
    path = tmp_path / "label.pdf"
    pdf.save(path)
    assert case.layout.qr_content
    report = preflight_pdf(path, cmyk=True, expected_codes={0: [case.layout.qr_content]})
    assert report.passed, report.format_text()
    # The same label straight from WeasyPrint is RGB, and has no OutputIntent.
    raw = tmp_path / "raw.pdf"
    raw.write_bytes(case.pdf)
    failed = {
        check.name
        for check in preflight_pdf(raw, cmyk=True, expected_codes={}).checks
        if not check.passed
    }
    assert failed == {"no RGB", "OutputIntent"}


# --- the page walk: every page searched, in one process or several ----------------------------

RunsInWorkers = list[int]


@pytest.fixture
def runs_in_workers(monkeypatch: pytest.MonkeyPatch) -> RunsInWorkers:
    """The worker counts of every preflight that shared its work among processes."""
    calls: RunsInWorkers = []
    original = preflight._checks_in_workers

    def recording(*arguments: Any) -> list[Check]:
        calls.append(arguments[-1])
        return original(*arguments)

    monkeypatch.setattr(preflight, "_checks_in_workers", recording)
    # A thread another test left running (a server's, say) would keep the work in one process.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    return calls


def test_an_rgb_operator_on_a_late_page_is_found(
    make_pdf: MakePdf, runs_in_workers: RunsInWorkers
) -> None:
    path = make_pdf(12, extra={10: "q 0 0.5 1 RG 0 0 5 5 re S Q"})
    for workers in (1, 2):
        check = check_named(
            preflight_pdf(path, cmyk=True, expected_codes={}, workers=workers), "no RGB"
        )
        assert (check.passed, check.detail) == (False, "page 11: RGB colour operator RG")
    assert runs_in_workers == [2]


def test_a_late_page_without_cut_contour_is_found(
    make_pdf: MakePdf, runs_in_workers: RunsInWorkers
) -> None:
    path = make_pdf(12, without_cut=frozenset({11}))
    report = preflight_pdf(path, cmyk=True, expected_codes={}, workers=2)
    assert check_named(report, "CutContour").detail == "page 12: no CutContour separation"
    assert runs_in_workers == [2]


@pytest.mark.parametrize(
    ("operators", "problem"),
    [
        # The name written with an escape: /DeviceRGB.
        ("/Devic#65RGB cs 1 0 0 sc", "operator /DeviceRGB cs"),
        # A comment between the operands: the first is the space.
        ("/DeviceRGB % a comment\n/CSCut cs", "operator /DeviceRGB cs"),
        ("/DeviceRGB /CSCut CS", "operator /DeviceRGB CS"),
        ("/DeviceRGB 0.5 /CSCut cs", "operator /DeviceRGB cs"),
        ("/DeviceRGB true /CSCut cs", "operator /DeviceRGB cs"),
        # Operators right after a delimiter, and right before one.
        ("(a)Tj(b)rg", "RGB colour operator rg"),
        ("0 0 1 RG/CSCut cs", "RGB colour operator RG"),
        # A vertical tab, which qpdf's parser takes for white space.
        ("0 0 1 rg\x0b0 0 5 5 re f", "RGB colour operator rg"),
        ("q/DeviceRGB\ncs", "operator /DeviceRGB cs"),
        ("(a string) Tj 0 1 0 rg", "RGB colour operator rg"),
        ("BI /W 1 /H 1 /CS /RGB /BPC 8 ID \x00\x00\x00 EI", "inline image in RGB"),
    ],
)
def test_rgb_written_in_any_valid_way_is_found(
    make_pdf: MakePdf, runs_in_workers: RunsInWorkers, operators: str, problem: str
) -> None:
    path = make_pdf(3, extra={2: operators})
    for workers in (1, 2):
        report = preflight_pdf(path, cmyk=True, expected_codes={}, workers=workers)
        assert check_named(report, "no RGB").detail == f"page 3: {problem}"


@pytest.mark.parametrize(
    "operators",
    [
        "/CSCut cs 1 sc",  # a Separation on CMYK
        "(0 0 1 rg) Tj",  # inside a string
        "% 1 0 0 rg\n",  # inside a comment
        "/Foo#20rg gs",  # inside a name
    ],
)
def test_what_only_looks_like_rgb_passes(make_pdf: MakePdf, operators: str) -> None:
    path = make_pdf(2, extra={1: operators})
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "no RGB")
    assert check.passed, check.detail


def test_an_rgb_space_in_resources_every_page_shares_is_found_where_used(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            ColorSpace=pikepdf.Dictionary(CSCut=cut_contour(pdf), CSScreen=pikepdf.Name.DeviceRGB)
        )
    )
    for index in range(6):
        page = pdf.add_blank_page(page_size=(MEDIA[2], MEDIA[3]))
        page.obj.BleedBox = pikepdf.Array(BLEED)
        page.obj.TrimBox = pikepdf.Array(TRIM)
        page.obj.Resources = resources
        uses = "/CSScreen cs 1 0 0 sc 0 0 5 5 re f" if index == 4 else ""
        page.obj.Contents = pdf.make_stream(f"/CSCut CS 1 SCN 29 29 342 342 re S {uses}".encode())
    path = tmp_path / "shared.pdf"
    pdf.save(path)
    check = check_named(preflight_pdf(path, cmyk=True, expected_codes={}), "no RGB")
    assert check.detail == (
        "page 1: colour space /CSScreen is /DeviceRGB; page 5: operator /CSScreen cs"
        " (2 pages in all, the first page 1)"
    )


def test_uncompressed_content_split_over_streams_is_searched(
    make_pdf: MakePdf, tmp_path: Path
) -> None:
    with pikepdf.open(make_pdf(3)) as pdf:
        pdf.pages[2].contents_add(pdf.make_stream(b"1 0 0 RG"))
        changed = tmp_path / "split.pdf"
        pdf.save(changed, compress_streams=False)
    check = check_named(preflight_pdf(changed, cmyk=True, expected_codes={}), "no RGB")
    assert check.detail == "page 3: RGB colour operator RG"


def test_workers_and_one_process_give_the_same_report(
    make_pdf: MakePdf, tmp_path: Path, runs_in_workers: RunsInWorkers
) -> None:
    helvetica = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    wrong = [CODES[0], "https://truyxuat.example.vn/forged", CODES[2], CODES[3]]
    path = make_pdf(
        14,
        codes={13: wrong},
        boxes={6: {"/TrimBox": (10, 29, 371, 371)}},
        extra={2: "1 0 0 rg", 10: "0 1 0 RG", 11: "/DeviceRGB cs"},
        fonts={4: helvetica},
        without_cut=frozenset({8, 12}),
    )
    # An RGB form every page from the second on draws: named once, on the page that first does.
    with pikepdf.open(path) as pdf:
        form = pdf.make_stream(
            b"0 0 1 rg 0 0 5 5 re f",
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 10, 10],
        )
        for page in pdf.pages[1:]:
            page.Resources.XObject = pikepdf.Dictionary(Art=form)
            page.contents_add(pdf.make_stream(b"/Art Do"))
        shared = tmp_path / "shared-form.pdf"
        pdf.save(shared)
    expected = {0: CODES, 7: CODES, 13: CODES, 20: CODES}
    alone = preflight_pdf(shared, cmyk=True, expected_codes=expected, workers=1)
    shared_out = preflight_pdf(shared, cmyk=True, expected_codes=expected, workers=2)
    assert runs_in_workers == [2]
    assert shared_out == alone
    assert check_named(alone, "no RGB").detail == (
        "page 2 › XObject /Art: RGB colour operator rg; page 3: RGB colour operator rg;"
        " page 11: RGB colour operator RG (4 pages in all, the first page 2)"
    )
    assert check_named(alone, "CutContour").detail == (
        "page 9: no CutContour separation; page 13: no CutContour separation"
        " (2 pages in all, the first page 9)"
    )
    assert check_named(alone, "page boxes").detail.startswith("page 7: TrimBox")
    assert not check_named(alone, "fonts embedded").passed
    assert check_named(alone, "codes on page 14").detail.endswith(
        "first mismatch at code 2: expected"
        f" {CODES[1]!r}, found 'https://truyxuat.example.vn/forged'"
    )
    assert check_named(alone, "codes on page 21").detail == "the file has 14 pages"
    non_cmyk = [preflight_pdf(shared, cmyk=False, expected_codes={}, workers=n) for n in (1, 2)]
    assert non_cmyk[0] == non_cmyk[1]


def test_a_process_with_other_threads_does_the_work_itself(
    make_pdf: MakePdf, runs_in_workers: RunsInWorkers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    path = make_pdf(12, extra={11: "1 0 0 rg"})
    report = preflight_pdf(path, cmyk=True, expected_codes={}, workers=2)
    assert runs_in_workers == []
    assert check_named(report, "no RGB").detail == "page 12: RGB colour operator rg"


@pytest.mark.parametrize(
    ("page_count", "sample_count", "expected"),
    [(10, 1, 1), (10, 3, 2), (500, 0, 2), (2_000, 3, 2), (2_001, 3, 1), (16_667, 3, 1)],
)
def test_workers_share_a_preflight_of_moderate_size_only(
    page_count: int, sample_count: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preflight.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert preflight._worker_count(None, page_count, sample_count) == expected


# Pieces of content streams, valid and not, that join into ones with RGB hidden in many ways.
STREAM_PIECES = [
    *("0", "0.5", "-2", "1.0e5", "true", "null"),
    *("/DeviceRGB", "/Devic#65RGB", "/DeviceCMYK", "/CSCut", "/CSScreen", "/CS#53creen", "/"),
    *("rg", "RG", "cs", "CS", "sc", "k", "q", "Q", "re", "f", "Tj", "T*", "'", "gs", "d0"),
    *("(", ")", "(rg)", "(a\\)", "((x))", "<00>", "[", "]", "<<", ">>", "{", "}", "%c", "%rg\n"),
    *("BI /W 1 /H 1 /CS /RGB /BPC 8 ID \x00\x00\x00 EI", "ID", "EI", "#", "/rg", "e"),
]
SEPARATORS = [" ", "\n", "", "\r\n", "\x00", "\t", "\x0b", "\f"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(STREAM_PIECES), st.sampled_from(SEPARATORS)), max_size=10)
)
def test_the_quick_look_never_rules_out_rgb_the_parser_finds(pieces: list[tuple[str, str]]) -> None:
    data = "".join(piece + separator for piece, separator in pieces).encode("latin-1")
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            ColorSpace=pikepdf.Dictionary(CSCut=cut_contour(pdf), CSScreen=pikepdf.Name.DeviceRGB)
        )
    )
    page.obj.Resources = resources
    page.obj.Contents = pdf.make_stream(data)
    try:
        instructions = pikepdf.parse_content_stream(page)
    except (pikepdf.PdfError, TypeError, ValueError):
        assume(False)  # not a content stream at all
    parser_finds_rgb = False
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            space = instruction.iimage.obj.get("/CS")
            parser_finds_rgb |= space == pikepdf.Name("/RGB")
        elif str(instruction.operator) in ("rg", "RG"):
            parser_finds_rgb = True
        elif str(instruction.operator) in ("cs", "CS") and instruction.operands:
            space = colour.describe_space(instruction.operands[0], resources)
            parser_finds_rgb |= space.holds_rgb
    if parser_finds_rgb:
        assert colour.may_set_rgb(colour.scan_colour_operators(data), resources), data
