"""A throw-away PostgreSQL for the test session: Debian's `postgresql` binaries → a server's URL, removed afterwards.

The tests use the server at $LABELGEN_TEST_POSTGRES_URL (the local `test` database by default).
When nothing answers there, as on a fresh Debian machine where `scripts/setup.sh` installed the
`postgresql` package but no cluster runs, the session starts its own server in a temporary
folder on a free port and points $LABELGEN_TEST_POSTGRES_URL at it, so subprocesses started by
the tests (servers, workers) find it too.

pytest-postgresql's process fixture would do the same, but it runs `pg_ctl` as the current
user, and `pg_ctl` refuses to run as root, which is how `make test` runs on a fresh machine and
in CI; this module starts `postgres` itself, as the `postgres` system user when it runs as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

DEBIAN_POSTGRES_DIR = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"  # Debian's postgresql package makes this system user
DATABASE = "test"
START_TIMEOUT_S = 60.0
PROBE_TIMEOUT_S = 2


@dataclass
class ThrowawayPostgres:
    """A server this session started: its URL, its process and its folder."""

    url: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        # SIGINT is PostgreSQL's fast shutdown: sessions ended, nothing left to recover.
        self.process.send_signal(2)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def answers(url: str) -> bool:
    """Whether a PostgreSQL server accepts a connection at the SQLAlchemy URL `url`."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=PROBE_TIMEOUT_S):
            return True
    except psycopg.Error:
        return False


def libpq_url(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` URL as libpq reads it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def start_throwaway_postgres() -> ThrowawayPostgres:
    """Initialise and start a server on a free port; RuntimeError saying what is missing."""
    bin_dir = _server_binaries()
    folder = Path(tempfile.mkdtemp(prefix="labelgen-postgres-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    account: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        # initdb and postgres refuse to run as root.
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise RuntimeError(
                f"the tests run as root and there is no {SERVER_USER!r} user to run a throw-away "
                "PostgreSQL as (install the postgresql package: scripts/setup.sh does)"
            ) from None
        for path in (folder, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
    as_user: dict[str, Any] = (
        {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []} if account else {}
    )
    subprocess.run(
        [
            str(bin_dir / "initdb"),
            "--pgdata",
            str(data),
            "--username",
            SERVER_USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_S,
        **as_user,
    )
    port = _free_port()
    # Durability is worth nothing in a database thrown away at the end of the session.
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
            **as_user,
        )
    server = ThrowawayPostgres(
        f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port}/{DATABASE}", process, folder
    )
    maintenance = f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not answers(maintenance):
        if process.poll() is not None or time.monotonic() > deadline:
            log = (folder / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise RuntimeError(f"the throw-away PostgreSQL did not start:\n{log}")
        time.sleep(0.2)
    with psycopg.connect(libpq_url(maintenance), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return server


def _server_binaries() -> Path:
    """The newest Debian PostgreSQL's bin folder."""
    versions = sorted(
        (path for path in DEBIAN_POSTGRES_DIR.glob("*/bin") if (path / "postgres").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(
            f"no PostgreSQL answers at the test URL and none is installed under "
            f"{DEBIAN_POSTGRES_DIR} to start one (install the postgresql package: "
            "scripts/setup.sh does)"
        )
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
