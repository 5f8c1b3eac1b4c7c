"""Output files: a path and bytes → the file written whole, or LabelgenError naming the path."""

from __future__ import annotations

import os
from pathlib import Path

from labelgen.errors import LabelgenError


def write_atomically(path: Path, data: bytes) -> None:
    """Write through a temporary file so a failed run never leaves half a file behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)
    except OSError as error:
        raise LabelgenError(f"cannot write {path}: {error.strerror}") from None
