"""Teams activities, by kind: commands typed to the bot, card buttons (`adaptiveCard/action`
or an `Action.Submit` message), dialogs (`task/fetch`, `task/submit`). Each listener parses,
calls one core function and answers with what the core returned."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot import decision_log, decisions
from bot.access import Viewer
from bot.decisions import DecisionError, FormError, ProposalValues
from bot.inputs import InputTooLong
from bot.proposals import ProposalError
from bot.views import FormErrors, Notice, OpenForm, ReplaceCard, warning
from bot.views.decision_log import Listing
from bot.views.decisions import ProposeForm, Resolution
from bot.vocabulary import Stance
from handlers.teams import exports
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.cards.decision_log import PAGE
from handlers.teams.cards.decisions import AGREE, COMMIT, FINALIZE, PROPOSE, PULL_ANDON
from handlers.teams.feature import Click, Dialog, Feature, decision_of, item_id

log = logging.getLogger(__name__)

USAGE = (
    "**@Narrative decide** runs a disagree-and-commit poll.\n\n"
    "- `decide PROPOSAL [confidence:NN%] [review:YYYY-MM-DD|NNd] [owner:@user] "
    "[door:one-way|two-way] [closes:DURATION]` — post the poll now, e.g. `decide We launch "
    "the new pricing in March confidence:60% closes:2d`\n"
    "- `decide` — open a form (also: anonymous until the owner finalizes)\n"
    "- `decide help` — this message"
)
HELP = ("help", "?", "-h", "--help")
Listener = Callable[[Answers, Incoming, str], object]


# --- commands ----------------------------------------------------------------------------------


def decide_command(a: Answers, m: Incoming, text: str) -> object:
    if text.lower() in HELP:
        return a.tell(m, Notice((USAGE,)))
    if not text:
        return a.post_here(m, decisions.propose_form(user_id=m.user, place=m.place))
    try:
        decisions.check_proposal(a.core, text=text, user_id=m.user)
    except ProposalError as exc:
        return a.tell(m, warning(f"{exc}\n\n", USAGE))
    said = decisions.decide(a.core, team_id=m.tenant, channel_id=m.place, user_id=m.user, text=text)
    return a.tell(m, said)


DECISIONS_USAGE = (
    "**@Narrative decisions** browses the decision log (answers come to you privately).\n\n"
    "- `decisions` — latest decisions in this conversation\n"
    "- `decisions search WORDS` — search decisions and dissent reasons\n"
    "- `decisions due` — reviews due (this week) or overdue\n"
    "- `decisions mine` — decisions you own\n"
    "- `decisions D-42` — one full record\n"
    "- `decisions log DECISION [confidence:NN%] [review:YYYY-MM-DD|NNd] [owner:@user] "
    "[door:one-way|two-way] [replaces:D-n]` — record a decision made elsewhere\n"
    "- `decisions stats` — input metrics (last 30 days)\n"
    "- `decisions export [@channel|all] [since:YYYY-MM-DD] [status:active,reversed,…]` — "
    "the decision log as an Excel workbook, sent to your personal chat\n"
    "- `decisions help` — this message"
)


def viewer(a: Answers, m: Incoming) -> Viewer:
    """What `m`'s sender may see: this conversation, and places whose members they are."""

    def may_see(place: str) -> bool:
        return place == m.place or m.user in a.platform.members(m.tenant, place)

    return Viewer(m.user, may_see, lambda: m.user in a.core.admin_user_ids)


def _listing(a: Answers, m: Incoming, listing: str, arg: str, page: int = 0) -> object:
    return decision_log.list_page(
        a.core, team_id=m.tenant, viewer=viewer(a, m), listing=listing, arg=arg, page=page
    )


def decisions_command(a: Answers, m: Incoming, text: str) -> object:
    word, _, rest = text.partition(" ")
    subcommand = DECISIONS_SUBCOMMANDS.get(word.lower())
    if subcommand is not None:
        return subcommand(a, m, rest.strip())
    number = decision_log.parse_label(text)
    if number is not None:
        found = decision_log.record_page(
            a.core, team_id=m.tenant, viewer=viewer(a, m), number=number
        )
        return a.tell(m, found)
    return a.tell(m, Notice((f"I don't know that: {text[:100]}\n\n", DECISIONS_USAGE)))


def decisions_help(a: Answers, m: Incoming, _rest: str) -> object:
    return a.tell(m, Notice((DECISIONS_USAGE,)))


def latest(a: Answers, m: Incoming, _rest: str) -> object:
    return a.tell(m, _listing(a, m, Listing.CHANNEL, m.place))


def due(a: Answers, m: Incoming, _rest: str) -> object:
    return a.tell(m, _listing(a, m, Listing.DUE, ""))


def mine(a: Answers, m: Incoming, _rest: str) -> object:
    return a.tell(m, _listing(a, m, Listing.MINE, ""))


def search(a: Answers, m: Incoming, rest: str) -> object:
    if not rest:
        return a.tell(m, Notice(("Say what to search for, e.g. `decisions search pricing`.",)))
    try:
        decision_log.search_words(rest)
    except InputTooLong as exc:
        return a.tell(m, warning(f"{exc} Search for fewer words."))
    return a.tell(m, _listing(a, m, Listing.SEARCH, rest))


def stats(a: Answers, m: Incoming, _rest: str) -> object:
    return a.tell(m, decision_log.stats(a.core, team_id=m.tenant))


def log_command(a: Answers, m: Incoming, text: str) -> object:
    """`decisions log DECISION [options]`: record a decision made elsewhere."""
    if not text:
        return a.tell(m, Notice(("Write the decision after `decisions log`.\n\n", DECISIONS_USAGE)))
    logged = decision_log.log_from_command(
        a.core, team_id=m.tenant, channel_id=m.place, author=viewer(a, m), text=text
    )
    if isinstance(logged, Notice):
        return a.tell(m, logged)
    a.tell(m, decision_log.logged_receipt(logged))
    failed = decision_log.announce_logged(
        a.core,
        a.platform,
        logged,
        text=text,
        viewer_of=lambda person: Viewer(person, lambda place: place == m.place),
    )
    return a.tell(m, failed)


# The subcommands of `decisions`, by their first word (a `D-42` shows that record).
DECISIONS_SUBCOMMANDS: dict[str, Listener] = {
    "": latest,
    "help": decisions_help,
    "?": decisions_help,
    "search": search,
    "due": due,
    "mine": mine,
    "stats": stats,
    "log": log_command,
    "export": lambda a, m, rest: exports.export_command(a, m, rest),
}


def page_clicked(a: Answers, m: Incoming, data: dict[str, Any]) -> object:
    """Previous/next on a list: the card replaced by that page."""
    listing, arg, page = data.get("listing"), data.get("arg"), data.get("page")
    if listing not in tuple(Listing) or not isinstance(arg, str):
        return Notice(("That list is not known.",))
    if not isinstance(page, int) or isinstance(page, bool) or not 0 <= page <= 100_000:
        return Notice(("That page is not known.",))
    try:
        return ReplaceCard(_listing(a, m, str(listing), arg, page))
    except InputTooLong:
        return Notice(("That list is not known.",))


def usage_command(a: Answers, m: Incoming, text: str) -> object:
    return a.tell(m, Notice((USAGE,)))


COMMANDS: dict[str, Listener] = {
    "decide": decide_command,
    "decisions": decisions_command,
    "help": usage_command,
}


# --- buttons answered in place -------------------------------------------------------------------


def agree_clicked(a: Answers, m: Incoming, decision: int | None) -> object:
    return decisions.vote(
        a.core, team_id=m.tenant, decision_id=decision, user_id=m.user, choice=Stance.AGREE
    )


def commit_clicked(a: Answers, m: Incoming, decision: int | None) -> object:
    return decisions.commit_to(a.core, team_id=m.tenant, decision_id=decision, user_id=m.user)


def resolve_clicked(resolution: str) -> Callable[[Answers, Incoming, int | None], object]:
    def clicked(a: Answers, m: Incoming, decision: int | None) -> object:
        return decisions.resolve(
            a.core, team_id=m.tenant, decision_id=decision, user_id=m.user, resolution=resolution
        )

    return clicked


CLICKS: dict[str, Callable[[Answers, Incoming, int | None], object]] = {
    AGREE: agree_clicked,
    COMMIT: commit_clicked,
    Resolution.RESUME: resolve_clicked(Resolution.RESUME),
    Resolution.REVERSE: resolve_clicked(Resolution.REVERSE),
}


def _click(fn: Callable[[Answers, Incoming, int | None], object]) -> Click:
    return lambda a, m, data: fn(a, m, decision_of(data))


# --- dialogs -------------------------------------------------------------------------------------


def open_form(a: Answers, m: Incoming, verb: str, decision: int | None, data: dict[str, Any]):
    """The form a dialog button opens (also re-opened to show a submitted form's errors)."""
    core, team = a.core, m.tenant
    if verb in (Stance.DISAGREE, Stance.DISAGREE_COMMIT):
        return decisions.ask_reason(core, team_id=team, decision_id=decision, choice=verb)
    if verb == FINALIZE:
        return decisions.open_finalize(core, team_id=team, decision_id=decision, user_id=m.user)
    if verb == PULL_ANDON:
        return decisions.open_andon(core, team_id=team, decision_id=decision)
    if verb == Resolution.AMEND:
        return decisions.resolve(
            core, team_id=team, decision_id=decision, user_id=m.user, resolution=verb
        )
    if verb == PROPOSE and item_id(data, "narrative") is not None:  # a digest's button
        narrative = item_id(data, "narrative")
        return decisions.propose_about(core, team_id=team, user_id=m.user, narrative_id=narrative)
    if verb == PROPOSE:
        place = data.get("place") if isinstance(data.get("place"), str) else m.place
        return OpenForm(ProposeForm(owner_id=m.user, place=str(place)))
    return None


def _field(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def submit_form(a: Answers, m: Incoming, verb: str, decision: int | None, data: dict[str, Any]):
    """A dialog submitted: what the core stores before answering; FormErrors keep it open."""
    core, team, who = a.core, m.tenant, m.user
    try:
        if verb in (Stance.DISAGREE, Stance.DISAGREE_COMMIT):
            decisions.vote_with_reason(
                core,
                team_id=team,
                decision_id=decision,
                user_id=who,
                choice=verb,
                reason=_field(data, "reason"),
            )
            return None
        if verb == FINALIZE:
            return decisions.submit_finalize(
                core,
                team_id=team,
                decision_id=decision,
                user_id=who,
                final_text=_field(data, "final_text"),
            )
        if verb == PULL_ANDON:
            return decisions.submit_andon(
                core,
                team_id=team,
                decision_id=decision,
                user_id=who,
                reason=_field(data, "reason"),
            )
        if verb == Resolution.AMEND:
            return decisions.submit_amend(
                core,
                team_id=team,
                decision_id=decision,
                user_id=who,
                new_text=_field(data, "final_text"),
            )
        if verb == PROPOSE:
            return decisions.submit_proposal(
                core, team_id=team, user_id=who, values=_proposal(data, m)
            )
    except FormError as exc:
        return FormErrors(((exc.field, str(exc)),))
    except DecisionError as exc:
        field = (
            "proposal"
            if verb == PROPOSE
            else ("final_text" if verb in (FINALIZE, Resolution.AMEND) else "reason")
        )
        return FormErrors(((field, str(exc)),))
    return None


def _proposal(data: dict[str, Any], m: Incoming) -> ProposalValues:
    place = data.get("place")
    narrative = data.get("narrative")
    return ProposalValues(
        text=_field(data, "proposal") or "",
        confidence=_field(data, "confidence"),
        review_date=_field(data, "review"),
        owner_id=_field(data, "owner"),
        door=_field(data, "door"),
        closes=_field(data, "closes"),
        anonymous=str(data.get("anonymous")).lower() == "true",
        channel_id=place if isinstance(place, str) and place else m.place,
        narrative_id=narrative if isinstance(narrative, int) else None,
    )


def _dialog(verb: str) -> Dialog:
    return Dialog(
        open=lambda a, m, data: open_form(a, m, verb, decision_of(data), data),
        submit=lambda a, m, data: submit_form(a, m, verb, decision_of(data), data),
    )


DIALOG_VERBS = (
    Stance.DISAGREE,
    Stance.DISAGREE_COMMIT,
    FINALIZE,
    PULL_ANDON,
    Resolution.AMEND,
    PROPOSE,
)

# Decisions and the decision log, as the Teams app's tables (`handlers.teams.feature`).
FEATURE = Feature(
    commands=COMMANDS,
    clicks={
        **{verb: _click(fn) for verb, fn in CLICKS.items()},
        PAGE: lambda a, m, data: page_clicked(a, m, data),
    },
    dialogs={str(verb): _dialog(str(verb)) for verb in DIALOG_VERBS},
)

__all__ = ["FEATURE", "FormErrors", "ReplaceCard", "usage_command"]
