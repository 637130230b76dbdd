"""The decisions part of the core journey, against the in-memory platform (no Slack code).

A poll with each stance and the dissenters' reasons, the voting time running out, the owner
finalizing in new words, the record and the commit request, the dissenter committing, an Andon
pull and the owner's amendment. Due timers are run as the timer service would, two hours on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot import decisions
from bot.core import Core
from bot.views import Notice, OpenForm, Person, ReplaceCard
from bot.views.decisions import (
    AmendForm,
    AndonAlert,
    AndonForm,
    AndonResolved,
    CommitRequest,
    Committed,
    FinalizeForm,
    Poll,
    ReasonForm,
    Record,
    Resolution,
    VotingOver,
)
from bot.vocabulary import DecisionStatus, Stance
from tests.memory_port import MemoryPlatform, Posted

TEAM = "T0JOURNEY"
CHANNEL = "C0GENERAL"
OWNER, ANA, BEN, CAT, DAN = "U0OWNER", "U0ANA", "U0BEN", "U0CAT", "U0DAN"


def decisions_journey(core: Core, memory: MemoryPlatform) -> None:
    # /decide posts the poll in the channel, once, under its key.
    said = decisions.decide(
        core,
        team_id=TEAM,
        channel_id=CHANNEL,
        user_id=OWNER,
        text="We launch the new pricing in March confidence:60% door:one-way closes:2h",
    )
    assert said is None
    (poll,) = memory.in_place(CHANNEL)
    assert isinstance(poll.view, Poll)
    card = poll.view.card
    assert poll.key == f"poll:{card.id}"
    assert (card.label, card.proposal, card.confidence, card.door, card.owner_id) == (
        "D-1",
        "We launch the new pricing in March",
        60,
        "one-way",
        OWNER,
    )
    decision_id = card.id

    # Each stance: Agree at once; disagreeing asks why first.
    assert (
        decisions.vote(
            core, team_id=TEAM, decision_id=decision_id, user_id=ANA, choice=Stance.AGREE
        )
        is None
    )
    for person, stance, reason in (
        (BEN, Stance.DISAGREE_COMMIT, "Risky in Q1, but fine"),
        (CAT, Stance.DISAGREE, "Too early: the billing migration is not done"),
    ):
        form = decisions.ask_reason(core, team_id=TEAM, decision_id=decision_id, choice=stance)
        assert isinstance(form, OpenForm) and isinstance(form.form, ReasonForm)
        assert form.form.choice == stance and form.form.card.id == decision_id
        decisions.vote_with_reason(
            core,
            team_id=TEAM,
            decision_id=decision_id,
            user_id=person,
            choice=stance,
            reason=reason,
        )
    shown = _view(memory, poll, Poll).card
    assert shown.voters(Stance.AGREE) == (ANA,)
    assert shown.voters(Stance.DISAGREE_COMMIT) == (BEN,)
    assert shown.voters(Stance.DISAGREE) == (CAT,)
    reasons = {b.user_id: (b.reason, b.committed_at is not None) for b in shown.dissents}
    # Disagree-and-commit commits at the moment of voting; a plain Disagree has not committed.
    assert reasons == {
        BEN: ("Risky in Q1, but fine", True),
        CAT: ("Too early: the billing migration is not done", False),
    }

    # The voting time runs out: the owner is asked to finalize (the bot never decides).
    core.timers.run_due(now=core.clock.now() + timedelta(hours=2, seconds=1))
    (reminder,) = memory.dms_to(OWNER)
    assert isinstance(reminder, VotingOver) and reminder.card.id == decision_id

    # Only the owner (or an admin) may finalize; the refusal names the owner as a person.
    refused = decisions.open_finalize(core, team_id=TEAM, decision_id=decision_id, user_id=ANA)
    assert isinstance(refused, Notice) and Person(OWNER) in refused.body
    form = decisions.open_finalize(core, team_id=TEAM, decision_id=decision_id, user_id=OWNER)
    assert isinstance(form, OpenForm) and isinstance(form.form, FinalizeForm)
    later = decisions.submit_finalize(
        core,
        team_id=TEAM,
        decision_id=decision_id,
        user_id=OWNER,
        final_text="We launch the new pricing in April, after the billing migration",
    )
    assert later.place == CHANNEL and later.run() is None

    # The record in the poll's thread, with the new wording and every dissent beside it.
    (record,) = memory.in_place(CHANNEL, thread=poll.id)
    assert record.key == f"record:{decision_id}" and isinstance(record.view, Record)
    final = record.view.card
    assert final.status == DecisionStatus.ACTIVE
    assert final.final_text == "We launch the new pricing in April, after the billing migration"
    assert final.proposal == "We launch the new pricing in March"
    assert final.permalink == f"memory://{CHANNEL}/{poll.id}"
    assert {b.user_id for b in final.dissents} == {BEN, CAT}
    assert isinstance(_view(memory, poll, Record), Record)  # the poll shows the record now

    # The commit request goes to the dissenter who has not committed, and only to them.
    (request,) = memory.dms_to(CAT)
    assert isinstance(request, CommitRequest) and request.card.final_text == final.final_text
    assert memory.dms_to(BEN) == [] and memory.dms_to(ANA) == []
    answered = decisions.commit_to(core, team_id=TEAM, decision_id=decision_id, user_id=CAT)
    assert isinstance(answered, ReplaceCard) and isinstance(answered.view, Committed)
    committed = {b.user_id: b.committed_at for b in _view(memory, record, Record).card.dissents}
    assert committed[CAT] == answered.view.committed_at

    # An Andon pull halts the decision and tells the owner.
    form = decisions.open_andon(core, team_id=TEAM, decision_id=decision_id)
    assert isinstance(form, OpenForm) and isinstance(form.form, AndonForm)
    decisions.submit_andon(
        core, team_id=TEAM, decision_id=decision_id, user_id=DAN, reason="Legal has not signed off"
    ).run()
    halted = _view(memory, record, Record).card
    assert halted.status == DecisionStatus.HALTED and halted.andon is not None
    assert (halted.andon.user_id, halted.andon.reason) == (DAN, "Legal has not signed off")
    alert = memory.dms_to(OWNER)[-1]
    assert isinstance(alert, AndonAlert) and alert.card.andon == halted.andon
    again = decisions.open_andon(core, team_id=TEAM, decision_id=decision_id)
    assert isinstance(again, Notice) and Person(DAN) in again.body  # already halted by Dan

    # The owner resolves it by amending the decision.
    form = decisions.resolve(
        core, team_id=TEAM, decision_id=decision_id, user_id=OWNER, resolution=Resolution.AMEND
    )
    assert isinstance(form, OpenForm) and isinstance(form.form, AmendForm)
    decisions.submit_amend(
        core,
        team_id=TEAM,
        decision_id=decision_id,
        user_id=OWNER,
        new_text="We launch the new pricing in April, once legal signs off",
    ).run()
    note = memory.in_place(CHANNEL, thread=poll.id)[-1]
    assert isinstance(note.view, AndonResolved)
    resolved = _view(memory, record, Record).card
    assert resolved.status == DecisionStatus.ACTIVE
    assert resolved.final_text == "We launch the new pricing in April, once legal signs off"
    assert resolved.andon is not None and resolved.andon.resolution == Resolution.AMEND
    assert resolved.andon.resolved_by == OWNER


def _view(memory: MemoryPlatform, posted: Posted, kind: type) -> Any:
    """What a message shows now."""
    view = memory.messages[(posted.place, posted.id)].view
    assert isinstance(view, kind), view
    return view
