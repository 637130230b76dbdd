"""Long decisions in Teams, whose messages Teams refuses past about 28 KB (the double answers
413 as Teams does): the poll card, updated in place, stays one message under the limit; the
record is posted whole across parts in the poll's thread, and so is `decisions D-1` (with its
Andon pulls and history, each part under the limit)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.decision_log import DecisionRecord, record_view
from handlers.teams import cards
from storage.models import AndonPull, Decision, DecisionEvent, Vote
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import (
    CHANNEL,
    MAX_MESSAGE_BYTES,
    TeamsDouble,
    mention_message,
    task,
)

ANA = "29:ana"
DISSENTERS = 200
PLAIN = 20  # of them disagree plainly (each then gets a commit request); the rest commit


@pytest.fixture
def running(teams: TeamsDouble, sqlite_url: str) -> Iterator[TeamsBotRunning]:
    bot = TeamsBotRunning(teams, sqlite_url)
    yield bot
    bot.stop()


def person(i: int) -> dict[str, str]:
    # Teams ids are long; each mention on a card also adds an entity with the id and name.
    return {"user": f"29:1{i:04d}" + "f" * 60, "user_name": f"Person number {i:04d}"}


def reason(i: int) -> str:
    return (f"reason {i:03d} " + "the rollout is not ready for this market " * 13)[:500]


def test_long_dissent_never_cut_nor_refused(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    send(mention_message(double, "decide We launch in March", user=ANA, user_name="Ana"))
    poll_id = double.posts(CHANNEL)[0].answered_id
    assert poll_id is not None
    for i in range(DISSENTERS):
        verb = "disagree" if i < PLAIN else "disagree_commit"
        data = {"verb": verb, "decision": 1, "reason": reason(i)}
        assert send(task(double, "task/submit", data, **person(i))) == (200, None)
    running.wait_idle()
    assert not double.refused()
    voting = double.updates(poll_id)[-1]
    assert "**Disagree:** 20 —" in voting.card_text
    assert (
        "**Disagree, but commit:** 180 —" in voting.card_text and "and 160 more" in voting.card_text
    )

    final = {"verb": "finalize", "decision": 1, "final_text": "We launch in April"}
    assert send(task(double, "task/submit", final, user=ANA, user_name="Ana")) == (200, None)
    running.wait_idle()
    assert not double.refused(), [(c.method, c.size) for c in double.refused()]
    # The poll shows the record, in one message: the count and the latest reasons.
    shown = double.updates(poll_id)[-1]
    assert "Decision D-1" in shown.card_text and "We launch in April" in shown.card_text
    assert "**Dissent:** 200 (180 committed)" in shown.card_text
    assert "decisions D-1" in shown.card_text and reason(DISSENTERS - 1) in shown.card_text
    assert reason(0) not in shown.card_text
    assert shown.size <= MAX_MESSAGE_BYTES
    # The record in the thread, whole across parts: every reason is there.
    thread = [c for c in double.posts(CHANNEL) if c.activity_id == poll_id]
    assert len(thread) > 2 and "Decision D-1" in thread[0].card_text
    assert "(1 of " in thread[1].card_text
    everything = "\n".join(c.card_text for c in thread)
    assert all(reason(i) in everything for i in range(DISSENTERS))

    # The full record in the decision log, asked for privately: whole across parts too.
    send(mention_message(double, "decisions D-1", user=ANA, user_name="Ana"))
    running.wait_idle()
    chat = double.wait_for(lambda: double.posts(double.chat_of(ANA)))
    assert len(chat) > 1 and "D-1" in chat[0].card_text and "Continued in" in chat[0].card_text
    logged = "\n".join(c.card_text for c in chat)
    assert all(reason(i) in logged for i in range(DISSENTERS))
    assert not double.refused()


def test_the_double_refuses_a_message_teams_would_refuse(teams: TeamsDouble) -> None:
    """The 413 the test above would meet: a body past 28 KB is refused, as Teams does."""
    body = json.dumps({"type": "message", "text": "x" * MAX_MESSAGE_BYTES}).encode()
    request = urllib.request.Request(
        f"{teams.service_url}v3/conversations/{CHANNEL}/activities",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 413
    assert json.loads(refused.value.read())["error"]["code"] == "MessageSizeTooBig"
    assert [c.size for c in teams.refused()] == [len(body)] and not teams.posts(CHANNEL)


AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _long_record(dissents: int, pulls: int, events: int) -> DecisionRecord:
    decision = Decision(
        id=1,
        team_id="T",
        number=1,
        channel_id=CHANNEL,
        owner_id=ANA,
        proposed_by=ANA,
        proposal="We launch in March",
        final_text="We launch in April",
        confidence=40,
        review_on=AT + timedelta(days=30),
        status="active",
        created_at=AT,
        decided_at=AT,
    )
    at = [AT + timedelta(minutes=i) for i in range(max(dissents, pulls, events))]
    return DecisionRecord(
        decision=decision,
        votes=tuple(
            Vote(
                team_id="T",
                decision_id=1,
                user_id=person(i)["user"],
                choice="disagree",
                reason=reason(i),
                cast_at=at[i],
            )
            for i in range(dissents)
        ),
        andon_pulls=tuple(
            AndonPull(
                team_id="T",
                decision_id=1,
                user_id=person(i)["user"],
                reason=f"pull {i:03d} " + "legal has not signed off " * 20,
                pulled_at=at[i],
                resolved_at=at[i],
                resolved_by=ANA,
                resolution="resume",
            )
            for i in range(pulls)
        ),
        reviews=(),
        events=tuple(
            DecisionEvent(
                team_id="T",
                decision_id=1,
                at=at[i],
                user_id=person(i)["user"],
                kind="edited",
                detail=json.dumps({"note": f"event {i:03d} " + "changed the wording " * 20}),
            )
            for i in range(events)
        ),
        narrative_title=None,
        narrative_questions=0,
        replaces_label=None,
        replaced_by_label=None,
    )


def test_a_long_decision_log_record_takes_parts_each_under_the_limit() -> None:
    view = record_view(_long_record(DISSENTERS, 60, 300))
    count = cards.parts(view)
    assert count > 2
    messages = [cards.render(view)] + [
        cards.render(cards.Continued(view, i, count)) for i in range(2, count + 1)
    ]
    assert all(cards.size([m]) <= MAX_MESSAGE_BYTES for m in messages)
    assert f"Continued in {count - 1} more messages" in json.dumps(messages[0])
    everything = json.dumps(messages, ensure_ascii=False)
    assert all(reason(i) in everything for i in range(DISSENTERS))
    assert all(f"pull {i:03d} " in everything for i in range(60))
    assert all(f"event {i:03d} " in everything for i in range(300))
    assert "**History**" in everything and "**Andon cord**" in everything


def test_a_short_record_is_one_message() -> None:
    view = record_view(_long_record(3, 1, 2))
    assert cards.parts(view) == 1
    assert "Continued" not in json.dumps(cards.render(view))
