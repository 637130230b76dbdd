"""The floor for the Teams acknowledgement benchmark: a bare Microsoft 365 Agents SDK app (the
SDK's own aiohttp hosting: `CloudAdapter`, `start_agent_process`, an `ActivityHandler`) that
answers each `adaptiveCard/action` invoke with 200 and does nothing else, in anonymous mode.

    python -m benchmarks.bare_agents_app --port 3978
"""

from __future__ import annotations

import argparse

from aiohttp import web
from microsoft_agents.activity import AdaptiveCardInvokeResponse, AdaptiveCardInvokeValue
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import ActivityHandler, TurnContext


class OnlyAnswers(ActivityHandler):
    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        return AdaptiveCardInvokeResponse(
            status_code=200, type="application/vnd.microsoft.activity.message", value="Done."
        )


def app() -> web.Application:
    # A service connection with no client id: the SDK's anonymous mode (no token checked).
    connections = MsalConnectionManager(CONNECTIONS={"SERVICE_CONNECTION": {"SETTINGS": {}}})
    adapter, agent = CloudAdapter(connection_manager=connections), OnlyAnswers()

    async def messages(request: web.Request) -> web.StreamResponse:
        response = await start_agent_process(request, agent, adapter)  # type: ignore[arg-type]
        return response or web.Response(status=202)

    made = web.Application()
    made.router.add_post("/api/messages", messages)
    made.router.add_get("/healthz", lambda _r: web.json_response({"ok": True}))  # type: ignore[arg-type,return-value]
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
