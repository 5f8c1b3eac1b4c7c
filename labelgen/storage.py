"""Run store: a run id → the folder of its files (PDF, manifest, resume state), on a directory all processes share.

A print run is drawn by whichever worker takes it and downloaded through whichever server a
producer reaches, and a run taken over from a worker that died resumes from the files that
worker left: so the folder is on storage they all mount (NFS, CephFS, a cloud file share), set
by LABELGEN_RUN_STORE_DIR; on one machine it is `runs` in the data dir. The run engine streams
its PDF to disk and resumes from a checkpoint of the file, which needs a file system, not an
object store.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Collection
from pathlib import Path

from labelgen.errors import StorageError

_RUN_ID = re.compile(r"[0-9a-f]{32}")


def is_run_id(text: str) -> bool:
    """Whether `text` has the form of a run id (32 hexadecimal digits)."""
    return _RUN_ID.fullmatch(text) is not None


class RunStore:
    """The runs' folders under `root`, one per run id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self) -> None:
        """Make the root folder; StorageError naming the setting when it cannot be written."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".labelgen-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise StorageError(
                f"LABELGEN_RUN_STORE_DIR: cannot write to {self.root} ({error.strerror})"
            ) from None

    def folder(self, run_id: str) -> Path:
        """The run's folder (not made); ValueError for a string that is not a run id."""
        if not is_run_id(run_id):
            raise ValueError(f"not a run id: {run_id!r}")
        return self.root / run_id

    def prepare(self, run_id: str) -> Path:
        """The run's folder, made when it is not there yet (a resumed run finds its files)."""
        folder = self.folder(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def remove(self, run_id: str) -> None:
        shutil.rmtree(self.folder(run_id), ignore_errors=True)

    def remove_stale(self, older_than_s: float, keep: Collection[str]) -> None:
        """Delete the folders untouched for `older_than_s` whose run is not in `keep` (left by
        runs that were forgotten while no process was there to delete their files)."""
        cutoff = time.time() - older_than_s
        for child in self.root.iterdir():
            try:
                if (
                    is_run_id(child.name)
                    and child.name not in keep
                    and child.is_dir()
                    and child.stat().st_mtime < cutoff
                ):
                    shutil.rmtree(child, ignore_errors=True)
            except OSError:
                continue  # removed by another process meanwhile
