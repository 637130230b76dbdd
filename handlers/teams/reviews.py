"""Decision reviews in Teams: the owner's answers on the review card. **Still right (keep)**
shows the Keep form in the card itself and **Keep** saves it there; the snoozes answer in
place; **Amend** and **Reverse** open a dialog. The flows (timers, answers, the announcement)
are `bot.reviews`; each listener parses, calls one core function and answers with its value."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import reviews
from bot.decisions import Afterwards
from bot.inputs import clean, parse_id
from bot.reviews import Answered, FormAnswer
from bot.views import FormErrors, OpenForm, ReplaceCard
from bot.vocabulary import ReviewAnswer
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.cards import reviews as cards
from handlers.teams.cards.reviews import CHANGES, SNOOZES, KeepFormCard
from handlers.teams.feature import Dialog, Feature, item_id

# The inputs of the review forms, as the card sends them back.
FIELDS = ("next_review", "actual", "learned", "new_text")


def _asked(m: Incoming, data: dict[str, Any]) -> dict[str, Any]:
    """Who asks about which review, in the words of the core's functions."""
    return {"team_id": m.tenant, "user_id": m.user, "review_id": item_id(data, "review") or 0}


def _field(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return (clean(value).strip() or None) if isinstance(value, str) else None


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_answer(outcome: str, data: dict[str, Any]) -> FormAnswer:
    """A submitted review form (the Keep form in the card, or the Amend/Reverse dialog)."""
    tz = data.get("tz")
    return FormAnswer(
        outcome=outcome,
        actual_confidence=parse_id(data.get("actual")),
        learned=_field(data, "learned"),
        new_text=_field(data, "new_text"),
        next_review_day=_day(_field(data, "next_review")),
        tz=tz if isinstance(tz, str) else None,
    )


def _in_place(a: Answers, m: Incoming, said: object) -> object:
    """An answered review replaces the owner's card; the announcement follows the answer."""
    if isinstance(said, Answered):
        a.later(m, said.announce)
        return ReplaceCard(said.view)
    return said


# --- buttons answered in place -----------------------------------------------------------------


def keep_clicked(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    """Still right (keep): the card shows the Keep form in place (a dialog on Slack)."""
    reply = reviews.open_keep(a.core, a.platform, **_asked(m, data))
    return ReplaceCard(reply.form) if isinstance(reply, OpenForm) else reply


def keep_saved(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    """Keep, from the form in the card: the card answered, or the form again with its errors."""
    asked = _asked(m, data)
    said = reviews.submit_here(
        a.core, a.platform, form=form_answer(ReviewAnswer.KEEP, data), **asked
    )
    if not isinstance(said, FormErrors):
        return _in_place(a, m, said)
    again = reviews.open_keep(a.core, a.platform, **asked)
    if not isinstance(again, OpenForm):
        return again
    values = tuple((k, v) for k in FIELDS if isinstance(v := data.get(k), str))
    return ReplaceCard(KeepFormCard(again.form, said.errors, values))


def snooze_clicked(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    period = SNOOZES.get(str(data.get("verb")), "week")
    said = reviews.snooze_here(a.core, a.platform, period=period, **_asked(m, data))
    return _in_place(a, m, said)


# --- the Amend and Reverse dialogs ---------------------------------------------------------------


def change_opened(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    outcome = CHANGES[str(data.get("verb"))]
    return reviews.open_change(a.core, a.platform, outcome=outcome, **_asked(m, data))


def change_submitted(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    """Recorded before the dialog closes (errors keep it open); announced afterwards."""
    form = form_answer(CHANGES[str(data.get("verb"))], data)
    said = reviews.submit_here(a.core, a.platform, form=form, **_asked(m, data))
    if isinstance(said, Answered):
        return Afterwards(m.place, said.announce)
    return said


CHANGE = Dialog(open=change_opened, submit=change_submitted)

# Reviews, as the Teams app's tables (`handlers.teams.feature`).
FEATURE = Feature(
    clicks={
        cards.KEEP: keep_clicked,
        cards.KEEP_SAVE: keep_saved,
        **{verb: snooze_clicked for verb in SNOOZES},
    },
    dialogs={verb: CHANGE for verb in CHANGES},
)
