"""The decision log's Block Kit builders, without Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.decision_log import (
    DecisionRecord,
    LogEntry,
    LogPage,
    entry_line,
    metrics_view,
    page_lines,
    record_view,
)
from bot.reviews import ReviewPrompt, prompt_view
from handlers.slack.blocks.decision_log import (
    HOME_COUNT_CAP,
    HomeFilters,
    build_home_view,
    build_log_list,
    build_record_blocks,
    build_record_modal,
    entry_text,
    event_text,
)
from handlers.slack.blocks.reviews import render_review_prompt
from storage.decision_log import LogMetrics
from storage.models import Decision, Review, Vote

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _decision(n: int = 1, text: str = "We launch <!channel> & co", **extra: object) -> Decision:
    values: dict[str, object] = dict(
        id=n,
        team_id="T",
        number=n,
        channel_id="C1",
        owner_id="U1",
        proposed_by="U1",
        proposal=text,
        final_text=text,
        confidence=40,
        review_on=AT + timedelta(days=30),
        status="active",
        created_at=AT,
        decided_at=AT,
        permalink="https://x.slack.com/archives/C1/p1",
    )
    values.update(extra)
    return Decision(**values)


METRICS = metrics_view(LogMetrics(3, 2, 1, 55.0, 1, 1, 4, 3, 1, 5, ()))


def test_entry_escapes_user_text_and_shows_facts() -> None:
    text = entry_text(entry_line(LogEntry(_decision(), dissent_count=2, overdue=True)))
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text
    for fact in ("*D-1*", "active", "40% confidence", "2 dissent", "overdue", "|thread>", "<#C1>"):
        assert fact in text


def test_long_record_is_split_never_cut() -> None:
    long_text = "word " * 2000  # 10,000 characters
    reason = "because " * 800
    record = DecisionRecord(
        decision=_decision(text=long_text),
        votes=(
            Vote(
                team_id="T",
                decision_id=1,
                user_id="U2",
                choice="disagree",
                reason=reason,
                cast_at=AT,
            ),
        ),
        andon_pulls=(),
        reviews=(
            Review(
                team_id="T",
                decision_id=1,
                due_at=AT,
                outcome="keep",
                answered_by="U1",
                actual_confidence=30,
                learned="=x",
            ),
        ),
        events=(),
        narrative_title=None,
        narrative_questions=0,
        replaces_label=None,
        replaced_by_label="D-7",
    )
    blocks = build_record_blocks(record_view(record))
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= 3000 for t in texts)
    joined = "".join(texts)
    assert joined.count("word") == 2000 and joined.count("because") == 800
    assert "Replaced by:* D-7" in joined and "information actually 30%" in joined
    modal = build_record_modal(record_view(record))
    assert len(modal["blocks"]) <= 100 and modal["type"] == "modal"


def test_home_view_stays_within_limits_and_keeps_filters() -> None:
    entries = tuple(LogEntry(_decision(n), 0, False) for n in range(1, 21))
    page = page_lines(LogPage(entries=entries, page=1, per_page=20, has_next=True))
    filters = HomeFilters(channel_id="C1", owner_id="U1", status="halted", due=True, page=1)
    view = build_home_view(filters=filters, page=page, metrics=METRICS, total=100)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert HomeFilters.from_metadata(view["private_metadata"]) == filters
    text = json.dumps(view, ensure_ascii=False)
    assert "home_page_prev" in text and "home_page_next" in text and "21–40 of 100" in text
    assert '"initial_channel": "C1"' in text and '"initial_user": "U1"' in text
    assert "Median confidence:* 55%" in text and "Reviewed on time:* 50%" in text


def test_home_view_says_more_than_the_cap_for_a_huge_log() -> None:
    entries = tuple(LogEntry(_decision(n), 0, False) for n in range(1, 16))
    page = page_lines(LogPage(entries=entries, page=0, per_page=15, has_next=True))
    view = build_home_view(
        filters=HomeFilters(), page=page, metrics=METRICS, total=HOME_COUNT_CAP + 1
    )
    assert "1–15 of 1,000+" in json.dumps(view, ensure_ascii=False)
    exact = build_home_view(filters=HomeFilters(), page=page, metrics=METRICS, total=1000)
    assert "1–15 of 1,000," in json.dumps(exact, ensure_ascii=False)


def test_home_filters_from_garbage() -> None:
    for raw in (None, "", "[]", "{", '{"s": "bogus", "p": "-3", "c": 5}'):
        assert HomeFilters.from_metadata(raw) == HomeFilters()


def test_log_list_navigation() -> None:
    entries = (LogEntry(_decision(), 0, False),)
    first = build_log_list(
        "T", page_lines(LogPage(entries, 0, 10, has_next=True)), {"v": "due", "a": ""}
    )
    nav = first[-1]["elements"]
    assert [e["action_id"] for e in nav] == ["log_page_next"]
    assert json.loads(nav[0]["value"]) == {"v": "due", "a": "", "p": 1}
    empty = build_log_list("T", page_lines(LogPage((), 0, 10, has_next=False)), {})
    assert "No decisions found" in empty[0]["text"]["text"]


def test_review_message_has_decision_confidence_dissent_and_buttons() -> None:
    decision = _decision()
    prompt = ReviewPrompt(
        review=Review(id=7, team_id="T", decision_id=1, due_at=AT),
        decision=decision,
        dissent=(
            Vote(
                team_id="T",
                decision_id=1,
                user_id="U2",
                choice="disagree_commit",
                reason="<b>",
                cast_at=AT,
            ),
        ),
    )
    message = render_review_prompt(prompt_view(prompt))
    text, blocks = message["text"], message["blocks"]
    dumped = json.dumps(blocks)
    assert "D-1" in text and "40%" in dumped and "little information" in dumped
    assert "&lt;b&gt;" in dumped and "(committed)" in dumped and "<!channel>" not in dumped
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == [
        "review_keep",
        "review_amend",
        "review_reverse",
        "review_snooze_week",
        "review_snooze_month",
    ]
    assert {b["value"] for b in buttons} == {"7"}


def test_history_entries_read_as_words_without_internal_ids() -> None:
    linked = json.dumps({"round_id": 7, "answer_id": 41, "question": "What went wrong & why?"})
    assert event_text("reflection_answer", linked) == (
        "named in a reflection answer to “What went wrong &amp; why?”"
    )
    assert event_text("reflection_answer", None) == "named in a reflection answer"
    assert event_text("superseded", json.dumps({"by": "D-5"})) == "superseded (by: D-5)"
    assert event_text("andon_pulled", json.dumps({"reason": "<!channel> stop"})) == (
        "andon pulled (reason: &lt;!channel&gt; stop)"
    )
    assert event_text("logged", "not json") == "logged"


def test_stats_say_the_owners_calibration_covers_the_last_30_days() -> None:
    from dataclasses import replace

    from bot.views.decision_log import OwnerCalibrationLine
    from handlers.slack.blocks.decision_log import build_stats_blocks
    from handlers.teams.cards.decision_log import metrics_card

    metrics = replace(METRICS, calibration=(OwnerCalibrationLine("U1", 3, 60.0, 45.0),))
    slack = json.dumps(build_stats_blocks(metrics))
    teams = json.dumps(metrics_card(metrics))
    for shown in (slack, teams):
        heading = shown.split("Confidence recorded vs. information actually had")[1][:60]
        assert "last 30 days" in heading
        assert "recorded 60%" in shown
