"""Global middleware: drop event deliveries Slack already made (dedupe in the database), and
give listeners a `respond()` that retries like every Web API call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse, Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.core import Core
from bot.housekeeping import first_delivery
from handlers.slack import retry_handlers

log = logging.getLogger(__name__)


def dedupe_events(core: Core) -> Callable[..., BoltResponse | None]:
    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            return next()
        team_id = str(body.get("team_id") or "")
        fresh = first_delivery(
            core.engine, team_id=team_id, event_id=str(event_id), now=core.clock.now()
        )
        if not fresh:
            log.info("ignoring repeated delivery of event %s (team %s)", event_id, team_id)
            return BoltResponse(status=200, body="")
        return next()

    return middleware


class RetryingRespond(Respond):
    """Bolt's `respond()`, whose response_url POST retries connection errors, 429 and 5xx."""

    def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        client = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            timeout=10,
            retry_handlers=retry_handlers(),
        )
        message = (
            _build_message(**text) if isinstance(text, dict) else _build_message(text, **kwargs)
        )
        return client.send_dict(message)


def retrying_respond(context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
    if context.response_url:
        context["respond"] = RetryingRespond(
            response_url=context.response_url, proxy=context.client.proxy, ssl=context.client.ssl
        )
    return next()
