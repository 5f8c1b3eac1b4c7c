"""`labelgen registry …` and `labelgen verify`: the whole story from the command line, exit codes and messages."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Cli

from labelgen.registry.testing import BACKENDS, temporary_database

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://truyxuat.example.vn"
GTIN = "8936012345674"
CERTIFICATE = [
    "--certificate-no", "OCOP-DT-2024-0178",
    "--stars", "4",
    "--decision-no", "2150/QĐ-UBND",
    "--issued-by", "UBND tỉnh Đồng Tháp",
    "--issued-on", "2024-12-27",
    "--producer", "HTX Sen Tháp Mười",
    "--address", "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp",
    "--product", "Hạt sen sấy giòn",
    "--gtin", GTIN,
]  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def cli(
    backend: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    monkeypatch.setenv("LABELGEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LABELGEN_SIGNING_KEY_DIR", raising=False)
    monkeypatch.delenv("LABELGEN_SCAN_SALT", raising=False)
    monkeypatch.delenv("LABELGEN_BASE_URL", raising=False)
    if backend == "sqlite":
        # The default: the embedded file under the data dir.
        monkeypatch.delenv("LABELGEN_DATABASE_URL", raising=False)
        yield Cli(capsys, monkeypatch)
        return
    with temporary_database("postgresql", tmp_path) as url:
        monkeypatch.setenv("LABELGEN_DATABASE_URL", url)
        yield Cli(capsys, monkeypatch)


def set_up(cli: Cli) -> tuple[str, str]:
    """A registry with a certificate, a batch and a signing key; the issuer's and producer's keys."""
    assert cli("registry", "init") == 0
    assert "signing key" in cli.stdout  # init makes the first one
    assert cli("registry", "key", "create", "--role", "issuer") == 0
    issuer = cli.stdout.strip()
    assert "shown only now" in cli.stderr and issuer.startswith("lgk_")
    assert cli("registry", "certificate", "add", *CERTIFICATE, key=issuer) == 0
    assert (
        cli("registry", "key", "create", "--role", "producer", "--producer", "HTX Sen Tháp Mười")
        == 0
    )
    producer = cli.stdout.strip()
    batch = ["--product", GTIN, "--code", "L261120"]
    dates = ["--manufactured-on", "2026-11-20", "--expires-on", "2027-11-20"]
    assert cli("registry", "batch", "add", *batch, *dates, key=producer) == 0
    return issuer, producer


def test_the_whole_story_from_the_command_line(cli: Cli, backend: str, tmp_path: Path) -> None:
    issuer, producer = set_up(cli)
    assert (tmp_path / "data" / "labelgen.db").is_file() == (backend == "sqlite")

    out = tmp_path / "units.csv"
    allocate = ["registry", "serials", "allocate", "--product", GTIN, "--batch", "L261120"]
    assert (
        cli(*allocate, "--count", "5", "--base-url", BASE_URL, "--out", str(out), key=producer) == 0
    )
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 5 and len({row["serial"] for row in rows}) == 5
    url = rows[0]["url"]
    assert url.startswith(f"{BASE_URL}/01/0{GTIN}/10/L261120/21/{rows[0]['serial']}?s=4&8030=")

    keys_file = tmp_path / "labelgen-keys.json"
    assert cli("registry", "keys", "list", "--json") == 0
    keys_file.write_text(cli.stdout, encoding="utf-8")
    assert cli("verify", url, "--keys", str(keys_file)) == 0
    assert "VALID" in cli.stdout and "4★" in cli.stdout
    assert cli("verify", url, "--keys", f"file://{keys_file}") == 0
    assert cli("verify", url) == 0  # the local registry's keys

    tampered = url.replace("?s=4&", "?s=5&")
    assert cli("verify", tampered, "--keys", str(keys_file)) == 1
    assert "INVALID SIGNATURE" in cli.stdout
    # Stripping the signature does not make a code pass, with the keys or with the registry.
    assert cli("verify", url.split("&8030=")[0], "--keys", str(keys_file)) == 1
    assert "INVALID SIGNATURE" in cli.stdout
    assert cli("verify", url.split("&8030=")[0]) == 1
    assert "INVALID SIGNATURE" in cli.stdout and "without its signature" in cli.stdout

    assert (
        cli(
            "registry", "certificate", "revoke", "OCOP-DT-2024-0178", "--reason", "test", key=issuer
        )
        == 0
    )
    assert "revoked" in cli.stdout
    assert cli("registry", "certificate", "history", "OCOP-DT-2024-0178", key=producer) == 0
    assert "registered" in cli.stdout and "revoked" in cli.stdout and "test" in cli.stdout
    assert cli("registry", "history", "verify") == 0
    assert "intact" in cli.stdout


def test_allocating_again_with_the_same_request_id_writes_the_same_serials(
    cli: Cli, tmp_path: Path
) -> None:
    _, producer = set_up(cli)
    allocate = ["registry", "serials", "allocate", "--product", GTIN, "--batch", "L261120"]
    request = ["--count", "3", "--request-id", "print-run-7"]
    assert cli(*allocate, *request, key=producer) == 0
    first = cli.stdout
    assert cli(*allocate, *request, key=producer) == 0
    assert (
        cli.stdout == first and first.splitlines()[0] == "serial" and len(first.splitlines()) == 4
    )


def test_signing_keys_rotate_list_and_retire(cli: Cli) -> None:
    set_up(cli)
    assert cli("registry", "keys", "rotate") == 0
    assert cli("registry", "keys", "list") == 0
    lines = cli.stdout.splitlines()
    assert len(lines) == 2 and "(signs new codes)" in lines[1]
    old_kid = lines[0].split()[0]
    assert cli("registry", "keys", "retire", old_kid) == 0
    assert cli("registry", "keys", "list") == 0
    assert "retired" in cli.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (["--issued-on", "2024-13-01"], "issued_on"),
        (["--gtin", "8936012345675"], "product.gtin"),
        (["--certificate-no", " "], "certificate_no"),
    ],
)
def test_bad_certificate_input_exits_2_naming_the_field(
    cli: Cli, arguments: list[str], field: str
) -> None:
    issuer, _ = set_up(cli)
    changed = CERTIFICATE.copy()
    for option, value in zip(arguments[::2], arguments[1::2], strict=True):
        changed[changed.index(option) + 1] = value
    assert cli("registry", "certificate", "add", *changed, key=issuer) == 2
    assert field in cli.stderr


def test_commands_refuse_a_missing_or_wrong_key_or_role(cli: Cli) -> None:
    issuer, producer = set_up(cli)
    revoke = ["registry", "certificate", "revoke", "OCOP-DT-2024-0178"]
    assert cli(*revoke) == 2
    assert "LABELGEN_API_KEY" in cli.stderr
    assert cli(*revoke, key=producer) == 2
    assert "only an issuer" in cli.stderr
    assert cli(*revoke, key=issuer[:-2] + "xx") == 2
    assert "API key is not valid" in cli.stderr
    assert cli("registry", "product", "add", "--name", "X", key=issuer) == 2
    assert "only a producer" in cli.stderr
    assert cli("registry", "key", "create", "--role", "producer", "--producer", "Unknown Co") == 2
    assert "address" in cli.stderr


def test_verify_exits_2_for_an_unreadable_url_or_keys_file(cli: Cli, tmp_path: Path) -> None:
    url = f"{BASE_URL}/01/0{GTIN}/10/L1/21/0123456789ABCDEF"
    assert (
        cli("verify", "https://example.vn/not-a-code", "--keys", str(tmp_path / "none.json")) == 2
    )
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert cli("verify", url, "--keys", str(tmp_path / "bad.json")) == 2
    assert "--keys" in cli.stderr
    assert (
        cli("verify", url, "--keys", "https://truyxuat.example.vn/.well-known/labelgen-keys.json")
        == 2
    )
    assert "offline" in cli.stderr


def test_commands_on_a_database_never_set_up_say_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABELGEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LABELGEN_DATABASE_URL", raising=False)
    cli = Cli(capsys, monkeypatch)
    assert cli("registry", "keys", "list") == 2
    assert "labelgen registry init" in cli.stderr


def test_the_installed_entry_point_runs_verify(tmp_path: Path) -> None:
    url = f"{BASE_URL}/01/0{GTIN}/10/L1/21/0123456789ABCDEF"
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"keys": []}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "labelgen.cli", "verify", url, "--keys", str(keys), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    answer = json.loads(result.stdout)
    # No published key: nothing says the serial should be signed, nor that it was issued.
    assert (answer["status"], answer["signature"]) == ("unknown", "unsigned")
