"""A producer's first print run: `registry init` makes the key, `check` tells what the registry lacks.

Run in this process on a registry in a temporary data dir (the embedded SQLite file), the way a
producer would type it; then the service's check (which the designer shows) on a seeded registry.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import Cli
from fastapi.testclient import TestClient
from service_support import service_settings, spec_document

from labelgen.compliance.registry_rules import Registration, batch_command, registry_findings
from labelgen.errors import RegistryInputError
from labelgen.registry import Registry, RegistrySettings
from labelgen.registry.testing import seed_registry, temporary_database
from labelgen.service.app import create_app
from labelgen.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hat-sen-say.yaml"
BASE_URL = "https://truyxuat.example.vn"
AS_OF = "2026-12-01"
REGISTRY_RULES = {"OCOP-REGISTRY-CERTIFICATE", "OCOP-REGISTRY-PRODUCT", "OCOP-REGISTRY-BATCH"}


class CheckingCli(Cli):
    """The command line, with the check every test of a first run makes."""

    def check(self) -> dict[str, Any]:
        """`labelgen check EXAMPLE --json`: the report, which must stay compliant (exit 0)."""
        assert self("check", str(EXAMPLE), "--json", "--as-of", AS_OF) == 0, self.stderr
        report: dict[str, Any] = json.loads(self.stdout)
        assert report["compliant"] is True
        return report


@pytest.fixture
def cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CheckingCli:
    monkeypatch.setenv("LABELGEN_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "LABELGEN_DATABASE_URL",
        "LABELGEN_SIGNING_KEY_DIR",
        "LABELGEN_SCAN_SALT",
        "LABELGEN_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return CheckingCli(capsys, monkeypatch)


def registry_warnings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's registry findings by rule id."""
    return {
        finding["rule"]: finding
        for finding in report["findings"]
        if finding["rule"] in REGISTRY_RULES
    }


def certificate_arguments() -> list[str]:
    """`registry certificate add` options with the example's own certification."""
    spec = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    certification, producer, product = spec["certification"], spec["producer"], spec["product"]
    return [
        "--certificate-no", certification["certificate_no"],
        "--stars", str(certification["stars"]),
        "--decision-no", certification["decision_no"],
        "--issued-by", certification["issued_by"],
        "--issued-on", str(certification["issued_on"]),
        "--producer", producer["name"],
        "--address", producer["address"],
        "--product", product["name"],
        "--gtin", product["gtin"],
    ]  # fmt: skip


def test_a_first_print_run_from_an_empty_machine(cli: CheckingCli, tmp_path: Path) -> None:
    # No registry here yet: checking a label does not need one, and says nothing about it.
    assert registry_warnings(cli.check()) == {}
    assert not (tmp_path / "data").exists()

    producer_name = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["producer"]["name"]
    address = "Ấp 3, xã Tháp Mười, tỉnh Đồng Tháp"
    assert cli("registry", "init", "--producer", producer_name, "--address", address) == 0
    assert "registry ready" in cli.stdout and "signing key" in cli.stdout
    producer = cli.stdout.splitlines()[-1]
    assert producer.startswith("lgk_") and "shown only now" in cli.stderr
    assert cli("registry", "init") == 0  # again: nothing new, the key stays
    assert "signing key" not in cli.stdout
    assert cli("registry", "keys", "list") == 0
    assert len(cli.stdout.splitlines()) == 1 and "(signs new codes)" in cli.stdout

    # A registry nobody uses yet (no certificate at all) warns about nothing.
    assert registry_warnings(cli.check()) == {}

    assert cli("registry", "key", "create", "--role", "issuer") == 0
    issuer = cli.stdout.strip()
    assert cli("registry", "certificate", "add", *certificate_arguments(), key=issuer) == 0
    # In use now: the batch is not registered, so the QR code would answer "not in the system".
    # Told, not refused.
    warnings = registry_warnings(cli.check())
    assert set(warnings) == {"OCOP-REGISTRY-BATCH"}
    assert warnings["OCOP-REGISTRY-BATCH"]["field"] == "product.batch"
    assert warnings["OCOP-REGISTRY-BATCH"]["severity"] == "warning"
    assert "L261120" in warnings["OCOP-REGISTRY-BATCH"]["message_vi"]
    assert batch_command(str(EXAMPLE)) in warnings["OCOP-REGISTRY-BATCH"]["message_vi"]
    assert cli("check", str(EXAMPLE), "--as-of", AS_OF) == 0
    assert "OCOP-REGISTRY-BATCH" in cli.stdout and "CẢNH BÁO / WARNINGS" in cli.stdout

    # A label citing a certificate and GTIN the registry does not hold is told so, field by field.
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["certification"]["certificate_no"] = "OCOP-DT-2024-9999"
    document["product"]["gtin"] = "8936012345698"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert cli("check", str(other), "--json", "--as-of", AS_OF) == 0
    warnings = registry_warnings(json.loads(cli.stdout))
    assert set(warnings) == {"OCOP-REGISTRY-CERTIFICATE", "OCOP-REGISTRY-PRODUCT"}
    assert warnings["OCOP-REGISTRY-CERTIFICATE"]["field"] == "certification.certificate_no"
    assert "OCOP-DT-2024-9999" in warnings["OCOP-REGISTRY-CERTIFICATE"]["message_vi"]
    assert warnings["OCOP-REGISTRY-PRODUCT"]["field"] == "product.gtin"
    assert batch_command(str(other)) in warnings["OCOP-REGISTRY-PRODUCT"]["message_en"]

    assert cli("registry", "batch", "add", "--from-spec", str(EXAMPLE), key=producer) == 0
    # The spec's shelf life of 12 months from NSX 20/11/2026 is the batch's HSD.
    assert "batch L261120" in cli.stdout and "HSD 2027-11-20" in cli.stdout
    assert cli("registry", "batch", "add", "--from-spec", str(EXAMPLE), key=producer) == 0
    assert registry_warnings(cli.check()) == {}

    # Ready to print: the serials are signed with the key `init` made, and read valid.
    out = tmp_path / "units.csv"
    allocate = ["registry", "serials", "allocate", "--product", "8936012345674", "--batch"]
    assert cli(*allocate, "L261120", "--count", "2", "--base-url", BASE_URL, "--out", str(out),
               key=producer) == 0  # fmt: skip
    url = next(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))["url"]
    assert cli("verify", url) == 0 and cli.stdout.startswith("VALID")


def test_batch_add_names_what_is_missing_or_doubled(cli: CheckingCli) -> None:
    assert cli("registry", "init", "--no-key") == 0
    assert "signing key" not in cli.stdout
    assert cli("registry", "key", "create", "--role", "producer", "--producer", "P", "--address",
               "Hà Nội") == 0  # fmt: skip
    producer = cli.stdout.strip()
    assert cli("registry", "batch", "add", "--code", "L1", key=producer) == 2
    assert "--product" in cli.stderr and "--from-spec" in cli.stderr
    arguments = ["registry", "batch", "add", "--from-spec", str(EXAMPLE), "--code", "L2"]
    assert cli(*arguments, key=producer) == 2
    assert "--code" in cli.stderr


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    with temporary_database("sqlite", tmp_path) as database_url:
        registry = Registry(RegistrySettings(database_url, tmp_path / "keys", b"salt"))
        try:
            yield registry
        finally:
            registry.close()


def test_a_spec_batch_that_cannot_be_coded_is_refused_naming_the_spec_field(
    registry: Registry,
) -> None:
    seed = seed_registry(registry)
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    document["product"]["batch"] = "LÔ 1"  # not GS1's character set 82
    spec = parse_spec(json.loads(json.dumps(document, default=str)))
    with pytest.raises(RegistryInputError) as raised:
        registry.register_batch_from_spec(seed.producer, spec)
    assert [problem.field for problem in raised.value.problems] == ["product.batch"]


def test_a_spec_without_gtin_is_matched_through_its_certificate(registry: Registry) -> None:
    seed = seed_registry(registry)
    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    del document["product"]["gtin"]
    spec = parse_spec(json.loads(json.dumps(document, default=str)))
    assert registry.registration(spec) == Registration("registered", None, True)
    document["product"]["batch"] = "L999"
    other_batch = parse_spec(json.loads(json.dumps(document, default=str)))
    assert registry.registration(other_batch) == Registration("registered", None, False)
    (finding,) = registry_findings(other_batch, registry.registration(other_batch))
    assert (finding.rule, finding.field) == ("OCOP-REGISTRY-BATCH", "product.batch")
    batch = registry.register_batch_from_spec(seed.producer, other_batch)
    assert (batch.code, batch.expires_on) == ("L999", dt.date(2027, 11, 20))
    assert registry.registration(other_batch).batch_registered is True


def test_the_service_check_warns_about_what_the_registry_lacks(registry: Registry) -> None:
    app = create_app(service_settings(render_workers=1), registry=registry)
    with TestClient(app) as client:

        def warnings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
            response = client.post("/api/v1/check", json=document)
            assert response.status_code == 200, response.text
            assert response.json()["compliant"] is True
            return registry_warnings(response.json())

        assert warnings(spec_document()) == {}  # a registry nobody uses yet
        seed_registry(registry)
        assert warnings(spec_document()) == {}
        unknown = spec_document()
        unknown["product"]["gtin"] = "8936012345698"
        unknown_warnings = warnings(unknown)
        assert set(unknown_warnings) == {"OCOP-REGISTRY-CERTIFICATE", "OCOP-REGISTRY-PRODUCT"}
        assert batch_command("SPEC") in unknown_warnings["OCOP-REGISTRY-PRODUCT"]["message_en"]
        other_batch = spec_document()
        other_batch["product"]["batch"] = "L999"
        assert set(warnings(other_batch)) == {"OCOP-REGISTRY-BATCH"}
        foreign = spec_document()
        foreign["certification"]["certificate_no"] = "OCOP-HN-2025-0042"  # another product's
        (finding,) = warnings(foreign).values()
        assert finding["field"] == "certification.certificate_no"
        assert "another product" in finding["message_en"]
