"""Decision reviews in Teams, through the Teams double, on SQLite and PostgreSQL: the owner's
1:1 card comes in their working hours in their own time zone (`localTimezone`), each of the four
answers, the outcome in the decision's thread, dissenters told, the channel mention when the
owner cannot be reached privately, and a review due while the bot is down sent once after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot import decisions
from bot.vocabulary import DecisionStatus, ReviewAnswer
from storage.db import session_scope
from storage.models import Decision, Review
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import CHANNEL, TENANT, Call, TeamsDouble, activity, mention_message, task

ANA, BEN = "29:ana", "29:ben"
NAMES = {ANA: "Ana", BEN: "Ben"}
LOS_ANGELES = "America/Los_Angeles"
OTHER_CHANNEL = "19:other@thread.tacv2"
ANSWERS = ["Still right (keep)", "Amend", "Reverse", "Snooze 1 week", "Snooze 1 month"]
# Proposed Tuesday 03:00 UTC with `review:7d`: due Tuesday 2026-12-08 03:00 UTC, which is
# Monday 19:00 in Los Angeles: the card waits for 09:00 there (17:00 UTC), not 09:00 UTC.
PROPOSED = "2026-12-01 03:00:00"
NINE_UTC = "2026-12-08 09:00:01"
NINE_IN_LOS_ANGELES = "2026-12-08 17:00:01"


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str) -> Iterator[TeamsBotRunning]:
    bot = TeamsBotRunning(teams, any_db_url)
    yield bot
    bot.stop()


def who(person: str) -> dict[str, str]:
    zone = {"localTimezone": LOS_ANGELES} if person == ANA else {}
    return {"user": person, "user_name": NAMES[person], **zone}


def in_chat(double: TeamsDouble, person: str) -> dict[str, str]:
    return {"conversation": double.chat_of(person), "conversation_type": "personal"}


def click(double: TeamsDouble, verb: str, review: int, card: Call, **data: Any) -> dict[str, Any]:
    """Ana clicks an Action.Execute button of the review card in her 1:1 chat (Teams sends the
    card's inputs with the button's data)."""
    return activity(
        double,
        "invoke",
        name="adaptiveCard/action",
        replyToId=card.answered_id,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": verb,
                "data": {"verb": verb, "review": review, **data},
            }
        },
        **who(ANA),
        **in_chat(double, ANA),
    )


def decide_with_dissent(running: TeamsBotRunning) -> str:
    """Ana decides (Ben disagrees, with a reason) with a review in 7 days; the poll's id."""
    double, send = running.double, running.send
    status, _ = send(
        mention_message(double, "decide We ship weekly confidence:40% review:7d", **who(ANA))
    )
    assert status == 202
    poll_id = double.posts(CHANNEL)[0].answered_id
    assert poll_id is not None
    vote = {"verb": "disagree", "decision": 1, "reason": "QA cannot keep up"}
    assert send(task(double, "task/submit", vote, **who(BEN))) == (200, None)
    final = {"verb": "finalize", "decision": 1, "final_text": "We ship every week"}
    assert send(task(double, "task/submit", final, **who(ANA))) == (200, None)
    running.wait_idle()
    assert decision_row(running, 1).status == DecisionStatus.ACTIVE
    return poll_id


def decision_row(running: TeamsBotRunning, number: int) -> Decision:
    with session_scope(running.core.engine) as session:
        return session.exec(
            select(Decision).where(Decision.team_id == TENANT, Decision.number == number)
        ).one()


def review_row(running: TeamsBotRunning) -> Review:
    with session_scope(running.core.engine) as session:
        return session.exec(select(Review)).one()


def review_cards(double: TeamsDouble, place: str) -> list[Call]:
    return [c for c in double.posts(place) if "Time to review **D-1**" in c.card_text]


def titles(card: dict[str, Any] | None) -> list[str]:
    return [a["title"] for a in (card or {}).get("actions", [])]


def outcome_in_thread(double: TeamsDouble, poll_id: str, words: str) -> Call:
    """The review's outcome, posted as a reply in the decision's thread (the poll's)."""
    return double.wait_for(
        lambda: [
            c
            for c in double.posts(CHANNEL)
            if c.activity_id == poll_id and f"Review of **D-1**: {words}" in c.card_text
        ]
    )[0]


def review_comes_due(running: TeamsBotRunning, clock: Any) -> Call:
    """Run the review timer: nothing at 09:00 UTC, the card at 09:00 in Los Angeles."""
    double = running.double
    clock.move_to(NINE_UTC)
    running.core.timers.run_due()
    assert review_cards(double, double.chat_of(ANA)) == []
    clock.move_to(NINE_IN_LOS_ANGELES)
    running.core.timers.run_due()
    (card,) = review_cards(double, double.chat_of(ANA))
    return card


def test_the_review_comes_in_the_owners_hours_and_keep_answers_in_place(
    running: TeamsBotRunning,
) -> None:
    double, send = running.double, running.send
    with freeze_time(PROPOSED, tick=True) as clock:
        poll_id = decide_with_dissent(running)
        card = review_comes_due(running, clock)
        sent = review_row(running).sent_at
        assert sent is not None
        assert sent.replace(tzinfo=UTC).astimezone(ZoneInfo(LOS_ANGELES)).hour == 9
        assert titles(card.card) == ANSWERS
        assert "We ship every week" in card.card_text and "QA cannot keep up" in card.card_text
        review = review_row(running).id
        assert review is not None

        # Still right (keep): the card shows the Keep form in place, the same 7 days again.
        status, body = send(click(double, "review_keep", review, card))
        assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
        date_input = next(i for i in body["value"]["body"] if i.get("id") == "next_review")
        assert date_input["value"] == "2026-12-15"
        assert titles(body["value"])[0] == "Keep"
        # A date in the past is refused beside its field; what was typed stays.
        past = {
            "next_review": "2026-01-01",
            "actual": "60",
            "learned": "Weekly works",
            "tz": LOS_ANGELES,
        }
        status, body = send(click(double, "review_keep_save", review, card, **past))
        shown = str(body["value"])
        assert "Pick a next review date in the future." in shown and "Weekly works" in shown
        assert review_row(running).answered_at is None
        kept = dict(past, next_review="2027-03-01")
        status, body = send(click(double, "review_keep_save", review, card, **kept))
        assert "**D-1** kept (still right)." in str(body["value"])
        assert titles(body["value"]) == []
        outcome = outcome_in_thread(double, poll_id, "kept (still right) by <at>Ana</at>")
        assert "Weekly works" in outcome.card_text
        running.wait_idle()
    decision, answered = decision_row(running, 1), review_row(running)
    assert (answered.outcome, answered.actual_confidence) == (ReviewAnswer.KEEP, 60)
    # The next review is at 09:00 in Ana's zone (Los Angeles), kept in force.
    assert decision.review_on.replace(tzinfo=UTC) == datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    assert decision.status == DecisionStatus.ACTIVE
    # A kept decision does not concern its dissenters.
    assert not [c for c in double.posts(double.chat_of(BEN)) if "was relevant" in c.card_text]


def test_amend_opens_a_dialog_and_dissenters_are_told(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time(PROPOSED, tick=True) as clock:
        poll_id = decide_with_dissent(running)
        card = review_comes_due(running, clock)
        review = review_row(running).id
        # Only the owner answers: Ben's dialog is a note, not a form.
        fetch = {"verb": "review_amend", "review": review}
        status, body = send(task(double, "task/fetch", fetch, **who(BEN)))
        assert body["task"] == {
            "type": "message",
            "value": "Only the decision's owner (or a workspace admin) can answer its review.",
        }
        status, body = send(task(double, "task/fetch", fetch, **who(ANA), **in_chat(double, ANA)))
        assert body["task"]["type"] == "continue"
        form = str(body["task"]["value"]["card"])
        assert "The amended decision" in form and "What did we learn?" in form
        # The amended wording is required; the dialog stays open saying so.
        missing = {**fetch, "learned": "QA was right", "actual": "40"}
        status, body = send(task(double, "task/submit", missing, **who(ANA)))
        assert body["task"]["type"] == "continue"
        assert "Write the amended decision." in str(body["task"]["value"]["card"])
        amended = {**missing, "new_text": "We ship every two weeks"}
        assert send(task(double, "task/submit", amended, **who(ANA))) == (200, None)
        running.wait_idle()
        outcome = outcome_in_thread(double, poll_id, "amended by <at>Ana</at>")
        assert "Replaced by **D-2**: We ship every two weeks" in outcome.card_text
        told = double.wait_for(
            lambda: [c for c in double.posts(double.chat_of(BEN)) if "was relevant" in c.card_text]
        )
        assert "Your dissent on **D-1** was relevant: <at>Ana</at> amended it on review." in (
            told[0].card_text
        )
        # The owner's card is answered (its buttons gone).
        answered = double.wait_for(lambda: double.updates(str(card.answered_id)))[-1]
        assert "**D-1** amended." in answered.card_text and titles(answered.card) == []
    assert decision_row(running, 1).status == DecisionStatus.AMENDED
    replacement = decision_row(running, 2)
    assert replacement.final_text == "We ship every two weeks"
    assert replacement.replaces_id == decision_row(running, 1).id
    assert review_row(running).learned == "QA was right"


def test_reverse_without_a_replacement(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time(PROPOSED, tick=True) as clock:
        poll_id = decide_with_dissent(running)
        review_comes_due(running, clock)
        review = review_row(running).id
        fetch = {"verb": "review_reverse", "review": review}
        status, body = send(task(double, "task/fetch", fetch, **who(ANA)))
        assert "What we decide instead (optional)" in str(body["task"]["value"]["card"])
        reverse = {**fetch, "learned": "Weekly broke QA", "actual": "30"}
        assert send(task(double, "task/submit", reverse, **who(ANA))) == (200, None)
        running.wait_idle()
        outcome = outcome_in_thread(double, poll_id, "reversed by <at>Ana</at>")
        assert "Replaced by" not in outcome.card_text
        double.wait_for(
            lambda: [
                c
                for c in double.posts(double.chat_of(BEN))
                if "<at>Ana</at> reversed it on review" in c.card_text
            ]
        )
    assert decision_row(running, 1).status == DecisionStatus.REVERSED
    assert (
        decisions.load(running.core, team_id=TENANT, decision_id=1).card.replaced_by_label is None
    )


def test_snooze_answers_in_place_once(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time(PROPOSED, tick=True) as clock:
        poll_id = decide_with_dissent(running)
        card = review_comes_due(running, clock)
        review = review_row(running).id
        assert review is not None
        status, body = send(click(double, "review_snooze_week", review, card))
        assert "**D-1** snoozed." in str(body["value"]) and titles(body["value"]) == []
        outcome_in_thread(double, poll_id, "snoozed by <at>Ana</at>")
        # A second click (another copy of the card) changes nothing.
        status, body = send(click(double, "review_snooze_month", review, card))
        assert body["value"] == "This review was already answered."
        running.wait_idle()
    # A week from the click, and in force again.
    decision = decision_row(running, 1)
    assert decision.review_on.date() == datetime(2026, 12, 15).date()
    assert decision.status == DecisionStatus.ACTIVE
    assert review_row(running).outcome == ReviewAnswer.SNOOZE


def test_an_owner_teams_cannot_reach_privately_is_mentioned_in_the_decisions_channel(
    running: TeamsBotRunning,
) -> None:
    double, send = running.double, running.send
    double.refuse_chat.add(ANA)  # the app is not installed for Ana: no 1:1 chat
    with freeze_time(PROPOSED, tick=True) as clock:
        decide_with_dissent(running)
        # Ana was last seen in another channel; the review belongs in the decision's.
        send(mention_message(double, "decisions", conversation=OTHER_CHANNEL, **who(ANA)))
        running.wait_idle()
        clock.move_to(NINE_IN_LOS_ANGELES)
        running.core.timers.run_due()
        (card,) = review_cards(double, CHANNEL)
        assert titles(card.card) == ANSWERS
        notes = [c for c in double.posts(CHANNEL) if "a note for you" in c.card_text]
        assert notes and "<at>Ana</at>" in notes[-1].card_text
        assert review_cards(double, OTHER_CHANNEL) == []
        # Teams refused the 1:1 chat with Ana (the double answered 403).
        assert any(
            c.body and c.body["members"][0]["id"] == ANA
            for c in double.calls
            if c.path == "/v3/conversations"
        )
        # Answered from the channel, the card there is replaced.
        review = review_row(running).id
        assert review is not None
        status, body = send(
            activity(
                double,
                "invoke",
                name="adaptiveCard/action",
                replyToId=card.answered_id,
                value={
                    "action": {
                        "type": "Action.Execute",
                        "verb": "review_snooze_week",
                        "data": {"verb": "review_snooze_week", "review": review},
                    }
                },
                **who(ANA),
            )
        )
        assert "**D-1** snoozed." in str(body["value"])
    assert review_row(running).dm_channel == CHANNEL


def test_a_review_due_while_the_bot_is_down_is_sent_once_after_restart(
    teams: TeamsDouble, any_db_url: str
) -> None:
    with freeze_time(PROPOSED, tick=True) as clock:
        first = TeamsBotRunning(teams, any_db_url)
        try:
            decide_with_dissent(first)
        finally:
            first.stop()
        # Down over the review date; up again at 09:00 UTC, which is night in Los Angeles:
        # Ana's zone comes from the database, so the card still waits.
        clock.move_to(NINE_UTC)
        again = TeamsBotRunning(teams, any_db_url)
        try:
            assert again.teams.platform.timezone(TENANT, ANA) == LOS_ANGELES
            again.core.timers.run_due()
            assert review_cards(teams, teams.chat_of(ANA)) == []
        finally:
            again.stop()
        clock.move_to(NINE_IN_LOS_ANGELES)
        third = TeamsBotRunning(teams, any_db_url)
        try:
            third.core.timers.run_due()
            third.core.timers.run_due()
        finally:
            third.stop()
        last = TeamsBotRunning(teams, any_db_url)
        try:
            last.core.timers.run_due()
        finally:
            last.stop()
    assert len(review_cards(teams, teams.chat_of(ANA))) == 1
