"""Adaptive Cards of reflection rounds (renderers of `bot.views.reflections`): the round with
its Answer button, the answers and questions dialogs, the digest and the private notes of
`@Narrative reflect`. The words and button titles are Slack's; command forms are Teams'."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.durations import format_duration
from bot.views import Notice
from bot.views.reflections import (
    QUESTIONS_FIELD,
    RESET_FIELD,
    AnswersForm,
    AnswersSaved,
    ClosedRoundCard,
    DigestAnswer,
    DigestPage,
    DigestPart,
    DigestSection,
    Participation,
    PickSet,
    Problem,
    QuestionsForm,
    QuestionsSaved,
    ReflectionStatus,
    Refused,
    RoundCard,
    RoundClosed,
    RoundDigest,
    RoundNotPosted,
    RoundUnconfirmed,
    ScheduleSet,
    ScheduleStopped,
)
from bot.views.reflections import digest_pages as pages_of
from handlers.teams.cards import (
    MENTION_BYTES,
    Card,
    block,
    card,
    counts_parts,
    fit,
    mention,
    renders,
    user,
    when,
)
from handlers.teams.cards.decisions import DIALOG_TITLES, RENDERERS_WITH_ERRORS
from handlers.teams.cards.narratives import PART_BYTES

# Verbs of the dialog buttons (`task/fetch`) and of their forms (`task/submit`).
ANSWER = "reflection_answer"
QUESTIONS = "reflection_questions"
COMMAND = "reflect"  # what follows the bot's mention
EXAMPLES = (
    "@Narrative reflect every monday 09:00",
    "@Narrative reflect every 2 weeks friday 15:00",
    "@Narrative reflect monthly 1 10:00 (the 1st of every month)",
    "@Narrative reflect off",
)


def _utc(at: datetime) -> str:
    """A time in a plain-text answer (no card functions there)."""
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _numbered(questions: tuple[str, ...]) -> list[dict[str, Any]]:
    return [block(f"**{i}.** {user(q)}") for i, q in enumerate(questions, start=1)]


def _small(text: str) -> dict[str, Any]:
    return block(text, isSubtle=True, size="small")


def answer_button(round_id: int) -> dict[str, Any]:
    """Opens the answers dialog (`task/fetch`)."""
    data = {"msteams": {"type": "task/fetch"}, "verb": ANSWER, "round": round_id}
    return {"type": "Action.Submit", "title": "Answer", "style": "positive", "data": data}


@renders(RoundCard)
def round_card(view: RoundCard) -> Card:
    body = [block("**Reflection round**", size="medium")]
    if view.late and view.scheduled_for is not None:
        body.append(
            _small(
                f"This round was due {when(view.scheduled_for)} but Narrative was offline "
                "then, so it is posted late."
            )
        )
    body += _numbered(view.questions)
    body.append(
        _small(
            f"Answers are collected until {when(view.closes_at)}; every question is optional "
            "and you can change your answers until then. You can also reply in this thread — "
            "start with a question number (e.g. 3.) to answer that question. Name a decision "
            "as D-42 to link your answer to it."
        )
    )
    return card(body, [answer_button(view.round_id)])


@renders(ClosedRoundCard)
def closed_round_card(view: ClosedRoundCard) -> Card:
    count = view.answer_count
    return card(
        [
            block("**Reflection round** (closed)", size="medium"),
            *_numbered(view.questions),
            _small(
                f"Closed {when(view.closes_at)} with {count} answer{'s' if count != 1 else ''}; "
                "the digest is in the thread."
            ),
        ]
    )


# --- dialogs -------------------------------------------------------------------------------------


def _error(field: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    problem = errors.get(field)
    return [block(user(problem), color="attention", id=f"{field}_error")] if problem else []


def answers_dialog(form: AnswersForm, errors: dict[str, str] | None = None) -> Card:
    """One optional field per question, prefilled with what the person answered before."""
    errors = errors or {}
    body = [
        _small(
            f"Every question is optional. You can change your answers until "
            f"{when(form.closes_at)}. Name a decision as D-42 to link to it."
        )
    ]
    for field in form.fields:
        body.append(
            {
                "type": "Input.Text",
                "id": field.name,
                "label": fit(f"{field.index + 1}. {field.question}", 2000),
                "value": field.value,
                "maxLength": field.max_chars,
                "isMultiline": True,
                "isRequired": False,
            }
        )
        body += _error(field.name, errors)
    data = {"verb": ANSWER, "round": form.round_id}
    return card(body, [{"type": "Action.Submit", "title": "Save answers", "data": data}])


def questions_dialog(form: QuestionsForm, errors: dict[str, str] | None = None) -> Card:
    """Edit, reorder or add the channel's questions (one per line), or reset to the standard."""
    note = (
        "This channel has its own questions."
        if form.custom
        else "This channel asks the standard nine questions."
    )
    return card(
        [
            _small(
                f"{note} One question per line: edit a line to change a question, move lines "
                "to reorder them, add lines to add questions, delete a line to drop one."
            ),
            {
                "type": "Input.Text",
                "id": QUESTIONS_FIELD,
                "label": "Questions",
                "value": "\n".join(form.questions),
                "maxLength": form.max_total_chars,
                "isMultiline": True,
                "isRequired": False,
            },
            *_error(QUESTIONS_FIELD, errors or {}),
            {
                "type": "Input.Toggle",
                "id": RESET_FIELD,
                "title": "Go back to the standard nine questions",
                "value": "false",
            },
        ],
        [{"type": "Action.Submit", "title": "Save", "data": {"verb": QUESTIONS}}],
    )


renders(AnswersForm)(answers_dialog)
renders(QuestionsForm)(questions_dialog)
# The app shows these dialogs (with a submitted form's errors beside its fields).
RENDERERS_WITH_ERRORS.update({AnswersForm: answers_dialog, QuestionsForm: questions_dialog})
DIALOG_TITLES.update({AnswersForm: "Reflection", QuestionsForm: "Reflection questions"})


@dataclass(frozen=True)
class QuestionsButton:
    """Teams only: a typed command cannot open a dialog; this card's button opens the
    channel's questions dialog."""


@renders(QuestionsButton)
def questions_button_card(_: QuestionsButton) -> Card:
    data = {"msteams": {"type": "task/fetch"}, "verb": QUESTIONS}
    return card(
        [block("Edit this channel's reflection questions: the form has them all.")],
        [{"type": "Action.Submit", "title": "Edit questions", "data": data}],
    )


# --- the digest ----------------------------------------------------------------------------------


def _answer_line(answer: DigestAnswer) -> str:
    line = f"- {mention(answer.person)}: {user(answer.text)}"
    if answer.decision_number is not None:
        label = f"D-{answer.decision_number}"
        link = f"[{label}]({answer.decision_link})" if answer.decision_link else label
        line += f"  _(linked to {link})_"
    return line


def participation_text(p: Participation) -> str:
    if p.member_count is None or p.answered_members is None:
        return f"{p.authors} {'person' if p.authors == 1 else 'people'} answered."
    said = f"{p.answered_members} of {p.member_count} channel members answered"
    others = p.authors - p.answered_members
    if others > 0:
        said += f" (and {others} other{'s' if others != 1 else ''})"
    return said + "."


def _section(s: DigestSection) -> list[dict[str, Any]]:
    more = " (continued)" if s.continued else ""
    head = (
        f"**From the thread{more}**"
        if s.number is None
        else f"**{s.number}. {user(s.question)}{more}**"
    )
    # One block per answer, uncut: `digest_pages` already keeps a message inside Teams' size.
    lines = [_answer_line(a) for a in s.answers] or ["_No answers._"]
    answers = [
        {"type": "TextBlock", "text": line, "wrap": True, "spacing": "small"} for line in lines
    ]
    return [block(head, separator=True, spacing="medium"), *answers]


def _page_body(page: DigestPage) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    if page.first:
        body += [
            block("**Reflection digest**", size="medium"),
            _small(participation_text(page.participation)),
        ]
    for s in page.sections:
        body += _section(s)
    return body


def _weight(body: list[dict[str, Any]]) -> int:
    """Bytes of `body` as sent: each mention also adds an entity."""
    raw = json.dumps(body, ensure_ascii=False)
    return len(raw.encode()) + MENTION_BYTES * raw.count("<at>")


def digest_pages(digest: RoundDigest) -> list[DigestPage]:
    """The digest in cards well inside Teams' ~28 KB (mentions included)."""
    return pages_of(digest, lambda page: _weight(_page_body(page)) <= PART_BYTES)


@counts_parts(RoundDigest)
def digest_parts(digest: RoundDigest) -> int:
    return len(digest_pages(digest))


@renders(DigestPart)
def digest_card(part: DigestPart) -> Card:
    body = _page_body(digest_pages(part.digest)[part.index - 1])
    if part.count > 1:
        body.insert(0, _small(f"Reflection digest ({part.index} of {part.count})"))
    return card(body)


# --- private notes -------------------------------------------------------------------------------


def bad_schedule(problem: str) -> Notice:
    """Why a schedule could not be read."""
    examples = "\n".join(f"- {example}" for example in EXAMPLES)
    return Notice(
        (
            f"I could not read that schedule. {problem}\n\n"
            f"Times are in your time zone. For example:\n\n{examples}",
        )
    )


def _note(text: str, **extra: Any) -> Card:
    return card([block(text, **extra)])


@renders(ScheduleSet)
def schedule_set_card(done: ScheduleSet) -> Card:
    return _note(
        f"Reflection rounds in this channel: {done.schedule} ({user(done.tz)} time, your time "
        f"zone). The next round is {when(done.next_at)}.",
        color="good",
    )


@renders(ScheduleStopped)
def schedule_stopped_card(done: ScheduleStopped) -> Card:
    if not done.stopped:
        return _note("This channel has no scheduled reflection rounds.")
    return _note(
        "Scheduled reflection rounds in this channel are off. Open rounds still close and post "
        "their digest."
    )


@renders(PickSet)
def pick_set_card(done: PickSet) -> Card:
    count = done.question_count
    if done.pick:
        return _note(
            f"Each round asks {min(done.pick, count)} of the channel's {count} questions, "
            "in rotation."
        )
    return _note(f"Each round asks all {count} of the channel's questions.")


def _saved(done: AnswersSaved, until: str) -> str:
    return (
        f"Saved your answers to {done.answered} of {done.question_count} questions. You can "
        f"change them until {until} with the Answer button."
    )


@renders(AnswersSaved)
def answers_saved_card(done: AnswersSaved) -> Card:
    return _note(_saved(done, when(done.closes_at)), color="good")


def _questions_saved(done: QuestionsSaved) -> str:
    if done.question_count is None:
        return "This channel's reflection questions are back to the standard nine."
    return (
        f"Saved {done.question_count} reflection questions for this channel; the next round "
        "asks them."
    )


@renders(QuestionsSaved)
def questions_saved_card(done: QuestionsSaved) -> Card:
    return _note(_questions_saved(done))


ROUND_CLOSED = "This reflection round has closed; answers are no longer taken."


@renders(RoundClosed)
def round_closed_card(_: RoundClosed) -> Card:
    return _note(ROUND_CLOSED)


@renders(RoundUnconfirmed)
def round_unconfirmed_card(_: RoundUnconfirmed) -> Card:
    return _note(
        "Teams is slow to confirm your reflection round. I will check in a minute and post it "
        "if it is missing; there is no need to start it again."
    )


@renders(RoundNotPosted)
def round_not_posted_card(failed: RoundNotPosted) -> Card:
    what = "the scheduled reflection round" if failed.scheduled else "the reflection round"
    said = (
        f"I could not post {what} in that conversation ({user(failed.reason)}). Make sure "
        "Narrative is added to the team or chat"
    )
    if failed.scheduled:
        said += "; I will try again shortly. @Narrative reflect off there stops the schedule."
    return _note(said + ("" if failed.scheduled else ", and try again."), color="warning")


@renders(Refused)
def refused_card(refused: Refused) -> Card:
    return _note(user(refused.reason), color="attention")


@renders(Problem)
def problem_card(problem: Problem) -> Card:
    return _note(user(problem.reason), color="warning")


def status_text(status: ReflectionStatus) -> str:
    lines = ["**Reflection in this channel**"]
    if status.schedule is not None and status.next_at is not None:
        lines.append(f"- Schedule: {status.schedule} ({user(status.tz or 'UTC')})")
        lines.append(f"- Next round: {when(status.next_at)}")
    else:
        lines.append("- No schedule. Start one with @Narrative reflect every monday 09:00.")
    questions = "own" if status.custom_questions else "the standard"
    lines.append(
        f"- Questions: {status.question_count} ({questions}; @Narrative reflect questions)"
    )
    if status.pick and status.pick < status.question_count:
        lines.append(f"- Each round asks {status.pick} of them, in rotation")
    lines.append(f"- Answers are collected for {format_duration(status.collect)}")
    if status.last_round_at is not None:
        state = "open" if status.last_round_open else "closed"
        n, people = status.last_round_answers, status.last_round_people
        lines.append(
            f"- Last round ({state}, {when(status.last_round_at)}): "
            f"{n} answer{'s' if n != 1 else ''} from {people} "
            f"{'person' if people == 1 else 'people'}"
        )
    else:
        lines.append("- No round yet. Post one with @Narrative reflect now.")
    return "\n".join(lines)


@renders(ReflectionStatus)
def status_card(status: ReflectionStatus) -> Card:
    return _note(status_text(status))


def dialog_note(view: object) -> Notice:
    """What a dialog says instead of a form (plain words: no card functions in a dialog's
    message)."""
    if isinstance(view, AnswersSaved):
        return Notice((_saved(view, _utc(view.closes_at)),))
    if isinstance(view, QuestionsSaved):
        return Notice((_questions_saved(view),))
    if isinstance(view, Refused | Problem):
        return Notice((view.reason,))
    return Notice((ROUND_CLOSED,))
