"""Decisions on Slack: posting polls and records, keeping them current, and direct messages.

One `DecisionMessages` per app (`for_app`), shared by the decision commands, actions, views and
timers, so that every update of a poll message goes through one coalescer.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import decisions
from bot.core import Core
from bot.decisions import DecisionNotFound, DecisionSnapshot
from handlers import coalesce
from handlers.blocks.decisions import (
    build_andon_owner_dm,
    build_commit_dm,
    build_decision_message,
    build_record_message,
)
from handlers.reconcile import UNANSWERED, Marker, PostUnconfirmed, post_once

log = logging.getLogger(__name__)

_instances: weakref.WeakKeyDictionary[App, DecisionMessages] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


class DecisionMessages:
    def __init__(self, client: WebClient, core: Core):
        self.client = client
        self.core = core
        # Shared with the narrative messages; the interval is read when a bot first uses it,
        # so tests can shorten it for a whole bot.
        self.updates = coalesce.shared(core)

    @classmethod
    def for_app(cls, app: App, core: Core) -> DecisionMessages:
        with _instances_lock:
            found = _instances.get(app)
            if found is None:
                found = cls(app.client, core)
                _instances[app] = found
            return found

    # --- the poll and the record --------------------------------------------------------------

    def post_poll(self, snap: DecisionSnapshot, *, retry: bool = False) -> str:
        """Post the poll in the decision's channel and remember its ts.

        Raises SlackApiError when Slack refuses, `PostUnconfirmed` when Slack did not answer
        and the poll is not in the channel (yet): the decision's `poll_confirm` timer looks
        again and posts it if it is missing. `retry`: look in the channel before posting."""
        d = snap.decision
        if not retry:
            decisions.expect_poll(self.core, team_id=d.team_id, decision_id=snap.id)
        ts = post_once(
            self.client,
            channel=str(d.channel_id),
            marker=Marker("poll", snap.id),
            message=build_decision_message(snap),
            look_first=retry,
        )
        decisions.poll_posted(self.core, team_id=d.team_id, decision_id=snap.id, poll_ts=ts)
        fresh = decisions.load(self.core, team_id=d.team_id, decision_id=snap.id)
        if fresh.ballots:
            # Votes came in while the ts was unknown (Slack was slow): show them now.
            self.refresh(fresh)
        return ts

    def refresh(self, snap: DecisionSnapshot) -> None:
        """Bring the poll and the record messages up to date, coalescing bursts per message."""
        for key, render in self._updates(snap):
            self.updates.submit(key, render)

    def refresh_in_turn(self, *, team_id: str, decision_id: int) -> None:
        """Update the poll and record messages now (after the coalescing interval), in order
        with the other updates; errors reach the caller."""
        try:
            snap = decisions.load(self.core, team_id=team_id, decision_id=decision_id)
        except DecisionNotFound:
            return
        for key, render in self._updates(snap):
            self.updates.run_now(key, render, in_turn=True)

    def _updates(self, snap: DecisionSnapshot) -> list[tuple[tuple[str, str], Any]]:
        """(message key, renderer) for each of the decision's messages in its channel."""
        d = snap.decision
        if not d.channel_id:
            return []
        return [
            (
                (d.channel_id, ts),
                self._renderer(d.team_id, snap.id, d.channel_id, ts, record=record),
            )
            for ts, record in ((d.poll_ts, False), (d.record_ts, True))
            if ts
        ]

    def _renderer(
        self, team_id: str, decision_id: int, channel: str, ts: str, *, record: bool
    ) -> Any:
        def render() -> None:
            # Read at run time: whatever changed since the submit is shown too.
            try:
                snap = decisions.load(self.core, team_id=team_id, decision_id=decision_id)
            except DecisionNotFound:
                return
            build = build_record_message if record else build_decision_message
            self.client.chat_update(channel=channel, ts=ts, **build(snap))

        return render

    def publish_final(self, snap: DecisionSnapshot) -> None:
        """After finalizing: the record in the thread, the poll updated, dissenters asked."""
        d = snap.decision
        team_id = d.team_id
        if d.channel_id and d.poll_ts:
            try:
                permalink = self.client.chat_getPermalink(
                    channel=d.channel_id, message_ts=d.poll_ts
                ).get("permalink")
                decisions.record_posted(
                    self.core,
                    team_id=team_id,
                    decision_id=snap.id,
                    record_ts=None,
                    permalink=permalink,
                )
                snap = decisions.load(self.core, team_id=team_id, decision_id=snap.id)
            except (SlackApiError, *UNANSWERED):
                log.warning("no permalink for decision %s (team %s)", snap.id, team_id)
            try:
                record_ts = post_once(
                    self.client,
                    channel=d.channel_id,
                    thread_ts=d.poll_ts,
                    marker=Marker("record", snap.id),
                    message=build_record_message(snap),
                )
                decisions.record_posted(
                    self.core,
                    team_id=team_id,
                    decision_id=snap.id,
                    record_ts=record_ts,
                    permalink=None,
                )
            except (SlackApiError, PostUnconfirmed):
                # The decision stands; the poll message below still shows the record.
                log.exception("could not post the record of decision %s", snap.id)
        snap = decisions.load(self.core, team_id=team_id, decision_id=snap.id)
        self.refresh(snap)
        for user_id in snap.uncommitted_dissenters:
            try:
                self.dm(user_id, build_commit_dm(snap))
            except (SlackApiError, *UNANSWERED):
                log.warning("could not ask %s to commit to decision %s", user_id, snap.id)

    # --- people -------------------------------------------------------------------------------

    def dm(self, user_id: str, message: dict[str, Any]) -> tuple[str, str]:
        channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        answer = self.client.chat_postMessage(channel=channel, **message)
        return str(channel), str(answer["ts"])

    def notify_owner_of_andon(self, snap: DecisionSnapshot) -> None:
        self.dm(snap.decision.owner_id, build_andon_owner_dm(snap))

    def tell(self, user_id: str, text: str, *, channel: str | None = None) -> None:
        """A private note: ephemeral in `channel` when possible, else a direct message."""
        if channel:
            try:
                self.client.chat_postEphemeral(channel=channel, user=user_id, text=text)
                return
            except (SlackApiError, *UNANSWERED):
                log.info("ephemeral to %s in %s failed; sending a DM", user_id, channel)
        try:
            self.dm(user_id, {"text": text})
        except (SlackApiError, *UNANSWERED):
            log.warning("could not tell %s privately", user_id)
