"""Block Kit for reviews: the owner's direct message, the answer forms, the notes afterwards."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.proposals import confidence_note
from bot.reviews import ReviewPrompt, ReviewResult
from bot.vocabulary import ReviewAnswer, Stance
from handlers.blocks.decision_log import decision_text
from handlers.render import (
    actions,
    button,
    context,
    escape,
    fit,
    mention,
    section,
    slack_date,
    split_text,
)
from storage.decisions import decision_label
from storage.models import Decision, Review

OUTCOME_WORDS = {
    ReviewAnswer.KEEP: "kept (still right)",
    ReviewAnswer.AMEND: "amended",
    ReviewAnswer.REVERSE: "reversed",
    ReviewAnswer.SNOOZE: "snoozed",
}


def build_review_message(prompt: ReviewPrompt) -> tuple[str, list[dict[str, Any]]]:
    """The owner's DM on the review date: decision, confidence, dissent, and four answers."""
    d = prompt.decision
    label = decision_label(d.number)
    head = (
        f":alarm_clock: Reminder: *{label}* still waits for your review."
        if prompt.reminder
        else f":mag: Time to review *{label}*: is it still right?"
    )
    text = f"{'Reminder: ' if prompt.reminder else ''}Time to review {label}"
    blocks: list[dict[str, Any]] = [section(head)]
    blocks += [section(p) for p in split_text(f"> {escape(decision_text(d))}") if p.strip()]
    note = confidence_note(d.confidence)
    facts = f"Decided with *{d.confidence}%* of the information you wished you had" + (
        f" ({note})." if note else "."
    )
    if d.decided_at:
        facts += f" Decided {slack_date(d.decided_at)}."
    if d.permalink:
        facts += f" <{d.permalink}|Open the thread>"
    blocks.append(section(facts))
    pull = prompt.halted_by
    if pull is not None:
        blocks += [
            section(p)
            for p in split_text(
                f":rotating_light: *Halted:* {mention(pull.user_id)} pulled the Andon cord "
                f"{slack_date(pull.pulled_at)}: {escape(pull.reason)}"
            )
            if p.strip()
        ]
    if prompt.dissent:
        lines = ["*Recorded dissent*"]
        for vote in prompt.dissent:
            committed = vote.choice == Stance.DISAGREE_COMMIT or vote.committed_at is not None
            lines.append(
                f"• {mention(vote.user_id)}{' (committed)' if committed else ''}: "
                f"{escape(vote.reason or '')}"
            )
        blocks += [section(p) for p in split_text("\n".join(lines)) if p.strip()]
    else:
        blocks.append(context("No dissent was recorded."))
    value = str(prompt.review.id)
    blocks.append(
        actions(
            button("Still right (keep)", "review_keep", value, style="primary"),
            button("Amend", "review_amend", value),
            button("Reverse", "review_reverse", value, style="danger"),
            button("Snooze 1 week", "review_snooze_week", value),
            button("Snooze 1 month", "review_snooze_month", value),
            block_id="review_answers",
        )
    )
    return text, blocks


def build_review_answered(result: ReviewResult) -> tuple[str, list[dict[str, Any]]]:
    """The owner's DM once answered (the buttons are gone)."""
    d, review = result.decision, result.review
    label = decision_label(d.number)
    text = f"{label} {OUTCOME_WORDS.get(review.outcome or '', review.outcome)}"
    lines = [f":white_check_mark: *{label}* {OUTCOME_WORDS.get(review.outcome or '', '')}."]
    if review.next_review_on and review.outcome in (ReviewAnswer.KEEP, ReviewAnswer.SNOOZE):
        lines.append(f"Next review: {slack_date(review.next_review_on)}.")
    if result.replacement is not None:
        lines.append(f"Replaced by *{decision_label(result.replacement.number)}*.")
    if review.learned:
        lines.append(f"What we learned: {escape(review.learned)}")
    blocks = [section(p) for p in split_text("\n".join(lines)) if p.strip()]
    blocks.insert(1, section(f"> {fit(escape(decision_text(d)), 2900)}"))
    return text, blocks


def thread_note(result: ReviewResult) -> str:
    """The short note in the decision's original thread."""
    d, review = result.decision, result.review
    label = decision_label(d.number)
    note = f"Review of *{label}*: {OUTCOME_WORDS.get(review.outcome or '', review.outcome)} by {mention(review.answered_by or d.owner_id)}."
    if result.replacement is not None:
        note += (
            f" Replaced by *{decision_label(result.replacement.number)}*: "
            f"{escape(decision_text(result.replacement))}"
        )
    if review.learned:
        note += f"\nWhat we learned: {escape(review.learned)}"
    if review.next_review_on and review.outcome in (ReviewAnswer.KEEP, ReviewAnswer.SNOOZE):
        note += f"\nNext review: {slack_date(review.next_review_on, '{date_short}')}."
    return note


def dissent_relevant(result: ReviewResult) -> str:
    d = result.decision
    label = decision_label(d.number)
    text = (
        f"Your dissent on *{label}* was relevant: {mention(d.owner_id)} "
        f"{OUTCOME_WORDS.get(result.review.outcome or '', '')} it on review."
    )
    if result.replacement is not None:
        text += f" It is replaced by *{decision_label(result.replacement.number)}*."
    if result.review.learned:
        text += f"\nWhat we learned: {escape(result.review.learned)}"
    return text


def _confidence_select(initial: int | None) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": f"{n}%"}, "value": str(n)}
        for n in range(10, 101, 10)
    ]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": "Pick a share"},
        "options": options,
    }
    if initial is not None:
        rounded = min(max(round(initial / 10) * 10, 10), 100)
        element["initial_option"] = next(o for o in options if o["value"] == str(rounded))
    return {
        "type": "input",
        "block_id": "actual",
        "label": {
            "type": "plain_text",
            "text": "Looking back, how much information did you actually have?",
        },
        "element": element,
    }


def _text_input(block_id: str, label: str, *, optional: bool, multiline: bool = True) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": 3000,
        },
    }


def build_keep_modal(
    review: Review, decision: Decision, next_review: date, tz: str = "UTC"
) -> dict[str, Any]:
    """`tz`: the owner's time zone, in which the next review date is read (looked up when the
    form opens, so that answering it needs no look-up before its acknowledgement)."""
    return {
        "type": "modal",
        "callback_id": "review_keep",
        "private_metadata": json.dumps({"review": review.id, "tz": tz}),
        "title": {"type": "plain_text", "text": "Still right"},
        "submit": {"type": "plain_text", "text": "Keep"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"*{decision_label(decision.number)}*: {fit(escape(decision_text(decision)), 2800)}"
            ),
            {
                "type": "input",
                "block_id": "next_review",
                "label": {"type": "plain_text", "text": "Next review date"},
                "element": {
                    "type": "datepicker",
                    "action_id": "value",
                    "initial_date": next_review.isoformat(),
                },
            },
            _confidence_select(decision.confidence),
            _text_input("learned", "What did we learn? (optional)", optional=True),
        ],
    }


def build_change_modal(review: Review, decision: Decision, outcome: str) -> dict[str, Any]:
    """Amend or Reverse: the new text (for reverse: an optional replacing decision), what we
    learned, and how much information there actually was."""
    amend = outcome == ReviewAnswer.AMEND
    return {
        "type": "modal",
        "callback_id": "review_change",
        "private_metadata": json.dumps({"review": review.id, "outcome": outcome}),
        "title": {"type": "plain_text", "text": "Amend decision" if amend else "Reverse decision"},
        "submit": {"type": "plain_text", "text": "Amend" if amend else "Reverse"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"*{decision_label(decision.number)}*: {fit(escape(decision_text(decision)), 2800)}"
            ),
            _text_input(
                "new_text",
                "The amended decision" if amend else "What we decide instead (optional)",
                optional=not amend,
            ),
            _text_input("learned", "What did we learn?", optional=False),
            _confidence_select(None),
        ],
    }
