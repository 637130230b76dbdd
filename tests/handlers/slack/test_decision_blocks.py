"""Decision Block Kit builders, without Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot import decisions
from bot.decisions import AndonState, Ballot, DecisionSnapshot, NotAllowed
from bot.views import Person
from bot.views.decisions import (
    CommitRequest,
    DecisionCard,
    FinalizeForm,
    Poll,
    PollNotPosted,
    ProposeForm,
    ReasonForm,
    Record,
    Refusal,
)
from bot.vocabulary import Stance
from handlers.slack.blocks.decisions import (
    COMMIT,
    PULL_ANDON,
    RESOLVE_ACTIONS,
    VOTE_ACTIONS,
    build_commit_dm,
    build_decision_message,
    build_finalize_modal,
    build_poll_message,
    build_propose_modal,
    build_reason_modal,
    build_record_message,
)
from handlers.slack.platform import render
from storage.models import Decision
from tests.handlers.slack.decision_helpers import action_ids, message_text

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AGREE, DISAGREE_COMMIT, DISAGREE = Stance.AGREE, Stance.DISAGREE_COMMIT, Stance.DISAGREE


def decision(**changes: object) -> Decision:
    values: dict[str, object] = {
        "id": 7,
        "team_id": "T1",
        "number": 3,
        "channel_id": "C1",
        "poll_ts": "1.1",
        "owner_id": "UOWNER",
        "proposed_by": "UPROP",
        "proposal": "We launch <!channel> & more",
        "confidence": 70,
        "door": "two-way",
        "review_on": AT + timedelta(days=90),
        "status": "voting",
        "created_at": AT,
    }
    values.update(changes)
    return Decision(**values)  # type: ignore[arg-type]


def card(
    d: Decision, ballots: tuple[Ballot, ...] = (), andon: AndonState | None = None
) -> DecisionCard:
    """The decision as its messages show it."""
    return DecisionSnapshot(d, ballots, andon).card


def ballot(user: str, choice: str, reason: str | None = None, committed: bool = False) -> Ballot:
    committed_at = AT if committed or choice == DISAGREE_COMMIT else None
    return Ballot(user, choice, reason, AT, committed_at)


BALLOTS = (
    ballot("UA", AGREE),
    ballot("UB", DISAGREE_COMMIT, "Risky <b>"),
    ballot("UC", DISAGREE, "Too early"),
)


def test_poll_shows_tally_names_and_buttons_but_not_reasons() -> None:
    message = build_poll_message(Poll(card(decision(), BALLOTS)))
    text = message_text(message)
    assert "*Agree:* 1 — <@UA>" in text
    assert "*Disagree, but commit:* 1 — <@UB>" in text
    assert "*Disagree:* 1 — <@UC>" in text
    assert "Risky" not in text and "Too early" not in text
    assert action_ids(message) == [*VOTE_ACTIONS.values(), "decision_finalize"]
    assert "&lt;!channel&gt; &amp; more" in text and "<!channel>" not in message["text"]
    assert "D-3" in text and "70%" in text and "Two-way door" in text


def test_anonymous_poll_hides_names_until_final() -> None:
    snap = card(decision(anonymous=True), BALLOTS)
    text = message_text(build_poll_message(Poll(snap)))
    assert "*Agree:* 1\n" in text and "<@UA>" not in text and "<@UC>" not in text
    final = card(decision(anonymous=True, status="active"), BALLOTS)
    assert "<@UA>" in message_text(build_record_message(Record(final)))


def test_confidence_notes_outside_the_band() -> None:
    low = message_text(build_poll_message(Poll(card(decision(confidence=30)))))
    high = message_text(build_poll_message(Poll(card(decision(confidence=95)))))
    mid = message_text(build_poll_message(Poll(card(decision(confidence=70)))))
    assert "30% (little information — review early)" in low
    assert "95% (you may be deciding slowly)" in high
    assert "review early" not in mid and "slowly" not in mid


def test_record_puts_every_dissent_beside_the_decision() -> None:
    d = decision(status="active", final_text="We launch in April", decided_at=AT)
    message = build_record_message(Record(card(d, BALLOTS)))
    text = message_text(message)
    assert "We launch in April" in text
    assert "Proposed as: We launch &lt;!channel&gt;" in text
    assert "<@UB> — *Disagree, but commit* (committed): “Risky &lt;b&gt;”" in text
    assert "<@UC> — *Disagree* (not committed): “Too early”" in text
    assert "*Owner:* <@UOWNER>" in text and "Review:" in text
    assert action_ids(message) == [PULL_ANDON]
    assert build_decision_message(card(d, BALLOTS)) == message


def test_record_shows_commitment_and_andon_state() -> None:
    d = decision(status="halted", final_text="Go", decided_at=AT)
    committed = (ballot("UC", DISAGREE, "No", committed=True),)
    andon = AndonState("UB", "Legal <!here>", AT, None, None, None)
    message = build_record_message(Record(card(d, committed, andon)))
    text = message_text(message)
    assert "(disagreed and committed" in text
    assert "halted" in text and "<@UB> pulled the Andon cord" in text
    assert "Legal &lt;!here&gt;" in text
    assert action_ids(message) == list(RESOLVE_ACTIONS.values())
    resolved = AndonState("UB", "Legal", AT, AT, "UOWNER", "resume")
    active = build_record_message(Record(card(decision(status="active"), (), resolved)))
    assert "resumed by <@UOWNER>" in message_text(active)
    assert action_ids(active) == [PULL_ANDON]


def test_many_voters_stay_within_slack_limits() -> None:
    many = tuple(ballot(f"U{i:05d}", DISAGREE, "a long reason " * 30) for i in range(400)) + tuple(
        ballot(f"UA{i:05d}", AGREE) for i in range(600)
    )
    d = decision(status="active", final_text="x" * 3000, decided_at=AT)
    for message in (
        build_poll_message(Poll(card(decision(), many))),
        build_record_message(Record(card(d, many))),
    ):
        assert len(message["blocks"]) <= 50
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
        assert action_ids(message), "the buttons survive the cut"


def test_modals_carry_ids_and_prefill() -> None:
    snap = card(decision(), BALLOTS)
    finalize = build_finalize_modal(FinalizeForm(snap))
    assert json.loads(finalize["private_metadata"]) == {"decision_id": 7}
    assert finalize["blocks"][-1]["element"]["initial_value"] == snap.proposal
    reason = build_reason_modal(ReasonForm(snap, DISAGREE))
    assert json.loads(reason["private_metadata"]) == {"decision_id": 7, "choice": "disagree"}
    propose = build_propose_modal(
        ProposeForm(owner_id="UA", place="C1", narrative_id=4, narrative_title="Q")
    )
    assert json.loads(propose["private_metadata"]) == {"channel_id": "C1", "narrative_id": 4}
    assert len(propose["title"]["text"]) <= 24
    for view in (finalize, reason, propose):
        assert len(view["blocks"]) <= 100


def test_commit_dm_has_the_button() -> None:
    d = decision(status="active", final_text="Go", permalink="https://x/p1")
    message = build_commit_dm(CommitRequest(card(d, BALLOTS)))
    assert action_ids(message) == [COMMIT]
    assert "https://x/p1" in message_text(message)


def test_core_errors_carry_fields_and_render_as_the_words_slack_showed() -> None:
    refused = NotAllowed(label="D-3", owner="UOWNER", what="finalize it")
    assert Person("UOWNER") in refused.body and "<@" not in str(refused)
    assert render(Refusal(refused.body)) == {
        "text": ":no_entry: Only the owner of D-3, <@UOWNER>, or a workspace admin can finalize it."
    }
    halted = decisions.already_halted("D-3", "UB")
    assert render(halted.notice) == {
        "text": ":warning: D-3 is already halted by <@UB>; its owner has been notified."
    }


def test_a_poll_not_posted_names_the_reason_in_slack_words() -> None:
    here = render(PollNotPosted("not_in_channel", "C1"))["text"]
    assert here.startswith(":warning: I could not post the poll in this channel.")
    assert "Invite me with `/invite @Narrative`" in here
    yours = render(PollNotPosted("is_archived", "C1", yours=True))["text"]
    assert yours == ":warning: I could not post your poll: <#C1> is archived."
    later = render(PollNotPosted("channel_not_found", "C1", yours=True, retried=True))["text"]
    assert later == (
        ":warning: I could not post your poll in <#C1> (`channel_not_found`). Invite me with "
        "`/invite @Narrative` and try again."
    )
