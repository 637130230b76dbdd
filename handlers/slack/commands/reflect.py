"""`/reflect`: scheduled team reflection. Each subcommand is one function in `SUBCOMMANDS`;
each acks, parses, calls one core function and delivers what it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.durations import format_duration, looks_like_duration, parse_duration
from bot.inputs import parse_id
from bot.reflection_schedule import ScheduleError, parse_schedule
from bot.views import OpenForm
from handlers.slack.api import team_id_of
from handlers.slack.blocks.reflections import bad_schedule_text
from handlers.slack.platform import render
from handlers.slack.render import ephemeral, escape

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


class CommandError(ValueError):
    """The command's words cannot be read; the message says how to write them."""


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


def split_collect(text: str) -> tuple[str, timedelta | None]:
    """Take a trailing `for DURATION` (how long answers are collected) off the command text."""
    words = text.split()
    if len(words) < 2 or words[-2].lower() != "for":
        return text, None
    if not looks_like_duration(words[-1]):
        raise CommandError(f"`{words[-1]}` is not a duration; write e.g. `for 2d` or `for 36h`.")
    try:
        collect: timedelta | None = parse_duration(words[-1])
    except ValueError:  # longer than any duration the bot takes
        collect = None
    if collect is None or not reflections.MIN_COLLECT <= collect <= reflections.MAX_COLLECT:
        raise CommandError(
            f"Answers can be collected for {format_duration(reflections.MIN_COLLECT)} to "
            f"{format_duration(reflections.MAX_COLLECT)}."
        )
    return " ".join(words[:-2]), collect


def parse_pick(arg: str) -> int | None:
    if arg.lower() in ("all", "off", "0"):
        return None
    pick = parse_id(arg)
    if pick is None or not 1 <= pick <= reflections.MAX_QUESTIONS:
        raise CommandError(
            f"`/reflect pick` takes a number of questions from 1 to {reflections.MAX_QUESTIONS}, "
            "or `all`; e.g. `/reflect pick 3`."
        )
    return pick


def private(view: object) -> dict[str, Any]:
    """A view as the body of a private `ack()` / `respond()`."""
    return {"response_type": "ephemeral", **render(view)}


# --- the subcommands --------------------------------------------------------------------------


def now(r: Request) -> None:
    body, collect = split_collect(r.text)
    if body.lower() != "now":
        raise CommandError("`/reflect now` takes only `for DURATION`, e.g. `for 1d`.")
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


SUBCOMMANDS: dict[str, Callable[[Request], None]] = {
    "": usage,
    "help": usage,
    "now": now,
    "every": schedule,
    "monthly": schedule,
    "off": off,
    "stop": off,
    "status": status,
    "questions": questions,
    "pick": pick,
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
