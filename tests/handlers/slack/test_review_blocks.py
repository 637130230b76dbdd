"""Block Kit renderers of the review views, without Slack: mentions, escaping, the outcome."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from bot.views.reviews import (
    ChangeForm,
    DissentRelevantView,
    KeepForm,
    ReviewAnsweredView,
    ReviewOutcomeView,
)
from bot.vocabulary import ReviewAnswer
from handlers.slack.blocks.reviews import (
    render_change_form,
    render_dissent_relevant,
    render_keep_form,
    render_review_answered,
    render_review_outcome,
)

AT = datetime(2027, 1, 30, 8, 0, tzinfo=UTC)


def test_the_outcome_in_the_thread_names_the_replacement_and_escapes_user_text() -> None:
    note = render_review_outcome(
        ReviewOutcomeView(
            label="D-1",
            outcome=ReviewAnswer.AMEND,
            by="U1",
            replacement_label="D-2",
            replacement_text="Ship <!channel> & co",
            learned="QA <b>",
            next_review_on=None,
        )
    )["text"]
    assert note.startswith("Review of *D-1*: amended by <@U1>. Replaced by *D-2*: ")
    assert "Ship &lt;!channel&gt; &amp; co" in note and "What we learned: QA &lt;b&gt;" in note
    assert "Next review" not in note


def test_a_kept_review_shows_its_next_date_and_a_dissenter_hears_of_a_reversal() -> None:
    answered = render_review_answered(
        ReviewAnsweredView("D-1", ReviewAnswer.KEEP, "Ship weekly", AT, None, None)
    )
    assert answered["text"] == "D-1 kept (still right)"
    assert "Next review: <!date^" in json.dumps(answered["blocks"])
    told = render_dissent_relevant(
        DissentRelevantView("D-3", "U1", ReviewAnswer.REVERSE, None, "x > y")
    )
    assert told["text"] == (
        "Your dissent on *D-3* was relevant: <@U1> reversed it on review.\n"
        "What we learned: x &gt; y"
    )


def test_forms_carry_the_review_their_limits_and_the_zone() -> None:
    keep = render_keep_form(KeepForm(7, "D-1", "Ship", date(2027, 1, 30), "Europe/Berlin", 40))[
        "view"
    ]
    assert json.loads(keep["private_metadata"]) == {"review": 7, "tz": "Europe/Berlin"}
    assert keep["callback_id"] == "review_keep"
    change = render_change_form(ChangeForm(7, "D-1", "Ship", ReviewAnswer.REVERSE, text_limit=500))[
        "view"
    ]
    assert json.loads(change["private_metadata"]) == {"review": 7, "outcome": "reverse"}
    new_text = next(b for b in change["blocks"] if b.get("block_id") == "new_text")
    assert new_text["optional"] is True and new_text["element"]["max_length"] == 500
