"""Buttons on polls, decision records and decision direct messages."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import decisions
from bot.core import Core
from bot.decisions import (
    AGREE,
    DecisionError,
    DecisionIsFinal,
    DecisionSnapshot,
    may_act_as_owner,
)
from bot.inputs import parse_id
from handlers.blocks.decisions import (
    COMMIT,
    FINALIZE,
    PROPOSE_FROM_NARRATIVE,
    PULL_ANDON,
    RESOLVE_ACTIONS,
    VOTE_ACTIONS,
    build_amend_modal,
    build_andon_modal,
    build_andon_resolved_note,
    build_committed_dm,
    build_finalize_modal,
    build_propose_modal,
    build_reason_modal,
)
from handlers.decision_messages import DecisionMessages
from handlers.slack import is_admin, team_id_of
from handlers.work import defer

log = logging.getLogger(__name__)

FINAL_NOTE = "{label} is final; votes are no longer counted. The record is in the poll's thread."
_CHOICE_BY_ACTION = {action_id: choice for choice, action_id in VOTE_ACTIONS.items()}
_RESOLUTION_BY_ACTION = {action_id: res for res, action_id in RESOLVE_ACTIONS.items()}


def _id(body: dict[str, Any]) -> int | None:
    return parse_id(body["actions"][0].get("value"))


def _user(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def _channel(body: dict[str, Any]) -> str | None:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return str(channel) if channel else None


def register(app: App, core: Core) -> None:
    messages = DecisionMessages.for_app(app, core)

    def tell(body: dict[str, Any], text: str) -> None:
        messages.tell(_user(body), text, channel=_channel(body))

    def load(body: dict[str, Any]) -> DecisionSnapshot | None:
        decision_id = _id(body)
        try:
            if decision_id is None:
                raise decisions.DecisionNotFound()
            return decisions.load(core, team_id=team_id_of(body), decision_id=decision_id)
        except DecisionError as exc:
            tell(body, f":warning: {exc}")
            return None

    def acts_as_owner(client: WebClient, snap: DecisionSnapshot, user_id: str) -> bool:
        return user_id == snap.decision.owner_id or is_admin(client, user_id, core.admin_user_ids)

    @app.action(re.compile(r"^decision_vote_(agree|disagree_commit|disagree)$"))
    def vote(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        choice = _CHOICE_BY_ACTION[body["actions"][0]["action_id"]]
        if choice == AGREE:
            # Stored before the acknowledgement: a click answered 200 is a vote on disk, even
            # if the process dies the next moment. Only the Slack part waits for later.
            outcome = agree(body)
            ack()
            if outcome is not None:
                defer(core, body, client, outcome)
            return
        ack()
        # The reason form must open while Slack's trigger is fresh (3 seconds): no queueing.
        snap = load(body)
        if snap is None:
            return
        if not snap.is_voting:
            tell(body, FINAL_NOTE.format(label=snap.label))
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_reason_modal(snap, choice))

    def agree(body: dict[str, Any]) -> Callable[[], None] | None:
        """Store an Agree vote (a few milliseconds); returns what to show afterwards."""
        decision_id = _id(body)
        try:
            if decision_id is None:
                raise decisions.DecisionNotFound()
            snap = decisions.load(core, team_id=team_id_of(body), decision_id=decision_id)
        except DecisionError as exc:
            problem = f":warning: {exc}"
            return lambda: tell(body, problem)
        final_note = FINAL_NOTE.format(label=snap.label)
        if not snap.is_voting:
            return lambda: tell(body, final_note)
        try:
            result = decisions.cast_vote(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=_user(body),
                choice=AGREE,
            )
        except DecisionIsFinal:
            return lambda: tell(body, final_note)
        if not result.recorded:
            return None
        # Queued on the message's own coalescing timer, never behind other channels' work.
        messages.refresh(result.snapshot)
        if snap.decision.anonymous:
            return lambda: tell(body, f"Your vote on {snap.label} is counted: *Agree*.")
        return None

    @app.action(FINALIZE)
    def finalize(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        snap = load(body)
        if snap is None:
            return
        user_id = _user(body)
        try:
            decisions.check_can_finalize(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=user_id,
                is_admin=acts_as_owner(client, snap, user_id),
            )
        except DecisionError as exc:
            tell(body, f":no_entry: {exc}")
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_finalize_modal(snap))

    @app.action(COMMIT)
    def commit(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        # Stored before the acknowledgement, as votes are; Slack hears of it afterwards.
        decision_id = _id(body)
        try:
            if decision_id is None:
                raise decisions.DecisionNotFound()
            result = decisions.commit(
                core, team_id=team_id_of(body), decision_id=decision_id, user_id=_user(body)
            )
        except DecisionError as exc:
            ack()
            tell(body, f":warning: {exc}")
            return
        ack()
        channel, ts = _channel(body), (body.get("message") or {}).get("ts")
        if channel and ts:
            client.chat_update(
                channel=channel, ts=ts, **build_committed_dm(result.snapshot, result.committed_at)
            )
        if result.newly:
            messages.refresh(result.snapshot)

    @app.action(PULL_ANDON)
    def pull_andon(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        snap = load(body)
        if snap is None:
            return
        if snap.is_voting:
            tell(body, f"{snap.label} is still being voted on; vote *Disagree* instead.")
            return
        if snap.andon is not None and snap.andon.is_open:
            tell(
                body,
                f"{snap.label} is already halted by <@{snap.andon.user_id}>; its owner has "
                "been notified.",
            )
            return
        if snap.decision.status not in (decisions.ACTIVE, decisions.UNDER_REVIEW):
            tell(body, f"{snap.label} has been {snap.decision.status}; there is nothing to halt.")
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_andon_modal(snap))

    @app.action(re.compile(r"^decision_andon_(resume|amend|reverse)$"))
    def resolve_andon(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        resolution = _RESOLUTION_BY_ACTION[body["actions"][0]["action_id"]]
        snap = load(body)
        if snap is None:
            return
        user_id = _user(body)
        admin = acts_as_owner(client, snap, user_id)
        if not may_act_as_owner(snap.decision, user_id, admin):
            tell(
                body,
                f":no_entry: Only the owner of {snap.label}, <@{snap.decision.owner_id}>, or a "
                "workspace admin can resolve the Andon cord.",
            )
            return
        if snap.andon is None or not snap.andon.is_open:
            tell(body, f"{snap.label} is not halted.")
            return
        if resolution == "amend":
            client.views_open(trigger_id=body["trigger_id"], view=build_amend_modal(snap))
            return
        try:
            resolved = decisions.resolve_andon(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=user_id,
                is_admin=admin,
                resolution=resolution,
            )
        except DecisionError as exc:
            tell(body, f":warning: {exc}")
            return
        announce_resolution(messages, resolved)

    @app.action(PROPOSE_FROM_NARRATIVE)
    def propose_from_narrative(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        narrative_id = parse_id(body["actions"][0].get("value"))
        try:
            if narrative_id is None:
                raise DecisionError("That narrative was not found in this workspace.")
            narrative = decisions.narrative_for_proposal(
                core, team_id=team_id_of(body), narrative_id=narrative_id
            )
        except DecisionError as exc:
            tell(body, f":warning: {exc}")
            return
        client.views_open(
            trigger_id=body["trigger_id"],
            view=build_propose_modal(
                owner_id=_user(body),
                channel_id=narrative.channel_id,
                narrative_id=narrative.id,
                narrative_title=narrative.title,
            ),
        )


def announce_resolution(messages: DecisionMessages, snap: DecisionSnapshot) -> None:
    """Show the owner's answer to an Andon pull on the record and in the thread."""
    messages.refresh(snap)
    d = snap.decision
    if d.channel_id and d.poll_ts:
        messages.client.chat_postMessage(
            channel=d.channel_id, thread_ts=d.poll_ts, **build_andon_resolved_note(snap)
        )
