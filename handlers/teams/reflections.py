"""Reflection rounds in Teams: `@Narrative reflect now|every monday 09:00|off|status|questions|
pick 3|help` (the core reads the words, as for Slack's `/reflect`), the Answer and questions
dialogs, and replies in a round's thread kept as answers (channel messages that reach the bot
without a mention: `conversation.id` is `<channel>;messageid=<the round's card>`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import reflections
from bot.inputs import clean
from bot.reflection_schedule import ScheduleError, parse_schedule
from bot.reflections import commands
from bot.reflections.commands import CommandError, Subcommand
from bot.views import Code, FormErrors, Notice, OpenForm, Strong, text, warning
from bot.views.reflections import MAX_QUESTIONS, QUESTIONS_FIELD, RESET_FIELD, answer_field
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.cards.reflections import (
    ANSWER,
    COMMAND,
    QUESTIONS,
    QuestionsButton,
    bad_schedule,
    dialog_note,
)
from handlers.teams.feature import Dialog, Feature, item_id

USAGE = Notice(
    text(
        Strong("@Narrative reflect"),
        " asks the team the standard reflection questions.\n\n",
        "- ",
        Code("reflect now"),
        " — post a reflection round now (answers are collected for 2 days; add ",
        Code("for 1d"),
        " to change that)\n- ",
        Code("reflect every monday 09:00"),
        " — a round every week, in your time zone\n- ",
        Code("reflect every 2 weeks friday 15:00"),
        " — every other week\n- ",
        Code("reflect monthly 1 10:00"),
        " — on the 1st of every month\n- ",
        Code("reflect off"),
        " — stop the scheduled rounds\n- ",
        Code("reflect status"),
        " — the schedule, the next round and the last round's answers\n- ",
        Code("reflect questions"),
        " — edit, reorder, add or reset the channel's questions\n- ",
        Code("reflect pick 3"),
        " — ask a rotating 3 of the questions each round (",
        Code("pick all"),
        " to ask all)\n- ",
        Code("reflect help"),
        " — this message",
    )
)
Subcommander = Callable[[Answers, Incoming, str, str], object]


# --- the command -----------------------------------------------------------------------------------


def usage(a: Answers, m: Incoming, _text: str, _rest: str) -> object:
    return a.tell(m, USAGE)


def now(a: Answers, m: Incoming, said: str, _rest: str) -> object:
    collect = commands.parse_now(said, command=COMMAND)
    failed = reflections.post_now(a.core, team_id=m.tenant, channel_id=m.place, collect=collect)
    return a.tell(m, failed)


def schedule(a: Answers, m: Incoming, said: str, _rest: str) -> object:
    body, collect = commands.split_collect(said)
    parsed = parse_schedule(body)
    done = reflections.set_schedule(
        a.core,
        team_id=m.tenant,
        channel_id=m.place,
        user_id=m.user,
        schedule=parsed,
        collect=collect,
    )
    return a.tell(m, done)


def off(a: Answers, m: Incoming, _text: str, _rest: str) -> object:
    done = reflections.clear_schedule(a.core, team_id=m.tenant, channel_id=m.place, user_id=m.user)
    return a.tell(m, done)


def status(a: Answers, m: Incoming, _text: str, _rest: str) -> object:
    return a.tell(m, reflections.channel_status(a.core, team_id=m.tenant, channel_id=m.place))


def questions(a: Answers, m: Incoming, _text: str, _rest: str) -> object:
    """Only a click opens a dialog: a card in the channel with a button that opens it."""
    answer = reflections.questions_form(
        a.core, team_id=m.tenant, channel_id=m.place, user_id=m.user
    )
    if isinstance(answer, OpenForm):
        return a.platform.post(m.tenant, m.place, QuestionsButton())
    return a.tell(m, answer)


def pick(a: Answers, m: Incoming, _text: str, rest: str) -> object:
    chosen = commands.parse_pick(rest, command=COMMAND)
    done = reflections.pick_per_round(
        a.core, team_id=m.tenant, channel_id=m.place, user_id=m.user, pick=chosen
    )
    return a.tell(m, done)


SUBCOMMANDS: dict[Subcommand, Subcommander] = {
    Subcommand.USAGE: usage,
    Subcommand.NOW: now,
    Subcommand.SCHEDULE: schedule,
    Subcommand.OFF: off,
    Subcommand.STATUS: status,
    Subcommand.QUESTIONS: questions,
    Subcommand.PICK: pick,
}


def reflect_command(a: Answers, m: Incoming, said: str) -> object:
    word, _, rest = said.partition(" ")
    subcommand = commands.SUBCOMMANDS.get(word.lower())
    if subcommand is None:
        unknown = f"I don't know reflect {word.lower()[:100]}.\n\n"
        return a.tell(m, Notice((unknown, *USAGE.body)))
    try:
        return SUBCOMMANDS[subcommand](a, m, said, rest.strip())
    except ScheduleError as exc:
        return a.tell(m, bad_schedule(str(exc)))
    except CommandError as exc:
        return a.tell(m, warning(str(exc)))


# --- dialogs -----------------------------------------------------------------------------------


def _form(answer: object) -> object:
    return answer if isinstance(answer, OpenForm) else dialog_note(answer)


def _value(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return clean(value) if isinstance(value, str) else ""


def answer_opened(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    """The Answer button: the answers dialog, prefilled, while the round is open."""
    round_id = item_id(data, "round")
    return _form(
        reflections.answer_form(a.core, team_id=m.tenant, round_id=round_id, user_id=m.user)
    )


def answers_submitted(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    fields = (answer_field(i) for i in range(MAX_QUESTIONS))
    answers = {i: _value(data, name) for i, name in enumerate(fields) if name in data}
    saved = reflections.submit_answers(
        a.core, team_id=m.tenant, round_id=item_id(data, "round"), user_id=m.user, answers=answers
    )
    return saved if isinstance(saved, FormErrors) else dialog_note(saved)


def questions_opened(a: Answers, m: Incoming, _data: dict[str, Any]) -> object:
    """The dialog's channel is the conversation of the card its button is on."""
    return _form(
        reflections.questions_form(a.core, team_id=m.tenant, channel_id=m.place, user_id=m.user)
    )


def questions_submitted(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    reset = str(data.get(RESET_FIELD)).lower() == "true"
    change = reflections.check_questions_form(m.place, _value(data, QUESTIONS_FIELD), reset=reset)
    if isinstance(change, FormErrors):
        return change
    told = reflections.change_questions(a.core, team_id=m.tenant, user_id=m.user, change=change)
    return dialog_note(told.note)


# --- replies in a round's thread ---------------------------------------------------------------


def _thread(m: Incoming) -> str | None:
    """The top message of the thread `m` is a reply in (None: not a reply)."""
    _, _, thread = m.conversation.partition(";messageid=")
    return thread if thread and thread != m.id else None


def reply_seen(a: Answers, m: Incoming) -> None:
    """A reply (new or edited) in a round's thread is an answer; others are not this
    feature's (`record_thread_reply` says None for a thread that is not a round's)."""
    thread = _thread(m)
    if thread is None or not m.id:
        return
    reflections.record_thread_reply(
        a.core,
        team_id=m.tenant,
        channel_id=m.place,
        thread_ts=thread,
        user_id=m.user,
        message_ts=m.id,
        text=m.text,
    )


def reply_deleted(a: Answers, m: Incoming) -> None:
    thread = _thread(m)
    if thread is None or not m.id:
        return
    reflections.delete_thread_reply(
        a.core, team_id=m.tenant, channel_id=m.place, thread_ts=thread, message_ts=m.id
    )


FEATURE = Feature(
    commands={"reflect": reflect_command},
    dialogs={
        ANSWER: Dialog(open=answer_opened, submit=answers_submitted),
        QUESTIONS: Dialog(open=questions_opened, submit=questions_submitted),
    },
    activities={"message": reply_seen, "messageUpdate": reply_seen, "messageDelete": reply_deleted},
)
