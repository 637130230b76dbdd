"""What Teams' channels (and named group chats) are called, kept in the core's name book
(`bot.names`), so that exports and anything else naming a place show `#General`, not
`19:…@thread.tacv2`.

Teams puts no channel name on a message. Names come from what it does send: `conversationUpdate`
events (`channelCreated`, `channelRenamed`, `channelRestored` carry `channelData.channel`
{id, name}), a group chat's own name when it has one; and, the first time the bot sees a team
(`channelData.team.id`) whose channels it cannot name (its installation, `teamRenamed` or any
other activity), the connector's channel list (`GET v3/teams/{id}/conversations`), asked once
per team after the HTTP answer. Teams lists the General channel without a name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.core import Core
from bot.names import CHANNEL, known_names, name_book
from bot.port import PostFailed, Unreachable
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers

log = logging.getLogger(__name__)

GENERAL = "General"  # the name Teams shows for the channel it lists without one
# A failed channel list is asked for again after this long (on a later activity of the team).
RETRY_AFTER = timedelta(minutes=15)
CHANNEL_EVENTS = frozenset({"channelCreated", "channelRenamed", "channelRestored"})
# Names longer than this are cut (Teams allows 50 characters; the book is no place for essays).
NAME_LIMIT = 200


class TeamLookups:
    """Teams whose channel list was asked for (in this process): done, or retry after a time."""

    def __init__(self) -> None:
        self._asked: dict[tuple[str, str], datetime | None] = {}
        self._lock = threading.Lock()

    def first(self, tenant: str, team: str, now: datetime) -> bool:
        """Whether to ask for `team`'s channels now (True once, then not until a failure's
        retry time has passed)."""
        with self._lock:
            key = (tenant, team)
            if key in self._asked:
                retry = self._asked[key]
                if retry is None or now < retry:
                    return False
            self._asked[key] = None
            return True

    def failed(self, tenant: str, team: str, now: datetime) -> None:
        with self._lock:
            self._asked[(tenant, team)] = now + RETRY_AFTER


def learn(a: Answers, m: Incoming) -> None:
    """Note the place names `m` carries; ask for its team's channels when first seen."""
    try:
        data = m.activity.channel_data if isinstance(m.activity.channel_data, dict) else {}
        names = _named_places(m, data)
        if names:
            name_book(a.core).saw(team_id=m.tenant, kind=CHANNEL, names=names)
        team = _id_of(data.get("team"))
        if team and _lookups(a.core).first(m.tenant, team, a.core.clock.now()):
            a.later(m, lambda: _quietly(ask_channels, a, m, team))
    except Exception:  # noqa: BLE001 - names are a convenience; the activity goes on
        log.warning("could not note the place names of a Teams activity (tenant %s)", m.tenant)


def ask_channels(a: Answers, m: Incoming, team: str) -> None:
    """The team's channel names from the connector, unless the General channel (whose id is
    the team's) is already named; a failure is logged and tried again later."""
    _people, places = known_names(a.core.engine, team_id=m.tenant)
    if team in places:
        return
    try:
        channels = a.platform.connector.call(m.service_url, lambda c: c.fetch_channel_list(team))
    except (PostFailed, Unreachable) as exc:
        log.warning("could not list the channels of team %s (tenant %s): %s", team, m.tenant, exc)
        _lookups(a.core).failed(m.tenant, team, a.core.clock.now())
        return
    names = {
        str(c.id): _name(c.name) or (GENERAL if c.id == team else "") for c in channels if c.id
    }
    name_book(a.core).saw(team_id=m.tenant, kind=CHANNEL, names=names)


def _quietly(work: Callable[[Answers, Incoming, str], None], *args: Any) -> None:
    """Run `work`; a failure is logged, never told to the person whose activity it was."""
    try:
        work(*args)
    except Exception:  # noqa: BLE001 - names are a convenience
        log.exception("could not learn a Teams team's channel names")


def _named_places(m: Incoming, data: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    channel = data.get("channel")
    if isinstance(channel, dict) and data.get("eventType") in CHANNEL_EVENTS:
        ref, name = _id_of(channel), _name(channel.get("name"))
        if ref and name:
            names[ref] = name
    conversation = m.activity.conversation
    if m.conversation_type == "groupChat" and conversation is not None:
        name = _name(conversation.name)
        if name:
            names[m.place] = name
    return names


def _id_of(value: object) -> str | None:
    ref = value.get("id") if isinstance(value, dict) else None
    return ref if isinstance(ref, str) and 0 < len(ref) <= 255 else None


def _name(value: object) -> str:
    return value.strip()[:NAME_LIMIT] if isinstance(value, str) else ""


def _lookups(core: Core) -> TeamLookups:
    return core.shared("teams_channel_lookups", TeamLookups, close=lambda _: None)
