"""Block Kit for reviews: renderers of the owner's direct message, the answer forms and the
notes afterwards (`bot.views.reviews`)."""

from __future__ import annotations

import json
from typing import Any

from bot.views.reviews import (
    ChangeForm,
    DissentRelevantView,
    KeepForm,
    ReviewAnsweredView,
    ReviewOutcomeView,
    ReviewPromptView,
)
from bot.vocabulary import ReviewAnswer
from handlers.slack.platform import renders
from handlers.slack.render import (
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

OUTCOME_WORDS = {
    ReviewAnswer.KEEP: "kept (still right)",
    ReviewAnswer.AMEND: "amended",
    ReviewAnswer.REVERSE: "reversed",
    ReviewAnswer.SNOOZE: "snoozed",
}


@renders(ReviewPromptView)
def render_review_prompt(view: ReviewPromptView) -> dict[str, Any]:
    """The owner's DM on the review date: decision, confidence, dissent, and four answers."""
    label = view.label
    head = (
        f":alarm_clock: Reminder: *{label}* still waits for your review."
        if view.reminder
        else f":mag: Time to review *{label}*: is it still right?"
    )
    text = f"{'Reminder: ' if view.reminder else ''}Time to review {label}"
    blocks: list[dict[str, Any]] = [section(head)]
    blocks += [section(p) for p in split_text(f"> {escape(view.decision_text)}") if p.strip()]
    note = view.confidence_note
    facts = f"Decided with *{view.confidence}%* of the information you wished you had" + (
        f" ({note})." if note else "."
    )
    if view.decided_at:
        facts += f" Decided {slack_date(view.decided_at)}."
    if view.permalink:
        facts += f" <{view.permalink}|Open the thread>"
    blocks.append(section(facts))
    pull = view.halted
    if pull is not None:
        blocks += [
            section(p)
            for p in split_text(
                f":rotating_light: *Halted:* {mention(pull.person)} pulled the Andon cord "
                f"{slack_date(pull.pulled_at)}: {escape(pull.reason)}"
            )
            if p.strip()
        ]
    if view.dissent:
        lines = ["*Recorded dissent*"]
        for line in view.dissent:
            lines.append(
                f"• {mention(line.person)}{' (committed)' if line.committed else ''}: "
                f"{escape(line.reason)}"
            )
        blocks += [section(p) for p in split_text("\n".join(lines)) if p.strip()]
    else:
        blocks.append(context("No dissent was recorded."))
    value = str(view.review_id)
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
    return {"text": text, "blocks": blocks}


@renders(ReviewAnsweredView)
def render_review_answered(view: ReviewAnsweredView) -> dict[str, Any]:
    """The owner's DM once answered (the buttons are gone)."""
    label = view.label
    text = f"{label} {OUTCOME_WORDS[view.outcome]}"
    lines = [f":white_check_mark: *{label}* {OUTCOME_WORDS[view.outcome]}."]
    if view.next_review_on:
        lines.append(f"Next review: {slack_date(view.next_review_on)}.")
    if view.replaced_by is not None:
        lines.append(f"Replaced by *{view.replaced_by}*.")
    if view.learned:
        lines.append(f"What we learned: {escape(view.learned)}")
    blocks = [section(p) for p in split_text("\n".join(lines)) if p.strip()]
    blocks.insert(1, section(f"> {fit(escape(view.decision_text), 2900)}"))
    return {"text": text, "blocks": blocks}


@renders(ReviewOutcomeView)
def render_review_outcome(view: ReviewOutcomeView) -> dict[str, Any]:
    """The short note in the decision's original thread."""
    note = f"Review of *{view.label}*: {OUTCOME_WORDS[view.outcome]} by {mention(view.by)}."
    if view.replacement_label is not None:
        note += f" Replaced by *{view.replacement_label}*: {escape(view.replacement_text or '')}"
    if view.learned:
        note += f"\nWhat we learned: {escape(view.learned)}"
    if view.next_review_on:
        note += f"\nNext review: {slack_date(view.next_review_on, '{date_short}')}."
    return {"text": note}


@renders(DissentRelevantView)
def render_dissent_relevant(view: DissentRelevantView) -> dict[str, Any]:
    text = (
        f"Your dissent on *{view.label}* was relevant: {mention(view.owner)} "
        f"{OUTCOME_WORDS[view.outcome]} it on review."
    )
    if view.replaced_by is not None:
        text += f" It is replaced by *{view.replaced_by}*."
    if view.learned:
        text += f"\nWhat we learned: {escape(view.learned)}"
    return {"text": text}


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


def _text_input(
    block_id: str, label: str, *, optional: bool, limit: int, multiline: bool = True
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": limit,
        },
    }


@renders(KeepForm)
def render_keep_form(form: KeepForm) -> dict[str, Any]:
    """`tz`: the owner's time zone, in which the next review date is read (looked up when the
    form opens, so that answering it needs no look-up before its acknowledgement)."""
    return {
        "view": {
            "type": "modal",
            "callback_id": "review_keep",
            "private_metadata": json.dumps({"review": form.review_id, "tz": form.tz}),
            "title": {"type": "plain_text", "text": "Still right"},
            "submit": {"type": "plain_text", "text": "Keep"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [
                section(f"*{form.label}*: {fit(escape(form.decision_text), 2800)}"),
                {
                    "type": "input",
                    "block_id": "next_review",
                    "label": {"type": "plain_text", "text": "Next review date"},
                    "element": {
                        "type": "datepicker",
                        "action_id": "value",
                        "initial_date": form.next_review.isoformat(),
                    },
                },
                _confidence_select(form.confidence),
                _text_input(
                    "learned",
                    "What did we learn? (optional)",
                    optional=True,
                    limit=form.text_limit,
                ),
            ],
        }
    }


@renders(ChangeForm)
def render_change_form(form: ChangeForm) -> dict[str, Any]:
    """Amend or Reverse: the new text (for reverse: an optional replacing decision), what we
    learned, and how much information there actually was."""
    amend = form.outcome == ReviewAnswer.AMEND
    return {
        "view": {
            "type": "modal",
            "callback_id": "review_change",
            "private_metadata": json.dumps({"review": form.review_id, "outcome": form.outcome}),
            "title": {
                "type": "plain_text",
                "text": "Amend decision" if amend else "Reverse decision",
            },
            "submit": {"type": "plain_text", "text": "Amend" if amend else "Reverse"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [
                section(f"*{form.label}*: {fit(escape(form.decision_text), 2800)}"),
                _text_input(
                    "new_text",
                    "The amended decision" if amend else "What we decide instead (optional)",
                    optional=not amend,
                    limit=form.text_limit,
                ),
                _text_input("learned", "What did we learn?", optional=False, limit=form.text_limit),
                _confidence_select(None),
            ],
        }
    }
