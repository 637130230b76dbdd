"""The decision log's part of the whole journey, against the in-memory platform: a finalized
decision comes due for review 30 days later, its owner amends it, the thread and the dissenter
hear of it, the log and the record show it, and an export carries it.

Its own place and people, and labels read from what it created, so that it can run on a core
where other parts of the journey made decisions of their own."""

from __future__ import annotations

import io

from freezegun import freeze_time
from openpyxl import load_workbook

from bot import decision_log, decisions, log_export, reviews
from bot.access import Viewer, everyone_sees
from bot.core import Core
from bot.port import MessageRef
from bot.proposals import parse_proposal
from bot.views import OpenForm
from bot.views.decision_log import HomeFilters, Listing, MetricsView, RecordView
from bot.views.reviews import (
    ChangeForm,
    DissentRelevantView,
    ReviewAnsweredView,
    ReviewOutcomeView,
    ReviewPromptView,
)
from bot.vocabulary import DecisionStatus, ReviewAnswer, Stance
from storage.decision_log import LogQuery
from tests.memory_port import MemoryPlatform

TEAM = "T0JOURNEY"
CHANNEL = "C0LOGBOOK"
OWNER = "U0LOGOWNER"
DISSENTER = "U0LOGBOB"
WAS = "Ship every week"
NOW = "Ship every two weeks"
WHY = "Weekly is too fast for QA"
LEARNED = "QA needs two weeks"


def _finalized(core: Core, memory: MemoryPlatform, team: str) -> tuple[str, MessageRef]:
    """A poll with one dissent, finalized by its owner with new wording: its label and its poll
    message (whose thread holds the decision's conversation)."""
    options = parse_proposal("Ship weekly confidence:40%", author_id=OWNER, now=core.clock.now())
    snap = decisions.propose(
        core, team_id=team, channel_id=CHANNEL, proposed_by=OWNER, options=options
    )
    poll = memory.post(team, CHANNEL, "the poll", key=f"poll:{snap.id}")
    decisions.poll_posted(core, team_id=team, decision_id=snap.id, poll_ts=poll.id)
    decisions.cast_vote(
        core,
        team_id=team,
        decision_id=snap.id,
        user_id=DISSENTER,
        choice=Stance.DISAGREE,
        reason=WHY,
    )
    final = decisions.finalize(
        core, team_id=team, decision_id=snap.id, user_id=OWNER, is_admin=False, final_text=WAS
    )
    return f"D-{final.decision.number}", poll


def _amended(core: Core, memory: MemoryPlatform, team: str, review_id: int) -> str:
    """The owner answers Amend with new wording: the label of the decision replacing it."""
    refused = reviews.open_change(
        core,
        memory,
        team_id=team,
        user_id=DISSENTER,
        review_id=review_id,
        outcome=ReviewAnswer.AMEND,
    )
    assert refused == reviews.notice(reviews.NOT_YOURS)
    opened = reviews.open_change(
        core, memory, team_id=team, user_id=OWNER, review_id=review_id, outcome=ReviewAnswer.AMEND
    )
    assert isinstance(opened, OpenForm) and isinstance(opened.form, ChangeForm)
    assert opened.form.outcome == ReviewAnswer.AMEND
    in_form = reviews.answers_in_form(core, team_id=team, user_id=OWNER, review_id=review_id)
    assert in_form is True
    result = reviews.submit_form(
        core,
        memory,
        team_id=team,
        user_id=OWNER,
        review_id=review_id,
        form=reviews.FormAnswer(
            outcome=ReviewAnswer.AMEND, actual_confidence=30, learned=LEARNED, new_text=NOW
        ),
        in_form=in_form,
    )
    assert isinstance(result, reviews.ReviewResult) and result.replacement is not None
    reviews.announce(core, memory, result)
    return f"D-{result.replacement.number}"


def _amended_under_half(metrics: MetricsView) -> int:
    return sum(b.amended for b in metrics.bands if b.label == "under 50%")


def _log_shows_it(core: Core, team: str, old: str, new: str, amended_before: int) -> None:
    """The channel's log page, the Home tab and both records show the amendment."""
    owner = Viewer(OWNER, may_see=everyone_sees)
    page = decision_log.list_page(
        core, team_id=team, viewer=owner, listing=Listing.CHANNEL, arg=CHANNEL
    )
    assert [(e.label, e.status, e.text) for e in page.lines.entries] == [
        (new, DecisionStatus.ACTIVE, NOW),
        (old, DecisionStatus.AMENDED, WAS),
    ]
    home = decision_log.home(
        core, team_id=team, viewer=owner, filters=HomeFilters(channel_id=CHANNEL)
    )
    assert home.total == 2 and [e.label for e in home.lines.entries] == [new, old]
    # Calibration: this review (due in the period, made with 40%) counts as one more amended.
    assert _amended_under_half(home.metrics) == amended_before + 1
    record = decision_log.record_page(core, team_id=team, viewer=owner, number=int(old[2:]))
    assert isinstance(record, RecordView)
    assert (record.status, record.replaced_by) == (DecisionStatus.AMENDED, new)
    [review] = record.reviews
    assert (review.outcome, review.answered_by, review.actual_confidence, review.learned) == (
        ReviewAnswer.AMEND,
        OWNER,
        30,
        LEARNED,
    )
    assert [(v.person, v.reason) for v in record.dissent] == [(DISSENTER, WHY)]
    newer = decision_log.record_page(core, team_id=team, viewer=owner, number=int(new[2:]))
    assert isinstance(newer, RecordView) and (newer.replaces, newer.text) == (old, NOW)


def log_journey(core: Core, memory: MemoryPlatform, *, team: str = TEAM) -> None:
    memory.zones[OWNER] = "Europe/Berlin"
    with freeze_time("2026-12-01 09:00:00") as clock:
        old, poll = _finalized(core, memory, team)
        # 40% confidence: reviewed after 30 days, on Thursday 2026-12-31 at 10:00 in Berlin.
        clock.move_to("2026-12-30 09:00:00")
        core.timers.run_due()
        assert memory.dms_to(OWNER) == []
        clock.move_to("2026-12-31 09:00:01")
        core.timers.run_due()
        [prompt] = memory.dms_to(OWNER)
        assert isinstance(prompt, ReviewPromptView)
        assert (prompt.label, prompt.decision_text, prompt.confidence) == (old, WAS, 40)
        assert [(d.person, d.reason) for d in prompt.dissent] == [(DISSENTER, WHY)]
        before = _amended_under_half(decision_log.stats(core, team_id=team))
        new = _amended(core, memory, team, prompt.review_id)
        _log_shows_it(core, team, old, new, before)

    # The owner's prompt now says it was amended; the thread and the dissenter heard of it.
    [dm] = [m for m in memory.dms if m.place == f"D-{OWNER}"]
    assert isinstance(dm.view, ReviewAnsweredView) and dm.history == [prompt]
    assert (dm.view.outcome, dm.view.replaced_by) == (ReviewAnswer.AMEND, new)
    [note] = memory.in_place(CHANNEL, thread=poll.id)
    assert isinstance(note.view, ReviewOutcomeView)
    assert (note.view.outcome, note.view.by, note.view.replacement_label) == (
        ReviewAnswer.AMEND,
        OWNER,
        new,
    )
    assert note.view.replacement_text == NOW
    [told] = memory.dms_to(DISSENTER)
    assert isinstance(told, DissentRelevantView)
    assert (told.label, told.owner, told.learned) == (old, OWNER, LEARNED)

    # An export of the channel carries both decisions, the amended one with its status.
    log_export.export_log(
        core,
        memory,
        log_export.ExportRequest(team, OWNER, LogQuery(channel_id=CHANNEL)),
        viewer=Viewer(OWNER, may_see=everyone_sees),
    )
    [sent] = [f for f in memory.files if f.to == OWNER]
    assert sent.filename.startswith("decision-log-") and sent.filename.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(sent.data))["Decisions"].iter_rows(values_only=True))
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {old, new}
    assert (by_id[old]["Status"], by_id[old]["Replaced by"]) == ("Amended", new)
    assert (by_id[new]["Decision"], by_id[new]["Status"]) == (NOW, "Active")
