"""`/reflect`: scheduled team reflection. Each subcommand is one function in `SUBCOMMANDS`;
each acks, parses, calls one core function and delivers what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.reflection_schedule import ScheduleError, parse_schedule
from bot.reflections import commands
from bot.reflections.commands import CommandError, Subcommand, split_collect
from bot.views import OpenForm
from handlers.slack.api import team_id_of
from handlers.slack.blocks.reflections import bad_schedule_text
from handlers.slack.platform import render
from handlers.slack.render import ephemeral, escape

COMMAND = "/reflect"
USAGE = (
    "*/reflect* asks the team the standard reflection questions.\n"
    "• `/reflect now` — post a reflection round now (answers are collected for 2 days; "
    "add `for 1d` to change that)\n"
    "• `/reflect every monday 09:00` — a round every week, in your time zone\n"
    "• `/reflect every 2 weeks friday 15:00` — every other week\n"
    "• `/reflect monthly 1 10:00` — on the 1st of every month\n"
    "• `/reflect off` — stop the scheduled rounds\n"
    "• `/reflect status` — the schedule, the next round and the last round's answers\n"
    "• `/reflect questions` — edit, reorder, add or reset the channel's questions\n"
    "• `/reflect pick 3` — ask a rotating 3 of the questions each round (`pick all` to ask all)\n"
    "• `/reflect help` — this message"
)


@dataclass(frozen=True)
class Request:
    """One `/reflect` as its subcommand reads it."""

    core: Core
    ack: Ack
    respond: Respond
    client: WebClient
    command: dict[str, Any]
    rest: str  # the text after the subcommand's word

    @property
    def text(self) -> str:
        return str(self.command.get("text") or "").strip()

    @property
    def team_id(self) -> str:
        return team_id_of(self.command)

    @property
    def channel_id(self) -> str:
        return str(self.command["channel_id"])

    @property
    def user_id(self) -> str:
        return str(self.command["user_id"])

    @property
    def trigger_id(self) -> str:
        return str(self.command.get("trigger_id") or "")


def parse_pick(arg: str) -> int | None:
    return commands.parse_pick(arg, command=COMMAND)


def private(view: object) -> dict[str, Any]:
    """A view as the body of a private `ack()` / `respond()`."""
    return {"response_type": "ephemeral", **render(view)}


# --- the subcommands --------------------------------------------------------------------------


def now(r: Request) -> None:
    collect = commands.parse_now(r.text, command=COMMAND)
    r.ack()
    failed = reflections.post_now(
        r.core, team_id=r.team_id, channel_id=r.channel_id, collect=collect
    )
    if failed is not None:
        r.respond(private(failed))


def schedule(r: Request) -> None:
    body, collect = split_collect(r.text)
    parsed = parse_schedule(body)
    r.ack()
    done = reflections.set_schedule(
        r.core,
        team_id=r.team_id,
        channel_id=r.channel_id,
        user_id=r.user_id,
        schedule=parsed,
        collect=collect,
    )
    r.respond(private(done))


def off(r: Request) -> None:
    r.ack()
    done = reflections.clear_schedule(
        r.core, team_id=r.team_id, channel_id=r.channel_id, user_id=r.user_id
    )
    r.respond(private(done))


def status(r: Request) -> None:
    r.ack()
    r.respond(
        private(reflections.channel_status(r.core, team_id=r.team_id, channel_id=r.channel_id))
    )


def questions(r: Request) -> None:
    r.ack()
    answer = reflections.questions_form(
        r.core, team_id=r.team_id, channel_id=r.channel_id, user_id=r.user_id
    )
    if isinstance(answer, OpenForm):
        r.client.views_open(trigger_id=r.trigger_id, view=render(answer.form))
    else:
        r.respond(private(answer))


def pick(r: Request) -> None:
    chosen = parse_pick(r.rest)
    r.ack()
    done = reflections.pick_per_round(
        r.core, team_id=r.team_id, channel_id=r.channel_id, user_id=r.user_id, pick=chosen
    )
    r.respond(private(done))


def usage(r: Request) -> None:
    r.ack(ephemeral(USAGE))


LISTENERS: dict[Subcommand, Callable[[Request], None]] = {
    Subcommand.USAGE: usage,
    Subcommand.NOW: now,
    Subcommand.SCHEDULE: schedule,
    Subcommand.OFF: off,
    Subcommand.STATUS: status,
    Subcommand.QUESTIONS: questions,
    Subcommand.PICK: pick,
}
SUBCOMMANDS: dict[str, Callable[[Request], None]] = {
    word: LISTENERS[sub] for word, sub in commands.SUBCOMMANDS.items()
}


def reflect_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, *, core: Core
) -> None:
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    run = SUBCOMMANDS.get(word.lower())
    if run is None:
        ack(ephemeral(f"I don't know `/reflect {escape(word.lower()[:100])}`.\n\n{USAGE}"))
        return
    try:
        run(Request(core, ack, respond, client, command, rest.strip()))
    except ScheduleError as exc:
        ack(ephemeral(bad_schedule_text(str(exc))))
    except CommandError as exc:
        ack(ephemeral(f":warning: {escape(str(exc))}"))


def register(app: App, core: Core) -> None:
    app.command("/reflect")(partial(reflect_command, core=core))
