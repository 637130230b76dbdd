"""The message box's slash commands: `/narrative`, `/decide`, `/decisions`, `/reflect`, with
Slack's grammar, help and errors (the Slack command modules' parsers and usage texts are
reused; what each command calls in the core is the same). Subcommands dispatch through tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot import decision_log, decisions, log_export, meetings, reflections
from bot.meetings import NarrativeInputError
from bot.proposals import ProposalError
from bot.reflection_schedule import ScheduleError, parse_schedule
from bot.reflections import commands as reflect_commands
from bot.views import Notice, OpenForm, notice, warning
from bot.views.decision_log import Listing
from handlers.playground.asked import Asked, Said
from handlers.playground.html import usage
from handlers.playground.platform import BY_ID, CHANNELS
from handlers.slack.blocks.reflections import bad_schedule_text
from handlers.slack.commands import decide as slack_decide
from handlers.slack.commands import decisions as slack_decisions
from handlers.slack.commands import narrative as slack_narrative
from handlers.slack.commands import reflect as slack_reflect

# `@ben` in the message box is Ben; Slack's parsers read mentions as `<@UBEN>`.
_AT_NAME = re.compile(r"(?<![\w<])@([A-Za-z]+)\b")
NAMES = {p.name.lower(): p.id for p in BY_ID.values()}


def as_mentions(text: str) -> str:
    return _AT_NAME.sub(
        lambda m: f"<@{NAMES[m.group(1).lower()]}>" if m.group(1).lower() in NAMES else m.group(0),
        text,
    )


def run_command(asked: Asked, line: str) -> Said:
    """`/command text` typed in the message box."""
    command, _, text = line.strip().partition(" ")
    handler = COMMANDS.get(command.lower())
    if handler is None:
        return asked.tell(
            warning(
                f"{command} is not a command here. Try /narrative, /decide, /decisions or /reflect."
            )
        )
    return handler(asked, text.strip())


# --- /narrative ------------------------------------------------------------------------------


def narrative(asked: Asked, text: str) -> Said:
    word = text.lower()
    if word in ("help", "?"):
        return asked.tell(usage(slack_narrative.USAGE))
    if word == "":
        return asked.reply(OpenForm(meetings.start_form(asked.place)))
    if word == "status":
        return asked.tell(meetings.status(core=asked.core, team_id=asked.team, place=asked.place))
    if word == "end":
        answer = meetings.end_in_place(
            core=asked.core, team_id=asked.team, place=asked.place, user_id=asked.person
        )
        return asked.answer(answer)
    try:
        request = slack_narrative.parse_narrative_text(as_mentions(text))
    except NarrativeInputError as exc:
        return asked.tell(usage(f":warning: {exc}\n\n{slack_narrative.USAGE}"))
    meetings.start_and_post(
        core=asked.core,
        team_id=asked.team,
        channel_id=asked.place,
        owner_id=asked.person,
        request=request,
    )
    return Said()


# --- /decide ---------------------------------------------------------------------------------


def decide(asked: Asked, text: str) -> Said:
    text = slack_decide.owner_as_id(as_mentions(text))
    if text.lower() in slack_decide.HELP:
        return asked.tell(usage(slack_decide.USAGE))
    if not text:
        return asked.reply(decisions.propose_form(user_id=asked.person, place=asked.place))
    try:
        decisions.check_proposal(asked.core, text=text, user_id=asked.person)
    except ProposalError as exc:
        return asked.tell(usage(f":warning: {exc}\n\n{slack_decide.USAGE}"))
    said = decisions.decide(
        asked.core, team_id=asked.team, channel_id=asked.place, user_id=asked.person, text=text
    )
    return asked.tell(said) if said is not None else Said()


# --- /decisions ------------------------------------------------------------------------------


def decisions_command(asked: Asked, text: str) -> Said:
    word, _, rest = text.partition(" ")
    subcommand = LOG_SUBCOMMANDS.get(word.lower())
    if subcommand is not None:
        return subcommand(asked, rest.strip())
    number = decision_log.parse_label(text)
    if number is not None:
        return asked.tell(
            decision_log.record_page(
                asked.core, team_id=asked.team, viewer=asked.viewer(), number=number
            )
        )
    return asked.tell(usage(f"I don't know `{text[:100]}`.\n\n" + slack_decisions.USAGE))


def show_list(asked: Asked, listing: str, arg: str, page: int = 0) -> Said:
    view = decision_log.list_page(
        asked.core, team_id=asked.team, viewer=asked.viewer(), listing=listing, arg=arg, page=page
    )
    return asked.tell(view)


def search(asked: Asked, rest: str) -> Said:
    if not rest:
        return asked.tell(
            usage(
                "Say what to search for, e.g. `/decisions search pricing`.\n\n"
                + slack_decisions.USAGE
            )
        )
    try:
        decision_log.search_words(rest)
    except ValueError as exc:
        return asked.tell(warning(f"{exc} Search for fewer words."))
    return show_list(asked, Listing.SEARCH, rest)


def log_decision(asked: Asked, rest: str) -> Said:
    text = slack_decide.owner_as_id(as_mentions(rest))
    if not text:
        return asked.tell(
            usage("Write the decision after `/decisions log`.\n\n" + slack_decisions.USAGE)
        )
    logged = decision_log.log_from_command(
        asked.core, team_id=asked.team, channel_id=asked.place, author=asked.viewer(), text=text
    )
    if isinstance(logged, Notice):
        return asked.tell(logged)
    asked.tell(decision_log.logged_receipt(logged))
    failed = decision_log.announce_logged(
        asked.core, asked.platform, logged, text=text, viewer_of=asked.viewer_of
    )
    return asked.tell(failed) if failed is not None else Said()


def export(asked: Asked, rest: str) -> Said:
    try:
        channel, _everything, since, statuses = log_export.parse_export_args(rest)
    except ValueError as exc:
        return asked.tell(usage(f":warning: {exc}\n\n" + slack_decisions.USAGE))
    if channel and channel.startswith("#"):
        found = [c for c, name in CHANNELS.items() if name == channel[1:].lower()]
        if not found:
            return asked.tell(notice(f"No decisions were made in {channel}."))
        channel = found[0]
    asked.tell(notice("Preparing your export… it will arrive as a direct message."))
    request = log_export.export_request(
        team_id=asked.team, user_id=asked.person, channel_id=channel, since=since, statuses=statuses
    )
    log_export.export_log(
        asked.core, asked.platform, request, viewer=asked.viewer(), place_name=CHANNELS.get
    )
    return Said()


LOG_SUBCOMMANDS: dict[str, Callable[[Asked, str], Said]] = {
    "": lambda a, _r: show_list(a, Listing.CHANNEL, a.place),
    "help": lambda a, _r: a.tell(usage(slack_decisions.USAGE)),
    "?": lambda a, _r: a.tell(usage(slack_decisions.USAGE)),
    "search": search,
    "due": lambda a, _r: show_list(a, Listing.DUE, ""),
    "mine": lambda a, _r: show_list(a, Listing.MINE, ""),
    "log": log_decision,
    "stats": lambda a, _r: a.tell(decision_log.stats(a.core, team_id=a.team)),
    "export": export,
}


# --- /reflect --------------------------------------------------------------------------------


def reflect(asked: Asked, text: str) -> Said:
    word, _, rest = text.partition(" ")
    run = REFLECT_SUBCOMMANDS.get(word.lower())
    if run is None:
        return asked.tell(
            usage(f"I don't know `/reflect {word.lower()[:100]}`.\n\n{slack_reflect.USAGE}")
        )
    try:
        return run(asked, text, rest.strip())
    except ScheduleError as exc:
        return asked.tell(usage(bad_schedule_text(str(exc))))
    except reflect_commands.CommandError as exc:
        return asked.tell(warning(str(exc)))


def reflect_now(asked: Asked, text: str, _rest: str) -> Said:
    collect = reflect_commands.parse_now(text, command=slack_reflect.COMMAND)
    failed = reflections.post_now(
        asked.core, team_id=asked.team, channel_id=asked.place, collect=collect
    )
    return asked.tell(failed) if failed is not None else Said()


def reflect_schedule(asked: Asked, text: str, _rest: str) -> Said:
    body, collect = reflect_commands.split_collect(text)
    parsed = parse_schedule(body)
    return asked.tell(
        reflections.set_schedule(
            asked.core,
            team_id=asked.team,
            channel_id=asked.place,
            user_id=asked.person,
            schedule=parsed,
            collect=collect,
        )
    )


def reflect_off(asked: Asked, _text: str, _rest: str) -> Said:
    return asked.tell(
        reflections.clear_schedule(
            asked.core, team_id=asked.team, channel_id=asked.place, user_id=asked.person
        )
    )


def reflect_status(asked: Asked, _text: str, _rest: str) -> Said:
    return asked.tell(
        reflections.channel_status(asked.core, team_id=asked.team, channel_id=asked.place)
    )


def reflect_questions(asked: Asked, _text: str, _rest: str) -> Said:
    return asked.reply(
        reflections.questions_form(
            asked.core, team_id=asked.team, channel_id=asked.place, user_id=asked.person
        )
    )


def reflect_pick(asked: Asked, _text: str, rest: str) -> Said:
    chosen = reflect_commands.parse_pick(rest, command=slack_reflect.COMMAND)
    return asked.tell(
        reflections.pick_per_round(
            asked.core,
            team_id=asked.team,
            channel_id=asked.place,
            user_id=asked.person,
            pick=chosen,
        )
    )


REFLECT_SUBCOMMANDS: dict[str, Callable[[Asked, str, str], Said]] = {
    "": lambda a, _t, _r: a.tell(usage(slack_reflect.USAGE)),
    "help": lambda a, _t, _r: a.tell(usage(slack_reflect.USAGE)),
    "now": reflect_now,
    "every": reflect_schedule,
    "monthly": reflect_schedule,
    "off": reflect_off,
    "stop": reflect_off,
    "status": reflect_status,
    "questions": reflect_questions,
    "pick": reflect_pick,
}

COMMANDS: dict[str, Callable[[Asked, str], Said]] = {
    "/narrative": narrative,
    "/decide": decide,
    "/decisions": decisions_command,
    "/reflect": reflect,
}
