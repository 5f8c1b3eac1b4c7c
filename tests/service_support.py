"""Helpers shared by the service and logo tests: example specs as JSON, problem assertions, hostile images."""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import json
import shutil
import struct
import tempfile
import threading
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import yaml

from labelgen.service.settings import Settings

T = TypeVar("T")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
PROBLEM_MEDIA_TYPE = "application/problem+json"
COMPLIANT_EXAMPLE = "hat-sen-say"
NOT_COMPLIANT_EXAMPLE = "nem-expired-badge"
PASSWD_MARKER = b"root:x:0:0"


def spec_document(example: str = COMPLIANT_EXAMPLE, *, as_set: bool = False) -> dict[str, Any]:
    """An example spec as the JSON document a client would send (dates as ISO text). The
    compliant example is a front and back label set; without `as_set` only its front is asked
    for, so that an SVG or PNG is one file."""
    text = (EXAMPLES_DIR / f"{example}.yaml").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(text), default=str))
    if isinstance(document.get("template"), list) and not as_set:
        document["template"] = document["template"][0]
    return document


# The embedded registry of the test apps lives here, not in the user's data folder.
TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="labelgen-test-"))
atexit.register(shutil.rmtree, TEST_DATA_DIR, ignore_errors=True)


def service_settings(**overrides: Any) -> Settings:
    """Settings for a test app: no environment file, small and quick by default, its embedded
    registry in a temporary folder."""
    values: dict[str, Any] = {
        "render_workers": 2,
        "render_timeout_s": 60.0,
        "data_dir": TEST_DATA_DIR,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def assert_problem(response: httpx2.Response, status: int, slug: str) -> dict[str, Any]:
    """Check an RFC 9457 answer: status, media type, the four members, the documented type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def huge_png(width: int, height: int) -> bytes:
    """A valid PNG of an all-black bilevel canvas, tiny on the wire (rows of zeros compress about
    a thousandfold), written row by row so that even 20 000 × 20 000 takes a fraction of a second."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    stream = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def run_async(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """The coroutine's result, run on a fresh event loop in a thread of its own: another test's
    tool (Playwright's synchronous API) may keep a loop running in the main thread."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(asyncio.run(make_coroutine()))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now
