"""`/reflect`: scheduled team reflection."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import reflections
from bot.core import Core
from bot.durations import format_duration, looks_like_duration, parse_duration
from bot.inputs import parse_id
from bot.reflection_schedule import ScheduleError, parse_schedule
from handlers.blocks.reflections import (
    bad_schedule_text,
    build_questions_modal,
    schedule_confirmation,
    status_text,
)
from handlers.reflections import post_round
from handlers.render import ephemeral, escape
from handlers.slack import could_not_post, is_admin, team_id_of, user_timezone

log = logging.getLogger(__name__)

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
    pass


def split_collect(text: str) -> tuple[str, timedelta | None]:
    """Take a trailing `for DURATION` (how long answers are collected) off the command text."""
    words = text.split()
    if len(words) >= 2 and words[-2].lower() == "for":
        if not looks_like_duration(words[-1]):
            raise CommandError(
                f"`{words[-1]}` is not a duration; write e.g. `for 2d` or `for 36h`."
            )
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
    return text, None


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


def register(app: App, core: Core) -> None:
    @app.command("/reflect")
    def reflect_command(
        ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        team_id, channel_id = team_id_of(command), str(command["channel_id"])
        user_id = str(command["user_id"])
        if word in ("", "help"):
            ack(ephemeral(USAGE))
            return
        try:
            if word == "now":
                body, collect = split_collect(text)
                if body.lower() != "now":
                    raise CommandError("`/reflect now` takes only `for DURATION`, e.g. `for 1d`.")
                ack()
                _post_now(core, client, respond, team_id, channel_id, collect)
            elif word in ("every", "monthly"):
                body, collect = split_collect(text)
                schedule = parse_schedule(body)
                ack()
                tz = user_timezone(client, user_id)
                next_at = reflections.schedule_channel(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    schedule=schedule,
                    tz=tz,
                    is_admin=is_admin(client, user_id, core.admin_user_ids),
                    collect=collect,
                )
                respond(ephemeral(schedule_confirmation(schedule, tz, next_at)))
            elif word in ("off", "stop"):
                ack()
                stopped = reflections.stop_schedule(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    is_admin=is_admin(client, user_id, core.admin_user_ids),
                )
                respond(
                    ephemeral(
                        "Scheduled reflection rounds in this channel are off. Open rounds still "
                        "close and post their digest."
                        if stopped
                        else "This channel has no scheduled reflection rounds."
                    )
                )
            elif word == "status":
                ack()
                status = reflections.channel_status(core, team_id=team_id, channel_id=channel_id)
                respond(ephemeral(status_text(status)))
            elif word == "questions":
                ack()
                reflections.ensure_may_change(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    is_admin=is_admin(client, user_id, core.admin_user_ids),
                )
                questions, custom = reflections.channel_questions(
                    core, team_id=team_id, channel_id=channel_id
                )
                client.views_open(
                    trigger_id=command["trigger_id"],
                    view=build_questions_modal(channel_id, questions, custom),
                )
            elif word == "pick":
                pick = parse_pick(rest)
                ack()
                count = reflections.set_pick(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    pick=pick,
                    is_admin=is_admin(client, user_id, core.admin_user_ids),
                )
                respond(
                    ephemeral(
                        f"Each round asks {min(pick, count)} of the channel's {count} questions, "
                        "in rotation."
                        if pick
                        else f"Each round asks all {count} of the channel's questions."
                    )
                )
            else:
                ack(ephemeral(f"I don't know `/reflect {escape(word[:100])}`.\n\n{USAGE}"))
        except ScheduleError as exc:
            ack(ephemeral(bad_schedule_text(str(exc))))
        except CommandError as exc:
            ack(ephemeral(f":warning: {exc}"))
        except reflections.NotAllowed as exc:
            respond(ephemeral(f":no_entry: {exc}"))


def _post_now(
    core: Core,
    client: WebClient,
    respond: Respond,
    team_id: str,
    channel_id: str,
    collect: timedelta | None,
) -> None:
    round_ = reflections.start_round(core, team_id=team_id, channel_id=channel_id, collect=collect)
    try:
        post_round(client, core, round_)
    except SlackApiError as exc:
        reflections.discard_round(core, team_id=team_id, round_id=round_.id)
        error = exc.response.get("error")
        log.warning("could not post reflection round in %s: %s", channel_id, error)
        respond(ephemeral(could_not_post(error, "the reflection round")))
