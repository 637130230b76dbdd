"""The decision core without Slack: proposing, votes with history, the owner, dissent, Andon."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot import decisions
from bot.core import Core
from bot.decisions import (
    DecisionError,
    DecisionIsFinal,
    DecisionNotFound,
    FormError,
    NotAllowed,
)
from bot.proposals import parse_proposal
from bot.timers import TimerService
from bot.views.decisions import Poll
from bot.vocabulary import Stance
from storage.db import make_engine, migrate, session_scope
from storage.models import DecisionEvent, Narrative, Timer, Vote
from tests.memory_port import MemoryPlatform, Posted

AGREE, DISAGREE_COMMIT, DISAGREE = Stance.AGREE, Stance.DISAGREE_COMMIT, Stance.DISAGREE
TEAM = "T1"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass
class SteppingClock:
    at: datetime = START

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def core(engine: Engine, clock: SteppingClock) -> Iterator[Core]:
    timers = TimerService(engine=engine, clock=clock)
    timers.register("review_due", lambda timer: None)
    timers.register("poll_close", lambda timer: None)
    yield Core(engine=engine, clock=clock, timers=timers)


def proposed(core: Core, text: str = "We launch in March", *, team: str = TEAM, **kw: object):
    options = parse_proposal(text, author_id="UOWNER", now=core.clock.now())
    return decisions.propose(
        core, team_id=team, channel_id="C1", proposed_by="UOWNER", options=options, **kw
    )


def votes(core: Core) -> list[tuple[str, str, str | None, bool]]:
    with session_scope(core.engine) as session:
        rows = session.exec(select(Vote).order_by(col(Vote.id)))
        return [(v.user_id, v.choice, v.reason, v.current) for v in rows]


def event_kinds(core: Core) -> list[str]:
    with session_scope(core.engine) as session:
        return [e.kind for e in session.exec(select(DecisionEvent).order_by(col(DecisionEvent.id)))]


def test_propose_numbers_per_workspace_and_schedules_the_deadline(core: Core) -> None:
    first = proposed(core, "We launch closes:2h")
    second = proposed(core, "We hire")
    other = proposed(core, "Elsewhere", team="T2")
    assert (first.label, second.label, other.label) == ("D-1", "D-2", "D-1")
    assert first.is_voting and first.decision.owner_id == "UOWNER"
    with session_scope(core.engine) as session:
        timers = list(session.exec(select(Timer)))
    assert [(t.kind, t.ref_id, t.due_at) for t in timers] == [
        ("poll_close", first.id, START + timedelta(hours=2))
    ]


def test_votes_change_keep_history_and_repeat_without_duplicates(
    core: Core, clock: SteppingClock
) -> None:
    snap = proposed(core)
    cast = decisions.cast_vote
    assert cast(core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=AGREE).recorded
    assert not cast(core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=AGREE).recorded
    clock.advance(minutes=1)
    result = cast(
        core,
        team_id=TEAM,
        decision_id=snap.id,
        user_id="UA",
        choice=DISAGREE,
        reason="  Too soon ",
    )
    assert result.recorded
    again = cast(
        core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=DISAGREE, reason="Too soon"
    )
    assert not again.recorded
    assert votes(core) == [("UA", "agree", None, False), ("UA", "disagree", "Too soon", True)]
    assert result.snapshot.voters(DISAGREE) == ("UA",)
    assert result.snapshot.count(AGREE) == 0
    assert event_kinds(core) == ["proposed", "vote", "vote_changed"]


def test_disagreeing_needs_a_reason(core: Core) -> None:
    snap = proposed(core)
    for choice in (DISAGREE, DISAGREE_COMMIT):
        with pytest.raises(DecisionError, match="reason"):
            decisions.cast_vote(
                core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=choice, reason=" "
            )
    assert votes(core) == []


def test_disagree_but_commit_is_committed_when_cast(core: Core) -> None:
    snap = proposed(core)
    result = decisions.cast_vote(
        core,
        team_id=TEAM,
        decision_id=snap.id,
        user_id="UB",
        choice=DISAGREE_COMMIT,
        reason="Risky",
    )
    (ballot,) = result.snapshot.dissents
    assert ballot.committed_at == START
    assert result.snapshot.uncommitted_dissenters == ()


def test_other_workspace_sees_nothing(core: Core) -> None:
    snap = proposed(core)
    with pytest.raises(DecisionNotFound):
        decisions.load(core, team_id="T2", decision_id=snap.id)
    with pytest.raises(DecisionNotFound):
        decisions.cast_vote(core, team_id="T2", decision_id=snap.id, user_id="UX", choice=AGREE)
    with pytest.raises(DecisionNotFound):
        decisions.finalize(
            core, team_id="T2", decision_id=snap.id, user_id="UOWNER", is_admin=True, final_text="x"
        )


def test_only_owner_or_admin_finalizes(core: Core) -> None:
    snap = proposed(core)
    with pytest.raises(NotAllowed, match="Only the owner"):
        decisions.finalize(
            core, team_id=TEAM, decision_id=snap.id, user_id="UA", is_admin=False, final_text="x"
        )
    final = decisions.finalize(
        core, team_id=TEAM, decision_id=snap.id, user_id="UADMIN", is_admin=True, final_text="We do"
    )
    assert final.decision.status == "active" and final.decision.final_text == "We do"


def test_finalize_ends_voting_schedules_review_and_cancels_deadline(
    core: Core, clock: SteppingClock
) -> None:
    snap = proposed(core, "We launch closes:1d confidence:40%")
    decisions.cast_vote(
        core, team_id=TEAM, decision_id=snap.id, user_id="UC", choice=DISAGREE, reason="No"
    )
    clock.advance(hours=1)
    final = decisions.finalize(
        core,
        team_id=TEAM,
        decision_id=snap.id,
        user_id="UOWNER",
        is_admin=False,
        final_text="  We launch in April  ",
    )
    d = final.decision
    assert (d.status, d.final_text, d.decided_at) == ("active", "We launch in April", clock.at)
    assert final.uncommitted_dissenters == ("UC",)
    with session_scope(core.engine) as session:
        timers = {t.kind: t for t in session.exec(select(Timer))}
    assert timers["poll_close"].status == "cancelled"
    assert timers["review_due"].ref_id == snap.id
    assert timers["review_due"].due_at == START + timedelta(days=30)
    with pytest.raises(DecisionIsFinal):
        decisions.cast_vote(core, team_id=TEAM, decision_id=snap.id, user_id="UD", choice=AGREE)
    with pytest.raises(DecisionIsFinal, match="already final"):
        decisions.finalize(
            core,
            team_id=TEAM,
            decision_id=snap.id,
            user_id="UOWNER",
            is_admin=False,
            final_text="again",
        )


def test_plain_dissenter_commits_once(core: Core, clock: SteppingClock) -> None:
    snap = proposed(core)
    decisions.cast_vote(
        core, team_id=TEAM, decision_id=snap.id, user_id="UC", choice=DISAGREE, reason="No"
    )
    with pytest.raises(DecisionError, match="not final"):
        decisions.commit(core, team_id=TEAM, decision_id=snap.id, user_id="UC")
    decisions.finalize(
        core, team_id=TEAM, decision_id=snap.id, user_id="UOWNER", is_admin=False, final_text="Go"
    )
    clock.advance(hours=3)
    first = decisions.commit(core, team_id=TEAM, decision_id=snap.id, user_id="UC")
    clock.advance(hours=1)
    second = decisions.commit(core, team_id=TEAM, decision_id=snap.id, user_id="UC")
    assert first.newly and not second.newly
    assert first.committed_at == second.committed_at == START + timedelta(hours=3)
    assert first.snapshot.uncommitted_dissenters == ()
    with pytest.raises(DecisionError, match="did not vote Disagree"):
        decisions.commit(core, team_id=TEAM, decision_id=snap.id, user_id="UNOBODY")


def test_andon_halts_and_owner_resumes_amends_or_reverses(core: Core) -> None:
    snap = proposed(core)
    with pytest.raises(DecisionError, match="still being voted"):
        decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UA", reason="x")
    decisions.finalize(
        core, team_id=TEAM, decision_id=snap.id, user_id="UOWNER", is_admin=False, final_text="Go"
    )
    with pytest.raises(DecisionError, match="why"):
        decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UA", reason=" ")
    halted = decisions.pull_andon(
        core, team_id=TEAM, decision_id=snap.id, user_id="UA", reason="Legal"
    )
    assert halted.decision.status == "halted"
    assert halted.andon is not None and halted.andon.is_open and halted.andon.user_id == "UA"
    with pytest.raises(DecisionError, match="already halted"):
        decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UB", reason="Me")

    def resolve(user: str, resolution: str, admin: bool = False, text: str | None = None):
        return decisions.resolve_andon(
            core,
            team_id=TEAM,
            decision_id=snap.id,
            user_id=user,
            is_admin=admin,
            resolution=resolution,
            new_text=text,
        )

    with pytest.raises(NotAllowed):
        resolve("UB", "resume")
    resumed = resolve("UOWNER", "resume")
    assert resumed.decision.status == "active"
    assert resumed.andon is not None and resumed.andon.resolution == "resume"
    with pytest.raises(DecisionError, match="not halted"):
        resolve("UOWNER", "resume")

    decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UB", reason="Again")
    amended = resolve("UADMIN", "amend", admin=True, text="Go in May")
    assert (amended.decision.status, amended.decision.final_text) == ("active", "Go in May")

    decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UB", reason="No")
    assert resolve("UOWNER", "reverse").decision.status == "reversed"
    with session_scope(core.engine) as session:
        review = session.exec(select(Timer).where(Timer.kind == "review_due")).one()
    assert review.status == "cancelled", "a reversed decision is not reviewed"
    with pytest.raises(DecisionError, match="reversed"):
        decisions.pull_andon(core, team_id=TEAM, decision_id=snap.id, user_id="UB", reason="x")
    with session_scope(core.engine) as session:
        resolved = [
            json.loads(e.detail or "{}").get("resolution")
            for e in session.exec(
                select(DecisionEvent).where(DecisionEvent.kind == "andon_resolved")
            )
        ]
    assert resolved == ["resume", "amend", "reverse"]


def test_narrative_must_belong_to_the_workspace(core: Core) -> None:
    with session_scope(core.engine) as session:
        narrative = Narrative(
            team_id="T2",
            channel_id="C9",
            owner_id="U9",
            title="Theirs",
            reading_seconds=60,
            started_at=START,
            ends_at=START,
        )
        session.add(narrative)
        session.flush()
        narrative_id = int(narrative.id or 0)
    with pytest.raises(DecisionError, match="narrative was not found"):
        proposed(core, narrative_id=narrative_id)
    with pytest.raises(DecisionError, match="narrative was not found"):
        decisions.narrative_for_proposal(core, team_id=TEAM, narrative_id=narrative_id)
    assert (
        proposed(core, team="T2", narrative_id=narrative_id).decision.narrative_id == narrative_id
    )


def test_discard_removes_an_unposted_poll(core: Core) -> None:
    snap = proposed(core, "We launch closes:2h")
    decisions.discard(core, team_id=TEAM, decision_id=snap.id)
    with pytest.raises(DecisionNotFound):
        decisions.load(core, team_id=TEAM, decision_id=snap.id)
    posted = proposed(core)
    decisions.poll_posted(core, team_id=TEAM, decision_id=posted.id, poll_ts="1.2")
    decisions.discard(core, team_id=TEAM, decision_id=posted.id)
    assert decisions.load(core, team_id=TEAM, decision_id=posted.id).decision.poll_ts == "1.2"


def test_poll_deadline_only_while_voting(core: Core) -> None:
    snap = proposed(core)
    assert decisions.poll_deadline(core, team_id=TEAM, decision_id=snap.id) is not None
    decisions.finalize(
        core, team_id=TEAM, decision_id=snap.id, user_id="UOWNER", is_admin=False, final_text="Go"
    )
    assert decisions.poll_deadline(core, team_id=TEAM, decision_id=snap.id) is None


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("proposal", {"text": "   "}),
        ("confidence", {"confidence": "150"}),
        ("review", {"review_date": "2020-01-01"}),
        ("closes", {"closes": "soon"}),
        ("door", {"door": "sideways"}),
    ],
)
def test_form_errors_name_the_field(field: str, kwargs: dict[str, str]) -> None:
    values: dict[str, str | None] = {
        "text": "We launch",
        "confidence": "70",
        "review_date": None,
        "owner_id": None,
        "door": "two-way",
        "closes": None,
    }
    values.update(kwargs)
    with pytest.raises(FormError) as caught:
        decisions.proposal_from_form(**values, author_id="UA", now=START)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_form_defaults() -> None:
    options = decisions.proposal_from_form(
        text="We  launch\n now",
        confidence="45",
        review_date=None,
        owner_id=None,
        door=None,
        closes="2h",
        author_id="UA",
        now=START,
    )
    assert options.text == "We launch now" and options.owner_id == "UA"
    assert options.review_on == START + timedelta(days=30)
    assert options.closes_at == START + timedelta(hours=2)
    assert options.door == "two-way"


def test_concurrent_votes_on_postgres_never_duplicate(pg_url: str, clock: SteppingClock) -> None:
    """The decision row lock serializes double clicks that arrive at the same moment."""
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(pg_url)
    migrate(engine)
    try:
        timers = TimerService(engine=engine, clock=clock)
        core = Core(engine=engine, clock=clock, timers=timers)
        snap = proposed(core)
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(
                pool.map(
                    lambda _: (
                        decisions.cast_vote(
                            core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=AGREE
                        ).recorded
                    ),
                    range(8),
                )
            )
        assert results.count(True) == 1
        assert votes(core) == [("UA", "agree", None, True)]
    finally:
        engine.dispose()


def test_a_vote_reads_its_decision_once_for_its_update(core: Core) -> None:
    """Stored under the decision's lock, then shown: the decision is read once more, when the
    platform sends the update (not before the vote, nor after it for the ack)."""
    memory = MemoryPlatform()
    core.add_platform(memory)
    core.timers.register("show_votes", lambda timer: None)
    snap = proposed(core)
    decisions.poll_posted(core, team_id=TEAM, decision_id=snap.id, poll_ts="1.000")
    memory.messages[("C1", "1.000")] = Posted(TEAM, "C1", "1.000", None)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(core.engine, "before_cursor_execute", seen)
    try:
        said = decisions.vote(core, team_id=TEAM, decision_id=snap.id, user_id="UA", choice=AGREE)
    finally:
        event.remove(core.engine, "before_cursor_execute", seen)
    assert said is None
    reads = [s for s in statements if re.search(r"\bFROM decision\b", s)]
    assert len(reads) == 2, reads  # the vote's own, under lock; the update's
    shown = memory.messages[("C1", "1.000")].view
    assert isinstance(shown, Poll) and shown.card.voters(AGREE) == ("UA",)
