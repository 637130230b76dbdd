"""The one place errors from listeners are caught: log with context, tell the user privately."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from handlers.slack.api import is_slack_response_url, loggable, retry_handlers
from handlers.slack.render import section

log = logging.getLogger("narrative.errors")

GENERIC_ERROR = (
    ":warning: Sorry, something went wrong on our side and your request was not completed. "
    "Please try again in a moment; if it keeps happening, tell your Narrative admin."
)


def _describe(body: dict[str, Any]) -> str:
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    what = body.get("command") or (body.get("event") or {}).get("type")
    if not what and body.get("actions"):
        what = body["actions"][0].get("action_id")
    if not what and body.get("view"):
        what = body["view"].get("callback_id")
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return (
        f"kind={loggable(kind)} what={loggable(what)} team={loggable(team)} user={loggable(user)}"
    )


# Set by the first global middleware, which Bolt runs only once the request's signature was
# verified (or it came over Socket Mode): the error handler acts on nothing else.
VERIFIED = "narrative_verified"


def mark_verified(context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
    context[VERIFIED] = True
    return next()


# Interactions whose user has nowhere else to hear from us: a direct message tells them.
_DIRECT_MESSAGE_KINDS = ("block_actions", "view_submission", "shortcut")


def error_modal() -> dict[str, Any]:
    """What a modal turns into when submitting it failed (the user sees why nothing happened)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Narrative"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(GENERIC_ERROR)],
    }


def handle_error(
    error: Exception,
    body: dict[str, Any],
    client: WebClient,
    response: BoltResponse | None,
    context: BoltContext | None = None,
) -> BoltResponse | None:
    """Bolt's global error handler. Never shows a traceback, token or exception text to users.

    `response` is None once the listener has acknowledged: the HTTP answer is gone, so the user
    is told with a message; before that, the answer itself carries the news. A request that was
    not verified (verification itself failed) is refused, and nothing of its body is used;
    `context` is None when deferred work of a (verified) listener failed."""
    if context is not None and not context.get(VERIFIED):
        log.warning("refused a request whose signature could not be verified")
        return BoltResponse(status=401, body="")
    log.error("listener failed (%s): %s", _describe(body), type(error).__name__, exc_info=error)
    if response is not None and body.get("type") == "view_submission":
        return BoltResponse(status=200, body={"response_action": "update", "view": error_modal()})
    _tell_user(body, client)
    return None if response is None else BoltResponse(status=200, body="")


def _tell_user(body: dict[str, Any], client: WebClient) -> None:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    try:
        if is_slack_response_url(body.get("response_url"), client.base_url):
            WebhookClient(body["response_url"], timeout=10, retry_handlers=retry_handlers()).send(
                text=GENERIC_ERROR, response_type="ephemeral"
            )
        elif user and channel:
            client.chat_postEphemeral(channel=channel, user=user, text=GENERIC_ERROR)
        elif user and body.get("type") in _DIRECT_MESSAGE_KINDS:
            client.chat_postMessage(channel=user, text=GENERIC_ERROR)
        elif body.get("response_url"):
            log.warning("not telling the user through a response_url outside Slack")
    except Exception:  # noqa: BLE001 - telling the user is best effort
        log.warning("could not tell the user about the error (%s)", _describe(body))
