"""Runs `labelgen` in the test's own process and keeps what it printed (the registry CLI tests)."""

from __future__ import annotations

import pytest

from labelgen.cli import main


class Cli:
    """Runs `labelgen` in this process, as a given API key, and keeps what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self._capsys = capsys
        self._monkeypatch = monkeypatch
        self.stdout = ""
        self.stderr = ""

    def __call__(self, *arguments: str, key: str | None = None) -> int:
        if key is None:
            self._monkeypatch.delenv("LABELGEN_API_KEY", raising=False)
        else:
            self._monkeypatch.setenv("LABELGEN_API_KEY", key)
        self._capsys.readouterr()
        code = main(list(arguments))
        captured = self._capsys.readouterr()
        self.stdout, self.stderr = captured.out, captured.err
        assert "Traceback" not in self.stderr
        return code
