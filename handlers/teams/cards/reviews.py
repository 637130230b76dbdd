"""Adaptive Cards of the review views (`bot.views.reviews`): the owner's 1:1 card with the
same answers and words as on Slack, the Keep form shown in that card (answered in place), the
Amend/Reverse dialog, and the notes afterwards."""

from __future__ import annotations

from dataclasses import dataclass
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
from handlers.teams.cards import (
    Card,
    block,
    card,
    day,
    dialog,
    execute,
    fit,
    mention,
    renders,
    user,
    when,
)
from handlers.teams.cards.decisions import DIALOG_TITLES, RENDERERS_WITH_ERRORS

# The same words as Slack's (`handlers.slack.blocks.reviews`).
OUTCOME_WORDS = {
    ReviewAnswer.KEEP: "kept (still right)",
    ReviewAnswer.AMEND: "amended",
    ReviewAnswer.REVERSE: "reversed",
    ReviewAnswer.SNOOZE: "snoozed",
}
# Verbs of the review buttons: the Keep form shown in the card and saved from it, the two
# dialogs, the two snoozes.
KEEP, KEEP_SAVE = "review_keep", "review_keep_save"
AMEND, REVERSE = "review_amend", "review_reverse"
SNOOZE_WEEK, SNOOZE_MONTH = "review_snooze_week", "review_snooze_month"
SNOOZES = {SNOOZE_WEEK: "week", SNOOZE_MONTH: "month"}
CHANGES = {AMEND: ReviewAnswer.AMEND, REVERSE: ReviewAnswer.REVERSE}


def _answers(review: int, *, keep: bool = True) -> list[dict[str, Any]]:
    """Keep, Amend, Reverse, Snooze 1 week, Snooze 1 month (Slack's titles)."""
    keep_button = execute("Still right (keep)", KEEP, review, style="positive", key="review")
    buttons = [keep_button] if keep else []
    return buttons + [
        dialog("Amend", AMEND, review, key="review"),
        dialog("Reverse", REVERSE, review, style="destructive", key="review"),
        execute("Snooze 1 week", SNOOZE_WEEK, review, key="review"),
        execute("Snooze 1 month", SNOOZE_MONTH, review, key="review"),
    ]


def _quote(text: str) -> dict[str, Any]:
    return block(user(text), spacing="small")


@renders(ReviewPromptView)
def review_prompt_card(view: ReviewPromptView) -> Card:
    """The owner's 1:1 card on the review date: decision, confidence, dissent, the answers."""
    head = (
        f"Reminder: **{view.label}** still waits for your review."
        if view.reminder
        else f"Time to review **{view.label}**: is it still right?"
    )
    facts = f"Decided with **{view.confidence}%** of the information you wished you had" + (
        f" ({view.confidence_note})." if view.confidence_note else "."
    )
    if view.decided_at:
        facts += f" Decided {when(view.decided_at)}."
    if view.permalink:
        facts += f" [Open the thread]({view.permalink})"
    body = [block(head, size="medium"), _quote(view.decision_text), block(facts)]
    pull = view.halted
    if pull is not None:
        body.append(
            block(
                f"**Halted:** {mention(pull.person)} pulled the Andon cord "
                f"{when(pull.pulled_at)}: {user(pull.reason)}",
                color="attention",
            )
        )
    if view.dissent:
        lines = [
            f"- {mention(d.person)}{' (committed)' if d.committed else ''}: {user(d.reason)}"
            for d in view.dissent
        ]
        body.append(block("**Recorded dissent**\n\n" + "\n".join(lines)))
    else:
        body.append(block("No dissent was recorded.", isSubtle=True, size="small"))
    return card(body, _answers(view.review_id))


def _confidence(initial: int | None, error: str | None) -> list[dict[str, Any]]:
    choice: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": "actual",
        "label": "Looking back, how much information did you actually have?",
        "placeholder": "Pick a share",
        "isRequired": True,
        "choices": [{"title": f"{n}%", "value": str(n)} for n in range(10, 101, 10)],
    }
    if initial is not None:
        choice["value"] = str(min(max(round(initial / 10) * 10, 10), 100))
    return [choice, *_error("actual", error)]


def _text(
    field: str, label: str, *, required: bool, limit: int, error: str | None, value: str = ""
) -> list[dict[str, Any]]:
    made = {
        "type": "Input.Text",
        "id": field,
        "label": label,
        "value": value,
        "isMultiline": True,
        "maxLength": limit,
        "isRequired": required,
    }
    return [made, *_error(field, error)]


def _error(field: str, error: str | None) -> list[dict[str, Any]]:
    return [block(user(error), color="attention", id=f"{field}_error")] if error else []


@dataclass(frozen=True)
class KeepFormCard:
    """Teams only: the owner's card showing the Keep form in place, with the errors of a
    submission beside its fields (empty when first shown)."""

    form: KeepForm
    errors: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, str], ...] = ()  # what was submitted, shown again


@renders(KeepForm)
def keep_form_card(form: KeepForm) -> Card:
    return keep_form_with_errors(KeepFormCard(form))


@renders(KeepFormCard)
def keep_form_with_errors(view: KeepFormCard) -> Card:
    """Still right: the next review date (09:00 in the owner's zone), the information actually
    had, what was learned; saved by **Keep** in the same card. The other answers stay."""
    form, errors, values = view.form, dict(view.errors), dict(view.values)
    body = [
        block("**Still right**", size="medium"),
        block(f"**{form.label}**: {fit(user(form.decision_text), 2800)}"),
        {
            "type": "Input.Date",
            "id": "next_review",
            "label": "Next review date",
            "value": values.get("next_review") or form.next_review.isoformat(),
            "isRequired": True,
        },
        *_error("next_review", errors.get("next_review")),
        *_confidence(_share(values.get("actual")) or form.confidence, errors.get("actual")),
        *_text(
            "learned",
            "What did we learn? (optional)",
            required=False,
            limit=form.text_limit,
            error=errors.get("learned"),
            value=values.get("learned", ""),
        ),
    ]
    keep = execute("Keep", KEEP_SAVE, form.review_id, style="positive", tz=form.tz, key="review")
    return card(body, [keep, *_answers(form.review_id, keep=False)])


def _share(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) <= 3 else None


@renders(ChangeForm)
def change_dialog(form: ChangeForm, errors: dict[str, str] | None = None) -> Card:
    """Amend (new wording required) or Reverse (an optional replacing decision), what was
    learned, and how much information there actually was."""
    errors = errors or {}
    amend = form.outcome == ReviewAnswer.AMEND
    body = [
        block("**Amend decision**" if amend else "**Reverse decision**", size="medium"),
        block(f"**{form.label}**: {fit(user(form.decision_text), 2800)}"),
        *_text(
            "new_text",
            "The amended decision" if amend else "What we decide instead (optional)",
            required=amend,
            limit=form.text_limit,
            error=errors.get("new_text"),
        ),
        *_text(
            "learned",
            "What did we learn?",
            required=True,
            limit=form.text_limit,
            error=errors.get("learned"),
        ),
        *_confidence(None, errors.get("actual")),
    ]
    verb = AMEND if amend else REVERSE
    submit = {
        "type": "Action.Submit",
        "title": "Amend" if amend else "Reverse",
        "data": {"verb": verb, "review": form.review_id},
    }
    return card(body, [submit])


# The dialog's title and its renderer with errors, in the app's tables of dialog cards.
DIALOG_TITLES[ChangeForm] = "Review"
RENDERERS_WITH_ERRORS[ChangeForm] = change_dialog


@renders(ReviewAnsweredView)
def review_answered_card(view: ReviewAnsweredView) -> Card:
    """The owner's card once answered (the answers are gone)."""
    body = [
        block(f"**{view.label}** {OUTCOME_WORDS[view.outcome]}.", color="good"),
        _quote(view.decision_text),
    ]
    if view.next_review_on:
        body.append(block(f"Next review: {day(view.next_review_on)}."))
    if view.replaced_by is not None:
        body.append(block(f"Replaced by **{view.replaced_by}**."))
    if view.learned:
        body.append(block(f"What we learned: {user(view.learned)}"))
    return card(body)


@renders(ReviewOutcomeView)
def review_outcome_card(view: ReviewOutcomeView) -> Card:
    """The short note in the decision's thread."""
    body = [
        block(f"Review of **{view.label}**: {OUTCOME_WORDS[view.outcome]} by {mention(view.by)}.")
    ]
    if view.replacement_label is not None:
        body.append(
            block(f"Replaced by **{view.replacement_label}**: {user(view.replacement_text or '')}")
        )
    if view.learned:
        body.append(block(f"What we learned: {user(view.learned)}"))
    if view.next_review_on:
        body.append(block(f"Next review: {day(view.next_review_on)}."))
    return card(body)


@renders(DissentRelevantView)
def dissent_relevant_card(view: DissentRelevantView) -> Card:
    """A 1:1 note to each recorded dissenter of an amended or reversed decision."""
    said = (
        f"Your dissent on **{view.label}** was relevant: {mention(view.owner)} "
        f"{OUTCOME_WORDS[view.outcome]} it on review."
    )
    if view.replaced_by is not None:
        said += f" It is replaced by **{view.replaced_by}**."
    body = [block(said)]
    if view.learned:
        body.append(block(f"What we learned: {user(view.learned)}"))
    return card(body)
