"""Buttons and forms on the page, and plain messages: each reads what the page sent, calls one
core function and hands its answer to `Asked` (the Slack listeners show which call each is)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from bot import decision_log, decisions, log_export, meetings, reflections, reviews
from bot.decisions import DecisionError, FormError, ProposalValues
from bot.inputs import clean, parse_id
from bot.views import FormErrors, Person, Text, notice
from bot.views.decision_log import HomeFilters, RecordView
from bot.views.decisions import Resolution
from bot.views.narratives import StartAnswers
from bot.views.reflections import MAX_QUESTIONS, answer_field
from bot.vocabulary import ReviewAnswer, Stance
from handlers.playground.asked import Asked, Said
from handlers.playground.html import EditForm, render
from handlers.playground.platform import BY_ID, CHANNELS

Data = Mapping[str, Any]


def words(parts: Text) -> str:
    """Neutral text as plain words, people by name (for a form field's error)."""
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, Person):
            found = BY_ID.get(p.id)
            out.append(f"@{found.name}" if found else p.id)
        else:
            out.append(getattr(p, "text", None) or getattr(p, "label", None) or str(p))
    return "".join(out)


def _id(data: Data) -> int | None:
    return parse_id(str(data.get("arg") or ""))


def _text(data: Data, name: str) -> str:
    return clean(str(data.get(name) or "")).strip()


# --- a person's message ---------------------------------------------------------------------


def message(asked: Asked, text: str, thread: str | None) -> Said:
    """A plain message; in a narrative's thread it is a question, in a round's an answer."""
    said = asked.platform.say(asked.place, asked.person, text, thread=thread)
    if thread is None:
        return Said()
    question = meetings.question_from_thread(
        core=asked.core,
        team_id=asked.team,
        place=asked.place,
        thread=thread,
        message_id=said.id,
        author_id=asked.person,
        text=text,
    )
    if question is None:
        reflections.record_thread_reply(
            asked.core,
            team_id=asked.team,
            channel_id=asked.place,
            thread_ts=thread,
            user_id=asked.person,
            message_ts=said.id,
            text=text,
        )
    return Said()


def edit(asked: Asked, data: Data) -> Said:
    """The Edit button on one's own message: the form with its text."""
    found = asked.platform.messages.get(str(data.get("arg") or ""))
    if found is None or found.author != asked.person:
        return Said()
    return Said(form=render(EditForm(found.id, found.text)))


def edit_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    """An edited message: a narrative's question is updated, else a round's answer."""
    text = _text(fields, "text")
    if not text:
        return Said(errors={"text": "Write something, or leave the message as it was."})
    edited = asked.platform.edit(str(data.get("arg") or ""), asked.person, text)
    if edited is None or edited.thread is None:
        return Said()
    question = meetings.edit_thread_question(
        core=asked.core,
        team_id=asked.team,
        channel_id=edited.place,
        message_ts=edited.id,
        text=text,
    )
    if question is None:
        reflections.record_thread_reply(
            asked.core,
            team_id=asked.team,
            channel_id=edited.place,
            thread_ts=edited.thread,
            user_id=asked.person,
            message_ts=edited.id,
            text=text,
        )
    return Said()


def upvote(asked: Asked, data: Data) -> Said:
    """A 👍 on a reply (pressed again: taken back); a question's rank counts it."""
    message_id = str(data.get("arg") or "")
    added = asked.platform.thumbs_up(message_id, asked.person)
    if added is not None:
        meetings.set_upvote(
            core=asked.core,
            team_id=asked.team,
            channel_id=asked.place,
            message_ts=message_id,
            user_id=asked.person,
            added=added,
        )
    return Said()


# --- buttons ----------------------------------------------------------------------------------


def done_reading(asked: Asked, data: Data) -> Said:
    narrative_id = _id(data)
    if narrative_id is None:
        return Said()
    return asked.answer(
        meetings.done_reading(
            core=asked.core, team_id=asked.team, narrative_id=narrative_id, user_id=asked.person
        )
    )


def ask_privately(asked: Asked, data: Data) -> Said:
    narrative_id = _id(data)
    form = (
        meetings.ask_form(core=asked.core, team_id=asked.team, narrative_id=narrative_id)
        if narrative_id is not None
        else None
    )
    return Said(form=render(form)) if form is not None else Said()


def end_reading(asked: Asked, data: Data) -> Said:
    narrative_id = _id(data)
    if narrative_id is None:
        return Said()
    return asked.answer(
        meetings.end_now(
            core=asked.core, team_id=asked.team, narrative_id=narrative_id, user_id=asked.person
        )
    )


def propose_about(asked: Asked, data: Data) -> Said:
    return asked.reply(
        decisions.propose_about(
            asked.core, team_id=asked.team, user_id=asked.person, narrative_id=_id(data)
        )
    )


def vote(asked: Asked, data: Data) -> Said:
    choice = Stance(str(data.get("choice")))
    if choice == Stance.AGREE:
        return asked.reply(
            decisions.vote(
                asked.core,
                team_id=asked.team,
                decision_id=_id(data),
                user_id=asked.person,
                choice=choice,
            )
        )
    return asked.reply(
        decisions.ask_reason(asked.core, team_id=asked.team, decision_id=_id(data), choice=choice)
    )


def finalize(asked: Asked, data: Data) -> Said:
    return asked.reply(
        decisions.open_finalize(
            asked.core, team_id=asked.team, decision_id=_id(data), user_id=asked.person
        )
    )


def commit(asked: Asked, data: Data) -> Said:
    return asked.reply(
        decisions.commit_to(
            asked.core, team_id=asked.team, decision_id=_id(data), user_id=asked.person
        )
    )


def andon(asked: Asked, data: Data) -> Said:
    return asked.reply(decisions.open_andon(asked.core, team_id=asked.team, decision_id=_id(data)))


def resolve(asked: Asked, data: Data) -> Said:
    return asked.reply(
        decisions.resolve(
            asked.core,
            team_id=asked.team,
            decision_id=_id(data),
            user_id=asked.person,
            resolution=Resolution(str(data.get("resolution"))),
        )
    )


def _review(asked: Asked, data: Data) -> dict[str, Any]:
    return {"team_id": asked.team, "user_id": asked.person, "review_id": _id(data) or 0}


def review_keep(asked: Asked, data: Data) -> Said:
    return asked.reply(reviews.open_keep(asked.core, asked.platform, **_review(asked, data)))


def review_change(outcome: ReviewAnswer) -> Callable[[Asked, Data], Said]:
    def opened(asked: Asked, data: Data) -> Said:
        return asked.reply(
            reviews.open_change(asked.core, asked.platform, outcome=outcome, **_review(asked, data))
        )

    return opened


def review_snooze(asked: Asked, data: Data) -> Said:
    period = "month" if data.get("period") == "month" else "week"
    return asked.reply(
        reviews.snooze(asked.core, asked.platform, period=period, **_review(asked, data))
    )


def answer_round(asked: Asked, data: Data) -> Said:
    return asked.reply(
        reflections.answer_form(
            asked.core, team_id=asked.team, round_id=_id(data), user_id=asked.person
        )
    )


def open_record(asked: Asked, data: Data) -> Said:
    found = decision_log.record_page(
        asked.core, team_id=asked.team, viewer=asked.viewer(), decision_id=_id(data)
    )
    return Said(show=render(found)) if isinstance(found, RecordView) else asked.tell(found)


def log_page(asked: Asked, data: Data) -> Said:
    view = decision_log.list_page(
        asked.core,
        team_id=asked.team,
        viewer=asked.viewer(),
        listing=str(data.get("listing") or ""),
        arg=str(data.get("listarg") or ""),
        page=_id(data) or 0,
    )
    return Said(show=render(view))


def home_filters(data: Data) -> HomeFilters:
    status = str(data.get("s") or "") or None
    return decision_log.refilter_status(HomeFilters(), status).with_(
        channel_id=str(data.get("c") or "") or None,
        owner_id=str(data.get("o") or "") or None,
        due=data.get("d") == "due",
        page=parse_id(str(data.get("p") or "0")) or 0,
    )


def home_export(asked: Asked, data: Data) -> Said:
    asked.tell(
        notice("Preparing your export of what the log shows… it will arrive as a direct message.")
    )
    request = log_export.home_export_request(
        asked.core, team_id=asked.team, user_id=asked.person, filters=home_filters(data)
    )
    log_export.export_log(
        asked.core, asked.platform, request, viewer=asked.viewer(), place_name=CHANNELS.get
    )
    return Said()


ACTIONS: dict[str, Callable[[Asked, Data], Said]] = {
    "done_reading": done_reading,
    "ask_privately": ask_privately,
    "end_reading": end_reading,
    "propose_about": propose_about,
    "upvote": upvote,
    "edit": edit,
    "vote": vote,
    "finalize": finalize,
    "commit": commit,
    "andon": andon,
    "resolve": resolve,
    "review_keep": review_keep,
    "review_amend": review_change(ReviewAnswer.AMEND),
    "review_reverse": review_change(ReviewAnswer.REVERSE),
    "review_snooze": review_snooze,
    "answer_round": answer_round,
    "open_record": open_record,
    "log_page": log_page,
    "home_export": home_export,
}


# --- forms ------------------------------------------------------------------------------------


def start_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    readers = fields.get("readers") or []
    started = meetings.submit_start(
        core=asked.core,
        team_id=asked.team,
        place=str(data.get("arg") or asked.place),
        owner_id=asked.person,
        answers=StartAnswers(
            title=_text(fields, "title"),
            link=_text(fields, "link"),
            body=clean(str(fields.get("body") or "")),
            kind=_text(fields, "kind") or "other",
            reading=_text(fields, "reading") or "20m",
            readers=tuple(str(r) for r in readers if str(r) in BY_ID),
        ),
    )
    if isinstance(started, FormErrors):
        return asked.reply(started)
    meetings.post_narrative(core=asked.core, team_id=asked.team, narrative_id=started)
    return Said()


def ask_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    answer = meetings.submit_question(
        core=asked.core,
        team_id=asked.team,
        narrative_id=_id(data),
        author_id=asked.person,
        text=_text(fields, "question"),
    )
    if isinstance(answer.reply, FormErrors):
        return asked.reply(answer.reply)
    return asked.answer(answer)


def propose_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    values = ProposalValues(
        text=_text(fields, "proposal"),
        confidence=_text(fields, "confidence") or None,
        review_date=_text(fields, "review") or None,
        owner_id=_text(fields, "owner") or None,
        door=_text(fields, "door") or None,
        closes=_text(fields, "closes") or None,
        anonymous=bool(fields.get("anonymous")),
        channel_id=_text(fields, "channel_id") or None,
        narrative_id=_id(data),
    )
    try:
        later = decisions.submit_proposal(
            asked.core, team_id=asked.team, user_id=asked.person, values=values
        )
    except FormError as exc:
        return Said(errors={exc.field: str(exc)})
    except DecisionError as exc:
        return Said(errors={"proposal": words(exc.body)})
    return _afterwards(asked, later)


def _afterwards(asked: Asked, later: decisions.Afterwards | None) -> Said:
    said = later.run() if later is not None else None
    if said is not None:
        asked.platform.tell(asked.team, asked.person, said)
    return Said()


def reason_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    try:
        decisions.vote_with_reason(
            asked.core,
            team_id=asked.team,
            decision_id=_id(data),
            user_id=asked.person,
            choice=_text(fields, "choice"),
            reason=_text(fields, "reason"),
        )
    except DecisionError as exc:
        return Said(errors={"reason": words(exc.body)})
    return Said()


def text_form(
    submit: Callable[..., Any], field: str, argument: str
) -> Callable[[Asked, Data, Data], Said]:
    """Finalize, Andon and amend: one text field handed to one core function."""

    def submitted(asked: Asked, data: Data, fields: Data) -> Said:
        try:
            later = submit(
                asked.core,
                team_id=asked.team,
                decision_id=_id(data),
                user_id=asked.person,
                **{argument: _text(fields, field)},
            )
        except DecisionError as exc:
            return Said(errors={field: words(exc.body)})
        return _afterwards(asked, later)

    return submitted


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def review_submitted(outcome: str | None) -> Callable[[Asked, Data, Data], Said]:
    """Keep, or Amend/Reverse (the outcome rides in the form)."""

    def submitted(asked: Asked, data: Data, fields: Data) -> Said:
        review_id = _id(data) or 0
        asked_about = {"team_id": asked.team, "user_id": asked.person, "review_id": review_id}
        in_form = reviews.answers_in_form(asked.core, **asked_about)
        if in_form is None:
            return Said(errors={reviews.DEFAULT_FIELD: reviews.GONE})
        form = reviews.FormAnswer(
            outcome=outcome or _text(fields, "outcome"),
            actual_confidence=parse_id(_text(fields, "actual")),
            learned=_text(fields, "learned") or None,
            new_text=_text(fields, "new_text") or None,
            next_review_day=_day(_text(fields, "next_review")),
            tz=_text(fields, "tz") or None,
        )
        result = reviews.submit_form(
            asked.core, asked.platform, form=form, in_form=in_form, **asked_about
        )
        if isinstance(result, FormErrors):
            return asked.reply(result)
        if result is not None:
            reviews.announce(asked.core, asked.platform, result)
        return Said()

    return submitted


def answers_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    answers = {
        i: clean(str(fields.get(answer_field(i)) or ""))
        for i in range(MAX_QUESTIONS)
        if answer_field(i) in fields
    }
    saved = reflections.submit_answers(
        asked.core, team_id=asked.team, round_id=_id(data), user_id=asked.person, answers=answers
    )
    if isinstance(saved, FormErrors):
        return asked.reply(saved)
    asked.platform.tell(asked.team, asked.person, saved, place=saved.place)
    return Said()


def questions_submitted(asked: Asked, data: Data, fields: Data) -> Said:
    change = reflections.check_questions_form(
        str(data.get("arg") or ""),
        clean(str(fields.get("questions") or "")),
        reset=bool(fields.get("reset")),
    )
    if isinstance(change, FormErrors):
        return asked.reply(change)
    told = reflections.change_questions(
        asked.core, team_id=asked.team, user_id=asked.person, change=change
    )
    asked.platform.tell(asked.team, asked.person, told.note, place=told.place)
    return Said()


FORMS: dict[str, Callable[[Asked, Data, Data], Said]] = {
    "start": start_submitted,
    "edit": edit_submitted,
    "ask": ask_submitted,
    "propose": propose_submitted,
    "reason": reason_submitted,
    "finalize": text_form(decisions.submit_finalize, "final_text", "final_text"),
    "andon": text_form(decisions.submit_andon, "reason", "reason"),
    "amend": text_form(decisions.submit_amend, "final_text", "new_text"),
    "review_keep": review_submitted(ReviewAnswer.KEEP),
    "review_change": review_submitted(None),
    "answers": answers_submitted,
    "questions": questions_submitted,
}
