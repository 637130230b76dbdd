"""Who may see and do what with decisions, end to end: superseding with `replaces:`, anonymous
polls, private channels' content in public places, and shared channels / org-wide installs."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlmodel import col, select

from bot.reflections import STANDARD_QUESTIONS
from handlers.slack.blocks.decisions import (
    ANDON_VIEW,
    FINALIZE_VIEW,
    PROPOSE_VIEW,
    PULL_ANDON,
    RESOLVE_ACTIONS,
    VOTE_ACTIONS,
)
from storage.db import session_scope
from storage.models import (
    Decision,
    DecisionEvent,
    ReflectionAnswer,
    ReflectionRound,
    Timer,
    Vote,
)
from tests.conftest import TEAM, RunningBot
from tests.handlers.slack.decision_helpers import (
    OWNER,
    decision_row,
    opened_view,
    press_finalize,
    propose,
    vote,
    wait_until,
)
from tests.signed import SignedClient

GENERAL = "C0GENERAL"
SECRET = "C0SECRET"
MALLORY = "U0MALLORY"
ADMIN = "U0ADMIN"


def _log(bot: RunningBot, text: str, *, user: str = OWNER, channel: str = GENERAL) -> str:
    """The private answer to `/decisions log`: in the acknowledgement, or (when superseding,
    which asks Slack who may act) posted to the command's response_url after it."""
    name = f"log-{uuid.uuid4().hex[:8]}"
    reply = bot.client.command(
        "/decisions",
        f"log {text}",
        user_id=user,
        channel_id=channel,
        response_url=bot.slack.response_url(name),
    )
    assert reply.status == 200, reply.body
    if reply.body and reply.json().get("text"):
        return str(reply.json()["text"])
    (call,) = bot.slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == name)
    return str(call.params.get("text"))


def _timers(bot: RunningBot, decision_id: int) -> list[tuple[str, str]]:
    with session_scope(bot.core.engine) as session:
        rows = session.exec(
            select(Timer).where(Timer.ref_id == decision_id, col(Timer.kind).like("review%"))
        ).all()
        return sorted((t.kind, t.status) for t in rows)


def _decisions(bot: RunningBot) -> list[tuple[int, str, int | None]]:
    with session_scope(bot.core.engine) as session:
        rows = session.exec(select(Decision).order_by(col(Decision.number))).all()
        return [(d.number, d.status, d.replaced_by_id) for d in rows]


def _dms_to(bot: RunningBot, user: str) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in bot.slack.calls("chat.postMessage")
        if c.params.get("channel") == f"D{user}"
    ]


def _private_channel(bot: RunningBot, *members: str) -> None:
    bot.slack.private_channels.add(SECRET)
    bot.slack.channel_names[SECRET] = "secret"
    bot.slack.channel_members[SECRET] = list(members)


def test_only_the_owner_or_an_admin_supersedes_and_the_owner_is_told(bot: RunningBot) -> None:
    _private_channel(bot, OWNER)
    assert "Logged *D-1*" in _log(bot, "Secret pricing plan", channel=SECRET)
    assert "Logged *D-2*" in _log(bot, "Public launch in March")
    wait_until(lambda: decision_row(bot, 2).record_ts is not None, what="D-2 announced")
    before = _decisions(bot)
    timers_1, timers_2 = (
        _timers(bot, decision_row(bot, 1).id),
        _timers(bot, decision_row(bot, 2).id),
    )
    assert timers_1 == [("review_due", "pending")] and timers_2 == timers_1

    # Someone outside the private channel learns nothing about D-1: the same answer as for a
    # decision that does not exist.
    hidden = _log(bot, "Cheaper plan replaces:D-1", user=MALLORY)
    missing = _log(bot, "Cheaper plan replaces:D-99", user=MALLORY)
    assert hidden == missing.replace("D-99", "D-1")
    assert "not found" in hidden and "Logged" not in hidden
    # A member of the workspace who is not the owner may not supersede a public decision.
    refused = _log(bot, "Launch in May replaces:D-2", user=MALLORY)
    assert "Only the owner of D-2 or a workspace admin" in refused and "Logged" not in refused
    assert _decisions(bot) == before
    assert _timers(bot, decision_row(bot, 1).id) == timers_1
    assert _timers(bot, decision_row(bot, 2).id) == timers_2
    assert _dms_to(bot, OWNER) == []

    # An admin may; the owner is told in a direct message.
    bot.slack.users[ADMIN] = {"is_admin": True}
    assert "Logged *D-3*" in _log(bot, "Launch in May replaces:D-2", user=ADMIN)
    d2, d3 = decision_row(bot, 2), decision_row(bot, 3)
    assert d2.status == "superseded" and d2.replaced_by_id == d3.id
    assert _timers(bot, int(d2.id or 0)) == [("review_due", "cancelled")]
    told = bot.slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.params.get("channel") == f"D{OWNER}"
    )
    assert "D-2" in told[0].params["text"] and "D-3" in told[0].params["text"]
    assert f"<@{ADMIN}>" in told[0].params["text"] and "Launch in May" in told[0].params["text"]
    # The owner supersedes their own decision without being told about it.
    assert "Logged *D-4*" in _log(bot, "Pricing plan B replaces:D-1", channel=SECRET)
    assert decision_row(bot, 1).status == "superseded"
    assert len(_dms_to(bot, OWNER)) == 1


def test_a_halted_decision_is_superseded_only_after_it_is_resumed(bot: RunningBot) -> None:
    assert "Logged *D-1*" in _log(bot, "Support in EU hours")
    row = decision_row(bot, 1)
    wait_until(lambda: decision_row(bot, 1).record_ts is not None, what="D-1 announced")
    bot.client.block_action(
        PULL_ANDON, str(row.id), user_id=MALLORY, message_ts=str(row.record_ts), trigger_id="t-a"
    )
    view = opened_view(bot.slack, "t-a")
    reply = bot.client.view_submission(
        ANDON_VIEW,
        {"reason": {"value": {"type": "plain_text_input", "value": "Customers left"}}},
        private_metadata=view["private_metadata"],
        user_id=MALLORY,
    )
    assert reply.status == 200 and reply.json() is None
    assert decision_row(bot, 1).status == "halted"

    refused = _log(bot, "Support in US hours replaces:D-1")
    assert "halted" in refused and "resume, amend or reverse" in refused
    assert "Logged" not in refused
    assert [(n, s) for n, s, _ in _decisions(bot)] == [(1, "halted")]
    assert _timers(bot, int(row.id or 0)) == [("review_due", "pending")]

    bot.client.block_action(
        RESOLVE_ACTIONS["resume"], str(row.id), user_id=OWNER, message_ts=str(row.record_ts)
    )
    wait_until(lambda: decision_row(bot, 1).status == "active", what="D-1 resumed")
    assert "Logged *D-2*" in _log(bot, "Support in US hours replaces:D-1")
    assert decision_row(bot, 1).status == "superseded"
    with session_scope(bot.core.engine) as session:
        kinds = [e.kind for e in session.exec(select(DecisionEvent)).all()]
    assert "superseded" in kinds


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


ANA, BEN, CAT = "U0ANA", "U0BEN", "U0CAT"
REASON = "Too risky for the audit"


def _anonymous_poll(bot: RunningBot, text: str) -> tuple[int, str]:
    """`/decide` without text opens the form; "anonymous until the owner finalizes" is ticked."""
    reply = bot.client.command("/decide", "", user_id=OWNER, trigger_id="t-form")
    assert reply.status == 200
    view = opened_view(bot.slack, "t-form")
    values = {
        "proposal": {"value": {"type": "plain_text_input", "value": text}},
        "owner": {"value": {"type": "users_select", "selected_user": None}},
        "confidence": {"value": {"type": "number_input", "value": "70"}},
        "door": {"value": {"type": "radio_buttons", "selected_option": {"value": "two-way"}}},
        "review": {"value": {"type": "datepicker", "selected_date": None}},
        "closes": {"value": {"type": "plain_text_input", "value": None}},
        "anonymous": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "anonymous"}]}
        },
    }
    reply = bot.client.view_submission(
        PROPOSE_VIEW, values, private_metadata=view["private_metadata"], user_id=OWNER
    )
    assert reply.status == 200 and reply.json() is None
    row = wait_until_row(bot, lambda d: d.poll_ts is not None)
    assert row.anonymous
    return int(row.id or 0), str(row.poll_ts)


def wait_until_row(bot: RunningBot, ok: Any) -> Decision:
    wait_until(lambda: ok(decision_row(bot, 1)), what="decision row")
    return decision_row(bot, 1)


def _answer(bot: RunningBot, text: str, name: str, user: str = CAT) -> str:
    """What `/decisions text` answers `user` (through the response_url), all of it."""
    url = bot.slack.response_url(name)
    reply = bot.client.command("/decisions", text, user_id=user, response_url=url)
    assert reply.status == 200
    answers = bot.slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == name)
    return "".join(json.dumps(c.params) for c in answers)


def _home_record(bot: RunningBot, decision_id: int, trigger: str) -> str:
    bot.client.block_action(
        "home_open_record",
        str(decision_id),
        user_id=CAT,
        trigger_id=trigger,
        view={"type": "home", "private_metadata": ""},
    )
    return json.dumps(opened_view(bot.slack, trigger))


def _home(bot: RunningBot, count: int) -> str:
    bot.client.event({"type": "app_home_opened", "user": CAT, "tab": "home"})
    bot.slack.wait_for("views.publish", count)
    return json.dumps(bot.slack.home_tabs[CAT])


def _export_votes(bot: RunningBot, count: int) -> list[tuple[Any, ...]]:
    reply = bot.client.command("/decisions", "export all", user_id=CAT)
    assert "Preparing" in reply.json()["text"]
    done = bot.slack.wait_for("files.completeUploadExternal", count, timeout=20)
    file_id = _json(done[count - 1].params["files"])[0]["id"]
    book = load_workbook(io.BytesIO(bot.slack.uploads[file_id]))
    return [tuple(r) for r in book["Votes"].iter_rows(values_only=True)]


def test_an_anonymous_poll_shows_no_voters_anywhere_until_it_is_finalized(
    bot: RunningBot,
) -> None:
    decision_id, poll_ts = _anonymous_poll(bot, "We move the audit to March")
    vote(bot, decision_id, poll_ts, ANA, "agree")
    vote(bot, decision_id, poll_ts, BEN, "disagree", REASON)
    wait_until(lambda: len(_votes(bot)) == 2, what="two votes stored")

    record = _answer(bot, "D-1", "record-open")
    assert "Agree 1" in record and "Disagree 1" in record, "the tally is shown"
    assert "Anonymous until the owner finalizes" in record
    home_record = _home_record(bot, decision_id, "t-home-open")
    assert "Disagree 1" in home_record
    for shown in (record, home_record):
        assert ANA not in shown and BEN not in shown and REASON not in shown
        assert "vote (" not in shown, "the history has no votes yet"
    assert BEN not in _home(bot, 1) and REASON not in _home(bot, 1 + 1)
    search = _answer(bot, "search audit risky", "search-open")
    assert "No decisions found" in search and REASON not in search
    stats = _answer(bot, "stats", "stats-open")
    assert BEN not in stats and ANA not in stats
    votes = _export_votes(bot, 1)
    assert len(votes) == 1, f"only the header while the poll is open: {votes}"

    trigger = press_finalize(bot, decision_id, poll_ts, OWNER)
    view = opened_view(bot.slack, trigger)
    reply = bot.client.view_submission(
        FINALIZE_VIEW,
        {"final_text": {"value": {"type": "plain_text_input", "value": "Audit in March"}}},
        private_metadata=view["private_metadata"],
        user_id=OWNER,
    )
    assert reply.status == 200 and reply.json() is None
    wait_until(lambda: decision_row(bot, 1).status == "active", what="finalized")

    record = _answer(bot, "D-1", "record-final")
    home_record = _home_record(bot, decision_id, "t-home-final")
    for shown in (record, home_record):
        assert f"<@{BEN}>" in shown and REASON in shown
        assert "Anonymous until" not in shown
    assert "vote (choice: disagree" in record, "the history shows the votes now"
    assert "*D-1*" in _answer(bot, "search audit risky", "search-final"), "found by the reason"
    votes = _export_votes(bot, 2)
    assert {r[2] for r in votes[1:]} == {"Disagree", "Agree"}
    assert any(REASON in str(r) for r in votes[1:])


def _votes(bot: RunningBot) -> list[Vote]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Vote)).all())


# --- private channels' content in public places ----------------------------------------------


def _round_in(bot: RunningBot, channel: str, user: str) -> str:
    """`/reflect now for 1d` in `channel`; the round's id once its message is stored."""
    before = len(bot.slack.calls("chat.postMessage"))
    reply = bot.client.command("/reflect", "now for 1d", user_id=user, channel_id=channel)
    assert reply.status == 200
    post = bot.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.params.get("channel") == channel and "blocks" in c.params,
    )[-1]
    assert len(bot.slack.calls("chat.postMessage")) > before
    button = next(
        e
        for b in _json(post.params["blocks"])
        for e in b.get("elements", [])
        if e.get("action_id") == "reflection_answer"
    )
    round_id = str(button["value"])
    wait_until(lambda: _round_posted(bot, int(round_id)), what="round message stored")
    return round_id


def _round_posted(bot: RunningBot, round_id: int) -> bool:
    with session_scope(bot.core.engine) as session:
        row = session.get(ReflectionRound, round_id)
        return row is not None and row.message_ts is not None


def _answer_round(bot: RunningBot, round_id: str, user: str, text: str) -> None:
    reply = bot.client.view_submission(
        "reflection_answers",
        {"q0": {"answer": {"type": "plain_text_input", "value": text}}},
        private_metadata=round_id,
        user_id=user,
    )
    assert reply.status == 200, reply.body


def _linked(bot: RunningBot) -> list[int | None]:
    with session_scope(bot.core.engine) as session:
        return [a.decision_id for a in session.exec(select(ReflectionAnswer)).all()]


def test_a_private_reflection_answer_is_not_shown_on_a_public_record(bot: RunningBot) -> None:
    _private_channel(bot, OWNER, ANA)
    with freeze_time("2026-12-07 10:00:00", tick=True):
        assert "Logged *D-1*" in _log(bot, "Ship the beta")
        round_id = _round_in(bot, SECRET, ANA)
        _answer_round(bot, round_id, ANA, "D-1 was rushed because of the merger")
        wait_until(lambda: _linked(bot) == [decision_row(bot, 1).id], what="answer linked")

        outsider = _answer(bot, "D-1", "record-outsider", user=CAT)
        member = _answer(bot, "D-1", "record-member", user=ANA)
    assert "Ship the beta" in outsider
    assert "reflection" not in outsider and STANDARD_QUESTIONS[0][:20] not in outsider
    assert f"<@{ANA}>" not in outsider
    assert "named in a reflection answer" in member and f"<@{ANA}>" in member


def test_a_public_digest_does_not_link_a_private_decision(bot: RunningBot) -> None:
    _private_channel(bot, OWNER)
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        assert "Logged *D-1*" in _log(bot, "Secret merger talks", channel=SECRET)
        assert "Logged *D-2*" in _log(bot, "Public beta")
        wait_until(lambda: decision_row(bot, 1).permalink is not None, what="D-1 announced")
        wait_until(lambda: decision_row(bot, 2).permalink is not None, what="D-2 announced")
        secret_link = str(decision_row(bot, 1).permalink)
        round_id = _round_in(bot, GENERAL, ANA)
        _answer_round(bot, round_id, ANA, "About D-1: went well")
        _answer_round(bot, round_id, BEN, "D-2 was fine")
        wait_until(lambda: len([d for d in _linked(bot) if d]) == 2, what="answers linked")
        clock.move_to("2026-12-08 10:00:01")
        bot.run_timers()
        bot.run_timers()
        digest = bot.slack.wait_for(
            "chat.postMessage",
            predicate=lambda c: (
                c.params.get("channel") == GENERAL
                and "went well" in json.dumps(c.params.get("blocks"))
            ),
        )[0]
    text = json.dumps(digest.params)
    assert "linked to" in text and "D-2" in text, "a public decision is still linked"
    assert secret_link not in text and "linked to D-1" not in text
    assert "linked to <" + secret_link not in text


def test_export_of_a_hidden_channel_answers_like_no_channel(bot: RunningBot) -> None:
    _private_channel(bot, OWNER)
    assert "Logged *D-1*" in _log(bot, "Secret merger talks", channel=SECRET)

    def export(arg: str) -> str:
        reply = bot.client.command("/decisions", f"export {arg}", user_id=CAT)
        assert reply.status == 200
        return str(reply.json()["text"])

    bot.slack.missing_channels.add("C0NOPE")
    secret, nothing = export("#secret"), export("#no-such-channel")
    assert secret == nothing.replace("#no-such-channel", "#secret")
    assert "Preparing" not in secret
    escaped, unknown = export("<#C0SECRET|secret>"), export("<#C0NOPE|nope>")
    assert escaped == unknown and "Preparing" not in escaped
    assert bot.slack.calls("files.getUploadURLExternal") == []
    assert _dms_to(bot, CAT) == []
    # A member of the channel gets the export.
    reply = bot.client.command("/decisions", "export #secret", user_id=OWNER)
    assert "Preparing" in reply.json()["text"]
    done = bot.slack.wait_for("files.completeUploadExternal", timeout=20)
    file_id = _json(done[0].params["files"])[0]["id"]
    rows = list(load_workbook(io.BytesIO(bot.slack.uploads[file_id]))["Decisions"].values)
    assert [r[0] for r in rows[1:]] == ["D-1"]


# --- Enterprise Grid: shared channels and org-wide installs -----------------------------------

GUEST = "U0GUEST"  # a person of another workspace of the organization
GUEST_TEAM = "T0GUEST"
ORG = "E0ORG"


def _guest(client: SignedClient) -> dict[str, Any]:
    return {"id": GUEST, "username": "guest", "name": "guest", "team_id": GUEST_TEAM}


def test_a_person_of_another_workspace_votes_in_a_shared_channel(bot: RunningBot) -> None:
    """In a shared channel, the click names this workspace as `team` (where the message is) and
    the person's own workspace in `user.team_id`; the modal's submission names the person's
    workspace as `team` and this one as the view's."""
    poll_ts, decision_id = propose(bot, "We move the audit to March")
    client = bot.client
    click = {
        "type": "block_actions",
        "token": client.verification_token,
        "api_app_id": client.api_app_id,
        "is_enterprise_install": False,
        "enterprise": {"id": ORG, "name": "Org"},
        "user": _guest(client),
        "team": {"id": TEAM, "domain": "narrative-test"},
        "trigger_id": "t-guest",
        "actions": [
            {
                "action_id": VOTE_ACTIONS["disagree"],
                "block_id": "b",
                "value": str(decision_id),
                "type": "button",
                "action_ts": "1.0",
            }
        ],
        "channel": {"id": GENERAL, "name": "general"},
        "message": {"type": "message", "ts": poll_ts, "user": "UBOT", "text": "", "blocks": []},
        "container": {"type": "message", "message_ts": poll_ts, "channel_id": GENERAL},
        "response_url": bot.slack.response_url("guest-click"),
        "state": {"values": {}},
    }
    assert client.send_payload(click).status == 200
    view = opened_view(bot.slack, "t-guest")
    submission = {
        "type": "view_submission",
        "token": client.verification_token,
        "api_app_id": client.api_app_id,
        "is_enterprise_install": False,
        "enterprise": {"id": ORG, "name": "Org"},
        "team": {"id": GUEST_TEAM, "domain": "guest"},
        "user": _guest(client),
        "trigger_id": "t-guest-2",
        "view": {
            "id": "V9",
            "team_id": TEAM,
            "app_installed_team_id": TEAM,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {"reason": {"value": {"type": "plain_text_input", "value": REASON}}}
            },
            "hash": "h1",
        },
        "response_urls": [],
    }
    reply = client.send_payload(submission)
    assert reply.status == 200 and reply.json() is None, reply.body
    votes = _votes(bot)
    assert [(v.team_id, v.decision_id, v.user_id, v.reason) for v in votes] == [
        (TEAM, decision_id, GUEST, REASON)
    ]
    wait_until(lambda: "*Disagree:* 1" in _poll_text(bot, poll_ts), what="the poll counts it")
    # The person's slash command in the shared channel finds the decision too.
    assert "We move the audit to March" in _answer(bot, "D-1", "guest-record", user=GUEST)


def _poll_text(bot: RunningBot, poll_ts: str) -> str:
    return json.dumps(bot.slack.messages.get((GENERAL, poll_ts)))


def test_a_reply_in_a_channel_another_workspace_owns_counts_here(bot: RunningBot) -> None:
    """The channel is owned by the other workspace: the event's top-level `team_id` is that one;
    `authorizations` name this installation."""
    with freeze_time("2026-12-07 10:00:00", tick=True):
        round_id = _round_in(bot, GENERAL, OWNER)
        with session_scope(bot.core.engine) as session:
            round_ts = str(session.get(ReflectionRound, int(round_id)).message_ts)  # type: ignore[union-attr]
        envelope = {
            "token": bot.client.verification_token,
            "team_id": GUEST_TEAM,
            "enterprise_id": ORG,
            "context_team_id": GUEST_TEAM,
            "api_app_id": bot.client.api_app_id,
            "type": "event_callback",
            "event_id": "Ev0SHARED1",
            "event_time": 1,
            "authorizations": [
                {
                    "enterprise_id": ORG,
                    "team_id": TEAM,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": True,
            "event": {
                "type": "message",
                "channel": GENERAL,
                "channel_type": "channel",
                "user": GUEST,
                "team": GUEST_TEAM,
                "text": "1. We shipped too late",
                "ts": "1765101000.000200",
                "thread_ts": round_ts,
            },
        }
        assert bot.client.send_json(envelope).status == 200
        wait_until(lambda: _answers(bot) == [(TEAM, GUEST, "We shipped too late")], what="answer")


def _answers(bot: RunningBot) -> list[tuple[str, str, str]]:
    with session_scope(bot.core.engine) as session:
        return [
            (a.team_id, a.user_id, a.text) for a in session.exec(select(ReflectionAnswer)).all()
        ]


def _org_home_opened(bot: RunningBot, event_id: str, view: dict[str, Any] | None) -> None:
    """`app_home_opened` of an org-wide install: no top-level `team_id`, the authorization is
    the organization's."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": CAT,
        "channel": "D0CAT",
        "tab": "home",
    }
    if view is not None:
        event["view"] = view
    envelope = {
        "token": bot.client.verification_token,
        "enterprise_id": ORG,
        "api_app_id": bot.client.api_app_id,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1,
        "is_ext_shared_channel": False,
        "authorizations": [
            {
                "enterprise_id": ORG,
                "team_id": None,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": True,
            }
        ],
        "event": event,
    }
    assert bot.client.send_json(envelope).status == 200


def test_an_org_wide_home_is_published_for_the_workspace_it_is_in(bot: RunningBot) -> None:
    assert "Logged *D-1*" in _log(bot, "Ship the beta")
    _org_home_opened(bot, "Ev0ORG1", {"id": "V0HOME", "type": "home", "team_id": TEAM})
    bot.slack.wait_for("views.publish")
    home = json.dumps(bot.slack.home_tabs[CAT])
    assert "*D-1*" in home and "Ship the beta" in home


def test_an_org_wide_home_without_a_workspace_says_why_it_is_empty(bot: RunningBot) -> None:
    assert "Logged *D-1*" in _log(bot, "Ship the beta")
    _org_home_opened(bot, "Ev0ORG2", None)
    bot.slack.wait_for("views.publish")
    home = json.dumps(bot.slack.home_tabs[CAT])
    assert "did not say which workspace" in home and "/decisions" in home
    assert "Ship the beta" not in home
