"""Print runs end to end: every sheet's codes decoded against the manifest, boxes and die lines read
from the PDF, resume and restart, registry serials verified offline and through the service."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pikepdf
import pytest
import yaml
import zxingcpp
from fastapi.testclient import TestClient
from imaging import open_png
from PIL import Image
from service_support import service_settings

from labelgen.errors import BatchError
from labelgen.fonts import DEFAULT_FAMILY, REGULAR, font_face
from labelgen.layout import place_unit_code
from labelgen.production import run as run_module
from labelgen.production import serials as serials_module
from labelgen.production.imposition import ImpositionOptions, impose, load_presets
from labelgen.production.run import Progress, RunRequest, run_batch
from labelgen.production.serials import (
    UnitCode,
    read_manifest,
    read_serial_file,
    registry_allocator,
)
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.signing import keys_from_document
from labelgen.registry.testing import seed_registry, seeded_environment, temporary_database
from labelgen.registry.verify import verify_offline
from labelgen.service.app import create_app
from labelgen.spec import parse_spec
from labelgen.templates import Box, GraphicSlot, load_template

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PT_PER_MM = 72 / 25.4
A4_PT = (210 * PT_PER_MM, 297 * PT_PER_MM)
BASE_URL = "https://truyxuat.example.vn"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# A jar's round sticker with its back label: the run prints the sticker, which holds the code.
JAR_SET = ["round-jar", "back-panel"]


def write_spec(directory: Path, template: str | list[str] = "ocop-classic") -> Path:
    document = yaml.safe_load((EXAMPLES / "hat-sen-say.yaml").read_text(encoding="utf-8"))
    document["template"] = template
    name = template if isinstance(template, str) else "+".join(template)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def write_serials(path: Path, count: int, start: int = 0) -> list[str]:
    """Serials as a spreadsheet saves them: UTF-8 with a BOM, a header, Vietnamese notes."""
    serials = [f"T{index:07d}" for index in range(start, start + count)]
    lines = ["ghi chú,serial"] + [
        f"Hũ sen số {index},{serial}" for index, serial in enumerate(serials)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return serials


def request_for(spec_path: Path, output: Path, **changes: Any) -> RunRequest:
    spec_bytes = spec_path.read_bytes()
    request = RunRequest(
        spec=parse_spec(yaml.safe_load(spec_bytes), spec_path.parent),
        spec_bytes=spec_bytes,
        output=output,
        sheet=ImpositionOptions(sheet="A4", margin_mm=8),
        base_url=BASE_URL,
        workers=1,
        spec_dir=spec_path.parent,
    )
    return dataclasses.replace(request, **changes)


def rasterise_page(pdf_path: Path, page_number: int, dpi: int = 200) -> Image.Image:
    """One page of a PDF file rasterised by poppler's pdftoppm (written to stdout)."""
    page = str(page_number)
    command = ["pdftoppm", "-r", str(dpi), "-f", page, "-l", page, "-png", str(pdf_path)]
    completed = subprocess.run(command, capture_output=True, check=True, timeout=120)
    return open_png(completed.stdout).convert("RGB")


def codes_in_reading_order(image: Image.Image) -> list[str]:
    """The QR codes a real decoder finds on a page, row by row from the top, left to right."""
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    row_tolerance_px = image.height / 40
    placed = sorted(results, key=lambda result: result.position.top_left.y)
    rows: list[list[Any]] = []
    for result in placed:
        if (
            rows
            and abs(result.position.top_left.y - rows[-1][0].position.top_left.y) < row_tolerance_px
        ):
            rows[-1].append(result)
        else:
            rows.append([result])
    return [
        result.text for row in rows for result in sorted(row, key=lambda r: r.position.top_left.x)
    ]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    directory = tmp_path_factory.mktemp("run")
    spec_path = write_spec(directory)
    serials = write_serials(directory / "serials.csv", 19)
    request = request_for(spec_path, directory / "run.pdf", serials_file=directory / "serials.csv")
    result = run_batch(request)
    assert result.preflight.passed, result.preflight.format_text()
    yield result.output, serials


def test_every_code_on_every_sheet_is_its_manifest_unit_in_order(
    small_run: tuple[Path, list[str]],
) -> None:
    output, serials = small_run
    manifest = list(read_manifest(output.with_name("run.serials.csv")))
    assert [unit.serial for unit in manifest] == serials
    assert all(
        unit.content.endswith(f"/21/{unit.serial}") or f"/21/{unit.serial}?" in unit.content
        for unit in manifest
    )
    with pikepdf.open(output) as pdf:
        page_count = len(pdf.pages)
    decoded = []
    for page_number in range(1, page_count + 1):
        decoded += codes_in_reading_order(rasterise_page(output, page_number))
    assert decoded == [unit.content for unit in manifest]


def test_sheets_have_exact_boxes_one_artwork_and_a_die_line_per_label(
    small_run: tuple[Path, list[str]],
) -> None:
    output, serials = small_run
    with pikepdf.open(output) as pdf:
        labels_drawn = 0
        for page in pdf.pages:
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                values = [float(value) for value in page.obj[box]]
                assert values == pytest.approx([0, 0, *A4_PT], abs=0.01)
            content = page.obj.Contents.read_bytes().decode("ascii")
            artworks = content.count("/Art Do")
            assert content.count("/CSCut CS") == artworks
            labels_drawn += artworks
            separation = page.obj.Resources.ColorSpace.CSCut
            assert str(separation[1]) == "/CutContour"
            artwork = page.obj.Resources.XObject.Art
        assert labels_drawn == len(serials)
        # The artwork form keeps the bleed: its box is the label plus the bleed all round.
        manifest = load_template("ocop-classic").manifest
        bbox = [float(value) for value in artwork.BBox]
        width_mm = manifest.width_mm + 2 * manifest.bleed_mm
        height_mm = manifest.height_mm + 2 * manifest.bleed_mm
        assert bbox[2] - bbox[0] == pytest.approx(width_mm * PT_PER_MM, abs=0.05)
        assert bbox[3] - bbox[1] == pytest.approx(height_mm * PT_PER_MM, abs=0.05)


@pytest.mark.parametrize("rotate", ["never", "auto"])
def test_an_interrupted_run_resumes_to_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rotate: Literal["never", "auto"]
) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 40)
    straight = request_for(
        spec_path,
        tmp_path / "a" / "run.pdf",
        serials_file=tmp_path / "serials.csv",
        sheet=ImpositionOptions(sheet="A4", margin_mm=8, rotate=rotate),
    )
    (tmp_path / "a").mkdir()
    first = run_batch(straight)
    # 100 × 70 mm on A4: 3 upright, 4 turned; "auto" turns them.
    assert (first.rotated, first.labels_per_sheet) == (
        (False, 3) if rotate == "never" else (True, 4)
    )
    expected = first.output.read_bytes()

    monkeypatch.setattr(run_module, "CHECKPOINT_INTERVAL_S", 0.0)
    (tmp_path / "b").mkdir()
    interrupted = dataclasses.replace(straight, output=tmp_path / "b" / "run.pdf")

    def stop_after_two_sheets(progress: Progress) -> None:
        if progress.sheets_done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(interrupted, stop_after_two_sheets)
    assert not interrupted.output.exists()
    with pytest.raises(BatchError, match="--resume"):
        run_batch(interrupted)
    resumed = run_batch(dataclasses.replace(interrupted, resume=True))
    assert resumed.output.read_bytes() == expected
    assert not (tmp_path / "b" / "run.pdf.state.json").exists()
    # Three sheets were drawn and checkpointed before the interruption.
    assert resumed.labels_drawn == resumed.labels - 3 * resumed.labels_per_sheet


class CountingAllocator:
    """A registry stand-in: chunk `request_id` always gets the same serials (as the registry's
    repeated request ids do), unless `changed` says the source changed; it may fail on a chunk."""

    def __init__(self, fail_on_chunk: int | None = None) -> None:
        self.requests: list[str] = []
        self.changed = False
        self.fail_on_chunk = fail_on_chunk

    def __call__(self, count: int, request_id: str) -> list[UnitCode]:
        self.requests.append(request_id)
        chunk_index = int(request_id.rsplit("-", 1)[1])
        if chunk_index == self.fail_on_chunk:
            raise BatchError(f"registry unreachable at chunk {chunk_index}")
        prefix = "Z" if self.changed else "R"
        serials = [f"{prefix}{chunk_index:03d}{index:04d}" for index in range(count)]
        return [UnitCode(serial, f"{BASE_URL}/01/08936012345674/21/{serial}") for serial in serials]


def test_an_interrupted_run_resumes_with_the_serials_it_was_given_before_its_manifest_was_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serials_module, "CHUNK_UNITS", 6)
    spec_path = write_spec(tmp_path)
    (tmp_path / "a").mkdir()
    straight = request_for(spec_path, tmp_path / "a" / "run.pdf", count=40)
    straight = dataclasses.replace(straight, allocate=CountingAllocator())
    expected = run_batch(straight).output.read_bytes()
    expected_manifest = (tmp_path / "a" / "run.serials.csv").read_bytes()

    monkeypatch.setattr(run_module, "CHECKPOINT_INTERVAL_S", 0.0)
    (tmp_path / "b").mkdir()
    allocator = CountingAllocator()
    interrupted = dataclasses.replace(
        straight, output=tmp_path / "b" / "run.pdf", allocate=allocator
    )

    def stop_after_two_sheets(progress: Progress) -> None:
        if progress.sheets_done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(interrupted, stop_after_two_sheets)
    # Stopped before its last chunk: the manifest is not whole yet.
    assert not (tmp_path / "b" / "run.serials.csv").exists()
    assert (tmp_path / "b" / "run.serials.csv.part").exists()
    asked_before = len(allocator.requests)
    assert asked_before < 40 / 6
    # As if the process had died in the middle of writing a row.
    unfinished = tmp_path / "b" / "run.serials.csv.part"
    unfinished.write_bytes(unfinished.read_bytes()[:-10])

    resumed = run_batch(dataclasses.replace(interrupted, resume=True))
    assert resumed.output.read_bytes() == expected
    assert (tmp_path / "b" / "run.serials.csv").read_bytes() == expected_manifest
    assert not (tmp_path / "b" / "run.serials.csv.part").exists()
    # The resume asked again under the same request ids, from the first chunk on.
    assert allocator.requests[asked_before : asked_before + 2] == allocator.requests[:2]


def test_a_resume_whose_serial_source_changed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serials_module, "CHUNK_UNITS", 6)
    monkeypatch.setattr(run_module, "CHECKPOINT_INTERVAL_S", 0.0)
    allocator = CountingAllocator()
    request = request_for(write_spec(tmp_path), tmp_path / "run.pdf", count=40)
    request = dataclasses.replace(request, allocate=allocator)

    def stop_after_two_sheets(progress: Progress) -> None:
        if progress.sheets_done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(request, stop_after_two_sheets)
    allocator.changed = True
    with pytest.raises(BatchError, match="unit 1 is Z0000000 now but was R0000000"):
        run_batch(dataclasses.replace(request, resume=True))


def test_a_run_stopped_before_its_first_checkpoint_resumes_from_its_first_sheet(
    tmp_path: Path,
) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 30)
    request = request_for(spec_path, tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv")

    def stop_at_once(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(request, stop_at_once)
    with pytest.raises(BatchError, match="--resume carries on"):
        run_batch(request)
    resumed = run_batch(dataclasses.replace(request, resume=True))
    assert resumed.preflight.passed, resumed.preflight.format_text()
    decoded = []
    for page_number in range(1, resumed.sheets + 1):
        decoded += codes_in_reading_order(rasterise_page(resumed.output, page_number))
    assert decoded == [unit.content for unit in read_manifest(resumed.manifest)]


@pytest.mark.slow
def test_serials_asked_for_while_workers_draw_give_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serials_module, "CHUNK_UNITS", 50)
    spec_path = write_spec(tmp_path, JAR_SET)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    alone = request_for(spec_path, tmp_path / "one" / "run.pdf", count=260)
    alone = dataclasses.replace(alone, allocate=CountingAllocator())
    in_pool = dataclasses.replace(
        alone, output=tmp_path / "two" / "run.pdf", workers=2, allocate=CountingAllocator()
    )
    assert run_batch(alone).output.read_bytes() == run_batch(in_pool).output.read_bytes()
    assert (tmp_path / "one" / "run.serials.csv").read_bytes() == (
        tmp_path / "two" / "run.serials.csv"
    ).read_bytes()


@pytest.mark.slow
def test_a_registry_failure_while_workers_draw_stops_the_run_so_it_can_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serials_module, "CHUNK_UNITS", 50)
    monkeypatch.setattr(run_module, "LABELS_IN_FLIGHT", 100)
    monkeypatch.setattr(run_module, "CHECKPOINT_INTERVAL_S", 0.0)
    failing = CountingAllocator(fail_on_chunk=4)
    request = request_for(write_spec(tmp_path, JAR_SET), tmp_path / "run.pdf", count=260)
    request = dataclasses.replace(request, workers=2, allocate=failing)
    with pytest.raises(BatchError, match="registry unreachable at chunk 4"):
        run_batch(request)
    assert not request.output.exists()
    state = json.loads((tmp_path / "run.pdf.state.json").read_text(encoding="utf-8"))
    assert state["sheets_done"] > 0
    resumed = run_batch(dataclasses.replace(request, resume=True, allocate=CountingAllocator()))
    assert resumed.preflight.passed, resumed.preflight.format_text()
    units = list(read_manifest(resumed.manifest))
    assert [unit.serial for unit in units[:2]] == ["R0000000", "R0000001"]
    assert len({unit.serial for unit in units}) == 260


def test_a_finished_run_is_not_overwritten_with_new_serials_but_can_be_restarted(
    tmp_path: Path,
) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 5)
    request = request_for(spec_path, tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv")
    first = run_batch(request).output.read_bytes()
    manifest = (tmp_path / "run.serials.csv").read_bytes()
    with pytest.raises(BatchError, match="--restart"):
        run_batch(request)
    again = run_batch(dataclasses.replace(request, restart=True))
    assert again.output.read_bytes() == first
    assert (tmp_path / "run.serials.csv").read_bytes() == manifest


def test_a_run_without_a_serial_source_is_refused(tmp_path: Path) -> None:
    request = request_for(write_spec(tmp_path), tmp_path / "run.pdf", count=10)
    with pytest.raises(BatchError, match="--serials"):
        run_batch(request)


def test_more_units_than_serials_is_refused(tmp_path: Path) -> None:
    write_serials(tmp_path / "serials.csv", 3)
    request = request_for(
        write_spec(tmp_path), tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv", count=4
    )
    with pytest.raises(BatchError, match=r"--count: serials\.csv lists 3 serials"):
        run_batch(request)


@pytest.mark.slow
def test_worker_processes_draw_the_same_sheets(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 260)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    alone = request_for(
        spec_path, tmp_path / "one" / "run.pdf", serials_file=tmp_path / "serials.csv"
    )
    in_pool = dataclasses.replace(alone, output=tmp_path / "two" / "run.pdf", workers=2)
    assert run_batch(alone).output.read_bytes() == run_batch(in_pool).output.read_bytes()


@pytest.mark.slow
def test_registry_serials_verify_offline_and_through_the_service(tmp_path: Path) -> None:
    with temporary_database("sqlite", tmp_path) as url:
        registry = Registry(RegistrySettings(url, tmp_path / "keys", bytes(range(32))))
        try:
            seed = seed_registry(registry)
            spec_path = write_spec(tmp_path, JAR_SET)
            request = request_for(spec_path, tmp_path / "jar.pdf", count=14, cmyk=True)
            allocate = registry_allocator(registry, seed.producer, request.spec, BASE_URL)
            result = run_batch(dataclasses.replace(request, allocate=allocate))
            assert result.preflight.passed, result.preflight.format_text()
            units = list(read_manifest(result.manifest))
            assert len({unit.serial for unit in units}) == 14
            keys = keys_from_document(registry.public_keys_document())
            decoded = []
            for page_number in range(1, result.sheets + 1):
                decoded += codes_in_reading_order(rasterise_page(result.output, page_number, 300))
            assert decoded == [unit.content for unit in units]
            settings = service_settings(render_workers=1)
            with TestClient(create_app(settings, registry=registry), base_url=BASE_URL) as client:
                for code in decoded:
                    assert verify_offline(code, keys).status == "valid"
                    response = client.get(
                        code.removeprefix(BASE_URL), headers={"Accept": "application/json"}
                    )
                    assert response.json()["status"] == "valid", code
        finally:
            registry.close()


def run_batch_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "labelgen.cli", "batch", *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


def test_batch_command_reports_the_run_and_its_preflight(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 9)
    completed = run_batch_command(
        str(spec_path), "--sheet", "A4", "--serials", str(tmp_path / "serials.csv"),
        "-o", str(tmp_path / "run.pdf"),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    # 100 × 70 mm on A4 (10 mm margins): 1 × 3 upright, 2 × 2 turned, so the labels are turned.
    assert "9 labels on 3 sheets of 4 turned 90°" in completed.stdout
    assert "Preflight: PASSED" in completed.stdout
    upright = run_batch_command(
        str(spec_path), "--sheet", "A4", "--serials", str(tmp_path / "serials.csv"),
        "--rotate", "never", "-o", str(tmp_path / "upright.pdf"),
    )  # fmt: skip
    assert upright.returncode == 0, upright.stderr
    assert "9 labels on 3 sheets of 3," in upright.stdout
    assert "Preflight: PASSED" in upright.stdout


def test_batch_command_names_a_bad_serial_and_its_line(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path)
    (tmp_path / "serials.csv").write_text("serial\nA1\nhũ 2\n", encoding="utf-8")
    completed = run_batch_command(
        str(spec_path), "--serials", str(tmp_path / "serials.csv"), "-o", str(tmp_path / "run.pdf")
    )
    assert completed.returncode == 2
    assert "serials.csv line 3" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "run.pdf").exists()


def test_batch_command_issues_registry_serials_and_reports_a_bad_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The registry runs in a process of its own: its serials and its errors reach the run.
    with temporary_database("sqlite", tmp_path) as url:
        seed, variables = seeded_environment(url, tmp_path)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        spec_path = write_spec(tmp_path, JAR_SET)
        monkeypatch.setenv("LABELGEN_BASE_URL", BASE_URL)
        monkeypatch.setenv("LABELGEN_API_KEY", "lgk_not_a_key")
        refused = run_batch_command(str(spec_path), "--count", "3", "-o", str(tmp_path / "x.pdf"))
        monkeypatch.setenv("LABELGEN_API_KEY", seed.producer_secret)
        # More than the first chunk: the later chunks are issued while the first is drawn.
        issued = run_batch_command(
            str(spec_path), "--count", "300", "--sheet", "A4", "-o", str(tmp_path / "run.pdf")
        )
    assert refused.returncode == 2
    assert "API key is not valid" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not list(tmp_path.glob("x.*"))
    assert issued.returncode == 0, issued.stderr
    assert "Traceback" not in issued.stderr
    assert "Preflight: PASSED" in issued.stdout
    units = list(read_manifest(tmp_path / "run.serials.csv"))
    assert len({unit.serial for unit in units}) == 300
    assert all(unit.content.startswith(BASE_URL) for unit in units)


def test_sheets_command_lists_the_presets_from_the_data_file() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "labelgen.cli", "sheets"], capture_output=True, text=True, check=True
    )
    for name, preset in load_presets().items():
        assert name in completed.stdout
        assert preset.description in completed.stdout


def test_serial_file_with_a_bom_a_header_and_vietnamese_notes(tmp_path: Path) -> None:
    path = tmp_path / "serials.csv"
    serials = write_serials(path, 4)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_serial_file(path) == serials


def test_serial_file_as_a_plain_list(tmp_path: Path) -> None:
    path = tmp_path / "serials.txt"
    path.write_text("AB12\n\nCD34\n", encoding="utf-8")
    assert read_serial_file(path) == ["AB12", "CD34"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("serial\nA1\nA2\nA1\n", "line 4: serial A1 is already on line 2"),
        ("serial\nA1\nsố 2\n", "line 3: serial:"),
        ("serial\n" + "X" * 21 + "\n", "line 2: serial: must be 1 to 20 characters"),
        ("serial\n", "lists no serials"),
    ],
)
def test_serial_file_problems_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "serials.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BatchError, match=message):
        read_serial_file(path)


def test_serial_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "serials.csv"
    # A spreadsheet saving in the Windows Vietnamese code page: decomposed letters, not UTF-8.
    path.write_bytes(unicodedata.normalize("NFD", "ghi chú,serial\nHũ,A1\n").encode("cp1258"))
    with pytest.raises(BatchError, match="is not UTF-8"):
        read_serial_file(path)


def test_a_long_job_name_is_made_smaller_to_stay_inside_the_margin(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 2)
    job_name = "Hợp tác xã Nông nghiệp Sen Tháp Mười — đơn hàng tem hũ " * 6
    request = request_for(
        spec_path, tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv", job_name=job_name
    )
    result = run_batch(request)
    manifest = load_template("ocop-classic").manifest
    imposition = impose(manifest.width_mm, manifest.height_mm, manifest.bleed_mm, request.sheet)
    dpi = 150
    page = rasterise_page(result.output, 1, dpi).convert("L")
    px_per_mm = dpi / 25.4
    slug_top = round((imposition.slug_y_mm - 3) * px_per_mm)
    slug_bottom = round((imposition.slug_y_mm + 1) * px_per_mm)
    slug_end = round((imposition.slug_x_mm + imposition.slug_width_mm) * px_per_mm) + 2
    slug_start = round(imposition.slug_x_mm * px_per_mm)
    inside = page.crop((slug_start, slug_top, slug_end, slug_bottom))
    beyond = page.crop((slug_end, slug_top, page.width, slug_bottom))
    assert inside.getextrema()[0] < 128  # the slug is there…
    assert beyond.getextrema()[0] == 255  # …and nothing of it past its room


def test_the_example_serials_are_read_from_their_serial_column() -> None:
    # A spreadsheet export: BOM, a running number first, Vietnamese notes after.
    serials = read_serial_file(EXAMPLES / "serials.csv")
    assert len(serials) == 48
    assert all(len(serial) == 16 and serial.isalnum() for serial in serials)


def test_a_wrong_sheet_or_a_non_compliant_label_leaves_no_run_behind(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path)
    write_serials(tmp_path / "serials.csv", 4)
    output = tmp_path / "run.pdf"
    wrong_sheet = run_batch_command(
        str(spec_path), "--sheet", "A5x", "--serials", str(tmp_path / "serials.csv"),
        "-o", str(output),
    )  # fmt: skip
    assert wrong_sheet.returncode == 2
    assert "sheet: 'A5x' is not A4, A3, SRA3" in wrong_sheet.stderr
    expired = EXAMPLES / "nem-expired-badge.yaml"
    refused = run_batch_command(
        str(expired), "--serials", str(tmp_path / "serials.csv"), "-o", str(output)
    )
    assert refused.returncode == 1
    assert "OCOP-CERT-EXPIRED" in refused.stderr
    assert "--draft" not in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ocop-classic.yaml", "serials.csv"]
    # …so the corrected command simply runs.
    fixed = run_batch_command(
        str(spec_path), "--sheet", "A4", "--serials", str(tmp_path / "serials.csv"),
        "-o", str(output),
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr


@pytest.mark.parametrize("slot_width_mm", [26.0, 17.5])
def test_a_serial_stays_inside_its_slot_and_every_serial_gets_the_same_code_size(
    slot_width_mm: float,
) -> None:
    face = font_face(DEFAULT_FAMILY, REGULAR)
    box = Box(x_mm=10, y_mm=10, width_mm=slot_width_mm, height_mm=30)
    slot = GraphicSlot(box=box)
    content = BASE_URL + "/01/08936012345674"
    placements = {
        serial: place_unit_code(box, slot, content, serial, DEFAULT_FAMILY)
        for serial in ("1111111111111111", "0123456789ABCDEF", "WWWWWWWWWWWWWWWW")
    }
    codes = {(qr.x_mm, qr.y_mm, qr.module_mm) for qr, _ in placements.values()}
    assert len(codes) == 1  # the widest letters do not make the code smaller
    for serial, (qr, line) in placements.items():
        assert line is not None
        assert line.text.replace(" ", "") == serial
        assert line.size_pt <= 6.0
        width_mm = face.text_width_mm(line.text, line.size_pt)
        assert box.x_mm <= line.x_mm
        assert line.x_mm + width_mm <= box.right_mm + 1e-9
        assert qr.y_mm + qr.size_mm < line.baseline_mm <= box.bottom_mm
    # A serial that fits keeps 6 pt and is centred under the code.
    qr, narrow = placements["1111111111111111"]
    assert narrow is not None and narrow.size_pt == 6.0
    width_mm = face.text_width_mm(narrow.text, 6.0)
    assert narrow.x_mm + width_mm / 2 == pytest.approx(qr.x_mm + qr.size_mm / 2)


def test_a_hang_tag_run_fits_its_serials_under_the_codes_or_leaves_them_out(
    tmp_path: Path,
) -> None:
    # The hang-tag's QR slot is 17.5 mm wide: its serials are set smaller to fit.
    serials = str(EXAMPLES / "serials.csv")
    spec = str(EXAMPLES / "chieu-dinh-yen.yaml")
    for name, options in (("with.pdf", []), ("without.pdf", ["--no-serial-text"])):
        made = run_batch_command(spec, "--serials", serials, *options, "-o", str(tmp_path / name))
        assert made.returncode == 0, made.stderr
        assert "Preflight: PASSED" in made.stdout


def qr_modules_mm(pdf_path: Path) -> set[float]:
    """The module size of every QR drawn on the first sheet (each code is one `cm` scaled by its
    module, as labelgen.production.stamp writes it)."""
    with pikepdf.open(pdf_path) as pdf:
        content = pdf.pages[0].Contents.read_bytes().decode("latin-1")
    matches = re.findall(r"q (\d+\.\d+) 0 0 -\1 [\d.]+ [\d.]+ cm", content)
    return {round(float(module_pt) / PT_PER_MM, 4) for module_pt in matches}


@pytest.mark.parametrize("process", ["offset", "thermal-300dpi"])
def test_a_run_sizes_every_code_for_its_print_process(tmp_path: Path, process: str) -> None:
    spec_path = write_spec(tmp_path, JAR_SET)
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    document["print_process"] = process
    spec_path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    write_serials(tmp_path / "serials.csv", 4)
    request = request_for(spec_path, tmp_path / "run.pdf", serials_file=tmp_path / "serials.csv")
    modules_mm = qr_modules_mm(run_batch(request).output)
    assert modules_mm
    dot_mm = 25.4 / 300
    whole_dots = {module_mm: abs(module_mm / dot_mm - round(module_mm / dot_mm)) < 1e-3
                  for module_mm in modules_mm}  # fmt: skip
    if process == "thermal-300dpi":
        assert all(whole_dots.values()), modules_mm
    else:
        assert not all(whole_dots.values()), modules_mm
