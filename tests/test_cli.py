"""Command line: exit codes, messages and files, run as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pikepdf
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hat-sen-say.yaml"
HANDICRAFT = ROOT / "examples" / "chieu-dinh-yen.yaml"
EXPIRED = ROOT / "examples" / "nem-expired-badge.yaml"
AS_OF = "2026-11-28"


def run_cli(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labelgen.cli", *arguments],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=ROOT,
        timeout=120,
    )


def test_templates_lists_the_five_bundled_templates() -> None:
    result = run_cli("templates")
    assert result.returncode == 0
    for template_id in ("ocop-classic", "round-jar", "bottle-wrap", "back-panel", "hang-tag"):
        assert template_id in result.stdout
    assert "100 × 70 mm" in result.stdout
    assert "⌀ 60 mm" in result.stdout


@pytest.mark.parametrize("extension", ["svg", "png", "pdf"])
def test_render_writes_the_format_of_the_extension(tmp_path: Path, extension: str) -> None:
    output = tmp_path / f"label.{extension}"
    result = run_cli("render", str(HANDICRAFT), "-o", str(output), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    magic = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF"}[extension]
    if extension == "pdf":
        assert output.read_bytes().startswith(magic)
        assert len(pikepdf.open(output).pages) == 2  # the two sides of the hang tag
        return
    # An SVG or PNG holds one panel: the tag's two sides are two files, named after them.
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == [f"label-hang-tag-back.{extension}", f"label-hang-tag.{extension}"]
    for name in written:
        assert (tmp_path / name).read_bytes().startswith(magic)


def test_render_writes_a_one_panel_label_to_the_named_file(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["template"] = "back-panel"
    spec = tmp_path / "back.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    output = tmp_path / "label.svg"
    result = run_cli("render", str(spec), "-o", str(output), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["back.yaml", "label.svg"]


def test_render_writes_a_set_as_one_pdf_page_per_panel(tmp_path: Path) -> None:
    output = tmp_path / "label.pdf"
    result = run_cli("render", str(EXAMPLE), "-o", str(output), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    pages = pikepdf.open(output).pages
    trims_mm = [
        tuple(round(float(value) * 25.4 / 72, 1) for value in page.obj.TrimBox) for page in pages
    ]
    sizes_mm = [(round(x1 - x0), round(y1 - y0)) for x0, y0, x1, y1 in trims_mm]
    assert sizes_mm == [(100, 70), (80, 120)]  # ocop-classic, then back-panel


def test_render_reads_stdin(tmp_path: Path) -> None:
    output = tmp_path / "label.svg"
    result = run_cli(
        "render",
        "-",
        "-o",
        str(output),
        "--as-of",
        AS_OF,
        stdin=EXAMPLE.read_text(encoding="utf-8"),
    )
    assert result.returncode == 0, result.stderr
    front = tmp_path / "label-ocop-classic.svg"
    assert "Hạt sen sấy giòn" in front.read_text(encoding="utf-8")


def test_bad_spec_exits_2_naming_each_field_without_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "brand: {name: X}\nproduct: {name: Y, category: fod, gtin: '123'}\n", encoding="utf-8"
    )
    output = tmp_path / "out.png"
    result = run_cli("render", str(spec), "-o", str(output))
    assert result.returncode == 2
    assert "product.category" in result.stderr
    assert "product.gtin" in result.stderr
    assert "producer: is required" in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.exists()


def test_unknown_template_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(EXAMPLE.read_text(encoding="utf-8").replace("ocop-classic", "no-such"), "utf-8")
    result = run_cli("render", str(spec), "-o", str(tmp_path / "x.svg"))
    assert result.returncode == 2
    assert "template" in result.stderr and "no-such" in result.stderr


def test_unknown_extension_exits_2(tmp_path: Path) -> None:
    result = run_cli("render", str(EXAMPLE), "-o", str(tmp_path / "label.gif"))
    assert result.returncode == 2
    assert "--format" in result.stderr


def test_missing_file_exits_2() -> None:
    result = run_cli("render", "nope.yaml", "-o", "x.svg")
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_check_exits_0_for_a_compliant_spec_and_prints_json() -> None:
    result = run_cli("check", str(EXAMPLE), "--json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report == {"compliant": True, "as_of": AS_OF, "findings": [], "suggestions": []}


def test_check_reports_the_expired_certificate_and_exits_1() -> None:
    result = run_cli("check", str(EXPIRED), "--as-of", AS_OF)
    assert result.returncode == 1
    assert "OCOP-CERT-EXPIRED" in result.stdout
    assert "certification.valid_until" in result.stdout
    assert "KHÔNG ĐẠT / NOT COMPLIANT" in result.stdout


def test_render_refuses_a_non_compliant_label_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "nem.pdf"
    result = run_cli("render", str(EXPIRED), "-o", str(output), "--as-of", AS_OF)
    assert result.returncode == 1
    assert "OCOP-CERT-EXPIRED" in result.stderr
    assert not output.exists()


def test_draft_renders_a_marked_label_without_a_qr(tmp_path: Path) -> None:
    output = tmp_path / "nem.svg"
    result = run_cli("render", str(EXPIRED), "-o", str(output), "--draft", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    svg = output.read_text(encoding="utf-8")
    assert "BẢN NHÁP / DRAFT" in svg
    assert 'class="qr"' not in svg
    assert "qr-placeholder" in svg


def test_bad_as_of_date_exits_2() -> None:
    result = run_cli("check", str(EXAMPLE), "--as-of", "28/11/2026")
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr


def test_serve_refuses_a_proxy_that_is_not_an_address() -> None:
    result = run_cli("serve", "--forwarded-allow-ips", "10.0.0.1,proxy.local")
    assert result.returncode == 2
    assert "trusted_proxies" in result.stderr and "'proxy.local'" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_runs_several_processes_on_the_embedded_database(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {**os.environ, "LABELGEN_DATA_DIR": str(tmp_path)}
    environment.pop("LABELGEN_DATABASE_URL", None)
    command = [sys.executable, "-m", "labelgen.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--render-workers", "1"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    scans = 12
    try:
        wait_for_health(port, server)
        for _ in range(scans):
            document = get_json(port, "/01/08936012345674/10/L1/21/NOSUCHSERIAL")
            assert document["status"] == "unknown"
    finally:
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=120)
    assert server.returncode == 0, errors.decode()
    # Each process wrote the scans it still held when it stopped, into the one SQLite file.
    with sqlite3.connect(tmp_path / "labelgen.db") as database:
        keys = [row[0] for row in database.execute("SELECT scanned_key FROM scan_events")]
    assert keys == ["01/08936012345674/10/L1/21/NOSUCHSERIAL"] * scans


def wait_for_health(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "labelgen serve stopped while starting"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("labelgen serve did not start")


def get_json(port: int, path: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        document: dict[str, object] = json.load(response)
        return document


def test_check_lists_the_templates_a_label_would_fit_on(tmp_path: Path) -> None:
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["template"] = "round-jar"  # a jar's lid alone has no room for the mandatory text
    spec = tmp_path / "jar.yaml"
    spec.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = run_cli("check", str(spec), "--as-of", AS_OF)
    assert result.returncode == 1
    assert "VN-LBL-MANDATORY-NOT-PRINTED" in result.stdout
    suggestions = result.stdout.split("VỪA VỚI MẪU NHÃN / FITS ON (template:)")[1]
    assert suggestions.splitlines()[1] == "  • [round-jar, back-panel]"
    as_json = json.loads(run_cli("check", str(spec), "--json", "--as-of", AS_OF).stdout)
    assert as_json["suggestions"][0] == ["round-jar", "back-panel"]
