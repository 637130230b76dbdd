"""Block Kit builders for narrative meetings, tested without Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot import meetings
from bot.meetings import Progress
from bot.views.narratives import (
    AskForm,
    Digest,
    DigestQuestion,
    NarrativeCard,
    NarrativeCheck,
    ReadingProgress,
    ReadingStatus,
)
from handlers.slack.blocks import narratives as blocks
from handlers.slack.text import to_plain
from storage.models import Narrative

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def narrative(**kw: object) -> Narrative:
    values: dict[str, object] = {
        "id": 7,
        "team_id": "T1",
        "channel_id": "C1",
        "owner_id": "UOWN",
        "title": "Q3 pricing",
        "link": "https://docs.example.com/q3",
        "kind": "six-pager",
        "reading_seconds": 1200,
        "started_at": T0,
        "ends_at": T0 + timedelta(minutes=20),
        "message_ts": "100.1",
    }
    values.update(kw)
    return Narrative(**values)  # type: ignore[arg-type]


def card(n: Narrative, expected: tuple[str, ...], done: tuple[str, ...]) -> NarrativeCard:
    """The card the core shows for narrative `n` with these readers."""
    return Progress(narrative=n, expected=expected, done=done).card


def texts(message_blocks: list[dict[str, object]]) -> str:
    return json.dumps(message_blocks, ensure_ascii=False)


def test_reading_message_has_buttons_progress_and_end_time() -> None:
    shown_card = card(narrative(), expected=("U1", "U2", "U3"), done=("U2", "U9"))
    message = blocks.build_narrative_message(shown_card)
    shown = texts(message["blocks"])
    assert "1 of 3 expected readers done* (and 1 more)" in shown
    assert "Still reading: <@U1>, <@U3>" in shown
    assert f"<!date^{int(shown_card.ends_at.timestamp())}^" in shown
    assert "Owner <@UOWN> · Six-pager · Reading time 20m" in shown
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("narrative_done", "7"),
        ("narrative_ask", "7"),
        ("narrative_end", "7"),
    ]


def test_progress_without_expected_readers() -> None:
    progress = ReadingProgress(expected=(), done=("U1", "U2"), reading=True)
    assert blocks.progress_text(progress) == "*2 done*: <@U1>, <@U2>"
    none = ReadingProgress(expected=(), done=(), reading=True)
    assert blocks.progress_text(none) == "*0 done*"


def test_reading_over_message_has_no_buttons() -> None:
    ended = narrative(state="ended", ended_at=T0 + timedelta(minutes=5), end_reason="owner")
    message = blocks.build_narrative_message(card(ended, expected=("U1",), done=()))
    shown = texts(message["blocks"])
    assert "Reading is over" in shown and "ended early" in shown
    assert "Still reading" not in shown
    assert not [b for b in message["blocks"] if b["type"] == "actions"]


def test_long_body_is_split_and_nothing_is_cut() -> None:
    body = "".join(f"Sentence {i} says a & b < c. " for i in range(9000))  # ~250k characters
    n = narrative(body=body)
    main = blocks.build_narrative_message(card(n, expected=(), done=()))
    rest = blocks.build_body_continuations(card(n, expected=(), done=()))
    assert rest, "the body continues in further messages"
    every = [main["blocks"], *(m["blocks"] for m in rest)]
    for message_blocks in every:
        assert len(message_blocks) <= 50
        for block in message_blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
    shown = "".join(
        b["text"]["text"]
        for message_blocks in every
        for b in message_blocks
        if b["type"] == "section" and "Sentence" in b["text"]["text"]
    )
    unescaped = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped.replace(" ", "") == body.replace(" ", "")


def digest(n: int, text: str = "Why?", **kw: object) -> Digest:
    questions = tuple(
        DigestQuestion(
            text=f"{text} {i}", author=None if i % 2 else f"U{i}", upvotes=n - i, asked_at=T0
        )
        for i in range(n)
    )
    ended = narrative(state="ended", **kw)
    progress = ReadingProgress(expected=(), done=("U1",), reading=False)
    return Digest(
        narrative_id=int(ended.id or 0), title=ended.title, progress=progress, questions=questions
    )


def test_digest_lists_questions_in_order_with_authors_and_the_decision_button() -> None:
    messages = blocks.build_digest_messages(digest(3))
    assert len(messages) == 1
    shown = texts(messages[0]["blocks"])
    assert shown.index("Why? 0") < shown.index("Why? 1") < shown.index("Why? 2")
    assert "<@U0> · 👍 3" in shown and "_asked privately_ · 👍 2" in shown
    assert "1 reader finished" in shown
    last = messages[-1]["blocks"][-1]
    assert last["type"] == "actions"
    assert [(e["action_id"], e["value"]) for e in last["elements"]] == [("propose_decision", "7")]


def test_long_digest_is_split_across_messages_without_cutting() -> None:
    long_text = "word " * 1500  # over one section once numbered
    result = digest(80, text=long_text)
    messages = blocks.build_digest_messages(result)
    assert len(messages) > 1
    all_blocks = [b for m in messages for b in m["blocks"]]
    assert all(len(m["blocks"]) <= 50 for m in messages)
    assert all(len(b["text"]["text"]) <= 3000 for b in all_blocks if b["type"] == "section")
    shown = texts(all_blocks)
    for i in range(80):
        assert f"{long_text} {i}".split()[-1] in shown
    words = sum(b["text"]["text"].count("word") for b in all_blocks if b["type"] == "section")
    assert words == 80 * 1500
    assert messages[-1]["blocks"][-1]["elements"][0]["action_id"] == "propose_decision"


def test_user_text_is_escaped_but_user_mentions_stay() -> None:
    assert blocks.user_text("<!channel> & <@U1> <b>") == "&lt;!channel&gt; &amp; <@U1> &lt;b&gt;"
    n = narrative(title="<!here> plan", link=None)
    shown = texts(blocks.build_narrative_message(card(n, expected=(), done=()))["blocks"])
    assert "<!here>" not in shown


def test_status_and_lint_texts() -> None:
    periods = (card(narrative(), expected=("U1",), done=()),)
    status = blocks.build_status_text(ReadingStatus(periods))
    assert "Q3 pricing" in status and "0 of 1 expected readers done" in status
    assert "No reading period" in blocks.build_status_text(ReadingStatus(()))
    check = NarrativeCheck(words=460, minutes=2, reading_minutes=1, notes=("x",))
    lint = blocks.build_lint_text(check)
    assert "460 words" in lint and "• x" in lint


def test_modals() -> None:
    start = blocks.build_start_modal(meetings.start_form("C1"))
    assert start["callback_id"] == "narrative_start"
    assert json.loads(start["private_metadata"]) == {"channel_id": "C1"}
    ids = [b["block_id"] for b in start["blocks"]]
    assert ids == ["title", "link", "body", "kind", "reading", "readers"]
    ask = blocks.build_ask_modal(AskForm(7, "Q3 pricing", 3000))
    assert ask["private_metadata"] == "7" and ask["callback_id"] == "narrative_ask_submit"


def test_slack_markup_to_plain_text() -> None:
    assert to_plain("<!channel> hi <@U1|ana> &lt;b&gt; &amp; <#C1|general>") == (
        "@channel hi <@U1> <b> & #general"
    )
    assert to_plain("see <https://x.example/a|the doc> and <https://y.example>") == (
        "see the doc (https://x.example/a) and https://y.example"
    )
    assert to_plain("<!subteam^S1|@design> <!date^1^{date}|Dec 1>") == "@design Dec 1"
