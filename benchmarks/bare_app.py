"""The floor for the acknowledgement benchmark: a Bolt app that only acknowledges, served by
the same WSGI stack as Narrative (Bolt's WSGI adapter on waitress, 16 threads).

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... python -m benchmarks.bare_app --port 3001 --command /decide
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server


def build(command: str, env: dict[str, str]) -> Callable[..., Iterable[bytes]]:
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

    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        return slack(environ, start_response)

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--command", default="/decide")
    args = parser.parse_args()
    server = create_server(
        build(args.command, dict(os.environ)),
        host="127.0.0.1",
        port=args.port,
        threads=16,
        ident="bare",
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
