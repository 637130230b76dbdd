"""The words of the reflect command, read the same way on every platform: which subcommand a
first word names, how long answers are collected (`for 2d`) and how many questions a round
picks. Each platform dispatches `Subcommand`s to its own listeners and says its own command
name (`/reflect` on Slack, `reflect` after the bot's mention in Teams) in the messages."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.durations import format_duration, looks_like_duration, parse_duration
from bot.inputs import parse_id
from bot.reflections.settings import MAX_COLLECT, MIN_COLLECT
from bot.views.reflections import MAX_QUESTIONS


class Subcommand(StrEnum):
    USAGE = "usage"
    NOW = "now"
    SCHEDULE = "schedule"
    OFF = "off"
    STATUS = "status"
    QUESTIONS = "questions"
    PICK = "pick"


# A subcommand by its first word.
SUBCOMMANDS: dict[str, Subcommand] = {
    "": Subcommand.USAGE,
    "help": Subcommand.USAGE,
    "now": Subcommand.NOW,
    "every": Subcommand.SCHEDULE,
    "monthly": Subcommand.SCHEDULE,
    "off": Subcommand.OFF,
    "stop": Subcommand.OFF,
    "status": Subcommand.STATUS,
    "questions": Subcommand.QUESTIONS,
    "pick": Subcommand.PICK,
}


class CommandError(ValueError):
    """The command's words cannot be read; the message says how to write them."""


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
    if collect is None or not MIN_COLLECT <= collect <= MAX_COLLECT:
        raise CommandError(
            f"Answers can be collected for {format_duration(MIN_COLLECT)} to "
            f"{format_duration(MAX_COLLECT)}."
        )
    return " ".join(words[:-2]), collect


def parse_now(text: str, *, command: str) -> timedelta | None:
    """`now [for DURATION]`: how long the round collects answers (None: the default)."""
    body, collect = split_collect(text)
    if body.lower() != "now":
        raise CommandError(f"`{command} now` takes only `for DURATION`, e.g. `for 1d`.")
    return collect


def parse_pick(arg: str, *, command: str) -> int | None:
    """`pick N` (None: every question)."""
    if arg.lower() in ("all", "off", "0"):
        return None
    pick = parse_id(arg)
    if pick is None or not 1 <= pick <= MAX_QUESTIONS:
        raise CommandError(
            f"`{command} pick` takes a number of questions from 1 to {MAX_QUESTIONS}, "
            f"or `all`; e.g. `{command} pick 3`."
        )
    return pick
