"""Run the real `narrative-bot` command (`python -m handlers`) as a child process, for tests that
start, kill (SIGKILL) and restart it.

    bot = BotProcess(cwd=tmp_path, env=bot_env(slack, sqlite_url))
    bot.start().wait_ready()
    bot.client.command("/narrative", "help")
    bot.kill()                      # kill -9: no clean-up runs
    bot.start().wait_ready()        # same database, same port

The child gets a minimal environment (no SLACK_* or DATABASE_URL leaking in from the test
runner's) and runs in `cwd`, a temporary directory, since the command line reads `.env` from
its working directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from tests.signed import SignedClient

REPO = Path(__file__).resolve().parents[1]
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
BOT_ARGV = ("-m", "handlers", "run", "--http", "--port", "{port}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child bot: the essentials of ours, the repository on the path, and
    exactly the given settings."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def run_cli(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m handlers ARGS` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "handlers", *args],
        cwd=cwd,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class BotProcess:
    """`python -m handlers run --http --port PORT` in a child process; restartable on one port.

    `argv` (after the Python executable; `{port}` is filled in) runs another server instead,
    e.g. the benchmarks' bare Bolt app."""

    def __init__(
        self,
        *,
        cwd: Path,
        env: Mapping[str, str],
        signing_secret: str | None = None,
        port: int | None = None,
        argv: Sequence[str] = BOT_ARGV,
    ) -> None:
        self.cwd = cwd
        self.argv = list(argv)
        self.env = dict(env)
        self.port = port or free_port()
        self.signing_secret = signing_secret or self.env["SLACK_SIGNING_SECRET"]
        self.process: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def client(self) -> SignedClient:
        return SignedClient(f"{self.base_url}/slack/events", self.signing_secret)

    @property
    def output(self) -> str:
        """Everything every run of the child has written (stdout and stderr)."""
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def start(self) -> Self:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = self.cwd / f"bot-{self.port}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, *(a.format(port=self.port) for a in self.argv)],
                cwd=self.cwd,
                env=child_env(self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def healthz(self) -> tuple[int, bytes] | None:
        """GET /healthz: (status, body), or None while nothing listens."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(f"{self.base_url}/healthz", timeout=2) as response:
                return int(response.status), response.read()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read()
        except OSError:
            return None

    def wait_ready(self, timeout: float = 30) -> Self:
        """Poll /healthz until it answers 200; fail with the child's output if it exits."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(
                    f"bot exited with {self.process.returncode} while starting:\n{self.output}"
                )
            answer = self.healthz()
            if answer is not None and answer[0] == 200:
                return self
            if time.monotonic() > deadline:
                raise AssertionError(f"bot not ready after {timeout}s:\n{self.output}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up, as in a crash or OOM kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, as a deployment stops a container; SIGKILL if it does not exit in time.
        Returns the exit code (None when it had to be killed)."""
        process = self.process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
