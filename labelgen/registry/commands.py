"""Registry commands: `labelgen registry …` and `labelgen verify` arguments → registry calls, output, exit codes.

Commands that act for an issuer or a producer read the API key from LABELGEN_API_KEY (an
environment variable, not an argument, so it does not show in the process list or the shell
history). Key management (`key`, `keys`) and `init` act as the operator, who has the database.
Heavy imports happen inside the handlers, so `labelgen --help` stays fast.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelgen.cli import BASE_URL_VARIABLE, EXIT_OK
from labelgen.errors import LabelgenError, RegistryError
from labelgen.files import write_atomically

if TYPE_CHECKING:
    from labelgen.compliance.report import Finding
    from labelgen.registry.apikeys import NewApiKey, Principal
    from labelgen.registry.records import CertificateRecord
    from labelgen.registry.service import Registry
    from labelgen.registry.settings import RegistrySettings
    from labelgen.spec import LabelSpec

API_KEY_VARIABLE = "LABELGEN_API_KEY"
EXIT_NOT_VALID = 1


def add_registry_commands(commands: Any) -> None:
    """Add `registry` and its subcommands to the `labelgen` subparsers."""
    registry = commands.add_parser(
        "registry",
        help="certificate registry: keys, certificates, products, batches, serials",
        description="Administer the certificate registry (LABELGEN_DATABASE_URL, or the "
        "embedded SQLite file under LABELGEN_DATA_DIR). Issuer and producer commands read "
        f"the API key from {API_KEY_VARIABLE}.",
    )
    groups = registry.add_subparsers(dest="registry_command", required=True, metavar="COMMAND")
    init = groups.add_parser(
        "init",
        help="create or upgrade the registry database and make its first signing key",
        description="Creates (or upgrades) the registry database and, when it has never had "
        "one, its first Ed25519 signing key, so that serialised codes can be signed at once.",
    )
    init.add_argument(
        "--no-key", action="store_true", help="only the database: make no signing key"
    )
    init.add_argument(
        "--producer",
        metavar="NAME",
        help="also make this producer's API key (printed once), as `key create` does",
    )
    init.add_argument("--address", help="the producer's address, when it is new")
    init.set_defaults(handler=_init)
    _add_api_key_commands(groups)
    _add_signing_key_commands(groups)
    _add_certificate_commands(groups)
    _add_product_commands(groups)
    _add_batch_commands(groups)
    _add_serial_commands(groups)
    _add_report_commands(groups)
    history = groups.add_parser("history", help="check the certificate history's hash chain")
    history_commands = history.add_subparsers(dest="history_command", required=True)
    history_commands.add_parser("verify", help="check the chain").set_defaults(
        handler=_verify_history
    )


def add_verify_command(commands: Any) -> None:
    """Add `verify URL`: check a code's signature offline with the published public keys."""
    verify = commands.add_parser(
        "verify",
        help="check a QR code URL without the network",
        description="Gives the verdict a scan of the code gets (valid, certified, unknown, "
        "invalid-signature, expired, revoked, suspended) from the local registry's database, "
        "without recording a scan; with --keys, from the Ed25519 signature (GS1 AI 8030) and "
        "the published keys alone. Exit 0 only for valid; 1 for any other verdict; 2 when the "
        "URL or the keys file cannot be read.",
    )
    verify.add_argument("url", help="the URL the QR code holds")
    verify.add_argument(
        "--keys",
        metavar="FILE",
        help="judge by the signature alone with this published keys document (a path or a "
        "file:// URL); default: the full verdict of the local registry",
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(handler=_verify)


def _add_api_key_commands(groups: Any) -> None:
    key = groups.add_parser("key", help="API keys for issuers and producers")
    actions = key.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="make an API key; it is printed once")
    create.add_argument("--role", required=True, choices=("issuer", "producer"))
    create.add_argument("--producer", metavar="NAME", help="the producer the key acts for")
    create.add_argument("--address", help="the producer's address, when it is new")
    create.add_argument("--phone", help="the producer's phone, when it is new")
    create.add_argument("--description", help="a note to tell keys apart")
    create.set_defaults(handler=_create_api_key)
    revoke = actions.add_parser("revoke", help="stop an API key from working")
    revoke.add_argument("key_id", help="the key's id (the part after lgk_)")
    revoke.set_defaults(handler=_revoke_api_key)


def _add_signing_key_commands(groups: Any) -> None:
    keys = groups.add_parser("keys", help="Ed25519 keys that sign the QR codes")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    actions.add_parser("rotate", help="make a new signing key").set_defaults(handler=_rotate)
    retire = actions.add_parser("retire", help="stop a key from verifying (final)")
    retire.add_argument("kid", help="the key id")
    retire.set_defaults(handler=_retire)
    listing = actions.add_parser("list", help="list the signing keys")
    listing.add_argument("--json", action="store_true", help="print the public keys document")
    listing.set_defaults(handler=_list_signing_keys)


def _add_certificate_commands(groups: Any) -> None:
    certificate = groups.add_parser("certificate", help="OCOP certificates (issuers)")
    actions = certificate.add_subparsers(dest="certificate_command", required=True)
    add = actions.add_parser("add", help="register a certificate")
    add.add_argument("--certificate-no", required=True)
    add.add_argument("--stars", required=True, type=int, choices=(3, 4, 5))
    add.add_argument("--decision-no", required=True)
    add.add_argument("--issued-by", required=True)
    add.add_argument("--issued-on", required=True, metavar="YYYY-MM-DD")
    add.add_argument("--valid-until", metavar="YYYY-MM-DD", help="default: 36 months on")
    add.add_argument("--province")
    add.add_argument("--producer", required=True, metavar="NAME")
    add.add_argument("--address", required=True, help="the producer's address")
    add.add_argument("--phone", help="the producer's phone")
    add.add_argument("--product", required=True, metavar="NAME")
    add.add_argument("--gtin", help="the product's GTIN")
    add.set_defaults(handler=_add_certificate)
    show = actions.add_parser("show", help="print a certificate")
    show.add_argument("certificate_no")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show_certificate)
    for action, help_text in (
        ("revoke", "revoke a certificate for good"),
        ("suspend", "suspend a certificate"),
        ("reinstate", "lift a suspension"),
    ):
        change = actions.add_parser(action, help=help_text)
        change.add_argument("certificate_no")
        change.add_argument("--reason", help="kept in the certificate's history")
        change.set_defaults(handler=_change_status, action=action)
    renew = actions.add_parser("renew", help="record a re-recognition")
    renew.add_argument("certificate_no")
    renew.add_argument("--decision-no", required=True)
    renew.add_argument("--issued-on", required=True, metavar="YYYY-MM-DD")
    renew.add_argument("--valid-until", metavar="YYYY-MM-DD", help="default: 36 months on")
    renew.add_argument("--stars", type=int, choices=(3, 4, 5))
    renew.add_argument("--issued-by")
    renew.add_argument("--reason", help="kept in the certificate's history")
    renew.set_defaults(handler=_renew_certificate)
    history = actions.add_parser("history", help="print a certificate's history")
    history.add_argument("certificate_no")
    history.set_defaults(handler=_certificate_history)


def _add_product_commands(groups: Any) -> None:
    product = groups.add_parser("product", help="your products (producers)")
    actions = product.add_subparsers(dest="product_command", required=True)
    add = actions.add_parser("add", help="register a product")
    add.add_argument("--name", required=True)
    add.add_argument("--gtin")
    add.set_defaults(handler=_add_product)
    actions.add_parser("list", help="list your products").set_defaults(handler=_list_products)


def _add_batch_commands(groups: Any) -> None:
    batch = groups.add_parser("batch", help="production batches (producers)")
    actions = batch.add_subparsers(dest="batch_command", required=True)
    add = actions.add_parser(
        "add",
        help="register a batch of one of your products",
        description="Give --product and --code (and the dates), or --from-spec SPEC to take "
        "the GTIN, batch, NSX and HSD from a label spec and register its product too when it "
        "is not yet yours.",
    )
    add.add_argument("--from-spec", metavar="SPEC", help="a label spec (.json, .yaml, .yml)")
    add.add_argument("--product", metavar="GTIN", help="the product's GTIN")
    add.add_argument("--code", help="the batch code (AI 10)")
    add.add_argument("--manufactured-on", metavar="YYYY-MM-DD", help="NSX")
    add.add_argument("--expires-on", metavar="YYYY-MM-DD", help="HSD")
    add.set_defaults(handler=_add_batch)


def _add_serial_commands(groups: Any) -> None:
    serials = groups.add_parser("serials", help="unit serials (producers)")
    actions = serials.add_subparsers(dest="serials_command", required=True)
    allocate = actions.add_parser("allocate", help="give a batch new unique serials")
    allocate.add_argument("--product", required=True, metavar="GTIN", help="the product's GTIN")
    allocate.add_argument("--batch", required=True, metavar="CODE", help="the batch code")
    allocate.add_argument("--count", required=True, type=int, metavar="N")
    allocate.add_argument(
        "--request-id", help="repeat it to get the same serials back instead of new ones"
    )
    allocate.add_argument(
        "--base-url",
        help=f"add each unit's signed QR URL under this base (or set {BASE_URL_VARIABLE})",
    )
    allocate.add_argument("--out", metavar="FILE.csv", help="write a CSV file (default: stdout)")
    allocate.set_defaults(handler=_allocate_serials)


# --- handlers -------------------------------------------------------------------------------


def _add_report_commands(groups: Any) -> None:
    reports = groups.add_parser("reports", help="consumers' counterfeit reports (issuers)")
    actions = reports.add_subparsers(dest="reports_command", required=True)
    listing = actions.add_parser("list", help="list the reports, newest first")
    listing.add_argument("--gtin", help="only the reports of this GTIN")
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    listing.set_defaults(handler=_list_reports)


@contextmanager
def _open_registry() -> Iterator[Registry]:
    from sqlalchemy.exc import SQLAlchemyError

    from labelgen.registry.service import Registry
    from labelgen.registry.settings import RegistrySettings

    registry = Registry(RegistrySettings.from_environment())
    try:
        yield registry
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise RegistryError(
            f"the registry database failed ({reason}); "
            "run `labelgen registry init` if it was never set up"
        ) from None
    finally:
        registry.close()


def _principal(registry: Registry) -> Principal:
    presented = os.environ.get(API_KEY_VARIABLE)
    if not presented:
        raise RegistryError(f"set {API_KEY_VARIABLE} to your API key to do this")
    return registry.authenticate(presented)


def _init(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        registry.migrate()
        print(f"registry ready: {_safe_url(registry.settings.database_url)}")
        key = None if arguments.no_key else registry.ensure_signing_key()
        if key is not None:
            print(f"signing key {key.kid} made; new codes are signed with it")
            print(f"private key: {registry.settings.key_dir / (key.kid + '.pem')}")
        if arguments.producer is not None:
            new_key = registry.create_api_key(
                "producer", arguments.producer, address=arguments.address
            )
            _print_new_api_key(new_key)
    return EXIT_OK


def _create_api_key(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        new_key = registry.create_api_key(
            arguments.role,
            arguments.producer,
            address=arguments.address,
            phone=arguments.phone,
            description=arguments.description,
        )
    _print_new_api_key(new_key)
    return EXIT_OK


def _print_new_api_key(new_key: NewApiKey) -> None:
    """The secret on the last line of stdout, what it is on stderr."""
    holder = f"producer {new_key.producer_name}" if new_key.producer_name else "an issuer"
    print(
        f"API key {new_key.key_id} for {holder}; it is shown only now, store it safely:",
        file=sys.stderr,
    )
    print(new_key.secret)


def _revoke_api_key(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        registry.revoke_api_key(arguments.key_id)
    print(f"API key {arguments.key_id} revoked")
    return EXIT_OK


def _rotate(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        info = registry.rotate_signing_key()
        print(f"signing key {info.kid} made; new codes are signed with it")
        print(f"private key: {registry.settings.key_dir / (info.kid + '.pem')}")
    return EXIT_OK


def _retire(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        registry.retire_signing_key(arguments.kid)
    print(f"signing key {arguments.kid} retired: codes signed with it no longer verify")
    return EXIT_OK


def _list_signing_keys(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        if arguments.json:
            print(json.dumps(registry.public_keys_document(), indent=2))
            return EXIT_OK
        keys = registry.list_signing_keys()
    if not keys:
        print("no signing keys yet: make one with `labelgen registry keys rotate`")
    for key in keys:
        retired = f", retired {key.retired_at:%Y-%m-%d}" if key.retired_at else ""
        signs = " (signs new codes)" if key.signs else ""
        print(f"{key.kid}  {key.status}  created {key.created_at:%Y-%m-%d}{retired}{signs}")
    return EXIT_OK


def _add_certificate(arguments: argparse.Namespace) -> int:
    from labelgen.registry.inputs import CertificateInput, parse_input

    request = parse_input(
        CertificateInput,
        _without_none(
            {
                "certificate_no": arguments.certificate_no,
                "stars": arguments.stars,
                "decision_no": arguments.decision_no,
                "issued_by": arguments.issued_by,
                "issued_on": arguments.issued_on,
                "valid_until": arguments.valid_until,
                "province": arguments.province,
                "producer": _without_none(
                    {
                        "name": arguments.producer,
                        "address": arguments.address,
                        "phone": arguments.phone,
                    }
                ),
                "product": _without_none({"name": arguments.product, "gtin": arguments.gtin}),
            }
        ),
    )
    with _open_registry() as registry:
        record = registry.register_certificate(_principal(registry), request)
    print(_describe_certificate(record))
    return EXIT_OK


def _show_certificate(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        record = registry.get_certificate(arguments.certificate_no)
    print(_to_json(record) if arguments.json else _describe_certificate(record))
    return EXIT_OK


def _change_status(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        principal = _principal(registry)
        change = {
            "revoke": registry.revoke_certificate,
            "suspend": registry.suspend_certificate,
            "reinstate": registry.reinstate_certificate,
        }[arguments.action]
        record = change(principal, arguments.certificate_no, arguments.reason)
    print(_describe_certificate(record))
    return EXIT_OK


def _renew_certificate(arguments: argparse.Namespace) -> int:
    from labelgen.registry.inputs import RenewalInput, parse_input

    renewal = parse_input(
        RenewalInput,
        _without_none(
            {
                "decision_no": arguments.decision_no,
                "issued_on": arguments.issued_on,
                "valid_until": arguments.valid_until,
                "stars": arguments.stars,
                "issued_by": arguments.issued_by,
            }
        ),
    )
    with _open_registry() as registry:
        record = registry.renew_certificate(
            _principal(registry), arguments.certificate_no, renewal, arguments.reason
        )
    print(_describe_certificate(record))
    return EXIT_OK


def _certificate_history(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        entries = registry.certificate_history(_principal(registry), arguments.certificate_no)
    for entry in entries:
        reason = f" — {entry.reason}" if entry.reason else ""
        print(
            f"#{entry.sequence}  {entry.occurred_at:%Y-%m-%d %H:%M:%S}Z  {entry.action:<11}"
            f"{entry.actor}  status {entry.state.get('status')}, {entry.state.get('stars')}★, "
            f"valid until {entry.state.get('valid_until')}{reason}"
        )
    return EXIT_OK


def _verify_history(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        report = registry.verify_history()
    if report.intact:
        print(f"history intact: {report.events_checked} events, head {report.head_hash}")
        return EXIT_OK
    print(f"history BROKEN ({len(report.problems)} problems):", file=sys.stderr)
    for problem in report.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_NOT_VALID


def _add_product(arguments: argparse.Namespace) -> int:
    from labelgen.registry.inputs import ProductInput, parse_input

    request = parse_input(
        ProductInput, _without_none({"name": arguments.name, "gtin": arguments.gtin})
    )
    with _open_registry() as registry:
        product = registry.register_product(_principal(registry), request)
    print(f"product {product.name} (GTIN {product.gtin or 'none'}) of {product.producer}")
    return EXIT_OK


def _list_products(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        products = registry.list_products(_principal(registry))
    for product in products:
        print(f"{product.gtin or '-':<14}  {product.name}  ({product.producer})")
    return EXIT_OK


def _list_reports(arguments: argparse.Namespace) -> int:
    with _open_registry() as registry:
        reports = registry.list_fake_reports(_principal(registry), arguments.gtin)
    for report in reports:
        if arguments.json:
            print(json.dumps(asdict(report), ensure_ascii=False, default=_json_default))
            continue
        when = report.created_at.isoformat(timespec="seconds")
        text = f"  “{report.text}”" if report.text else ""
        print(f"{when}  {report.status:<17}  {report.reason:<17}  {report.code_url}{text}")
    return EXIT_OK


def _add_batch(arguments: argparse.Namespace) -> int:
    from labelgen.registry.inputs import BatchInput, parse_input

    if arguments.from_spec is not None:
        return _add_batch_from_spec(arguments)
    missing = [
        option
        for option, value in (("--product", arguments.product), ("--code", arguments.code))
        if value is None
    ]
    if missing:
        raise LabelgenError(f"{' and '.join(missing)}: required without --from-spec")
    request = parse_input(
        BatchInput,
        _without_none(
            {
                "code": arguments.code,
                "manufactured_on": arguments.manufactured_on,
                "expires_on": arguments.expires_on,
            }
        ),
    )
    with _open_registry() as registry:
        batch = registry.register_batch(_principal(registry), arguments.product, request)
    print(
        f"batch {batch.code} of {batch.product.name}: NSX {batch.manufactured_on or '-'}, "
        f"HSD {batch.expires_on or '-'}"
    )
    return EXIT_OK


def _add_batch_from_spec(arguments: argparse.Namespace) -> int:
    from labelgen.spec import load_spec

    given = [option for option in ("product", "code", "manufactured_on", "expires_on")
             if getattr(arguments, option) is not None]  # fmt: skip
    if given:
        options = ", ".join("--" + option.replace("_", "-") for option in given)
        raise LabelgenError(f"{options}: the spec gives these with --from-spec")
    spec = load_spec(arguments.from_spec)
    with _open_registry() as registry:
        batch = registry.register_batch_from_spec(_principal(registry), spec)
    print(
        f"batch {batch.code} of {batch.product.name} (GTIN {batch.product.gtin or 'none'}): "
        f"NSX {batch.manufactured_on or '-'}, HSD {batch.expires_on or '-'}"
    )
    return EXIT_OK


def _allocate_serials(arguments: argparse.Namespace) -> int:
    from labelgen.registry.inputs import AllocationInput, parse_input

    request = parse_input(
        AllocationInput,
        _without_none({"count": arguments.count, "request_id": arguments.request_id}),
    )
    base_url = arguments.base_url or os.environ.get(BASE_URL_VARIABLE)
    with _open_registry() as registry:
        principal = _principal(registry)
        allocation = registry.allocate_serials(
            principal, arguments.product, arguments.batch, request
        )
        urls = (
            registry.signed_unit_urls(
                principal, arguments.product, arguments.batch, allocation.serials, base_url
            )
            if base_url
            else None
        )
    table = _serials_csv(allocation.serials, urls)
    if arguments.out:
        write_atomically(Path(arguments.out), table.encode("utf-8"))
        again = "" if allocation.created else " (the same as for this request id before)"
        print(f"{len(allocation.serials)} serials{again} → {arguments.out}")
    else:
        sys.stdout.write(table)
    return EXIT_OK


def _verify(arguments: argparse.Namespace) -> int:
    from labelgen.registry.lookup import signature_verdict, verification_document
    from labelgen.registry.signing import KID_CHARS
    from labelgen.registry.verify import parse_unit_url, verify_offline

    if arguments.keys is None:
        # Parsed first: a URL that is not a code is a usage error (exit 2), as with --keys.
        parse_unit_url(arguments.url)
        with _open_registry() as registry:
            verification = registry.verdict(arguments.url)
        document = verification_document(verification)
        status, reason, code = verification.status, verification.reason, verification.code
        detail = VERDICT_DETAILS[reason]
        kid = code.signature[:KID_CHARS] if code is not None and code.signature else None
    else:
        keys = _load_keys(arguments.keys)
        result = verify_offline(arguments.url, keys)
        status, reason = signature_verdict(result.code, result.status, signs_units=bool(keys))
        code, kid, detail = result.code, result.kid, result.detail
        document = {"status": status, "signature": result.status, "reason": reason}
    assert code is not None
    if arguments.json:
        document.update({"kid": kid, "detail": detail, "code": asdict(code)})
        print(json.dumps(document, ensure_ascii=False))
    else:
        print(f"{status.upper().replace('-', ' ')}: {detail}")
        print(
            f"  GTIN {code.gtin14 or '-'}  batch {code.batch or '-'}  serial {code.serial or '-'}"
        )
        if code.expiry_yymmdd:
            print(f"  expiry (17) {code.expiry_yymmdd}")
        if code.stars is not None:
            print(f"  OCOP {code.stars}★")
        if code.certificate_no is not None:
            print(f"  certificate {code.certificate_no}")
        if kid is not None:
            print(f"  signed with key {kid}")
    return EXIT_OK if status == "valid" else EXIT_NOT_VALID


def registry_check_findings(spec: LabelSpec, spec_name: str) -> list[Finding]:
    """The warnings of `labelgen check` on what the configured registry does not know of the
    label (labelgen.compliance.registry_rules); none when no registry is set up here, so that
    checking a label never needs one. A registry that cannot be read is said on stderr."""
    from labelgen.compliance.registry_rules import registry_findings

    settings = configured_registry_settings()
    if settings is None:
        return []
    from sqlalchemy.exc import SQLAlchemyError

    from labelgen.registry.service import Registry

    registry = Registry(settings)
    try:
        registration = registry.registration(spec)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"the registry was not consulted ({reason})", file=sys.stderr)
        return []
    finally:
        registry.close()
    return registry_findings(spec, registration, spec_name)


def configured_registry_settings() -> RegistrySettings | None:
    """Settings to read the registry when one is set up here (LABELGEN_DATABASE_URL, or the
    embedded database file in the data dir), else None; never creates anything."""
    from labelgen.registry.settings import (
        DATABASE_FILE_NAME,
        DATABASE_URL_VARIABLE,
        KEY_DIR_NAME,
        RegistrySettings,
        default_data_dir,
        sqlite_url,
    )

    database_file = default_data_dir() / DATABASE_FILE_NAME
    database_url = os.environ.get(DATABASE_URL_VARIABLE) or (
        sqlite_url(database_file) if database_file.is_file() else None
    )
    if database_url is None:
        return None
    # Only read: neither a signing key nor the scan salt is used, so no salt file is made.
    return RegistrySettings(database_url, default_data_dir() / KEY_DIR_NAME, scan_salt=b"")


# What `labelgen verify` prints for each reason of a verdict.
VERDICT_DETAILS: dict[str, str] = {
    "signed-unit": "a unit the registry issued, correctly signed, certificate in force",
    "no-serial": "a registered product and batch, certificate in force; the code does not "
    "identify one package, so it cannot prove this one genuine",
    "unsigned-unit": "a registered unit whose code carries no signature; certificate in force, "
    "but the code cannot prove this package genuine",
    "certificate": "the product's certificate is not in force (see the status)",
    "unreadable": "not a code of this registry",
    "unknown-product": "no registered product has this GTIN or certificate",
    "no-batch": "the code names no batch, so nothing the registry can vouch for",
    "unknown-batch": "the product is registered, this batch is not",
    "unknown-serial": "this serial was not issued for this batch",
    "no-certificate": "the product has no certificate in the registry",
    "signature-missing": "a serialised unit of a registry that signs its units, without its "
    "signature (AI 8030)",
    "signature-wrong": "the signature does not match the code: it was altered or forged",
    "key-not-valid": "signed with a key that is retired or not published",
}


# --- helpers --------------------------------------------------------------------------------


def _load_keys(source: str | None) -> Any:
    from labelgen.registry.signing import keys_from_document

    if source is None:
        with _open_registry() as registry:
            return keys_from_document(registry.public_keys_document())
    path = Path(source.removeprefix("file://")) if not source.startswith("http") else None
    if path is None:
        raise LabelgenError(
            "--keys: give a file (or file:// URL); verify works offline and fetches nothing"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LabelgenError(f"--keys: cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise LabelgenError(f"--keys: {path} is not JSON: {error}") from None
    try:
        return keys_from_document(document)
    except ValueError as error:
        raise LabelgenError(f"--keys: {error}") from None


def _serials_csv(serials: tuple[str, ...], urls: list[str] | None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["serial", "url"] if urls else ["serial"])
    for position, serial in enumerate(serials):
        writer.writerow([serial, urls[position]] if urls else [serial])
    return buffer.getvalue()


def _describe_certificate(record: CertificateRecord) -> str:
    gtin = f", GTIN {record.product.gtin}" if record.product.gtin else ""
    return (
        f"{record.certificate_no}  {record.status}  {record.stars}★ OCOP\n"
        f"  product   {record.product.name}{gtin}\n"
        f"  producer  {record.producer.name}, {record.producer.address}\n"
        f"  decision  {record.decision_no} of {record.issued_on}, {record.issued_by}\n"
        f"  valid     {record.issued_on} to {record.valid_until}"
    )


def _to_json(record: Any) -> str:
    assert is_dataclass(record) and not isinstance(record, type)
    return json.dumps(asdict(record), ensure_ascii=False, indent=2, default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _without_none(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if value is not None}


def _safe_url(database_url: str) -> str:
    from sqlalchemy import make_url

    return make_url(database_url).render_as_string(hide_password=True)
