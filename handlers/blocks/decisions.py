"""Block Kit for decisions: the poll, the decision record, the direct messages and the modals.

Pure functions of a `DecisionSnapshot`; every piece of user text goes through `escape`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.decisions import (
    ACTIVE,
    AGREE,
    AMENDED,
    CHOICES,
    DISAGREE,
    DISAGREE_COMMIT,
    HALTED,
    REVERSED,
    SUPERSEDED,
    UNDER_REVIEW,
    Ballot,
    DecisionSnapshot,
)
from handlers.render import (
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
from storage.decisions import decision_label

# Buttons on the poll, the record and the direct messages; values are the decision id.
VOTE_ACTIONS = {
    AGREE: "decision_vote_agree",
    DISAGREE_COMMIT: "decision_vote_disagree_commit",
    DISAGREE: "decision_vote_disagree",
}
FINALIZE = "decision_finalize"
COMMIT = "decision_commit"
PULL_ANDON = "decision_andon_pull"
RESOLVE_ACTIONS = {
    "resume": "decision_andon_resume",
    "amend": "decision_andon_amend",
    "reverse": "decision_andon_reverse",
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
    AGREE: "Agree",
    DISAGREE_COMMIT: "Disagree, but commit",
    DISAGREE: "Disagree",
}
RESOLUTION_WORDS = {"resume": "resumed", "amend": "amended", "reverse": "reversed"}

Message = dict[str, Any]
Block = dict[str, Any]


# --- shared pieces ------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return "\n".join(f">{line}" if line.strip() else ">" for line in escape(text).splitlines())


def _inline(text: str) -> str:
    return escape(" ".join(text.split()))


def _confidence(snap: DecisionSnapshot) -> str:
    note = snap.confidence_note
    value = f"{snap.decision.confidence}%"
    return f"{value} ({note})" if note else value


def _door(door: str) -> str:
    if door == "one-way":
        return "One-way door (hard to reverse)"
    return "Two-way door (reversible)"


def _facts(snap: DecisionSnapshot) -> str:
    d = snap.decision
    parts = [
        f"*Owner:* {mention(d.owner_id)}",
        f"*Information confidence:* {_confidence(snap)}",
        f"*{_door(d.door)}*",
        f"*Review:* {slack_date(d.review_on, '{date_short_pretty}')}",
    ]
    if snap.narrative_title:
        parts.append(f"*Narrative:* {fit(_inline(snap.narrative_title), 200)}")
    return "  ·  ".join(parts)


def _names(users: tuple[str, ...]) -> str:
    return ", ".join(mention(u) for u in users)


def _tally_lines(snap: DecisionSnapshot, *, names: bool) -> str:
    lines = []
    for choice in CHOICES:
        voters = snap.voters(choice)
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


def _value(snap: DecisionSnapshot) -> str:
    return str(snap.id)


# --- the poll -----------------------------------------------------------------------------------


def build_poll_message(snap: DecisionSnapshot) -> Message:
    """The live poll: proposal, facts, tally (names unless anonymous) and the buttons."""
    d = snap.decision
    head = [
        *_sections(f":ballot_box_with_ballot: *{snap.label} — proposal*\n{_quote(d.proposal)}"),
        context(_facts(snap)),
    ]
    body = _sections(_tally_lines(snap, names=not d.anonymous))
    notes = [f"Proposed by {mention(d.proposed_by)}"]
    if d.closes_at is not None:
        notes.append(f"voting until {slack_date(d.closes_at)}")
    if d.anonymous:
        notes.append("names are shown when the owner finalizes")
    notes.append("disagreeing asks for your reason")
    value = _value(snap)
    tail = [
        context(" · ".join(notes)),
        actions(
            button(CHOICE_LABELS[AGREE], VOTE_ACTIONS[AGREE], value, style="primary"),
            button(CHOICE_LABELS[DISAGREE_COMMIT], VOTE_ACTIONS[DISAGREE_COMMIT], value),
            button(CHOICE_LABELS[DISAGREE], VOTE_ACTIONS[DISAGREE], value, style="danger"),
            button("Finalize", FINALIZE, value),
            block_id=f"poll-{value}",
        ),
    ]
    return {
        "text": f"{snap.label} poll: {fit(_inline(d.proposal), 200)}",
        "blocks": _fit(head, body, tail),
    }


# --- the record ---------------------------------------------------------------------------------


def _dissent_line(ballot: Ballot) -> str:
    reason = f": “{_inline(ballot.reason)}”" if ballot.reason else ""
    if ballot.choice == DISAGREE_COMMIT:
        state = "committed"
    elif ballot.committed_at is not None:
        state = f"disagreed and committed {slack_date(ballot.committed_at)}"
    else:
        state = "not committed"
    return f"• {mention(ballot.user_id)} — *{CHOICE_LABELS[ballot.choice]}* ({state}){reason}"


def _andon_blocks(snap: DecisionSnapshot) -> list[Block]:
    pull = snap.andon
    if pull is None:
        return []
    said = f"“{_inline(pull.reason)}”"
    if pull.is_open:
        value = _value(snap)
        return [
            *_sections(
                f":rotating_light: *Halted:* {mention(pull.user_id)} pulled the Andon cord "
                f"{slack_date(pull.pulled_at)}: {said}\n"
                f"Waiting for {mention(snap.decision.owner_id)} to resume, amend or reverse it."
            ),
            actions(
                button("Resume", RESOLVE_ACTIONS["resume"], value, style="primary"),
                button("Amend", RESOLVE_ACTIONS["amend"], value),
                button("Reverse", RESOLVE_ACTIONS["reverse"], value, style="danger"),
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


def _record_title(snap: DecisionSnapshot) -> str:
    status = snap.decision.status
    if status == HALTED:
        return f":octagonal_sign: *Decision {snap.label} — halted*"
    replaced = (
        f" (replaced by {decision_label(snap.replaced_by_number)})"
        if snap.replaced_by_number is not None
        else ""
    )
    if status == REVERSED:
        return f":leftwards_arrow_with_hook: *Decision {snap.label} — reversed{replaced}*"
    if status in (AMENDED, SUPERSEDED):
        return f":pencil2: *Decision {snap.label} — {status}{replaced}*"
    return f":white_check_mark: *Decision {snap.label}*"


def build_record_message(snap: DecisionSnapshot) -> Message:
    """The decision record: the final decision with every dissent beside it, and the Andon cord."""
    d = snap.decision
    final = d.final_text or d.proposal
    head: list[Block] = _sections(f"{_record_title(snap)}\n{_quote(final)}")
    if d.final_text and d.final_text.strip() != d.proposal.strip():
        head.append(context(f"Proposed as: {fit(_inline(d.proposal), 1900)}"))
    decided = f"  ·  *Decided:* {slack_date(d.decided_at)}" if d.decided_at else ""
    head.append(context(_facts(snap) + decided))
    dissents = snap.dissents
    dissent_text = (
        "*Dissent*\n" + "\n".join(_dissent_line(b) for b in dissents)
        if dissents
        else "*Dissent:* none"
    )
    body = _sections(dissent_text) + _sections("*Votes*\n" + _tally_lines(snap, names=True))
    tail = _andon_blocks(snap)
    if d.status in (ACTIVE, UNDER_REVIEW):  # only a decision in force can be halted
        tail.append(
            actions(
                button("Pull the Andon cord", PULL_ANDON, _value(snap), style="danger"),
                block_id=f"record-{snap.id}",
            )
        )
    return {
        "text": f"Decision {snap.label}: {fit(_inline(final), 200)}",
        "blocks": _fit(head, body, tail),
    }


def build_decision_message(snap: DecisionSnapshot) -> Message:
    """What the poll message shows: the live poll while voting, the record afterwards."""
    return build_poll_message(snap) if snap.is_voting else build_record_message(snap)


# --- direct messages ----------------------------------------------------------------------------


def _link(snap: DecisionSnapshot) -> str:
    return f" (<{snap.decision.permalink}|see the thread>)" if snap.decision.permalink else ""


def build_commit_dm(snap: DecisionSnapshot) -> Message:
    d = snap.decision
    text = (
        f"{mention(d.owner_id)} finalized *{snap.label}*{_link(snap)}:\n"
        f"{_quote(d.final_text or d.proposal)}\n"
        "You voted *Disagree*; your reason is on the record. If you will support the decision "
        "anyway, say so:"
    )
    return {
        "text": f"{snap.label} is final: {fit(_inline(d.final_text or d.proposal), 200)}",
        "blocks": [
            *_sections(text),
            actions(
                button("I disagree and commit", COMMIT, _value(snap), style="primary"),
                block_id=f"commit-{snap.id}",
            ),
        ],
    }


def build_committed_dm(snap: DecisionSnapshot, committed_at: datetime) -> Message:
    d = snap.decision
    return {
        "text": f"You disagreed and committed to {snap.label}.",
        "blocks": [
            *_sections(
                f"*{snap.label}*{_link(snap)}:\n{_quote(d.final_text or d.proposal)}\n"
                f":handshake: You disagreed and committed {slack_date(committed_at)}. "
                "Thank you; it is on the record."
            )
        ],
    }


def build_andon_owner_dm(snap: DecisionSnapshot) -> Message:
    pull = snap.andon
    who = mention(pull.user_id) if pull else "Someone"
    reason = f"“{_inline(pull.reason)}”" if pull else ""
    value = _value(snap)
    return {
        "text": f"The Andon cord was pulled on {snap.label}.",
        "blocks": [
            *_sections(
                f":rotating_light: {who} pulled the Andon cord on *{snap.label}*{_link(snap)}: "
                f"{reason}\nThe decision is halted until you resume, amend or reverse it.\n"
                f"{_quote(snap.decision.final_text or snap.decision.proposal)}"
            ),
            actions(
                button("Resume", RESOLVE_ACTIONS["resume"], value, style="primary"),
                button("Amend", RESOLVE_ACTIONS["amend"], value),
                button("Reverse", RESOLVE_ACTIONS["reverse"], value, style="danger"),
                block_id=f"andon-dm-{value}",
            ),
        ],
    }


def build_andon_resolved_note(snap: DecisionSnapshot) -> Message:
    pull = snap.andon
    word = RESOLUTION_WORDS.get(pull.resolution or "", "resolved") if pull else "resolved"
    by = mention(pull.resolved_by) if pull and pull.resolved_by else "The owner"
    text = f"{by} {word} *{snap.label}* after the Andon cord was pulled."
    if pull and pull.resolution == "amend":
        text += f"\n{_quote(snap.decision.final_text or '')}"
    return {"text": f"{snap.label} {word}.", "blocks": _sections(text)}


def build_deadline_dm(snap: DecisionSnapshot) -> Message:
    d = snap.decision
    lines = _tally_lines(snap, names=False)
    return {
        "text": f"Voting time for {snap.label} is over; please finalize it.",
        "blocks": [
            *_sections(
                f":alarm_clock: Voting time for *{snap.label}*{_link(snap)} is over. "
                "The decision is yours: finalize it in your own words.\n"
                f"{_quote(d.proposal)}\n{lines}"
            ),
            actions(button("Finalize", FINALIZE, _value(snap), style="primary")),
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


def build_propose_modal(
    *, owner_id: str, channel_id: str, narrative_id: int | None = None, narrative_title: str = ""
) -> dict[str, Any]:
    blocks: list[Block] = []
    if narrative_id is not None:
        blocks.append(context(f"About the narrative *{fit(_inline(narrative_title), 200)}*"))
    two_way = _option("Two-way door: reversible", "two-way")
    blocks += [
        _text_input("proposal", "Proposal", placeholder="We launch the new pricing in March"),
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
                "initial_value": "70",
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
            max_length=20,
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


def build_reason_modal(snap: DecisionSnapshot, choice: str) -> dict[str, Any]:
    blocks = [
        context(f"*{snap.label}*: {fit(_inline(snap.decision.proposal), 1900)}"),
        _text_input(
            "reason",
            "Why do you disagree?",
            placeholder="Your reason is recorded with the decision.",
            max_length=2000,
        ),
    ]
    title = CHOICE_LABELS[choice]
    return _modal(REASON_VIEW, title, "Vote", blocks, {"decision_id": snap.id, "choice": choice})


def build_finalize_modal(snap: DecisionSnapshot) -> dict[str, Any]:
    blocks = [
        context(_tally_lines(snap, names=False).replace("\n", "  ·  ")),
        _text_input(
            "final_text",
            "The decision, in your words",
            initial=snap.decision.proposal,
            hint="The vote informs you; you decide. Dissent stays on the record beside this.",
        ),
    ]
    return _modal(
        FINALIZE_VIEW, f"Finalize {snap.label}", "Finalize", blocks, {"decision_id": snap.id}
    )


def build_andon_modal(snap: DecisionSnapshot) -> dict[str, Any]:
    blocks = [
        context(
            f"Pulling the cord halts *{snap.label}* and notifies its owner "
            f"{mention(snap.decision.owner_id)} at once."
        ),
        _text_input("reason", "What is wrong?", max_length=2000),
    ]
    return _modal(ANDON_VIEW, "Pull the Andon cord", "Halt", blocks, {"decision_id": snap.id})


def build_amend_modal(snap: DecisionSnapshot) -> dict[str, Any]:
    blocks = [
        _text_input(
            "final_text",
            "The amended decision",
            initial=snap.decision.final_text or snap.decision.proposal,
        )
    ]
    return _modal(AMEND_VIEW, f"Amend {snap.label}", "Amend", blocks, {"decision_id": snap.id})
