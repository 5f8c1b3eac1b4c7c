"""Registry settings: LABELGEN_* environment variables → where the database, signing keys and scan salt live."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from labelgen.errors import RegistryError

DATABASE_URL_VARIABLE = "LABELGEN_DATABASE_URL"
DATA_DIR_VARIABLE = "LABELGEN_DATA_DIR"
KEY_DIR_VARIABLE = "LABELGEN_SIGNING_KEY_DIR"
KEY_PASSPHRASE_VARIABLE = "LABELGEN_SIGNING_KEY_PASSPHRASE"
SCAN_SALT_VARIABLE = "LABELGEN_SCAN_SALT"

DATABASE_FILE_NAME = "labelgen.db"
KEY_DIR_NAME = "signing-keys"
SCAN_SALT_FILE_NAME = "scan-salt"
SCAN_SALT_BYTES = 32


@dataclass(frozen=True)
class RegistrySettings:
    """Where one registry keeps its state.

    `database_url` is a SQLAlchemy URL: the embedded SQLite file by default, or
    `postgresql+psycopg://…` for deployments with several service instances.
    `key_dir` holds the Ed25519 private keys, one PEM file per key id, outside the database so
    that a database dump or backup cannot forge codes; every instance that signs needs it, while
    verification needs only the public keys, which are in the database.
    `scan_salt` keys the hash of a scanner's network prefix; it is kept outside the database too,
    since with it a /24 prefix hash is reversed by trying all 2^24 prefixes. Every instance of a
    deployment must share it, or the "may be a copy" counts split between instances.
    """

    database_url: str
    key_dir: Path
    scan_salt: bytes
    key_passphrase: bytes | None = None

    @classmethod
    def from_environment(cls) -> RegistrySettings:
        """Settings from LABELGEN_DATABASE_URL, LABELGEN_DATA_DIR, LABELGEN_SIGNING_KEY_DIR,
        LABELGEN_SIGNING_KEY_PASSPHRASE and LABELGEN_SCAN_SALT, with files under the data dir."""
        return registry_settings(
            data_dir=None,
            database_url=os.environ.get(DATABASE_URL_VARIABLE),
            key_dir=None,
            key_passphrase=os.environ.get(KEY_PASSPHRASE_VARIABLE),
            scan_salt_hex=os.environ.get(SCAN_SALT_VARIABLE),
        )


def registry_settings(
    *,
    data_dir: Path | None,
    database_url: str | None,
    key_dir: Path | None,
    key_passphrase: str | None,
    scan_salt_hex: str | None,
) -> RegistrySettings:
    """Settings from explicit values; a None is the LABELGEN_* variable's value or its default."""
    data_dir = data_dir or default_data_dir()
    key_dir = key_dir or Path(os.environ.get(KEY_DIR_VARIABLE) or data_dir / KEY_DIR_NAME)
    return RegistrySettings(
        database_url=database_url or sqlite_url(data_dir / DATABASE_FILE_NAME),
        key_dir=key_dir,
        scan_salt=load_scan_salt(data_dir, scan_salt_hex),
        key_passphrase=key_passphrase.encode("utf-8") if key_passphrase else None,
    )


def default_data_dir() -> Path:
    """$LABELGEN_DATA_DIR, else the platform's per-user data folder followed by `labelgen`."""
    configured = os.environ.get(DATA_DIR_VARIABLE)
    if configured:
        return Path(configured)
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "labelgen"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "labelgen"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "labelgen"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path.resolve()}"


def load_scan_salt(data_dir: Path, configured: str | None = None) -> bytes:
    """`configured` or $LABELGEN_SCAN_SALT (hex), else the salt file in the data dir, made on first use."""
    configured = configured or os.environ.get(SCAN_SALT_VARIABLE)
    if configured:
        try:
            return bytes.fromhex(configured)
        except ValueError:
            raise RegistryError(f"{SCAN_SALT_VARIABLE}: must be hexadecimal") from None
    path = data_dir / SCAN_SALT_FILE_NAME
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return _write_new_salt(path)
    except (OSError, ValueError) as error:
        raise RegistryError(f"cannot read the scan salt {path}: {error}") from None


def _write_new_salt(path: Path) -> bytes:
    salt = secrets.token_bytes(SCAN_SALT_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(salt.hex())
        # A hard link appears whole or not at all: when two processes start at once, one salt
        # wins and the other process reads it, never a half-written file.
        os.link(temporary, path)
    except FileExistsError:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except OSError as error:
        raise RegistryError(f"cannot write the scan salt {path}: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return salt
