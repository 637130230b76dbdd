"""Block Kit for reflection rounds: renderers of `bot.views.reflections`, registered with
`renders`. Pure functions: they build dictionaries, Slack is not called."""

from __future__ import annotations

from typing import Any

from bot.durations import format_duration
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
from handlers.slack.api import could_not_post
from handlers.slack.platform import counts_parts, renders
from handlers.slack.render import (
    INPUT_VALUE_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    actions,
    button,
    context,
    divider,
    escape,
    escape_keep_users,
    fit,
    mention,
    section,
    slack_date,
    split_text,
)

ANSWER_ACTION = "reflection_answer"
ANSWERS_CALLBACK = "reflection_answers"
QUESTIONS_CALLBACK = "reflection_questions"
QUESTIONS_BLOCK = QUESTIONS_FIELD
QUESTIONS_INPUT = "questions_text"
RESET_BLOCK = RESET_FIELD
RESET_INPUT = "reset_choice"
ANSWER_INPUT = "answer"

MODAL_LABEL_LIMIT = 2000
# What one digest message holds at most: four full sections, read without endless scrolling
# and far from any size Slack refuses.
DIGEST_MESSAGE_CHARS = 4 * SECTION_TEXT_LIMIT
# How to write a schedule; `/reflect` is Slack's command, so the examples live here.
EXAMPLES = (
    "`/reflect every monday 09:00`",
    "`/reflect every 2 weeks friday 15:00`",
    "`/reflect monthly 1 10:00` (the 1st of every month)",
    "`/reflect off`",
)


def _numbered(questions: tuple[str, ...]) -> list[str]:
    return [f"*{i}.* {escape(q)}" for i, q in enumerate(questions, start=1)]


@renders(RoundCard)
def render_round(card: RoundCard) -> dict[str, Any]:
    """The round as posted in the channel: its questions, an Answer button, the closing time."""
    blocks: list[dict[str, Any]] = [section(":thought_balloon: *Reflection round*")]
    if card.late and card.scheduled_for is not None:
        blocks.append(
            context(
                f":hourglass: This round was due {slack_date(card.scheduled_for)} but Narrative "
                "was offline then, so it is posted late."
            )
        )
    for line in _numbered(card.questions):
        blocks.extend(section(piece) for piece in split_text(line))
    blocks.append(
        actions(
            button("Answer", ANSWER_ACTION, str(card.round_id), style="primary"),
            block_id=f"reflection-{card.round_id}",
        )
    )
    blocks.append(
        context(
            f"Answers are collected until {slack_date(card.closes_at)}; every question is "
            "optional and you can change your answers until then. You can also reply in this "
            "thread — start with a question number (e.g. `3.`) to answer that question. "
            "Name a decision as `D-42` to link your answer to it."
        )
    )
    text = f"Reflection round: {len(card.questions)} questions, answers until " + (
        card.closes_at.strftime("%Y-%m-%d %H:%M UTC")
    )
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


@renders(ClosedRoundCard)
def render_closed_round(card: ClosedRoundCard) -> dict[str, Any]:
    """The round's message once it has closed: no Answer button; the digest is in the thread."""
    blocks: list[dict[str, Any]] = [section(":thought_balloon: *Reflection round* (closed)")]
    for line in _numbered(card.questions):
        blocks.extend(section(piece) for piece in split_text(line))
    count = card.answer_count
    blocks.append(
        context(
            f"Closed {slack_date(card.closes_at)} with {count} "
            f"answer{'s' if count != 1 else ''}; the digest is in the thread."
        )
    )
    return {"text": "Reflection round (closed)", "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


@renders(AnswersForm)
def render_answers_form(form: AnswersForm) -> dict[str, Any]:
    """One optional field per question, prefilled with what the person answered before."""
    blocks: list[dict[str, Any]] = [
        context(
            f"Every question is optional. You can change your answers until "
            f"{slack_date(form.closes_at)}. Name a decision as `D-42` to link to it."
        )
    ]
    for field in form.fields:
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": ANSWER_INPUT,
            "multiline": True,
            "max_length": field.max_chars,
        }
        if field.value:
            element["initial_value"] = field.value
        label = f"{field.index + 1}. {field.question}"
        if len(label) > MODAL_LABEL_LIMIT:
            label = label[: MODAL_LABEL_LIMIT - 1] + "…"
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "optional": True,
                "label": {"type": "plain_text", "text": label},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": ANSWERS_CALLBACK,
        "private_metadata": str(form.round_id),
        "title": {"type": "plain_text", "text": "Reflection"},
        "submit": {"type": "plain_text", "text": "Save answers"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


@renders(QuestionsForm)
def render_questions_form(form: QuestionsForm) -> dict[str, Any]:
    """Edit, reorder or add the channel's questions (one per line), or reset to the standard."""
    note = (
        "This channel has its own questions."
        if form.custom
        else "This channel asks the standard nine questions."
    )
    return {
        "type": "modal",
        "callback_id": QUESTIONS_CALLBACK,
        "private_metadata": form.place,
        "title": {"type": "plain_text", "text": "Reflection questions"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(
                f"{note} One question per line: edit a line to change a question, move lines to "
                "reorder them, add lines to add questions, delete a line to drop one."
            ),
            {
                "type": "input",
                "block_id": QUESTIONS_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Questions"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": QUESTIONS_INPUT,
                    "multiline": True,
                    "initial_value": fit("\n".join(form.questions), INPUT_VALUE_LIMIT),
                },
            },
            {
                "type": "input",
                "block_id": RESET_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reset"},
                "element": {
                    "type": "checkboxes",
                    "action_id": RESET_INPUT,
                    "options": [
                        {
                            "text": {
                                "type": "plain_text",
                                "text": "Go back to the standard nine questions",
                            },
                            "value": "reset",
                        }
                    ],
                },
            },
        ],
    }


# --- the digest -------------------------------------------------------------------------------


def _answer_line(answer: DigestAnswer) -> str:
    line = f"• {mention(answer.person)}: {escape_keep_users(answer.text)}"
    if answer.decision_number is not None:
        label = f"D-{answer.decision_number}"
        link = f"<{answer.decision_link}|{label}>" if answer.decision_link else label
        line += f"  _(linked to {link})_"
    return line


def _participation(p: Participation) -> str:
    if p.member_count is None or p.answered_members is None:
        return f"{p.authors} {'person' if p.authors == 1 else 'people'} answered."
    text = f"{p.answered_members} of {p.member_count} channel members answered"
    others = p.authors - p.answered_members
    if others > 0:
        text += f" (and {others} other{'s' if others != 1 else ''})"
    return text + "."


def _section_lines(s: DigestSection) -> list[str]:
    more = " (continued)" if s.continued else ""
    head = (
        f"*From the thread{more}*"
        if s.number is None
        else f"*{s.number}. {escape(s.question)}{more}*"
    )
    return [head] + ([_answer_line(a) for a in s.answers] or ["_No answers._"])


def _page_blocks(page: DigestPage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if page.first:
        blocks += [
            section(":memo: *Reflection digest*"),
            context(_participation(page.participation)),
        ]
    for s in page.sections:
        blocks.append(divider())
        blocks.extend(section(piece) for piece in split_text("\n".join(_section_lines(s))))
    return blocks


def _fits(page: DigestPage) -> bool:
    blocks = _page_blocks(page)
    chars = sum(len(b["text"]["text"]) for b in blocks if b["type"] == "section")
    return len(blocks) <= MESSAGE_BLOCK_LIMIT and chars <= DIGEST_MESSAGE_CHARS


def digest_pages(digest: RoundDigest) -> list[DigestPage]:
    """The digest in messages of at most 50 blocks and `DIGEST_MESSAGE_CHARS` characters
    (each section at most 3,000)."""
    return pages_of(digest, _fits)


@counts_parts(RoundDigest)
def digest_parts(digest: RoundDigest) -> int:
    return len(digest_pages(digest))


@renders(DigestPart)
def render_digest_part(part: DigestPart) -> dict[str, Any]:
    """One thread message of the digest: per question its answers and their authors."""
    page = digest_pages(part.digest)[part.index - 1]
    count = part.digest.answer_count
    of = f" ({part.index} of {part.count})" if part.count > 1 else ""
    fallback = (
        f"Reflection digest{of}: {count} answer{'s' if count != 1 else ''}. "
        + _participation(part.digest.participation)
    )
    return {"text": fallback, "blocks": _page_blocks(page)[:MESSAGE_BLOCK_LIMIT]}


# --- private replies --------------------------------------------------------------------------


def bad_schedule_text(problem: str) -> str:
    """Why a schedule could not be read (it quotes what the person typed, escaped)."""
    examples = "\n".join(f"• {example}" for example in EXAMPLES)
    return (
        f":warning: I could not read that schedule. {escape(problem)}\n"
        f"Times are in your time zone. For example:\n{examples}"
    )


@renders(ScheduleSet)
def render_schedule_set(done: ScheduleSet) -> dict[str, Any]:
    return {
        "text": f":white_check_mark: Reflection rounds in this channel: {done.schedule} "
        f"({escape(done.tz)} time, your time zone). The next round is {slack_date(done.next_at)}."
    }


@renders(ScheduleStopped)
def render_schedule_stopped(done: ScheduleStopped) -> dict[str, Any]:
    if not done.stopped:
        return {"text": "This channel has no scheduled reflection rounds."}
    return {
        "text": "Scheduled reflection rounds in this channel are off. Open rounds still close "
        "and post their digest."
    }


@renders(PickSet)
def render_pick_set(done: PickSet) -> dict[str, Any]:
    count = done.question_count
    if done.pick:
        return {
            "text": f"Each round asks {min(done.pick, count)} of the channel's {count} "
            "questions, in rotation."
        }
    return {"text": f"Each round asks all {count} of the channel's questions."}


@renders(AnswersSaved)
def render_answers_saved(done: AnswersSaved) -> dict[str, Any]:
    return {
        "text": f":white_check_mark: Saved your answers to {done.answered} of "
        f"{done.question_count} questions. You can change them until "
        f"{slack_date(done.closes_at)} with the Answer button."
    }


@renders(QuestionsSaved)
def render_questions_saved(done: QuestionsSaved) -> dict[str, Any]:
    if done.question_count is None:
        return {"text": "This channel's reflection questions are back to the standard nine."}
    return {
        "text": f"Saved {done.question_count} reflection questions for this channel; "
        "the next round asks them."
    }


@renders(RoundClosed)
def render_round_closed(_: RoundClosed) -> dict[str, Any]:
    return {"text": "This reflection round has closed; answers are no longer taken."}


@renders(RoundNotPosted)
def render_round_not_posted(failed: RoundNotPosted) -> dict[str, Any]:
    if not failed.scheduled:
        return {"text": could_not_post(failed.reason, "the reflection round")}
    where = f"<#{failed.place}>" if failed.place else "this channel"
    return {
        "text": could_not_post(failed.reason, "the scheduled reflection round", where)
        + " I will try again shortly; `/reflect off` there stops the schedule."
    }


@renders(RoundUnconfirmed)
def render_round_unconfirmed(_: RoundUnconfirmed) -> dict[str, Any]:
    return {
        "text": "Slack is slow to confirm your reflection round. I will check in a minute and "
        "post it if it is missing; there is no need to start it again."
    }


@renders(Refused)
def render_refused(refused: Refused) -> dict[str, Any]:
    return {"text": f":no_entry: {refused.reason}"}


@renders(Problem)
def render_problem(problem: Problem) -> dict[str, Any]:
    return {"text": f":warning: {problem.reason}"}


def status_text(status: ReflectionStatus) -> str:
    lines = ["*Reflection in this channel*"]
    if status.schedule is not None and status.next_at is not None:
        lines.append(f"• Schedule: {status.schedule} ({escape(status.tz or 'UTC')})")
        lines.append(f"• Next round: {slack_date(status.next_at)}")
    else:
        lines.append("• No schedule. Start one with `/reflect every monday 09:00`.")
    questions = "own" if status.custom_questions else "the standard"
    lines.append(f"• Questions: {status.question_count} ({questions}; `/reflect questions`)")
    if status.pick and status.pick < status.question_count:
        lines.append(f"• Each round asks {status.pick} of them, in rotation")
    lines.append(f"• Answers are collected for {format_duration(status.collect)}")
    if status.last_round_at is not None:
        state = "open" if status.last_round_open else "closed"
        lines.append(
            f"• Last round ({state}, {slack_date(status.last_round_at)}): "
            f"{status.last_round_answers} answer{'s' if status.last_round_answers != 1 else ''} "
            f"from {status.last_round_people} "
            f"{'person' if status.last_round_people == 1 else 'people'}"
        )
    else:
        lines.append("• No round yet. Post one with `/reflect now`.")
    return "\n".join(lines)


@renders(ReflectionStatus)
def render_status(status: ReflectionStatus) -> dict[str, Any]:
    return {"text": status_text(status)}
