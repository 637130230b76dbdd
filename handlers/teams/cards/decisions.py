"""Adaptive Cards of the decision views: the same words and button titles as on Slack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    Resolution,
    VotingOver,
)
from bot.vocabulary import DecisionStatus, Stance
from handlers.teams.cards import (
    MESSAGE_BYTES,
    Card,
    block,
    card,
    continues,
    counts_parts,
    day,
    dialog,
    execute,
    fit,
    mention,
    packed,
    renders,
    size,
    user,
    when,
)

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
# Verbs of the buttons (Action.Execute verbs, or `verb` in a dialog button's data).
AGREE, FINALIZE, COMMIT, PULL_ANDON, PROPOSE = "agree", "finalize", "commit", "andon", "propose"
# Voters named per choice on a card (each a mention); more are counted.
MAX_NAMED = 20


def _door(door: str) -> str:
    return "One-way door (hard to reverse)" if door == "one-way" else "Two-way door (reversible)"


def _confidence(c: DecisionCard) -> str:
    return f"{c.confidence}% ({c.confidence_note})" if c.confidence_note else f"{c.confidence}%"


def _facts(c: DecisionCard) -> dict[str, Any]:
    facts = [
        {"title": "Owner", "value": mention(c.owner_id)},
        {"title": "Information confidence", "value": _confidence(c)},
        {"title": "Door", "value": _door(c.door)},
        {"title": "Review", "value": day(c.review_on)},
    ]
    if c.narrative_title:
        facts.append({"title": "Narrative", "value": fit(user(c.narrative_title), 200)})
    return {"type": "FactSet", "facts": facts}


def _tally(c: DecisionCard, *, names: bool) -> str:
    lines = []
    for choice in STANCES:
        voters = c.voters(choice)
        line = f"**{CHOICE_LABELS[choice]}:** {len(voters)}"
        if names and voters:
            line += " — " + ", ".join(mention(v) for v in voters[:MAX_NAMED])
            if len(voters) > MAX_NAMED:
                line += f" and {len(voters) - MAX_NAMED} more"
        lines.append(line)
    return "\n\n".join(lines)


def _quote(text: str) -> dict[str, Any]:
    return block(user(text), style="default", spacing="small")


@renders(Poll)
def poll_card(view: Poll) -> Card:
    c = view.card
    notes = [f"Proposed by {mention(c.proposed_by)}"]
    if c.closes_at is not None:
        notes.append(f"voting until {when(c.closes_at)}")
    if c.anonymous:
        notes.append("names are shown when the owner finalizes")
    notes.append("disagreeing asks for your reason")
    return card(
        [
            block(f"**{c.label} — proposal**", size="medium"),
            _quote(c.proposal),
            _facts(c),
            block(_tally(c, names=not c.anonymous)),
            block(" · ".join(notes), isSubtle=True, size="small"),
        ],
        [
            execute(CHOICE_LABELS[Stance.AGREE], AGREE, c.id, style="positive"),
            dialog(CHOICE_LABELS[Stance.DISAGREE_COMMIT], Stance.DISAGREE_COMMIT, c.id),
            dialog(CHOICE_LABELS[Stance.DISAGREE], Stance.DISAGREE, c.id),
            dialog("Finalize", FINALIZE, c.id),
        ],
    )


def _dissent_line(b: Ballot) -> str:
    reason = f": “{user(b.reason)}”" if b.reason else ""
    if b.choice == Stance.DISAGREE_COMMIT:
        state = "committed"
    elif b.committed_at is not None:
        state = f"disagreed and committed {when(b.committed_at)}"
    else:
        state = "not committed"
    return f"- {mention(b.user_id)} — **{CHOICE_LABELS[b.choice]}** ({state}){reason}"


def _title(c: DecisionCard) -> str:
    replaced = f" (replaced by {c.replaced_by_label})" if c.replaced_by_label else ""
    if c.status == DecisionStatus.HALTED:
        return f"**Decision {c.label} — halted**"
    if c.status in (DecisionStatus.REVERSED, DecisionStatus.AMENDED, DecisionStatus.SUPERSEDED):
        return f"**Decision {c.label} — {c.status}{replaced}**"
    return f"**Decision {c.label}**"


def _resolve_buttons(c: DecisionCard) -> list[dict[str, Any]]:
    return [
        execute("Resume", Resolution.RESUME, c.id, style="positive"),
        dialog("Amend", Resolution.AMEND, c.id),
        execute("Reverse", Resolution.REVERSE, c.id, style="destructive"),
    ]


def _record_head(c: DecisionCard) -> list[dict[str, Any]]:
    body = [block(_title(c), size="medium"), _quote(c.wording)]
    if c.final_text and c.final_text.strip() != c.proposal.strip():
        body.append(block(f"Proposed as: {user(c.proposal)}", isSubtle=True, size="small"))
    body.append(_facts(c))
    if c.decided_at:
        body.append(block(f"Decided: {when(c.decided_at)}", isSubtle=True, size="small"))
    return body


def _record_tail(c: DecisionCard) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The votes, the Andon cord and the buttons: what follows the dissent."""
    body = [block("**Votes**\n\n" + _tally(c, names=True))]
    actions: list[dict[str, Any]] = []
    pull = c.andon
    if pull is not None and pull.is_open:
        body.append(
            block(
                f"**Halted:** {mention(pull.user_id)} pulled the Andon cord "
                f"{when(pull.pulled_at)}: “{user(pull.reason)}”\n\nWaiting for "
                f"{mention(c.owner_id)} to resume, amend or reverse it.",
                color="attention",
            )
        )
        actions += _resolve_buttons(c)
    elif pull is not None:
        word = RESOLUTION_WORDS.get(pull.resolution or "", "resolved")  # type: ignore[call-overload]
        by = mention(pull.resolved_by) if pull.resolved_by else "the owner"
        body.append(
            block(
                f"Andon cord pulled by {mention(pull.user_id)} {when(pull.pulled_at)}: "
                f"“{user(pull.reason)}” — {word} by {by}",
                isSubtle=True,
                size="small",
            )
        )
    if c.status in IN_FORCE:
        actions.append(dialog("Pull the Andon cord", PULL_ANDON, c.id))
    return body, actions


def _dissents(c: DecisionCard) -> list[Ballot]:
    return sorted(c.dissents, key=lambda b: b.cast_at)


def _fitting_dissent(c: DecisionCard) -> tuple[list[dict[str, Any]], bool]:
    """The dissent as the record card shows it, and whether every reason is on it. The card is
    updated in place (it must stay one message): when every dissent does not fit, it shows
    how many there are and the latest that fit; the whole follows in the thread."""
    dissents = _dissents(c)
    if not dissents:
        return [block("**Dissent:** none")], True
    lines = [block(_dissent_line(b)) for b in dissents]
    head, tail = _record_head(c), _record_tail(c)
    room = MESSAGE_BYTES - size(head) - size(tail[0]) - size(tail[1])
    everything = [block("**Dissent**"), *lines]
    if size(everything) <= room:
        return everything, True
    committed = sum(1 for b in dissents if b.choice == Stance.DISAGREE_COMMIT or b.committed_at)
    heading = block(
        f"**Dissent:** {len(dissents)} ({committed} committed). Every reason is in this "
        f"thread, and `decisions {c.label}` shows the full record. The latest:"
    )
    shown: list[dict[str, Any]] = []
    for line in reversed(lines):
        if size([heading, line, *shown]) > room:
            break
        shown.insert(0, line)
    return [heading, *shown], False


@renders(Record)
def record_card(view: Record) -> Card:
    c = view.card
    dissent, _ = _fitting_dissent(c)
    tail, actions = _record_tail(c)
    return card([*_record_head(c), *dissent, *tail], actions)


def _record_rest(c: DecisionCard) -> list[list[dict[str, Any]]]:
    """Every dissent with its reason, in the order cast, in messages after the record card
    (none when the card holds them all). Stances only: whether each dissenter has committed
    since is on the card, which is kept up to date."""
    if _fitting_dissent(c)[1]:
        return []
    lines = []
    for b in _dissents(c):
        reason = f": “{user(b.reason)}”" if b.reason else ""
        lines.append([block(f"- {mention(b.user_id)} — **{CHOICE_LABELS[b.choice]}**{reason}")])
    return packed(lines, MESSAGE_BYTES - 1000)


@counts_parts(Record)
def record_parts(view: Record) -> int:
    return 1 + len(_record_rest(view.card))


@continues(Record)
def record_part_card(view: Record, index: int, count: int) -> Card:
    c = view.card
    note = block(
        f"**Decision {c.label} — dissent with every reason** ({index - 1} of {count - 1})",
        isSubtle=True,
        size="small",
    )
    return card([note, *_record_rest(c)[index - 2]])


def _link(c: DecisionCard) -> str:
    return f" ([see the thread]({c.permalink}))" if c.permalink else ""


@renders(CommitRequest)
def commit_request_card(view: CommitRequest) -> Card:
    c = view.card
    return card(
        [
            block(f"{mention(c.owner_id)} finalized **{c.label}**{_link(c)}:"),
            _quote(c.wording),
            block(
                "You voted **Disagree**; your reason is on the record. If you will support the "
                "decision anyway, say so:"
            ),
        ],
        [execute("I disagree and commit", COMMIT, c.id, style="positive")],
    )


@renders(Committed)
def committed_card(view: Committed) -> Card:
    c = view.card
    return card(
        [
            block(f"**{c.label}**{_link(c)}:"),
            _quote(c.wording),
            block(
                f"You disagreed and committed {when(view.committed_at)}. "
                "Thank you; it is on the record."
            ),
        ]
    )


@renders(AndonAlert)
def andon_alert_card(view: AndonAlert) -> Card:
    c = view.card
    pull = c.andon
    who = mention(pull.user_id) if pull else "Someone"
    reason = f"“{user(pull.reason)}”" if pull else ""
    return card(
        [
            block(f"{who} pulled the Andon cord on **{c.label}**{_link(c)}: {reason}"),
            block("The decision is halted until you resume, amend or reverse it."),
            _quote(c.wording),
        ],
        _resolve_buttons(c),
    )


@renders(AndonResolved)
def andon_resolved_card(view: AndonResolved) -> Card:
    c = view.card
    pull = c.andon
    word = RESOLUTION_WORDS.get(pull.resolution or "", "resolved") if pull else "resolved"  # type: ignore[call-overload]
    by = mention(pull.resolved_by) if pull and pull.resolved_by else "The owner"
    body = [block(f"{by} {word} **{c.label}** after the Andon cord was pulled.")]
    if pull and pull.resolution == Resolution.AMEND:
        body.append(_quote(c.final_text or ""))
    return card(body)


@renders(VotingOver)
def voting_over_card(view: VotingOver) -> Card:
    c = view.card
    return card(
        [
            block(
                f"Voting time for **{c.label}**{_link(c)} is over. The decision is yours: "
                "finalize it in your own words."
            ),
            _quote(c.proposal),
            block(_tally(c, names=False)),
        ],
        [dialog("Finalize", FINALIZE, c.id)],
    )


@renders(PollUnconfirmed)
def poll_unconfirmed_card(_: PollUnconfirmed) -> Card:
    return card(
        [
            block(
                "Teams is slow to confirm your poll. I will check in a minute and post it if it "
                "is missing; there is no need to propose it again."
            )
        ]
    )


@renders(PollNotPosted)
def poll_not_posted_card(view: PollNotPosted) -> Card:
    what = "your poll" if view.yours else "the poll"
    return card(
        [
            block(
                f"I could not post {what} in that conversation ({view.reason}). Make sure "
                "Narrative is added to the team or chat, and try again.",
                color="warning",
            )
        ]
    )


# --- dialogs -----------------------------------------------------------------------------------


def _input(
    field: str,
    label: str,
    *,
    value: str = "",
    limit: int = 3000,
    multiline: bool = True,
    placeholder: str = "",
    error: str | None = None,
    required: bool = True,
) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = [
        {
            "type": "Input.Text",
            "id": field,
            "label": label,
            "value": value,
            "maxLength": limit,
            "isMultiline": multiline,
            "placeholder": placeholder,
            "isRequired": required,
        }
    ]
    if error:
        made.append(block(user(error), color="attention", id=f"{field}_error"))
    return made


def _submit(title: str, verb: str, decision: int | None, **more: Any) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"verb": verb, "decision": decision, **more},
    }


@renders(ProposeForm)
def propose_dialog(form: ProposeForm, errors: dict[str, str] | None = None) -> Card:
    errors = errors or {}
    body: list[dict[str, Any]] = []
    if form.narrative_title:
        body.append(block(f"About the narrative **{user(form.narrative_title)}**"))
    body += _input(
        "proposal",
        "Proposal",
        limit=form.max_text,
        placeholder="We launch the new pricing in March",
        error=errors.get("proposal"),
    )
    body += _input(
        "confidence",
        "Information confidence (%)",
        value=str(form.confidence),
        limit=4,
        multiline=False,
        error=errors.get("confidence"),
        required=False,
    )
    body.append(
        {
            "type": "Input.ChoiceSet",
            "id": "door",
            "label": "Door",
            "value": "two-way",
            "choices": [
                {"title": "One-way door: hard to reverse", "value": "one-way"},
                {"title": "Two-way door: reversible", "value": "two-way"},
            ],
        }
    )
    body += _input(
        "review",
        "Review date (YYYY-MM-DD or 90d)",
        limit=20,
        multiline=False,
        error=errors.get("review"),
        required=False,
    )
    body += _input(
        "closes",
        "Voting time (e.g. 2d)",
        limit=form.max_closes,
        multiline=False,
        error=errors.get("closes"),
        required=False,
    )
    body.append(
        {
            "type": "Input.Toggle",
            "id": "anonymous",
            "title": "Anonymous until the owner finalizes",
            "value": "false",
        }
    )
    return card(
        body,
        [_submit("Post the poll", PROPOSE, None, place=form.place, narrative=form.narrative_id)],
    )


@renders(ReasonForm)
def reason_dialog(form: ReasonForm, errors: dict[str, str] | None = None) -> Card:
    c = form.card
    return card(
        [
            block(f"**{c.label}**"),
            _quote(c.proposal),
            *_input(
                "reason",
                "Why do you disagree?",
                limit=form.max_reason,
                placeholder="Your reason is recorded with the decision.",
                error=(errors or {}).get("reason"),
            ),
        ],
        [_submit("Vote", str(form.choice), c.id)],
    )


@renders(FinalizeForm)
def finalize_dialog(form: FinalizeForm, errors: dict[str, str] | None = None) -> Card:
    c = form.card
    return card(
        [
            *_input(
                "final_text",
                "The decision, in your words",
                value=c.proposal,
                limit=form.max_text,
                error=(errors or {}).get("final_text"),
            ),
            block(
                "The vote informs you; you decide. Dissent stays on the record beside this.",
                isSubtle=True,
                size="small",
            ),
        ],
        [_submit("Finalize", FINALIZE, c.id)],
    )


@renders(AndonForm)
def andon_dialog(form: AndonForm, errors: dict[str, str] | None = None) -> Card:
    c = form.card
    return card(
        [
            block(f"Pulling the cord halts **{c.label}** and notifies its owner."),
            *_input(
                "reason",
                "What is wrong?",
                limit=form.max_reason,
                error=(errors or {}).get("reason"),
            ),
        ],
        [_submit("Halt", PULL_ANDON, c.id)],
    )


@renders(AmendForm)
def amend_dialog(form: AmendForm, errors: dict[str, str] | None = None) -> Card:
    c = form.card
    return card(
        [
            *_input(
                "final_text",
                "The amended decision",
                value=c.wording,
                limit=form.max_text,
                error=(errors or {}).get("final_text"),
            )
        ],
        [_submit("Amend", Resolution.AMEND, c.id)],
    )


DIALOG_TITLES = {
    ProposeForm: "Propose a decision",
    ReasonForm: "Why do you disagree?",
    FinalizeForm: "Finalize",
    AndonForm: "Pull the Andon cord",
    AmendForm: "Amend",
}


@dataclass(frozen=True)
class FormButton:
    """Teams only: a card whose button opens `form` as a dialog (a typed `decide` cannot open
    a dialog by itself; only a click can)."""

    form: object


@renders(FormButton)
def form_button_card(view: FormButton) -> Card:
    if isinstance(view.form, ProposeForm):
        return card(
            [block("Propose a decision: the form has every option.")],
            [dialog("Propose a decision", PROPOSE, None, place=view.form.place)],
        )
    return card([block("Open the form.")])


# Dialog cards that can show a submitted form's errors beside its fields.
RENDERERS_WITH_ERRORS: dict[type, Callable[[Any, dict[str, str]], Card]] = {
    ProposeForm: propose_dialog,
    ReasonForm: reason_dialog,
    FinalizeForm: finalize_dialog,
    AndonForm: andon_dialog,
    AmendForm: amend_dialog,
}
