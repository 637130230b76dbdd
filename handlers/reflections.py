"""Reflection rounds on Slack: posting rounds and digests, and the timers that drive them."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import reflections
from bot.core import Core
from bot.reflections import RoundView
from handlers.blocks.reflections import (
    build_closed_round_message,
    build_digest_messages,
    build_round_message,
)
from handlers.directory import channel_info
from handlers.slack import could_not_post, join_channel
from storage.models import Timer

log = logging.getLogger(__name__)

MAX_MEMBER_PAGES = 20
# users.info is asked about at most this many members (to leave bots out); in larger channels
# the rest are counted as people rather than spending minutes of rate limit on a count.
MAX_MEMBER_LOOKUPS = 300
CANT_POST = ("not_in_channel", "channel_not_found", "is_archived")


def post_round(client: WebClient, core: Core, round_: RoundView) -> str:
    """Post the round in its channel (joined first: thread answers count, and Slack sends them
    only where the bot is a member) and remember the message; returns its ts."""
    join_channel(client, round_.channel_id)
    message = build_round_message(round_)
    response = client.chat_postMessage(channel=round_.channel_id, **message)
    ts = str(response["ts"])
    reflections.round_posted(core, team_id=round_.team_id, round_id=round_.id, message_ts=ts)
    return ts


def channel_members(client: WebClient, channel_id: str) -> frozenset[str] | None:
    """The channel's people (bots and deactivated accounts left out); None when Slack won't say."""
    members: list[str] = []
    cursor: str | None = None
    try:
        for _ in range(MAX_MEMBER_PAGES):
            page = client.conversations_members(channel=channel_id, limit=200, cursor=cursor)
            members.extend(str(m) for m in page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except SlackApiError:
        log.warning("conversations.members failed for %s", channel_id)
        return None
    people = set(members[MAX_MEMBER_LOOKUPS:])
    for user_id in members[:MAX_MEMBER_LOOKUPS]:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError:
            people.add(user_id)  # counted: better than dropping a person
            continue
        if not (user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT"):
            people.add(user_id)
    return frozenset(people)


def post_digest(client: WebClient, core: Core, round_: RoundView) -> None:
    """Post the closed round's digest in its thread and mark the round's message closed."""
    members = channel_members(client, round_.channel_id)
    digest = reflections.build_digest(
        core,
        team_id=round_.team_id,
        round_id=round_.id,
        member_ids=members,
        channel_is_public=lambda c: not channel_info(client, c).get("is_private"),
    )
    first_ts: str | None = None
    for message in build_digest_messages(digest):
        response = client.chat_postMessage(
            channel=round_.channel_id, thread_ts=round_.message_ts, **message
        )
        first_ts = first_ts or str(response["ts"])
    reflections.digest_posted(
        core,
        team_id=round_.team_id,
        round_id=round_.id,
        digest_ts=str(first_ts),
        member_count=digest.member_count,
    )
    answers = sum(len(a) for _, a in digest.questions) + len(digest.free_replies)
    try:
        client.chat_update(
            channel=round_.channel_id,
            ts=str(round_.message_ts),
            **build_closed_round_message(round_, answers),
        )
    except SlackApiError:
        log.warning("could not mark reflection round %s closed", round_.id)


def _tell_scheduler(client: WebClient, user_id: str, channel_id: str, error: str) -> None:
    try:
        dm = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(
            channel=dm,
            text=(
                could_not_post(error, "the scheduled reflection round", f"<#{channel_id}>")
                + " I will try again shortly; `/reflect off` there stops the schedule."
            ),
        )
    except SlackApiError:
        log.warning("could not tell %s that a reflection round was not posted", user_id)


def register_timers(app: App, core: Core) -> None:
    def round_due(timer: Timer) -> None:
        due = reflections.scheduled_round_due(core, timer)
        if due.round is None:
            return
        try:
            post_round(app.client, core, due.round)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            if timer.attempts == 1 and due.scheduled_by and error in CANT_POST:
                _tell_scheduler(app.client, due.scheduled_by, due.round.channel_id, error)
            raise  # the timer retries with back-off

    def close_due(timer: Timer) -> None:
        round_ = reflections.close_round(core, team_id=timer.team_id, round_id=timer.ref_id)
        if round_ is not None:
            post_digest(app.client, core, round_)

    core.timers.register(reflections.ROUND_KIND, round_due)
    core.timers.register(reflections.CLOSE_KIND, close_due)
