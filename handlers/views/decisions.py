"""Decision modals: proposing, a dissent's reason, finalizing, the Andon cord and amending."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import decisions
from bot.core import Core
from bot.decisions import DecisionError, DecisionSnapshot, FormError
from bot.inputs import clean
from handlers.actions.decisions import announce_resolution
from handlers.blocks.decisions import (
    AMEND_VIEW,
    ANDON_VIEW,
    FINALIZE_VIEW,
    PROPOSE_VIEW,
    REASON_VIEW,
)
from handlers.commands.decide import CONFIRMING
from handlers.decision_messages import DecisionMessages
from handlers.reconcile import PostUnconfirmed
from handlers.slack import could_not_post, is_admin, team_id_of, user_timezone
from handlers.work import defer

log = logging.getLogger(__name__)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _value(view: dict[str, Any], block_id: str) -> Any:
    """The submitted value of one input, whatever its element type."""
    element = (view.get("state", {}).get("values", {}).get(block_id) or {}).get("value") or {}
    if isinstance(element.get("value"), str):
        return clean(element["value"])
    for key in ("selected_user", "selected_date"):
        if element.get(key) is not None:
            return element[key]
    if element.get("selected_option"):
        return element["selected_option"].get("value")
    if "selected_options" in element:
        return [o.get("value") for o in element["selected_options"] or []]
    return None


def _errors(block_id: str, message: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {block_id: message[:150]}}


def _decision_id(view: dict[str, Any]) -> int | None:
    raw = _metadata(view).get("decision_id")
    return raw if isinstance(raw, int) else None


def register(app: App, core: Core) -> None:
    messages = DecisionMessages.for_app(app, core)

    def load(ack: Ack, body: dict[str, Any], block_id: str) -> DecisionSnapshot | None:
        decision_id = _decision_id(body["view"])
        try:
            if decision_id is None:
                raise decisions.DecisionNotFound()
            return decisions.load(core, team_id=team_id_of(body), decision_id=decision_id)
        except DecisionError as exc:
            ack(**_errors(block_id, str(exc)))
            return None

    def known_standing(snap: DecisionSnapshot, user_id: str) -> bool:
        """The owner, or an admin by NARRATIVE_ADMINS: known without asking Slack. Anyone else
        is asked about with `users.info` after the acknowledgement (Slack may be slow)."""
        return user_id == snap.decision.owner_id or user_id in core.admin_user_ids

    @app.view(PROPOSE_VIEW)
    def propose(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user_id = str(body["user"]["id"])
        team_id = team_id_of(body)
        metadata = _metadata(view)
        channel_id = metadata.get("channel_id")
        narrative_id = metadata.get("narrative_id")
        review_date = _value(view, "review")

        def options_in(tz: str) -> decisions.ProposalOptions:
            return decisions.proposal_from_form(
                text=_value(view, "proposal") or "",
                confidence=_value(view, "confidence"),
                review_date=review_date,
                owner_id=_value(view, "owner"),
                door=_value(view, "door"),
                closes=_value(view, "closes"),
                author_id=user_id,
                now=core.clock.now(),
                tz=tz,
            )

        try:
            # The person's time zone is asked for after the acknowledgement (Slack may be
            # slow); the review date moves to it then, before the poll is posted.
            options = options_in("UTC")
        except FormError as exc:
            ack(**_errors(exc.field, str(exc)))
            return
        if not channel_id:
            ack(**_errors("proposal", "Open this form from a channel with /decide."))
            return
        try:
            snap = decisions.propose(
                core,
                team_id=team_id,
                channel_id=str(channel_id),
                proposed_by=user_id,
                options=options,
                anonymous="anonymous" in (_value(view, "anonymous") or []),
                narrative_id=narrative_id if isinstance(narrative_id, int) else None,
            )
        except DecisionError as exc:
            ack(**_errors("proposal", str(exc)))
            return
        ack()

        def post() -> None:
            nonlocal snap
            if review_date:
                try:
                    zoned = options_in(user_timezone(client, user_id))
                except FormError:
                    zoned = options  # e.g. today's date, already past 09:00 there: keep it
                if zoned.review_on != options.review_on:
                    snap = decisions.set_review_on(
                        core, team_id=team_id, decision_id=snap.id, review_on=zoned.review_on
                    )
            try:
                messages.post_poll(snap)
            except PostUnconfirmed:
                messages.tell(user_id, CONFIRMING)
            except SlackApiError as exc:
                decisions.discard(core, team_id=team_id, decision_id=snap.id)
                error = exc.response.get("error")
                log.warning("could not post poll in %s: %s", channel_id, error)
                messages.tell(user_id, could_not_post(error, "your poll", f"<#{channel_id}>"))

        # Posting waits on Slack: in the channel's lane, not on a listener thread.
        defer(core, body, client, post, lane=str(channel_id))

    @app.view(REASON_VIEW)
    def reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        snap = load(ack, body, "reason")
        if snap is None:
            return
        try:
            result = decisions.cast_vote(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=str(body["user"]["id"]),
                choice=str(_metadata(view).get("choice")),
                reason=_value(view, "reason"),
            )
        except DecisionError as exc:
            ack(**_errors("reason", str(exc)))
            return
        ack()
        if result.recorded:
            messages.refresh(result.snapshot)

    @app.view(FINALIZE_VIEW)
    def finalize(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        snap = load(ack, body, "final_text")
        if snap is None:
            return
        user_id = str(body["user"]["id"])
        lane = str(snap.decision.channel_id or user_id)

        def finalize_as(admin: bool) -> DecisionSnapshot:
            return decisions.finalize(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=user_id,
                is_admin=admin,
                final_text=_value(view, "final_text") or "",
            )

        if known_standing(snap, user_id):
            try:
                final = finalize_as(True)
            except DecisionError as exc:
                ack(**_errors("final_text", str(exc)))
                return
            ack()
            defer(core, body, client, lambda: messages.publish_final(final), lane=lane)
            return
        ack()

        def as_admin() -> None:
            try:
                final = finalize_as(is_admin(client, user_id, core.admin_user_ids))
            except DecisionError as exc:
                messages.tell(user_id, f":warning: {exc}")
                return
            messages.publish_final(final)

        defer(core, body, client, as_admin, lane=lane)

    @app.view(ANDON_VIEW)
    def andon(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        snap = load(ack, body, "reason")
        if snap is None:
            return
        try:
            halted = decisions.pull_andon(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=str(body["user"]["id"]),
                reason=_value(view, "reason") or "",
            )
        except DecisionError as exc:
            ack(**_errors("reason", str(exc)))
            return
        ack()
        messages.refresh(halted)
        messages.notify_owner_of_andon(halted)

    @app.view(AMEND_VIEW)
    def amend(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        snap = load(ack, body, "final_text")
        if snap is None:
            return
        user_id = str(body["user"]["id"])
        lane = str(snap.decision.channel_id or user_id)

        def amend_as(admin: bool) -> DecisionSnapshot:
            return decisions.resolve_andon(
                core,
                team_id=snap.decision.team_id,
                decision_id=snap.id,
                user_id=user_id,
                is_admin=admin,
                resolution="amend",
                new_text=_value(view, "final_text"),
            )

        if known_standing(snap, user_id):
            try:
                resolved = amend_as(True)
            except DecisionError as exc:
                ack(**_errors("final_text", str(exc)))
                return
            ack()
            defer(core, body, client, lambda: announce_resolution(messages, resolved), lane=lane)
            return
        ack()

        def as_admin() -> None:
            try:
                resolved = amend_as(is_admin(client, user_id, core.admin_user_ids))
            except DecisionError as exc:
                messages.tell(user_id, f":warning: {exc}")
                return
            announce_resolution(messages, resolved)

        defer(core, body, client, as_admin, lane=lane)
