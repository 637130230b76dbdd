"""Block Kit for reflection rounds. Pure functions: they build dictionaries, Slack is not called."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.durations import format_duration
from bot.reflection_schedule import EXAMPLES, Schedule
from bot.reflections import (
    MAX_ANSWER_CHARS,
    AnswerView,
    ChannelStatus,
    Digest,
    RoundView,
)
from handlers.render import (
    INPUT_VALUE_LIMIT,
    MESSAGE_BLOCK_LIMIT,
    actions,
    button,
    chunk_blocks,
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
QUESTIONS_BLOCK = "questions"
QUESTIONS_INPUT = "questions_text"
RESET_BLOCK = "reset"
RESET_INPUT = "reset_choice"
ANSWER_INPUT = "answer"

MODAL_LABEL_LIMIT = 2000
DIGEST_CHARS = 12_000


def answer_block_id(index: int) -> str:
    return f"q{index}"


def _numbered(questions: tuple[str, ...]) -> list[str]:
    return [f"*{i}.* {escape(q)}" for i, q in enumerate(questions, start=1)]


def build_round_message(round_: RoundView) -> dict[str, Any]:
    """The round as posted in the channel: its questions, an Answer button, the closing time."""
    head = ":thought_balloon: *Reflection round*"
    blocks: list[dict[str, Any]] = [section(head)]
    if round_.late and round_.scheduled_for is not None:
        blocks.append(
            context(
                f":hourglass: This round was due {slack_date(round_.scheduled_for)} but Narrative "
                "was offline then, so it is posted late."
            )
        )
    for line in _numbered(round_.questions):
        blocks.extend(section(piece) for piece in split_text(line))
    blocks.append(
        actions(
            button("Answer", ANSWER_ACTION, str(round_.id), style="primary"),
            block_id=f"reflection-{round_.id}",
        )
    )
    blocks.append(
        context(
            f"Answers are collected until {slack_date(round_.closes_at)}; every question is "
            "optional and you can change your answers until then. You can also reply in this "
            "thread — start with a question number (e.g. `3.`) to answer that question. "
            "Name a decision as `D-42` to link your answer to it."
        )
    )
    text = f"Reflection round: {len(round_.questions)} questions, answers until " + (
        round_.closes_at.strftime("%Y-%m-%d %H:%M UTC")
    )
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


def build_closed_round_message(round_: RoundView, answer_count: int) -> dict[str, Any]:
    """The round's message once it has closed: no Answer button; the digest is in the thread."""
    blocks: list[dict[str, Any]] = [section(":thought_balloon: *Reflection round* (closed)")]
    for line in _numbered(round_.questions):
        blocks.extend(section(piece) for piece in split_text(line))
    blocks.append(
        context(
            f"Closed {slack_date(round_.closes_at)} with {answer_count} "
            f"answer{'s' if answer_count != 1 else ''}; the digest is in the thread."
        )
    )
    return {"text": "Reflection round (closed)", "blocks": blocks[:MESSAGE_BLOCK_LIMIT]}


def build_answer_modal(round_: RoundView, existing: dict[int, str]) -> dict[str, Any]:
    """One optional field per question, prefilled with what the person answered before."""
    blocks: list[dict[str, Any]] = [
        context(
            f"Every question is optional. You can change your answers until "
            f"{slack_date(round_.closes_at)}. Name a decision as `D-42` to link to it."
        )
    ]
    for index, question in enumerate(round_.questions):
        element: dict[str, Any] = {
            "type": "plain_text_input",
            "action_id": ANSWER_INPUT,
            "multiline": True,
            "max_length": MAX_ANSWER_CHARS,
        }
        if existing.get(index):
            element["initial_value"] = existing[index]
        label = f"{index + 1}. {question}"
        if len(label) > MODAL_LABEL_LIMIT:
            label = label[: MODAL_LABEL_LIMIT - 1] + "…"
        blocks.append(
            {
                "type": "input",
                "block_id": answer_block_id(index),
                "optional": True,
                "label": {"type": "plain_text", "text": label},
                "element": element,
            }
        )
    return {
        "type": "modal",
        "callback_id": ANSWERS_CALLBACK,
        "private_metadata": str(round_.id),
        "title": {"type": "plain_text", "text": "Reflection"},
        "submit": {"type": "plain_text", "text": "Save answers"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def build_questions_modal(channel_id: str, questions: list[str], custom: bool) -> dict[str, Any]:
    """Edit, reorder or add the channel's questions (one per line), or reset to the standard."""
    note = (
        "This channel has its own questions."
        if custom
        else "This channel asks the standard nine questions."
    )
    return {
        "type": "modal",
        "callback_id": QUESTIONS_CALLBACK,
        "private_metadata": channel_id,
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
                    "initial_value": fit("\n".join(questions), INPUT_VALUE_LIMIT),
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


def _answer_line(answer: AnswerView) -> str:
    line = f"• {mention(answer.user_id)}: {escape_keep_users(answer.text)}"
    if answer.decision_number is not None:
        label = f"D-{answer.decision_number}"
        link = f"<{answer.decision_permalink}|{label}>" if answer.decision_permalink else label
        line += f"  _(linked to {link})_"
    return line


def _participation(digest: Digest) -> str:
    people = len(digest.authors)
    if digest.member_count is None or digest.answered_members is None:
        return f"{people} {'person' if people == 1 else 'people'} answered."
    text = f"{digest.answered_members} of {digest.member_count} channel members answered"
    others = people - digest.answered_members
    if others > 0:
        text += f" (and {others} other{'s' if others != 1 else ''})"
    return text + "."


def build_digest_messages(digest: Digest) -> list[dict[str, Any]]:
    """The digest, per question with its answers and authors, split into as many thread
    messages as Slack's limits need (nothing is cut)."""
    blocks: list[dict[str, Any]] = [
        section(":memo: *Reflection digest*"),
        context(_participation(digest)),
    ]
    for number, (question, answers) in enumerate(digest.questions, start=1):
        blocks.append(divider())
        lines = [f"*{number}. {escape(question)}*"]
        lines += [_answer_line(a) for a in answers] or ["_No answers._"]
        blocks.extend(section(piece) for piece in split_text("\n".join(lines)))
    if digest.free_replies:
        blocks.append(divider())
        lines = ["*From the thread*"] + [_answer_line(a) for a in digest.free_replies]
        blocks.extend(section(piece) for piece in split_text("\n".join(lines)))
    count = sum(len(a) for _, a in digest.questions) + len(digest.free_replies)
    fallback = f"Reflection digest: {count} answer{'s' if count != 1 else ''}. " + _participation(
        digest
    )
    return [{"text": fallback, "blocks": chunk} for chunk in _chunk_by_size(blocks)]


def _chunk_by_size(blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """At most 50 blocks and about DIGEST_CHARS characters per message: Slack refuses or cuts
    very large messages, so a long digest becomes several thread replies."""
    messages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        block_size = len(json.dumps(block))
        if messages[-1] and size + block_size > DIGEST_CHARS:
            messages.append([])
            size = 0
        messages[-1].append(block)
        size += block_size
    return [chunk for part in messages for chunk in chunk_blocks(part)]


# --- private replies -------------------------------------------------------------------------


def schedule_confirmation(schedule: Schedule, tz: str, next_at: datetime) -> str:
    return (
        f":white_check_mark: Reflection rounds in this channel: {schedule.describe()} "
        f"({tz} time, your time zone). The next round is {slack_date(next_at)}."
    )


def bad_schedule_text(problem: str) -> str:
    examples = "\n".join(f"• {example}" for example in EXAMPLES)
    return (
        f":warning: I could not read that schedule. {problem}\n"
        f"Times are in your time zone. For example:\n{examples}"
    )


def status_text(status: ChannelStatus) -> str:
    lines = ["*Reflection in this channel*"]
    if status.schedule is not None and status.next_at is not None:
        lines.append(f"• Schedule: {status.schedule.describe()} ({escape(status.tz or 'UTC')})")
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
