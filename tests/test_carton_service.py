"""Cartons from the command line, the library and the HTTP API; compliance judged over the box."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from fastapi.testclient import TestClient
from imaging import open_png
from service_support import assert_problem, service_settings

from labelgen import render
from labelgen.errors import RenderError, SpecError
from labelgen.layout import QrPlacement
from labelgen.packaging.artwork import check_carton, code_placement_findings, layout_carton
from labelgen.pipeline import check_spec, render_panels
from labelgen.service.app import create_app
from labelgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
BOX = ROOT / "examples" / "tra-sen-box.yaml"
AS_OF = "2026-11-28"


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labelgen.cli", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_renders_the_dieline_pdf_and_the_folded_box(tmp_path: Path) -> None:
    pdf_path = tmp_path / "box.pdf"
    result = run_cli("render", str(BOX), "-o", str(pdf_path), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    with pikepdf.open(pdf_path) as document:
        assert len(document.pages) == 1
        assert "/TrimBox" in document.pages[0].obj
    png_path = tmp_path / "box.png"
    result = run_cli(
        "render", str(BOX), "-o", str(png_path), "--view", "folded", "--dpi", "90", "--as-of", AS_OF
    )
    assert result.returncode == 0, result.stderr
    assert open_png(png_path.read_bytes()).width == 480  # 1600 px at 300 dpi, in proportion
    assert open_png((tmp_path / "box-listing.png").read_bytes()).size == (1200, 1200)


def test_cli_lists_the_carton_style_with_the_templates() -> None:
    result = run_cli("templates")
    assert result.returncode == 0
    assert re.search(r"^carton-classic\s+carton\s+Hộp giấy gấp", result.stdout, re.M)


def test_cli_refuses_a_folded_view_that_is_not_a_png_or_not_a_carton(tmp_path: Path) -> None:
    result = run_cli("render", str(BOX), "-o", str(tmp_path / "b.pdf"), "--view", "folded")
    assert result.returncode == 2 and "png" in result.stderr.lower()
    label = ROOT / "examples" / "hat-sen-say.yaml"
    result = run_cli("render", str(label), "-o", str(tmp_path / "l.png"), "--view", "folded")
    assert result.returncode == 2 and "package" in result.stderr
    assert not list(tmp_path.iterdir())


def test_cli_names_a_bad_package_field(tmp_path: Path) -> None:
    document = yaml.safe_load(BOX.read_text(encoding="utf-8"))
    document["package"]["style"] = "pillow-pack"
    document["package"]["depth_mm"] = -1
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = run_cli("render", str(path), "-o", str(tmp_path / "b.pdf"))
    assert result.returncode == 2
    assert "package.style" in result.stderr and "package.depth_mm" in result.stderr


def test_library_render_and_check_take_the_carton_route() -> None:
    spec = load_spec(BOX)
    pdf = render(spec, "pdf")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 1
    pieces = render_panels(spec, "png", view="folded", dpi=60)
    assert [piece.panel for piece in pieces] == ["folded", "listing"]
    report = check_spec(spec)
    assert report.compliant
    with pytest.raises(RenderError, match="package"):
        render(load_spec(ROOT / "examples" / "hat-sen-say.yaml"), "png", view="folded")


def test_a_carton_names_a_carton_style() -> None:
    spec = load_spec(BOX)
    with pytest.raises(SpecError) as raised:
        layout_carton(spec.model_copy(update={"template": "ocop-classic"}))
    assert raised.value.problems[0].field == "template"


def test_compliance_is_judged_on_every_face() -> None:
    """A mandatory item the back cannot hold is reported for the box, as for a label set."""
    spec = load_spec(BOX)
    long_usage = "Hãm trà với nước nóng vừa phải, chờ vài phút rồi thưởng thức. " * 40
    wordy = spec.model_copy(
        update={"product": spec.product.model_copy(update={"usage": long_usage[:2990]})}
    )
    report = check_carton(layout_carton(wordy))
    assert not report.compliant
    assert {"VN-LBL-MANDATORY-NOT-PRINTED", "LAYOUT-TEXT-OVERFLOW"} & {
        finding.rule for finding in report.errors
    }


def test_a_code_too_near_a_fold_is_a_finding() -> None:
    carton = layout_carton(load_spec(BOX))
    assert code_placement_findings(carton) == []
    index, art = next(
        (index, art) for index, art in enumerate(carton.art) if art.layout.qr is not None
    )
    qr = art.layout.qr
    assert isinstance(qr, QrPlacement)
    # The same code moved to touch the side's fold with the front.
    moved_qr = dataclasses.replace(qr, x_mm=art.panel.rect.width_mm - qr.size_mm - 0.5)
    moved = dataclasses.replace(art, layout=dataclasses.replace(art.layout, qr=moved_qr))
    art_list = list(carton.art)
    art_list[index] = moved
    findings = code_placement_findings(dataclasses.replace(carton, art=tuple(art_list)))
    assert [(f.rule, f.field) for f in findings] == [("PRINT-CODE-ON-FOLD", "layout.qr")]
    assert "0,5 mm" in findings[0].message_vi and "left" in findings[0].message_en


# --- the HTTP API: the same render route ----------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(service_settings())) as client:
        yield client


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        json.dumps(yaml.safe_load(BOX.read_text(encoding="utf-8")), default=str)
    )
    return document


def test_api_renders_the_dieline_and_the_folded_box(client: TestClient) -> None:
    response = client.post("/api/v1/labels?format=pdf", json=_document())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    with pikepdf.open(io.BytesIO(response.content)) as document:
        assert len(document.pages) == 1
    folded = client.post("/api/v1/labels?format=png&view=folded&dpi=60", json=_document())
    assert folded.status_code == 200, folded.text
    assert open_png(folded.content).width == 320
    listing = client.post(
        "/api/v1/labels?format=png&view=folded&panel=listing&dpi=60", json=_document()
    )
    assert listing.status_code == 200, listing.text
    assert open_png(listing.content).size == (1200, 1200)


def test_api_refuses_a_folded_view_of_a_label(client: TestClient) -> None:
    document = _document()
    del document["package"]
    document["template"] = "ocop-classic"
    response = client.post("/api/v1/labels?format=png&view=folded", json=document)
    body = assert_problem(response, 422, "cannot-render")
    assert "package" in body["detail"]


def test_api_names_a_bad_package_field(client: TestClient) -> None:
    document = _document()
    document["package"]["board_mm"] = 9
    body = assert_problem(
        client.post("/api/v1/labels?format=pdf", json=document), 422, "invalid-spec"
    )
    assert [problem["field"] for problem in body["problems"]] == ["package.board_mm"]


def test_a_print_run_of_a_carton_is_refused_naming_the_package(tmp_path: Path) -> None:
    serials = tmp_path / "serials.csv"
    serials.write_text("serial\nA1\nA2\n", encoding="utf-8")
    result = run_cli("batch", str(BOX), "--serials", str(serials), "-o", str(tmp_path / "run.pdf"))
    assert result.returncode == 2
    assert result.stderr.startswith("labelgen: package: is a folding carton")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "run.pdf").exists()
