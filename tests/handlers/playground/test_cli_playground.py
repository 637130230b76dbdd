"""`narrative-bot playground` needs no setting and says plainly when it cannot listen."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from handlers.cli import main


def test_the_playground_needs_no_setting_and_names_a_taken_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["playground", "--port", str(port), "--db", str(tmp_path / "kept.db")])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "try --port" in err
    assert "SLACK" not in out + err  # no setting was asked for
    assert "http://" not in out  # no address is shown that nothing listens on
    assert (tmp_path / "kept.db").exists()  # --db keeps the database where it was asked
