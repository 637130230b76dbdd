"""The floor for the acknowledgement benchmark: a Bolt app that only acknowledges, served by
the same HTTP stack as Narrative (`handlers.web.HttpServer`: aiohttp, 16 worker threads).

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... python -m benchmarks.bare_app --port 3001 --command /decide
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.config import load_settings
from bot.core import build_core
from handlers.web import HttpServer


def build(command: str, env: dict[str, str]) -> App:
    # Bolt calls auth.test once (single-workspace authorization), as Narrative's app does.
    app = App(
        signing_secret=env["SLACK_SIGNING_SECRET"],
        client=WebClient(token=env["SLACK_BOT_TOKEN"], base_url=env["SLACK_API_URL"]),
        process_before_response=False,
        token_verification_enabled=False,
    )

    @app.command(command)
    def only_ack(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--command", default="/decide")
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as work:
        # A database of its own, only for /healthz (the server's health check needs one).
        env["DATABASE_URL"] = f"sqlite:///{Path(work) / 'bare.db'}"
        core = build_core(load_settings(env, mode="http", port=args.port))
        server = HttpServer(build(args.command, env), core, host="127.0.0.1", port=args.port)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
            core.close()


if __name__ == "__main__":
    main()
