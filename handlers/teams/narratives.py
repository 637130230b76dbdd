"""Reading periods in Teams: `@Narrative narrative ...`, the narrative card's buttons and
dialogs, and the channel's messages that are questions (thread replies, their edits, deletions
and 👍 reactions). Each listener parses, calls one core function and answers with its result."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bot import meetings
from bot.inputs import clean
from bot.meetings import NarrativeInputError
from bot.views import FormErrors, Notice, OpenForm, warning
from bot.views.narratives import START_FIELDS, StartAnswers
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.cards.narratives import ASK, DONE, END, START, StartButton, StartDialog
from handlers.teams.feature import Dialog, Feature, item_id

USAGE = (
    "**@Narrative narrative** runs a silent reading period on a written narrative.\n\n"
    "- `narrative [DURATION] [@reader ...] TITLE and/or LINK` — start reading, e.g. "
    "`narrative 20m @Ana @Ben Q3 pricing six-pager https://docs.example.com/q3` (DURATION "
    "like `20m`, `1h`, `1h30m`, `90s`; 1 minute to 4 hours; default 20m)\n"
    "- `narrative` — open a form to paste the narrative, pick its kind and readers\n"
    "- `narrative status` — open reading periods in this conversation\n"
    "- `narrative end` — end this conversation's reading period now (owner or admin)\n"
    "- `narrative help` — this message"
)
# Teams' reactions that count as a 👍 (older clients say "like", newer ones name the emoji).
UPVOTES = ("like", "1f44d")
NOT_PEOPLE = ("19:", "28:")
Subcommand = Callable[[Answers, Incoming, str], object]


def answer(a: Answers, m: Incoming, said: meetings.Answer) -> object:
    """Tell the person the answer's note; post the digest of a reading that just ended after
    the HTTP answer. What an invoke answers with is returned."""
    if said.finish is not None:
        a.later(m, partial(_finish, a, m.tenant, said.finish))
    return said.reply if isinstance(said.reply, Notice) else None


def _finish(a: Answers, team: str, narrative: int) -> None:
    meetings.finish_reading_now(core=a.core, team_id=team, narrative_id=narrative)


def _quietly(work: Callable[[], object]) -> None:
    """Run `work` after the answer; it tells the owner itself when posting fails."""
    work()


def _readers(m: Incoming, text: str) -> tuple[tuple[str, ...], str]:
    """The people mentioned (their ids, in order) and the text without them; a mentioned
    channel, team or bot (`19:`, `28:`) is not a reader."""
    ids = [
        str(getattr(getattr(e, "mentioned", None), "id", "") or "")
        for e in m.activity.entities or []
    ]
    people = [p for p in ids if p and p != m.bot_id and not p.startswith(NOT_PEOPLE)]
    for person in sorted(set(people), key=len, reverse=True):
        text = text.replace(person, " ")
    return tuple(people), text


# --- `@Narrative narrative ...` ------------------------------------------------------------------


def show_help(a: Answers, m: Incoming, _text: str) -> object:
    return a.tell(m, Notice((USAGE,)))


def open_start(a: Answers, m: Incoming, _text: str) -> object:
    return a.platform.post(m.tenant, m.place, StartButton(m.place))


def show_status(a: Answers, m: Incoming, _text: str) -> object:
    return a.tell(m, meetings.status(core=a.core, team_id=m.tenant, place=m.place))


def end_here(a: Answers, m: Incoming, _text: str) -> object:
    said = meetings.end_in_place(core=a.core, team_id=m.tenant, place=m.place, user_id=m.user)
    return a.tell(m, answer(a, m, said))


def start(a: Answers, m: Incoming, text: str) -> object:
    readers, rest = _readers(m, text)
    try:
        request = meetings.parse_request(rest, readers=readers)
    except NarrativeInputError as exc:
        return a.tell(m, warning(f"{exc}\n\n", USAGE))
    post = partial(
        meetings.start_and_post,
        core=a.core,
        team_id=m.tenant,
        channel_id=m.place,
        owner_id=m.user,
        request=request,
    )
    return a.later(m, partial(_quietly, post))


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": show_help,
    "?": show_help,
    "": open_start,
    "status": show_status,
    "end": end_here,
}


def narrative_command(a: Answers, m: Incoming, text: str) -> object:
    return SUBCOMMANDS.get(text.lower(), start)(a, m, text)


# --- the card's buttons --------------------------------------------------------------------------


def done_clicked(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    narrative = item_id(data, "narrative")
    if narrative is None:
        return Notice(("That narrative is not known.",))
    said = meetings.done_reading(
        core=a.core, team_id=m.tenant, narrative_id=narrative, user_id=m.user
    )
    return answer(a, m, said)


def end_clicked(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    narrative = item_id(data, "narrative")
    if narrative is None:
        return Notice(("That narrative is not known.",))
    said = meetings.end_now(core=a.core, team_id=m.tenant, narrative_id=narrative, user_id=m.user)
    return answer(a, m, said)


# --- dialogs -------------------------------------------------------------------------------------


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return clean(value).strip() if isinstance(value, str) else ""


def _place(m: Incoming, data: dict[str, Any]) -> str:
    place = data.get("place")
    return place if isinstance(place, str) and place else m.place


def open_start_dialog(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    place = _place(m, data)
    people = sorted(a.platform.members(m.tenant, place))
    named = tuple((p, a.platform.display_name(m.tenant, p)) for p in people)
    values = {name: _field(data, name) for name in START_FIELDS if _field(data, name)}
    return OpenForm(StartDialog(meetings.start_form(place), named, values))


def submit_start_dialog(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    answers = StartAnswers(
        **{name: _field(data, name) for name in START_FIELDS if name != "readers"},
        readers=tuple(p.strip() for p in _field(data, "readers").split(",") if p.strip()),
    )
    started = meetings.submit_start(
        core=a.core, team_id=m.tenant, place=_place(m, data), owner_id=m.user, answers=answers
    )
    if isinstance(started, FormErrors):
        return started
    post = partial(meetings.post_narrative, core=a.core, team_id=m.tenant, narrative_id=started)
    return a.later(m, partial(_quietly, post))


def open_ask_dialog(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    narrative = item_id(data, "narrative")
    form = meetings.ask_form(core=a.core, team_id=m.tenant, narrative_id=narrative or 0)
    return OpenForm(form) if form is not None else Notice(("That narrative is not known.",))


def submit_ask_dialog(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    said = meetings.submit_question(
        core=a.core,
        team_id=m.tenant,
        narrative_id=item_id(data, "narrative"),
        author_id=m.user,
        text=_field(data, "question"),
    )
    if isinstance(said.reply, FormErrors):
        return said.reply
    return answer(a, m, said)


# --- messages that are questions -----------------------------------------------------------------


def _thread(m: Incoming) -> str | None:
    """The message a reply belongs to: a channel thread's root (`;messageid=` in the
    conversation id), or the message it quotes."""
    _, found, root = m.conversation.partition(";messageid=")
    return root if found and root else m.reply_to


def question_posted(a: Answers, m: Incoming) -> None:
    if m.is_personal or m.mentions_bot or not m.text or not m.id:
        return
    meetings.question_from_reply(
        core=a.core,
        team_id=m.tenant,
        place=m.place,
        thread=_thread(m),
        threaded=m.conversation_type == "channel",
        message_id=m.id,
        author_id=m.user,
        text=m.text,
    )


def question_edited(a: Answers, m: Incoming) -> None:
    data = m.activity.channel_data if isinstance(m.activity.channel_data, dict) else {}
    if data.get("eventType", "editMessage") != "editMessage" or not m.text:
        return
    meetings.edit_thread_question(
        core=a.core, team_id=m.tenant, channel_id=m.place, message_ts=m.id, text=m.text
    )


def question_deleted(a: Answers, m: Incoming) -> None:
    meetings.delete_thread_question(
        core=a.core, team_id=m.tenant, channel_id=m.place, message_ts=m.id
    )


def _liked(reactions: object) -> bool:
    kinds = [str(getattr(r, "type", "") or "") for r in reactions or []]  # type: ignore[attr-defined]
    return any(k.lower().startswith(UPVOTES) for k in kinds)


def question_reacted(a: Answers, m: Incoming) -> None:
    added = _liked(m.activity.reactions_added)
    if not m.reply_to or added == _liked(m.activity.reactions_removed):
        return  # not a 👍, or one taken back and given again at once
    meetings.set_upvote(
        core=a.core,
        team_id=m.tenant,
        channel_id=m.place,
        message_ts=m.reply_to,
        user_id=m.user,
        added=added,
    )


def _dialog(open_: Callable[..., object], submit: Callable[..., object]) -> Dialog:
    return Dialog(open=open_, submit=submit)


# Reading periods, as the Teams app's tables (`handlers.teams.feature`).
FEATURE = Feature(
    commands={"narrative": narrative_command},
    clicks={DONE: done_clicked, END: end_clicked},
    dialogs={
        START: _dialog(open_start_dialog, submit_start_dialog),
        ASK: _dialog(open_ask_dialog, submit_ask_dialog),
    },
    activities={
        "message": question_posted,
        "messageUpdate": question_edited,
        "messageDelete": question_deleted,
        "messageReaction": question_reacted,
    },
)
