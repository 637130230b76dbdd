"""The decision log's part of the whole journey, against the in-memory platform: a finalized
decision comes due for review 30 days later, its owner amends it, the thread and the dissenter
hear of it, the log and the record show it, and an export carries it."""

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
from bot.views.decision_log import HomeFilters, Listing, RecordView
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
CHANNEL = "C0PRODUCT"
OWNER = "U0OWNER"
DISSENTER = "U0BOB"


def _finalized(core: Core, memory: MemoryPlatform) -> tuple[int, MessageRef]:
    """A poll with one dissent, finalized by its owner with new wording: its id and its poll
    message (whose thread holds the decision's conversation)."""
    options = parse_proposal("Ship weekly confidence:40%", author_id=OWNER, now=core.clock.now())
    snap = decisions.propose(
        core, team_id=TEAM, channel_id=CHANNEL, proposed_by=OWNER, options=options
    )
    poll = memory.post(TEAM, CHANNEL, "the poll", key=f"poll:{snap.id}")
    decisions.poll_posted(core, team_id=TEAM, decision_id=snap.id, poll_ts=poll.id)
    decisions.cast_vote(
        core,
        team_id=TEAM,
        decision_id=snap.id,
        user_id=DISSENTER,
        choice=Stance.DISAGREE,
        reason="Weekly is too fast for QA",
    )
    decisions.finalize(
        core,
        team_id=TEAM,
        decision_id=snap.id,
        user_id=OWNER,
        is_admin=False,
        final_text="Ship every week",
    )
    return snap.id, poll


def _log_shows_it(core: Core) -> None:
    """The channel's log page, the Home tab and D-1's record show the amendment."""
    owner = Viewer(OWNER, may_see=everyone_sees)
    page = decision_log.list_page(
        core, team_id=TEAM, viewer=owner, listing=Listing.CHANNEL, arg=CHANNEL
    )
    assert [(e.label, e.status, e.text) for e in page.lines.entries] == [
        ("D-2", DecisionStatus.ACTIVE, "Ship every two weeks"),
        ("D-1", DecisionStatus.AMENDED, "Ship every week"),
    ]
    home = decision_log.home(core, team_id=TEAM, viewer=owner, filters=HomeFilters())
    assert home.total == 2 and [e.label for e in home.lines.entries] == ["D-2", "D-1"]
    # Calibration: the one review due in the period, made with under 50%, was amended.
    assert [(b.label, b.amended) for b in home.metrics.bands if b.reviewed] == [("under 50%", 1)]
    record = decision_log.record_page(core, team_id=TEAM, viewer=owner, number=1)
    assert isinstance(record, RecordView)
    assert (record.status, record.replaced_by) == (DecisionStatus.AMENDED, "D-2")
    [review] = record.reviews
    assert (review.outcome, review.answered_by, review.actual_confidence, review.learned) == (
        ReviewAnswer.AMEND,
        OWNER,
        30,
        "QA needs two weeks",
    )
    assert [(v.person, v.reason) for v in record.dissent] == [
        (DISSENTER, "Weekly is too fast for QA")
    ]
    newer = decision_log.record_page(core, team_id=TEAM, viewer=owner, number=2)
    assert isinstance(newer, RecordView) and newer.replaces == "D-1"


def log_journey(core: Core, memory: MemoryPlatform) -> None:
    memory.zones[OWNER] = "Europe/Berlin"
    with freeze_time("2026-12-01 09:00:00") as clock:
        decision_id, poll = _finalized(core, memory)
        # 40% confidence: reviewed after 30 days, on Thursday 2026-12-31 at 10:00 in Berlin.
        clock.move_to("2026-12-30 09:00:00")
        core.timers.run_due()
        assert memory.dms_to(OWNER) == []
        clock.move_to("2026-12-31 09:00:01")
        core.timers.run_due()
        [prompt] = memory.dms_to(OWNER)
        assert isinstance(prompt, ReviewPromptView)
        assert (prompt.label, prompt.decision_text, prompt.confidence) == (
            "D-1",
            "Ship every week",
            40,
        )
        assert [(d.person, d.reason) for d in prompt.dissent] == [
            (DISSENTER, "Weekly is too fast for QA")
        ]

        # Amend: the form asks for the new wording; only the owner may open it.
        refused = reviews.open_change(
            core,
            memory,
            team_id=TEAM,
            user_id=DISSENTER,
            review_id=prompt.review_id,
            outcome=ReviewAnswer.AMEND,
        )
        assert refused == reviews.notice(reviews.NOT_YOURS)
        opened = reviews.open_change(
            core,
            memory,
            team_id=TEAM,
            user_id=OWNER,
            review_id=prompt.review_id,
            outcome=ReviewAnswer.AMEND,
        )
        assert isinstance(opened, OpenForm) and isinstance(opened.form, ChangeForm)
        assert opened.form.outcome == ReviewAnswer.AMEND
        in_form = reviews.answers_in_form(
            core, team_id=TEAM, user_id=OWNER, review_id=prompt.review_id
        )
        assert in_form is True
        result = reviews.submit_form(
            core,
            memory,
            team_id=TEAM,
            user_id=OWNER,
            review_id=prompt.review_id,
            form=reviews.FormAnswer(
                outcome=ReviewAnswer.AMEND,
                actual_confidence=30,
                learned="QA needs two weeks",
                new_text="Ship every two weeks",
            ),
            in_form=in_form,
        )
        assert isinstance(result, reviews.ReviewResult)
        reviews.announce(core, memory, result)
        _log_shows_it(core)

    # The owner's prompt now says it was amended; the thread and the dissenter heard of it.
    [dm] = [m for m in memory.dms if m.place == f"D-{OWNER}"]
    assert isinstance(dm.view, ReviewAnsweredView) and dm.history == [prompt]
    assert (dm.view.outcome, dm.view.replaced_by) == (ReviewAnswer.AMEND, "D-2")
    [note] = memory.in_place(CHANNEL, thread=poll.id)
    assert isinstance(note.view, ReviewOutcomeView)
    assert (note.view.outcome, note.view.by, note.view.replacement_label) == (
        ReviewAnswer.AMEND,
        OWNER,
        "D-2",
    )
    assert note.view.replacement_text == "Ship every two weeks"
    [told] = memory.dms_to(DISSENTER)
    assert isinstance(told, DissentRelevantView)
    assert (told.label, told.owner, told.learned) == ("D-1", OWNER, "QA needs two weeks")

    # An export carries both decisions, the amended one with its status.
    log_export.export_log(
        core,
        memory,
        log_export.ExportRequest(TEAM, OWNER, LogQuery()),
        viewer=Viewer(OWNER, may_see=everyone_sees),
    )
    [sent] = [f for f in memory.files if f.to == OWNER]
    assert sent.filename.startswith("decision-log-") and sent.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(sent.data))["Decisions"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_id) == {"D-1", "D-2"}
    assert (by_id["D-1"]["Status"], by_id["D-1"]["Replaced by"]) == ("Amended", "D-2")
    assert (by_id["D-2"]["Decision"], by_id["D-2"]["Status"]) == ("Ship every two weeks", "Active")
    assert result.decision.id == decision_id
