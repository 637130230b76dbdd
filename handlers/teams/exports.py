"""`@Narrative decisions export [channel] [since:DATE] [status:…]` in Teams: the workbook is
built after the answer (`bot.log_export`, as in Slack) and offered in the person's personal
chat with the file consent card (`TeamsPlatform.send_file`); their answer arrives as the
`fileConsent/invoke` handled here."""

from __future__ import annotations

from typing import Any

from bot import log_export
from bot.views import Notice, notice, warning
from handlers.teams import listeners
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.feature import Feature

PREPARING = "Preparing your export… it will arrive in your personal chat with Narrative."
USAGE = (
    "- `decisions export [@channel|all] [since:YYYY-MM-DD] [status:active,reversed,…]` — "
    "the decision log as an Excel workbook, sent to your personal chat"
)


def export_command(a: Answers, m: Incoming, rest: str) -> object:
    try:
        channel, _everything, since, statuses = log_export.parse_export_args(_channel_free(rest))
    except ValueError as exc:
        return a.tell(m, warning(f"{exc}\n\n", USAGE))
    channel = _channel(rest) or channel
    if channel and channel.startswith("#"):
        return a.tell(m, notice(f"Mention the channel (@ and its name) instead of {channel}."))
    if channel and not listeners.viewer(a, m).sees(channel):
        return a.tell(m, notice("No decisions were made in that channel."))
    a.tell(m, notice(PREPARING))
    request = log_export.export_request(
        team_id=m.tenant, user_id=m.user, channel_id=channel, since=since, statuses=statuses
    )
    return log_export.start_export(a.core, a.platform, request, viewer=listeners.viewer(a, m))


def consent_answered(a: Answers, m: Incoming) -> dict[str, Any] | None:
    """Accept or decline on a file consent card: the upload runs after the answer."""
    reply = a.platform.file_answer(m.tenant, m.user, m.place, m.value)
    if isinstance(reply, Notice):
        a.tell(m, reply)
    else:
        a.later(m, reply)
    return None


def _channel(text: str) -> str | None:
    """A mentioned channel: its mention arrives as the channel's id (`19:…@thread.…`)."""
    return next((t for t in text.split() if _is_channel(t)), None)


def _channel_free(text: str) -> str:
    return " ".join(t for t in text.split() if not _is_channel(t))


def _is_channel(token: str) -> bool:
    return token.startswith("19:") and "@thread." in token


FEATURE = Feature(invokes={"fileConsent/invoke": consent_answered})
