"""Block Kit for decisions: the poll, the decision record, the direct messages, the notices and
the modals, as renderers of the neutral views in `bot.views.decisions` (registered with
`renders`; a form renders as the modal `views.open` takes).

Pure functions of a view; every piece of user text goes through `escape`.
"""

from __future__ import annotations

import json
from typing import Any

from bot.views.decisions import (
    IN_FORCE,
    STANCES,
    AmendForm,
    AndonAlert,
    AndonForm,
    AndonResolved,
    Ballot,
    CommitRequest,
    Committed,
    DecisionCard,
    FinalizeForm,
    Poll,
    PollNotPosted,
    PollUnconfirmed,
    ProposeForm,
    ReasonForm,
    Record,
    Refusal,
    Resolution,
    VotingOver,
    poll_message,
)
from bot.vocabulary import DecisionStatus, Stance
from handlers.slack.api import could_not_post
from handlers.slack.platform import mrkdwn, renders
from handlers.slack.render import (
    MESSAGE_BLOCK_LIMIT,
    actions,
    button,
    context,
    escape,
    fit,
    mention,
    section,
    slack_date,
    split_text,
)

# Buttons on the poll, the record and the direct messages; values are the decision id.
VOTE_ACTIONS = {
    Stance.AGREE: "decision_vote_agree",
    Stance.DISAGREE_COMMIT: "decision_vote_disagree_commit",
    Stance.DISAGREE: "decision_vote_disagree",
}
FINALIZE = "decision_finalize"
COMMIT = "decision_commit"
PULL_ANDON = "decision_andon_pull"
RESOLVE_ACTIONS = {
    Resolution.RESUME: "decision_andon_resume",
    Resolution.AMEND: "decision_andon_amend",
    Resolution.REVERSE: "decision_andon_reverse",
}
# A narrative's digest carries this button (value: the narrative id).
PROPOSE_FROM_NARRATIVE = "propose_decision"

# Modal callback ids.
PROPOSE_VIEW = "decision_propose"
REASON_VIEW = "decision_reason"
FINALIZE_VIEW = "decision_finalize"
ANDON_VIEW = "decision_andon"
AMEND_VIEW = "decision_amend"

CHOICE_LABELS = {
    Stance.AGREE: "Agree",
    Stance.DISAGREE_COMMIT: "Disagree, but commit",
    Stance.DISAGREE: "Disagree",
}
RESOLUTION_WORDS = {
    Resolution.RESUME: "resumed",
    Resolution.AMEND: "amended",
    Resolution.REVERSE: "reversed",
}

Message = dict[str, Any]
Block = dict[str, Any]


# --- shared pieces ------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "\n".join(f">{line}" if line.strip() else ">" for line in escape(text).splitlines())


def _inline(text: str) -> str:
    return escape(" ".join(text.split()))


def _confidence(card: DecisionCard) -> str:
    note = card.confidence_note
    value = f"{card.confidence}%"
    return f"{value} ({note})" if note else value


def _door(door: str) -> str:
    if door == "one-way":
        return "One-way door (hard to reverse)"
    return "Two-way door (reversible)"


def _facts(card: DecisionCard) -> str:
    d = card
    parts = [
        f"*Owner:* {mention(d.owner_id)}",
        f"*Information confidence:* {_confidence(card)}",
        f"*{_door(d.door)}*",
        f"*Review:* {slack_date(d.review_on, '{date_short_pretty}')}",
    ]
    if card.narrative_title:
        parts.append(f"*Narrative:* {fit(_inline(card.narrative_title), 200)}")
    return "  ·  ".join(parts)


def _names(users: tuple[str, ...]) -> str:
    return ", ".join(mention(u) for u in users)


def _tally_lines(card: DecisionCard, *, names: bool) -> str:
    lines = []
    for choice in STANCES:
        voters = card.voters(choice)
        line = f"*{CHOICE_LABELS[choice]}:* {len(voters)}"
        if names and voters:
            line += f" — {_names(voters)}"
        lines.append(line)
    return "\n".join(lines)


def _sections(text: str) -> list[Block]:
    return [section(piece) for piece in split_text(text) if piece.strip()]


def _fit(head: list[Block], body: list[Block], tail: list[Block]) -> list[Block]:
    """Keep a message within Slack's 50 blocks: the body is cut, with a note, if it must be."""
    room = MESSAGE_BLOCK_LIMIT - len(head) - len(tail)
    if len(body) > room:
        body = body[: room - 1] + [context("_More in the decision log._")]
    return head + body + tail


def _value(card: DecisionCard) -> str:
    return str(card.id)


# --- the poll -----------------------------------------------------------------------------------


@renders(Poll)
def build_poll_message(view: Poll) -> Message:
    card = view.card
    """The live poll: proposal, facts, tally (names unless anonymous) and the buttons."""
    d = card
    head = [
        *_sections(f":ballot_box_with_ballot: *{card.label} — proposal*\n{_quote(d.proposal)}"),
        context(_facts(card)),
    ]
    body = _sections(_tally_lines(card, names=not d.anonymous))
    notes = [f"Proposed by {mention(d.proposed_by)}"]
    if d.closes_at is not None:
        notes.append(f"voting until {slack_date(d.closes_at)}")
    if d.anonymous:
        notes.append("names are shown when the owner finalizes")
    notes.append("disagreeing asks for your reason")
    value = _value(card)
    tail = [
        context(" · ".join(notes)),
        actions(
            button(CHOICE_LABELS[Stance.AGREE], VOTE_ACTIONS[Stance.AGREE], value, style="primary"),
            button(
                CHOICE_LABELS[Stance.DISAGREE_COMMIT], VOTE_ACTIONS[Stance.DISAGREE_COMMIT], value
            ),
            button(
                CHOICE_LABELS[Stance.DISAGREE], VOTE_ACTIONS[Stance.DISAGREE], value, style="danger"
            ),
            button("Finalize", FINALIZE, value),
            block_id=f"poll-{value}",
        ),
    ]
    return {
        "text": f"{card.label} poll: {fit(_inline(d.proposal), 200)}",
        "blocks": _fit(head, body, tail),
    }


# --- the record ---------------------------------------------------------------------------------


def _dissent_line(ballot: Ballot) -> str:
    reason = f": “{_inline(ballot.reason)}”" if ballot.reason else ""
    if ballot.choice == Stance.DISAGREE_COMMIT:
        state = "committed"
    elif ballot.committed_at is not None:
        state = f"disagreed and committed {slack_date(ballot.committed_at)}"
    else:
        state = "not committed"
    return f"• {mention(ballot.user_id)} — *{CHOICE_LABELS[ballot.choice]}* ({state}){reason}"


def _andon_blocks(card: DecisionCard) -> list[Block]:
    pull = card.andon
    if pull is None:
        return []
    said = f"“{_inline(pull.reason)}”"
    if pull.is_open:
        value = _value(card)
        return [
            *_sections(
                f":rotating_light: *Halted:* {mention(pull.user_id)} pulled the Andon cord "
                f"{slack_date(pull.pulled_at)}: {said}\n"
                f"Waiting for {mention(card.owner_id)} to resume, amend or reverse it."
            ),
            actions(
                button("Resume", RESOLVE_ACTIONS[Resolution.RESUME], value, style="primary"),
                button("Amend", RESOLVE_ACTIONS[Resolution.AMEND], value),
                button("Reverse", RESOLVE_ACTIONS[Resolution.REVERSE], value, style="danger"),
                block_id=f"andon-{value}",
            ),
        ]
    said = f"“{fit(_inline(pull.reason), 1500)}”"
    word = RESOLUTION_WORDS.get(pull.resolution or "", "resolved")
    by = mention(pull.resolved_by) if pull.resolved_by else "the owner"
    when = slack_date(pull.resolved_at) if pull.resolved_at else ""
    return [
        context(
            f":rotating_light: Andon cord pulled by {mention(pull.user_id)} "
            f"{slack_date(pull.pulled_at)}: {said} — {word} by {by} {when}".rstrip()
        )
    ]


def _record_title(card: DecisionCard) -> str:
    status = card.status
    if status == DecisionStatus.HALTED:
        return f":octagonal_sign: *Decision {card.label} — halted*"
    replaced = (
        f" (replaced by {card.replaced_by_label})" if card.replaced_by_label is not None else ""
    )
    if status == DecisionStatus.REVERSED:
        return f":leftwards_arrow_with_hook: *Decision {card.label} — reversed{replaced}*"
    if status in (DecisionStatus.AMENDED, DecisionStatus.SUPERSEDED):
        return f":pencil2: *Decision {card.label} — {status}{replaced}*"
    return f":white_check_mark: *Decision {card.label}*"


@renders(Record)
def build_record_message(view: Record) -> Message:
    card = view.card
    """The decision record: the final decision with every dissent beside it, and the Andon cord."""
    d = card
    final = d.final_text or d.proposal
    head: list[Block] = _sections(f"{_record_title(card)}\n{_quote(final)}")
    if d.final_text and d.final_text.strip() != d.proposal.strip():
        head.append(context(f"Proposed as: {fit(_inline(d.proposal), 1900)}"))
    decided = f"  ·  *Decided:* {slack_date(d.decided_at)}" if d.decided_at else ""
    head.append(context(_facts(card) + decided))
    dissents = card.dissents
    dissent_text = (
        "*Dissent*\n" + "\n".join(_dissent_line(b) for b in dissents)
        if dissents
        else "*Dissent:* none"
    )
    body = _sections(dissent_text) + _sections("*Votes*\n" + _tally_lines(card, names=True))
    tail = _andon_blocks(card)
    if d.status in IN_FORCE:  # only a decision in force can be halted
        tail.append(
            actions(
                button("Pull the Andon cord", PULL_ANDON, _value(card), style="danger"),
                block_id=f"record-{card.id}",
            )
        )
    return {
        "text": f"Decision {card.label}: {fit(_inline(final), 200)}",
        "blocks": _fit(head, body, tail),
    }


def build_decision_message(card: DecisionCard) -> Message:
    """What the poll message shows: the live poll while voting, the record afterwards."""
    shown = poll_message(card)
    return build_poll_message(shown) if isinstance(shown, Poll) else build_record_message(shown)


# --- direct messages ----------------------------------------------------------------------------


def _link(card: DecisionCard) -> str:
    return f" (<{card.permalink}|see the thread>)" if card.permalink else ""


@renders(CommitRequest)
def build_commit_dm(view: CommitRequest) -> Message:
    card = view.card
    d = card
    text = (
        f"{mention(d.owner_id)} finalized *{card.label}*{_link(card)}:\n"
        f"{_quote(d.final_text or d.proposal)}\n"
        "You voted *Disagree*; your reason is on the record. If you will support the decision "
        "anyway, say so:"
    )
    return {
        "text": f"{card.label} is final: {fit(_inline(d.final_text or d.proposal), 200)}",
        "blocks": [
            *_sections(text),
            actions(
                button("I disagree and commit", COMMIT, _value(card), style="primary"),
                block_id=f"commit-{card.id}",
            ),
        ],
    }


@renders(Committed)
def build_committed_dm(view: Committed) -> Message:
    card, committed_at = view.card, view.committed_at
    d = card
    return {
        "text": f"You disagreed and committed to {card.label}.",
        "blocks": [
            *_sections(
                f"*{card.label}*{_link(card)}:\n{_quote(d.final_text or d.proposal)}\n"
                f":handshake: You disagreed and committed {slack_date(committed_at)}. "
                "Thank you; it is on the record."
            )
        ],
    }


@renders(AndonAlert)
def build_andon_owner_dm(view: AndonAlert) -> Message:
    card = view.card
    pull = card.andon
    who = mention(pull.user_id) if pull else "Someone"
    reason = f"“{_inline(pull.reason)}”" if pull else ""
    value = _value(card)
    return {
        "text": f"The Andon cord was pulled on {card.label}.",
        "blocks": [
            *_sections(
                f":rotating_light: {who} pulled the Andon cord on *{card.label}*{_link(card)}: "
                f"{reason}\nThe decision is halted until you resume, amend or reverse it.\n"
                f"{_quote(card.wording)}"
            ),
            actions(
                button("Resume", RESOLVE_ACTIONS[Resolution.RESUME], value, style="primary"),
                button("Amend", RESOLVE_ACTIONS[Resolution.AMEND], value),
                button("Reverse", RESOLVE_ACTIONS[Resolution.REVERSE], value, style="danger"),
                block_id=f"andon-dm-{value}",
            ),
        ],
    }


@renders(AndonResolved)
def build_andon_resolved_note(view: AndonResolved) -> Message:
    card = view.card
    pull = card.andon
    word = RESOLUTION_WORDS.get(pull.resolution or "", "resolved") if pull else "resolved"
    by = mention(pull.resolved_by) if pull and pull.resolved_by else "The owner"
    text = f"{by} {word} *{card.label}* after the Andon cord was pulled."
    if pull and pull.resolution == Resolution.AMEND:
        text += f"\n{_quote(card.final_text or '')}"
    return {"text": f"{card.label} {word}.", "blocks": _sections(text)}


@renders(VotingOver)
def build_deadline_dm(view: VotingOver) -> Message:
    card = view.card
    d = card
    lines = _tally_lines(card, names=False)
    return {
        "text": f"Voting time for {card.label} is over; please finalize it.",
        "blocks": [
            *_sections(
                f":alarm_clock: Voting time for *{card.label}*{_link(card)} is over. "
                "The decision is yours: finalize it in your own words.\n"
                f"{_quote(d.proposal)}\n{lines}"
            ),
            actions(button("Finalize", FINALIZE, _value(card), style="primary")),
        ],
    }


# --- modals -------------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title[:24]),
        "submit": _plain(submit[:24]),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def _text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    multiline: bool = True,
    optional: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
    max_length: int = 3000,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = _plain(placeholder)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


@renders(ProposeForm)
def build_propose_modal(form: ProposeForm) -> dict[str, Any]:
    owner_id, channel_id = form.owner_id, form.place
    narrative_id, narrative_title = form.narrative_id, form.narrative_title
    blocks: list[Block] = []
    if narrative_id is not None:
        blocks.append(context(f"About the narrative *{fit(_inline(narrative_title), 200)}*"))
    two_way = _option("Two-way door: reversible", "two-way")
    blocks += [
        _text_input(
            "proposal",
            "Proposal",
            placeholder="We launch the new pricing in March",
            max_length=form.max_text,
        ),
        {
            "type": "input",
            "block_id": "owner",
            "label": _plain("Owner (the one who decides)"),
            "element": {"type": "users_select", "action_id": "value", "initial_user": owner_id},
        },
        {
            "type": "input",
            "block_id": "confidence",
            "label": _plain("Information confidence (%)"),
            "element": {
                "type": "number_input",
                "action_id": "value",
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": "100",
                "initial_value": str(form.confidence),
            },
            "hint": _plain(
                "How much of the information you wish you had do you have? "
                "Most decisions should be made at about 70%."
            ),
        },
        {
            "type": "input",
            "block_id": "door",
            "label": _plain("Door"),
            "element": {
                "type": "radio_buttons",
                "action_id": "value",
                "initial_option": two_way,
                "options": [_option("One-way door: hard to reverse", "one-way"), two_way],
            },
        },
        {
            "type": "input",
            "block_id": "review",
            "optional": True,
            "label": _plain("Review date"),
            "element": {"type": "datepicker", "action_id": "value"},
            "hint": _plain("Empty: in 30, 90 or 180 days, sooner when confidence is low."),
        },
        _text_input(
            "closes",
            "Voting time",
            multiline=False,
            optional=True,
            placeholder="e.g. 2h or 3d",
            hint="When it is over, the owner is reminded to finalize.",
            max_length=form.max_closes,
        ),
        {
            "type": "input",
            "block_id": "anonymous",
            "optional": True,
            "label": _plain("Names"),
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [_option("Anonymous until the owner finalizes", "anonymous")],
            },
        },
    ]
    metadata: dict[str, Any] = {"channel_id": channel_id}
    if narrative_id is not None:
        metadata["narrative_id"] = narrative_id
    return _modal(PROPOSE_VIEW, "Propose a decision", "Post the poll", blocks, metadata)


@renders(ReasonForm)
def build_reason_modal(form: ReasonForm) -> dict[str, Any]:
    card, choice = form.card, form.choice
    blocks = [
        context(f"*{card.label}*: {fit(_inline(card.proposal), 1900)}"),
        _text_input(
            "reason",
            "Why do you disagree?",
            placeholder="Your reason is recorded with the decision.",
            max_length=form.max_reason,
        ),
    ]
    title = CHOICE_LABELS[choice]
    return _modal(REASON_VIEW, title, "Vote", blocks, {"decision_id": card.id, "choice": choice})


@renders(FinalizeForm)
def build_finalize_modal(form: FinalizeForm) -> dict[str, Any]:
    card = form.card
    blocks = [
        context(_tally_lines(card, names=False).replace("\n", "  ·  ")),
        _text_input(
            "final_text",
            "The decision, in your words",
            initial=card.proposal,
            hint="The vote informs you; you decide. Dissent stays on the record beside this.",
            max_length=form.max_text,
        ),
    ]
    return _modal(
        FINALIZE_VIEW, f"Finalize {card.label}", "Finalize", blocks, {"decision_id": card.id}
    )


@renders(AndonForm)
def build_andon_modal(form: AndonForm) -> dict[str, Any]:
    card = form.card
    blocks = [
        context(
            f"Pulling the cord halts *{card.label}* and notifies its owner "
            f"{mention(card.owner_id)} at once."
        ),
        _text_input("reason", "What is wrong?", max_length=form.max_reason),
    ]
    return _modal(ANDON_VIEW, "Pull the Andon cord", "Halt", blocks, {"decision_id": card.id})


@renders(AmendForm)
def build_amend_modal(form: AmendForm) -> dict[str, Any]:
    card = form.card
    blocks = [
        _text_input(
            "final_text",
            "The amended decision",
            initial=card.wording,
            max_length=form.max_text,
        )
    ]
    return _modal(AMEND_VIEW, f"Amend {card.label}", "Amend", blocks, {"decision_id": card.id})


# --- notices --------------------------------------------------------------------------------

# Slack did not answer the post and the poll is not in the channel yet.
CONFIRMING = (
    "Slack is slow to confirm your poll. I will check in a minute and post it if it is "
    "missing; there is no need to propose it again."
)


@renders(Refusal)
def render_refusal(view: Refusal) -> Message:
    return {"text": f":no_entry: {mrkdwn(view.body)}"}


@renders(PollUnconfirmed)
def render_poll_unconfirmed(_: PollUnconfirmed) -> Message:
    return {"text": CONFIRMING}


@renders(PollNotPosted)
def render_poll_not_posted(view: PollNotPosted) -> Message:
    if view.retried:
        return {
            "text": f":warning: I could not post your poll in <#{view.place}> "
            f"(`{view.reason}`). Invite me with `/invite @Narrative` and try again."
        }
    if view.yours:
        return {"text": could_not_post(view.reason, "your poll", f"<#{view.place}>")}
    return {"text": could_not_post(view.reason, "the poll")}
