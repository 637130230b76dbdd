"""Global middleware: drop event deliveries Slack already made (dedupe in the database) and
signed requests already acted on (replays), and give listeners a `respond()` that retries like
every Web API call and posts only to Slack."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.core import Core
from bot.housekeeping import first_delivery
from bot.names import CHANNEL, HANDLE, PERSON, name_book
from handlers.recent import RecentRequests
from handlers.slack.api import is_slack_response_url, loggable, retry_handlers

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
            log.info(
                "ignoring repeated delivery of event %s (team %s)",
                loggable(event_id),
                loggable(team_id),
            )
            return BoltResponse(status=200, body="")
        return next()

    return middleware


# Requests that change something when acted on twice. Options requests (block_suggestion) are
# left out: they only read, and the same typing can legitimately ask twice in one second.
_INTERACTIONS = (
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "interactive_message",
    "dialog_submission",
)


def dedupe_requests(core: Core) -> Callable[..., BoltResponse | None]:
    """Act once on each signed command or interaction, however often it is sent.

    The signature (an HMAC of the timestamp and the whole body) identifies one delivery: a
    replay within the five minutes a timestamp is accepted carries the same one, while two
    real clicks or commands never do (Slack's body differs: trigger_id, action_ts).

    On PostgreSQL, where several instances may share the work, the database remembers each one
    before it is acted on (as it does event ids). SQLite serves one process: its memory decides,
    and the database learns them a moment later (`RecentRequests`), because a write per request
    before its answer would queue every acknowledgement behind SQLite's single write lock (the
    ack benchmark's p99 went from 1.1x to 16x the floor)."""
    recent = RecentRequests(core) if core.engine.dialect.name == "sqlite" else None

    def middleware(
        body: dict[str, Any],
        request: BoltRequest,
        next: Callable[[], None],  # noqa: A002
    ) -> BoltResponse | None:
        signature = request.headers.get("x-slack-signature") or []
        if not signature or not ("command" in body or body.get("type") in _INTERACTIONS):
            return next()  # events have their own ids; Socket Mode requests are not signed
        team = str(body.get("team_id") or (body.get("team") or {}).get("id") or "")[:32]
        key, now = f"request:{signature[0]}", core.clock.now()
        if recent is not None:
            fresh = recent.first_delivery(team, key, now)
        else:
            fresh = first_delivery(core.engine, team_id=team, event_id=key, now=now)
        if not fresh:
            log.info("ignoring a replayed request (team %s)", loggable(team))
            return BoltResponse(status=200, body="")
        return next()

    return middleware


class RetryingRespond(Respond):
    """Bolt's `respond()`, whose response_url POST retries connection errors, 429 and 5xx, and
    goes only to Slack (`api_url`, the configured SLACK_API_URL, stands for it in tests)."""

    def __init__(self, *, response_url: str, api_url: str, **kwargs: Any) -> None:
        super().__init__(response_url=response_url, **kwargs)
        self._api_url = api_url

    def __call__(self, text: str | dict[str, Any] = "", **kwargs: Any) -> WebhookResponse:
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        if not is_slack_response_url(self.response_url, self._api_url):
            raise ValueError("response_url is not Slack's")
        client = WebhookClient(
            url=self.response_url,
            proxy=self.proxy,
            ssl=self.ssl,
            timeout=10,
            retry_handlers=retry_handlers(),
        )
        return client.send_dict(_message(text, kwargs))


def _message(text: str | dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The response_url body, as Bolt's `respond()` builds it: `text` always, the rest when set
    (empty blocks and attachments are left out)."""
    fields = dict(text) if isinstance(text, dict) else {**kwargs, "text": text}
    fields.setdefault("text", "")
    return {
        name: value
        for name, value in fields.items()
        if value is not None and not (name in ("blocks", "attachments") and len(value) == 0)
    }


def retrying_respond(context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
    if context.response_url:
        client = context.client
        context["respond"] = RetryingRespond(
            response_url=context.response_url,
            api_url=client.base_url,
            proxy=client.proxy,
            ssl=client.ssl,
        )
    return next()


# What a slash command says for channel_name where the channel has no name of its own.
_NOT_CHANNEL_NAMES = frozenset({"directmessage", "privategroup", "mpdm"})


def remember_names(core: Core) -> Callable[..., BoltResponse | None]:
    """Note the names a request carries (a slash command's `user_name` and `channel_name`, an
    interaction's `user.name` and `channel.name`), so exports can show names, not ids. Costs
    a dictionary look-up here; only changes are written, after this request."""
    book = name_book(core)

    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        try:
            _note_names(book, body)
        except Exception as exc:  # noqa: BLE001 - names are a convenience; the request goes on
            # The type only: the exception could quote the request's body.
            log.warning("could not note the names of a request (%s)", type(exc).__name__)
        return next()

    return middleware


def _note_names(book: Any, body: dict[str, Any]) -> None:
    team = str(body.get("team_id") or (body.get("team") or {}).get("id") or "")[:32]
    people: dict[str, str] = {}
    channels: dict[str, str] = {}
    if "command" in body:
        people[str(body.get("user_id") or "")] = str(body.get("user_name") or "")
        channels[str(body.get("channel_id") or "")] = str(body.get("channel_name") or "")
    user, channel = body.get("user"), body.get("channel")
    if isinstance(user, dict):
        people[str(user.get("id") or "")] = str(user.get("name") or user.get("username") or "")
    if isinstance(channel, dict):
        channels[str(channel.get("id") or "")] = str(channel.get("name") or "")
    channels = {k: v for k, v in channels.items() if v not in _NOT_CHANNEL_NAMES}
    book.saw(team_id=team, kind=PERSON, names=people, source=HANDLE)
    book.saw(team_id=team, kind=CHANNEL, names=channels, source=HANDLE)
