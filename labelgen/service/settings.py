"""Service settings: LABELGEN_* environment variables and command-line overrides → a validated Settings."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, StringConstraints, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from labelgen.logos import DEFAULT_MAX_PIXELS
from labelgen.traceability import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from labelgen.registry.settings import RegistrySettings

# The default number of server processes is one per core, up to this many.
MAX_DEFAULT_WORKERS = 8

HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[!-~]*)?$")]


class Settings(BaseSettings):
    """What one running service is allowed to do; built when the app is created, not at import.

    Every field can be set by an environment variable named after it with the `LABELGEN_` prefix
    (`LABELGEN_RENDER_WORKERS=4`); `labelgen serve` flags override those.
    """

    model_config = SettingsConfigDict(env_prefix="LABELGEN_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: HttpsUrl = Field(
        default=DEFAULT_BASE_URL,
        description="where the traceability QR codes point (a spec's own base_url wins)",
    )
    max_body_bytes: int = Field(
        default=4_000_000,
        ge=1_000,
        description="larger request bodies are answered 413 before they are read",
    )
    max_logo_pixels: int = Field(default=DEFAULT_MAX_PIXELS, ge=10_000, le=100_000_000)
    workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="server processes of `labelgen serve` (default: one per core, at most "
        "MAX_DEFAULT_WORKERS); each has its own render workers and registry connections",
    )
    render_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="render worker processes (`labelgen serve` shares them among its server "
        "processes, at least one each)",
    )
    render_timeout_s: float = Field(
        default=20.0, gt=0, le=600, description="a render running longer is stopped (504)"
    )
    render_memory_mb: int = Field(
        default=1536, ge=256, description="address-space limit of each render worker"
    )
    max_queue: int = Field(
        default=8,
        ge=0,
        le=1000,
        description="renders allowed to wait for a worker; more are answered 429",
    )
    queue_timeout_s: float = Field(
        default=30.0, gt=0, description="longest wait for a free worker before answering 503"
    )
    worker_max_tasks: int = Field(
        default=1000, ge=1, description="renders a worker serves before it is replaced"
    )
    worker_max_rss_mb: int = Field(
        default=768,
        ge=64,
        description="a worker whose resident memory is above this after a render is replaced "
        "(hostile inputs can leave a worker holding memory it no longer uses)",
    )
    worker_start_timeout_s: float = Field(default=90.0, gt=0)
    database_url: str | None = Field(
        default=None,
        description="the certificate registry's database (a SQLAlchemy URL, e.g. "
        "postgresql+psycopg://…); default: the embedded SQLite file in the data dir",
    )
    data_dir: Path | None = Field(
        default=None,
        description="where the embedded database, signing keys and scan salt live; default: "
        "the platform's per-user data folder followed by labelgen",
    )
    # Off by default: on this project's measurements the database path meets the p99 target
    # at 1,000 scans/s and the cache, while it raises the rate, lengthens the tail (README).
    verify_cache_s: float = Field(
        default=0.0,
        ge=0,
        le=60,
        description="on PostgreSQL, a scanned code's registry reading is answered from memory "
        "until the registry changes (at once, LISTEN/NOTIFY) or for this long at most, the time "
        "other server processes' scans may take to count; 0 (the default) reads the database "
        "every scan",
    )
    run_store_dir: Path | None = Field(
        default=None,
        description="where print runs' files (PDF, serials, resume state) go: a directory every "
        "server and worker mounts; default: runs in the data dir",
    )
    signing_key_dir: Path | None = Field(
        default=None, description="the Ed25519 private keys; default: signing-keys in the data dir"
    )
    signing_key_passphrase: SecretStr | None = None
    scan_salt: SecretStr | None = Field(
        default=None,
        description="hex key of the scanners' network hashes; default: the salt file in the "
        "data dir (instances of one deployment must share it)",
    )
    require_registered_certificates: bool = Field(
        default=False,
        description="refuse to render a label whose certification cites a certificate the "
        "registry does not hold (off: the designer renders any spec, for drafts and trials)",
    )
    registry_threads: int = Field(
        default=8,
        ge=1,
        le=64,
        description="registry calls (database work) run at once, off the event loop",
    )
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="addresses or networks (comma-separated) of the reverse proxies in front "
        "of the service: from these peers only, X-Forwarded-For names the client (whose "
        "network is what a scan records, hashed) and X-Forwarded-Proto the scheme; '*' "
        "trusts every peer, for a service that only a proxy can reach",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Each an address or a network (host bits cleared), or only '*'."""
        if "*" in value:
            return ("*",)
        checked = []
        for item in value:
            try:
                network = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
            checked.append(str(network) if "/" in item else str(network.network_address))
        return tuple(checked)

    def public_origin(self) -> str:
        """`https://host[:port]` of the base URL: the one origin every absolute link is built on
        (never the request's Host header, which a client chooses)."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def registry_settings(self) -> RegistrySettings:
        """The registry's settings: these values where given, else the LABELGEN_* defaults."""
        from labelgen.registry.settings import registry_settings

        passphrase = self.signing_key_passphrase
        salt = self.scan_salt
        return registry_settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            key_dir=self.signing_key_dir,
            key_passphrase=passphrase.get_secret_value() if passphrase else None,
            scan_salt_hex=salt.get_secret_value() if salt else None,
        )
