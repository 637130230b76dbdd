"""The neutral views as HTML for the playground's page: pure functions, one per view type,
registered with `renders` (as the Block Kit ones are for Slack).

User text is always escaped (`esc`). Buttons carry `data-act` (what the page posts to
`/api/action`) and `data-arg` (the decision, narrative, review or round id); forms carry
`data-form` (what `/api/form` submits) and name their fields as the core does.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from bot.durations import format_duration
from bot.views import Code, Link, Notice, Person, Place, Strong, Text, Tone
from bot.views import decision_log as log_views
from bot.views import decisions as decision_views
from bot.views import narratives as narrative_views
from bot.views import reflections as reflection_views
from bot.views import reviews as review_views
from bot.vocabulary import EndReason, ReviewAnswer, Stance
from handlers.playground.platform import BY_ID, CHANNELS, FileLink

V = TypeVar("V")
Renderer = Callable[[Any], str]
RENDERERS: dict[type, Renderer] = {}

STANCE_WORDS = {
    Stance.AGREE: "Agree",
    Stance.DISAGREE_COMMIT: "Disagree, but commit",
    Stance.DISAGREE: "Disagree",
}
OUTCOME_WORDS = {
    ReviewAnswer.KEEP: "kept",
    ReviewAnswer.AMEND: "amended",
    ReviewAnswer.REVERSE: "reversed",
    ReviewAnswer.SNOOZE: "snoozed",
}
END_WORDS = {
    EndReason.TIME: "reading time is over",
    EndReason.ALL_DONE: "every expected reader is done",
    EndReason.OWNER: "ended early by its owner",
    EndReason.NOT_POSTED: "it could not be posted",
}


def renders(view_type: type[V]) -> Callable[[Callable[[V], str]], Callable[[V], str]]:
    """Register the HTML renderer of `view_type` (a decorator)."""

    def register(fn: Callable[[V], str]) -> Callable[[V], str]:
        RENDERERS[view_type] = fn
        return fn

    return register


def render(view: object) -> str:
    """HTML for `view`; a view without a renderer of its own shows its fields, escaped."""
    for cls in type(view).__mro__:
        if cls in RENDERERS:
            return RENDERERS[cls](view)
    return _fields(view)


# --- pieces ---------------------------------------------------------------------------------


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def who(person: str | None) -> str:
    if person is None:
        return "someone"
    found = BY_ID.get(person)
    return f'<span class="mention">@{esc(found.name if found else person)}</span>'


def where(place: str | None) -> str:
    if place is None:
        return "the workspace"
    return f'<span class="mention">#{esc(CHANNELS.get(place, place))}</span>'


def when(at: datetime | date | None) -> str:
    if at is None:
        return "—"
    if isinstance(at, datetime):
        return esc(at.strftime("%a %-d %b %Y %H:%M UTC"))
    return esc(at.strftime("%a %-d %b %Y"))


def rich(parts: Text) -> str:
    """Neutral text as HTML: words escaped, people and places as mentions."""
    out: list[str] = []
    for p in parts:
        if isinstance(p, str):
            out.append(esc(p))
        elif isinstance(p, Person):
            out.append(who(p.id))
        elif isinstance(p, Place):
            out.append(where(p.id))
        elif isinstance(p, Strong):
            out.append(f"<strong>{esc(p.text)}</strong>")
        elif isinstance(p, Code):
            out.append(f"<code>{esc(p.text)}</code>")
        elif isinstance(p, Link):
            out.append(link(p.url, p.label))
    return "".join(out)


def link(url: str, label: str) -> str:
    safe = url if url.startswith(("http://", "https://", "#")) else "#"
    return f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'


def para(text: str) -> str:
    """User text as paragraphs, line breaks kept."""
    return "<br>".join(esc(line) for line in text.splitlines()) if text else ""


def button(label: str, act: str, arg: object = "", *, style: str = "", **extra: object) -> str:
    data = "".join(f' data-{k}="{esc(v)}"' for k, v in extra.items())
    cls = f"btn {style}".strip()
    return (
        f'<button type="button" class="{cls}" data-act="{esc(act)}" data-arg="{esc(arg)}"{data}>'
        f"{esc(label)}</button>"
    )


def buttons(*items: str) -> str:
    return f'<div class="actions">{"".join(items)}</div>'


def card(kind: str, title: str, *body: str) -> str:
    inner = "".join(b for b in body if b)
    return f'<div class="card {kind}"><div class="card-title">{title}</div>{inner}</div>'


def people(ids: Iterable[str]) -> str:
    listed = [who(i) for i in ids]
    return ", ".join(listed) if listed else "nobody yet"


def facts(*pairs: tuple[str, str]) -> str:
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="facts">{rows}</dl>'


def field_error(name: str) -> str:
    return f'<p class="err" data-for="{esc(name)}"></p>'


def textarea(name: str, label: str, value: str = "", *, limit: int = 3000, rows: int = 3) -> str:
    return (
        f'<label>{esc(label)}<textarea name="{esc(name)}" rows="{rows}" maxlength="{limit}">'
        f"{esc(value)}</textarea></label>{field_error(name)}"
    )


def textbox(name: str, label: str, value: str = "", *, kind: str = "text") -> str:
    return (
        f'<label>{esc(label)}<input type="{kind}" name="{esc(name)}" value="{esc(value)}">'
        f"</label>{field_error(name)}"
    )


def select(name: str, label: str, options: Iterable[tuple[str, str]], chosen: str = "") -> str:
    opts = "".join(
        f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}</option>'
        for v, t in options
    )
    return (
        f'<label>{esc(label)}<select name="{esc(name)}">{opts}</select></label>{field_error(name)}'
    )


def form(kind: str, arg: object, title: str, submit: str, *inputs: str) -> str:
    return (
        f'<form class="pg-form" data-form="{esc(kind)}" data-arg="{esc(arg)}">'
        f"<h3>{title}</h3>{''.join(inputs)}{field_error('_')}"
        f'<div class="actions"><button type="submit" class="btn primary">{esc(submit)}</button>'
        '<button type="button" class="btn" data-close="1">Cancel</button></div></form>'
    )


def person_options(blank: str = "") -> list[tuple[str, str]]:
    found = [(p.id, p.name) for p in BY_ID.values()]
    return [("", blank), *found] if blank else found


def _fields(view: object) -> str:
    if not is_dataclass(view):
        return f"<div class='card'>{esc(view)}</div>"
    rows = "".join(
        f"<dt>{esc(f.name)}</dt><dd>{esc(getattr(view, f.name))}</dd>" for f in fields(view)
    )
    return card("generic", esc(type(view).__name__), f'<dl class="facts">{rows}</dl>')


# --- notices ----------------------------------------------------------------------------------


@renders(Notice)
def render_notice(n: Notice) -> str:
    mark = {Tone.INFO: "", Tone.SUCCESS: "✅ ", Tone.WARNING: "⚠️ "}[n.tone]
    return f'<div class="notice {esc(n.tone)}">{mark}{rich(n.body)}</div>'


@renders(FileLink)
def render_file(f: FileLink) -> str:
    comment = render(f.comment) if f.comment is not None else ""
    return card(
        "file",
        f"📎 {esc(f.title)}",
        comment,
        f'<a class="download" href="/files/{f.file_id}" download="{esc(f.filename)}">'
        f"Download {esc(f.filename)}</a>",
    )


@dataclass(frozen=True)
class Usage:
    """A command's usage or error as Slack words it (`*bold*`, `code`), shown privately."""

    text: str


def usage(text: str) -> Usage:
    return Usage(text)


_BOLD = re.compile(r"\*([^*\n]+)\*")
_CODE = re.compile(r"`([^`\n]+)`")
_EMOJI = {":warning:": "⚠️", ":white_check_mark:": "✅"}


@renders(Usage)
def render_usage(u: Usage) -> str:
    """Slack's usage text as HTML: escaped first, then its bold and code marks."""
    out = esc(u.text)
    for code, emoji in _EMOJI.items():
        out = out.replace(code, emoji)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return f"<div class='notice usage'>{out.replace(chr(10), '<br>')}</div>"


@dataclass(frozen=True)
class EditForm:
    """A person rewriting their own message (a question, a reflection answer)."""

    message_id: str
    text: str


@renders(EditForm)
def render_edit_form(f: EditForm) -> str:
    return form(
        "edit",
        f.message_id,
        "Edit your message",
        "Save",
        "<p class='hint'>A question keeps its place in the digest; an answer is updated.</p>",
        textarea("text", "Message", f.text),
    )


# --- narratives -------------------------------------------------------------------------------


def _progress(p: narrative_views.ReadingProgress) -> str:
    if not p.expected:
        return f"<p class='progress'>{len(p.done)} done reading</p>"
    others = f" (+{p.others_done} more)" if p.others_done else ""
    return (
        f"<p class='progress'>Done: {people(p.expected_done)}{others} · "
        f"still reading: {people(p.still_reading)}</p>"
    )


@renders(narrative_views.NarrativeCard)
def render_narrative(c: narrative_views.NarrativeCard) -> str:
    head = f"📖 {esc(c.title)}" + (f" · {link(c.link, 'open the narrative')}" if c.link else "")
    meta = f"<p>By {who(c.owner)} · {esc(c.kind)} · {esc(format_duration(c.reading_time))}"
    if c.reading:
        meta += f" · reading ends {when(c.ends_at)}</p>"
        actions = buttons(
            button("I'm done reading", "done_reading", c.narrative_id, style="primary"),
            button("Ask privately", "ask_privately", c.narrative_id),
            button("End reading now", "end_reading", c.narrative_id, style="danger"),
        )
        hint = (
            "<p class='hint'>Reply in the thread to ask a question; 👍 a question to rank it.</p>"
        )
    else:
        why = END_WORDS.get(c.end_reason, "") if c.end_reason else ""
        meta += f" · reading ended {when(c.ended_at)} ({esc(why)})</p>"
        actions = hint = ""
    body = f"<blockquote>{para(c.body)}</blockquote>" if c.body else ""
    return card("narrative", head, meta, body, _progress(c.progress), hint, actions)


@renders(narrative_views.BodyPart)
def render_body_part(p: narrative_views.BodyPart) -> str:
    return card("narrative", f"{esc(p.card.title)} (continued {p.index}/{p.count})")


def _digest(d: narrative_views.Digest, head: str) -> str:
    if d.questions:
        items = "".join(
            f"<li><span class='q'>{para(q.text)}</span> — "
            f"{who(q.author) if q.author else '<em>asked privately</em>'}"
            f"{f' · 👍 {q.upvotes}' if q.upvotes else ''}</li>"
            for q in d.questions
        )
        listing = f"<ol class='digest'>{items}</ol>"
    else:
        listing = "<p>No questions were asked.</p>"
    return card(
        "digest",
        head,
        _progress(d.progress),
        listing,
        buttons(button("Propose a decision", "propose_about", d.narrative_id)),
    )


@renders(narrative_views.Digest)
def render_digest(d: narrative_views.Digest) -> str:
    return _digest(d, f"❓ Questions on {esc(d.title)}")


@renders(narrative_views.DigestPart)
def render_digest_part(p: narrative_views.DigestPart) -> str:
    part = f" ({p.index}/{p.count})" if p.count > 1 else ""
    return _digest(p.digest, f"❓ Questions on {esc(p.digest.title)}{part}")


@renders(narrative_views.ReadingStatus)
def render_reading_status(s: narrative_views.ReadingStatus) -> str:
    if not s.periods:
        return render_notice(narrative_views.NOTHING_IN_PROGRESS)
    items = "".join(
        f"<li>{esc(c.title)} by {who(c.owner)}, ends {when(c.ends_at)}</li>" for c in s.periods
    )
    return f"<div class='notice'>Reading in progress:<ul>{items}</ul></div>"


@renders(narrative_views.NarrativeCheck)
def render_check(c: narrative_views.NarrativeCheck) -> str:
    notes = "".join(f"<li>{esc(n)}</li>" for n in c.notes)
    return (
        f"<div class='notice'>Your narrative: {c.words} words, about {c.minutes} min to read "
        f"({c.reading_minutes} min given).<ul>{notes}</ul></div>"
    )


@renders(narrative_views.NarrativeNotPosted)
def render_narrative_not_posted(n: narrative_views.NarrativeNotPosted) -> str:
    return f"<div class='notice warning'>⚠️ The narrative could not be posted in {where(n.place)} ({esc(n.reason)}).</div>"


@renders(narrative_views.StartForm)
def render_start_form(f: narrative_views.StartForm) -> str:
    return form(
        "start",
        f.place,
        "Start a silent reading",
        "Start reading",
        textbox("title", "Title"),
        textbox("link", "Link (optional)"),
        textarea("body", "Or paste the narrative", limit=f.body_hint_chars, rows=6),
        select("kind", "Kind", [(k.value, k.value) for k in f.kinds], f.default_kind.value),
        textbox("reading", "Reading time", f.default_reading),
        _checkboxes("readers", "Expected readers"),
    )


def _checkboxes(name: str, label: str) -> str:
    boxes = "".join(
        f'<label class="inline"><input type="checkbox" name="{esc(name)}" value="{esc(p.id)}">'
        f"{esc(p.name)}</label>"
        for p in BY_ID.values()
    )
    return f"<fieldset><legend>{esc(label)}</legend>{boxes}</fieldset>{field_error(name)}"


@renders(narrative_views.AskForm)
def render_ask_form(f: narrative_views.AskForm) -> str:
    return form(
        "ask",
        f.narrative_id,
        f"Ask privately about {esc(f.title)}",
        "Ask",
        "<p class='hint'>The digest shows your question without your name.</p>",
        textarea("question", "Your question", limit=f.question_chars),
    )


# --- decisions --------------------------------------------------------------------------------


def _decision_facts(c: decision_views.DecisionCard) -> str:
    note = f" ({esc(c.confidence_note)})" if c.confidence_note else ""
    return facts(
        ("Owner", who(c.owner_id)),
        ("Confidence", f"{c.confidence}%{note}"),
        ("Door", esc(c.door)),
        ("Review", when(c.review_on)),
        ("Voting closes", when(c.closes_at) if c.closes_at and c.is_voting else ""),
        ("About", esc(c.narrative_title) if c.narrative_title else ""),
    )


def _tally(c: decision_views.DecisionCard) -> str:
    rows = []
    for stance in decision_views.STANCES:
        voters = c.voters(stance)
        names = "" if c.anonymous else f": {people(voters)}" if voters else ""
        rows.append(f"<li>{esc(STANCE_WORDS[stance])} — {len(voters)}{names}</li>")
    return f"<ul class='tally'>{''.join(rows)}</ul>"


def _dissent(c: decision_views.DecisionCard) -> str:
    if not c.dissents or (c.anonymous and c.is_voting):
        return ""
    items = "".join(
        f"<li>{who(b.user_id)} ({esc(STANCE_WORDS[b.choice])}): “{para(b.reason or '')}”"
        f"{' · committed' if b.committed_at else ''}</li>"
        for b in c.dissents
    )
    return f"<div class='dissent'><strong>Dissent</strong><ul>{items}</ul></div>"


@renders(decision_views.Poll)
def render_poll(p: decision_views.Poll) -> str:
    c = p.card
    return card(
        "poll",
        f"🗳️ {esc(c.label)}: {esc(c.proposal)}",
        _decision_facts(c),
        _tally(c),
        _dissent(c),
        buttons(
            *(
                button(STANCE_WORDS[s], "vote", c.id, choice=s.value)
                for s in decision_views.STANCES
            ),
            button("Finalize", "finalize", c.id, style="primary"),
        ),
    )


def _andon(c: decision_views.DecisionCard) -> str:
    a = c.andon
    if a is None:
        return ""
    if a.is_open:
        return f"<p class='andon'>🚨 Halted by {who(a.user_id)}: “{para(a.reason)}”</p>"
    return (
        f"<p class='andon resolved'>Andon cord pulled by {who(a.user_id)} (“{para(a.reason)}”), "
        f"resolved by {who(a.resolved_by)}: {esc(a.resolution)}</p>"
    )


@renders(decision_views.Record)
def render_record(r: decision_views.Record) -> str:
    c = r.card
    was = (
        f"<p class='was'>Proposed as: {esc(c.proposal)}</p>"
        if c.final_text and c.final_text != c.proposal
        else ""
    )
    replaced = f"<p>Replaced by {esc(c.replaced_by_label)}</p>" if c.replaced_by_label else ""
    actions = (
        buttons(button("Pull the Andon cord", "andon", c.id, style="danger"))
        if c.status in decision_views.IN_FORCE
        else ""
    )
    return card(
        "record",
        f"✅ {esc(c.label)} ({esc(str(c.status).replace('_', ' '))}): {esc(c.wording)}",
        was,
        _decision_facts(c),
        _tally(c),
        _dissent(c),
        _andon(c),
        replaced,
        actions,
    )


@renders(decision_views.CommitRequest)
def render_commit_request(r: decision_views.CommitRequest) -> str:
    c = r.card
    return card(
        "commit",
        f"{esc(c.label)} is decided: {esc(c.wording)}",
        "<p>You disagreed. Will you commit to it?</p>",
        buttons(button("I disagree and commit", "commit", c.id, style="primary")),
    )


@renders(decision_views.Committed)
def render_committed(r: decision_views.Committed) -> str:
    return card(
        "commit",
        f"{esc(r.card.label)}: {esc(r.card.wording)}",
        f"<p>✅ You committed on {when(r.committed_at)}.</p>",
    )


@renders(decision_views.AndonAlert)
def render_andon_alert(a: decision_views.AndonAlert) -> str:
    c = a.card
    return card(
        "andon",
        f"🚨 The Andon cord was pulled on {esc(c.label)}",
        f"<p>{esc(c.wording)}</p>",
        _andon(c),
        buttons(
            button("Resume", "resolve", c.id, resolution="resume"),
            button("Amend", "resolve", c.id, resolution="amend"),
            button("Reverse", "resolve", c.id, resolution="reverse", style="danger"),
        ),
    )


@renders(decision_views.AndonResolved)
def render_andon_resolved(a: decision_views.AndonResolved) -> str:
    return card("andon", f"{esc(a.card.label)}: {esc(a.card.wording)}", _andon(a.card))


@renders(decision_views.VotingOver)
def render_voting_over(v: decision_views.VotingOver) -> str:
    c = v.card
    return card(
        "poll",
        f"⏰ Voting on {esc(c.label)} is over",
        f"<p>{esc(c.proposal)}</p>",
        _tally(c),
        buttons(button("Finalize", "finalize", c.id, style="primary")),
    )


@renders(decision_views.PollNotPosted)
def render_poll_not_posted(p: decision_views.PollNotPosted) -> str:
    return f"<div class='notice warning'>⚠️ The poll could not be posted in {where(p.place)} ({esc(p.reason)}).</div>"


@renders(decision_views.PollUnconfirmed)
def render_poll_unconfirmed(_p: decision_views.PollUnconfirmed) -> str:
    return "<div class='notice'>The poll is being posted.</div>"


@renders(decision_views.ProposeForm)
def render_propose_form(f: decision_views.ProposeForm) -> str:
    about = f"<p>About {esc(f.narrative_title)}</p>" if f.narrative_title else ""
    return form(
        "propose",
        f.narrative_id or "",
        "Propose a decision",
        "Post the poll",
        about,
        f'<input type="hidden" name="channel_id" value="{esc(f.place)}">',
        textarea("proposal", "Proposal", limit=f.max_text),
        select("owner", "Owner", person_options(), f.owner_id),
        textbox("confidence", "Confidence (%)", str(f.confidence)),
        select("door", "Door", [("two-way", "two-way"), ("one-way", "one-way")]),
        textbox("review", "Review on (optional)", kind="date"),
        textbox("closes", "Voting closes after (e.g. 2h, optional)"),
        '<label class="inline"><input type="checkbox" name="anonymous" value="anonymous">'
        "Anonymous until the owner finalizes</label>",
    )


@renders(decision_views.ReasonForm)
def render_reason_form(f: decision_views.ReasonForm) -> str:
    return form(
        "reason",
        f.card.id,
        f"{esc(STANCE_WORDS[Stance(f.choice)])} on {esc(f.card.label)}",
        "Vote",
        f'<input type="hidden" name="choice" value="{esc(f.choice)}">',
        f"<p>{esc(f.card.proposal)}</p>",
        textarea("reason", "Why? (the record keeps it beside the decision)", limit=f.max_reason),
    )


@renders(decision_views.FinalizeForm)
def render_finalize_form(f: decision_views.FinalizeForm) -> str:
    return form(
        "finalize",
        f.card.id,
        f"Finalize {esc(f.card.label)}",
        "Finalize",
        _tally(f.card),
        textarea("final_text", "The decision, in your words", f.card.proposal, limit=f.max_text),
    )


@renders(decision_views.AndonForm)
def render_andon_form(f: decision_views.AndonForm) -> str:
    return form(
        "andon",
        f.card.id,
        f"Pull the Andon cord on {esc(f.card.label)}",
        "Halt the decision",
        f"<p>{esc(f.card.wording)}</p>",
        textarea("reason", "What is wrong?", limit=f.max_reason),
    )


@renders(decision_views.AmendForm)
def render_amend_form(f: decision_views.AmendForm) -> str:
    return form(
        "amend",
        f.card.id,
        f"Amend {esc(f.card.label)}",
        "Amend",
        textarea("final_text", "The new wording", f.card.wording, limit=f.max_text),
    )


# --- the decision log -------------------------------------------------------------------------


def _entries(lines: log_views.PageLines) -> str:
    if not lines.entries:
        return "<p class='empty'>No decisions match.</p>"
    rows = "".join(
        f"<tr data-decision='{e.decision_id}'><td>{esc(e.label)}</td><td>{esc(e.text)}</td>"
        f"<td>{esc(str(e.status).replace('_', ' '))}</td><td>{e.confidence}%</td>"
        f"<td>{e.dissent_count}</td><td>{who(e.owner)}</td><td>{where(e.place)}</td>"
        f"<td class='{'overdue' if e.overdue else ''}'>{when(e.review_on.date())}</td>"
        f"<td>{button('Open', 'open_record', e.decision_id)}</td></tr>"
        for e in lines.entries
    )
    return (
        "<table class='log'><thead><tr><th>Id</th><th>Decision</th><th>Status</th>"
        "<th>Conf.</th><th>Dissent</th><th>Owner</th><th>Channel</th><th>Review</th><th></th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _pager(lines: log_views.PageLines, act: str, **extra: object) -> str:
    items = []
    if lines.has_previous:
        items.append(button("← Previous", act, lines.page - 1, **extra))
    items.append(f"<span class='page'>Page {lines.page + 1}</span>")
    if lines.has_next:
        items.append(button("Next →", act, lines.page + 1, **extra))
    return buttons(*items)


@renders(log_views.LogListView)
def render_list(v: log_views.LogListView) -> str:
    return card(
        "loglist",
        rich(v.title),
        _entries(v.lines),
        _pager(v.lines, "log_page", listing=v.listing, listarg=v.arg),
    )


@renders(log_views.MetricsView)
def render_metrics(m: log_views.MetricsView) -> str:
    median = f"{m.median_confidence:.0f}%" if m.median_confidence is not None else "—"
    tiles = (
        ("Decisions", str(m.decisions)),
        ("Reviews due", str(m.reviews_due)),
        ("Reviewed on time", str(m.reviews_on_time)),
        ("Median confidence", median),
        ("With dissent", str(m.with_dissent)),
        ("Reversed or amended", str(m.reversed_or_amended)),
        ("Readers done", f"{m.readers_done} of {m.readers_expected}"),
        ("Narratives", str(m.narratives)),
        ("Questions", str(m.questions)),
    )
    shown = "".join(
        f"<div class='metric'><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in tiles
    )
    bands = "".join(
        f"<tr><td>{esc(b.label)}</td><td>{b.kept}</td><td>{b.amended}</td><td>{b.reversed}</td></tr>"
        for b in m.bands
    )
    calibration = (
        "<table class='bands'><tr><th>Confidence</th><th>Kept</th><th>Amended</th>"
        f"<th>Reversed</th></tr>{bands}</table>"
        if bands
        else ""
    )
    owners = "".join(
        f"<li>{who(o.owner)}: {o.reviews} reviews, recorded {o.recorded_confidence:.0f}% vs "
        f"actual {o.actual_confidence:.0f}%</li>"
        for o in m.calibration
    )
    return card(
        "metrics",
        "📊 The last 30 days",
        f"<div class='metrics'>{shown}</div>",
        calibration,
        f"<ul>{owners}</ul>" if owners else "",
    )


def _vote_lines(votes: Iterable[log_views.VoteLine]) -> str:
    return "".join(
        f"<li>{who(v.person)} — {esc(STANCE_WORDS.get(Stance(v.stance), v.stance))}"
        f"{': “' + para(v.reason) + '”' if v.reason else ''}"
        f"{' · committed' if v.committed else ''} ({when(v.cast_at)})</li>"
        for v in votes
    )


@renders(log_views.RecordView)
def render_record_view(r: log_views.RecordView) -> str:
    tally = (
        "<ul>"
        + "".join(f"<li>{esc(STANCE_WORDS.get(Stance(s), s))}: {n}</li>" for s, n in r.tally)
        + "</ul>"
        if r.show_tally
        else ""
    )
    andon = "".join(
        f"<li>{who(a.person)} on {when(a.pulled_at)}: “{para(a.reason)}” — "
        f"{esc(a.resolution or 'open')}</li>"
        for a in r.andon
    )
    reviews = "".join(
        f"<li>due {when(v.due_at)}: {esc(OUTCOME_WORDS.get(ReviewAnswer(v.outcome), v.outcome) if v.outcome else 'not answered')}"
        f"{' by ' + who(v.answered_by) if v.answered_by else ''}"
        f"{f' · actual confidence {v.actual_confidence}%' if v.actual_confidence else ''}"
        f"{' · learned: “' + para(v.learned) + '”' if v.learned else ''}</li>"
        for v in r.reviews
    )
    history = "".join(
        f"<li>{when(h.at)} {esc(h.kind.replace('_', ' '))}"
        f"{' by ' + who(h.person) if h.person else ''}</li>"
        for h in r.history
    )
    return card(
        "recordview",
        f"{esc(r.label)} ({esc(str(r.status).replace('_', ' '))}): {esc(r.text)}",
        f"<p class='was'>Proposed as: {esc(r.proposal)}</p>" if r.proposal else "",
        facts(
            ("Owner", who(r.owner)),
            ("Confidence", f"{r.confidence}%"),
            ("Door", esc(r.door)),
            ("Channel", where(r.place) if r.place else ""),
            ("Created", when(r.created_at)),
            ("Decided", when(r.decided_at) if r.decided_at else ""),
            ("Review", when(r.review_on)),
            ("Replaces", esc(r.replaces) if r.replaces else ""),
            ("Replaced by", esc(r.replaced_by) if r.replaced_by else ""),
            ("Narrative", esc(r.narrative_title) if r.narrative_title else ""),
        ),
        tally,
        "<p><em>Votes are hidden until the owner finalizes.</em></p>" if r.voters_hidden else "",
        f"<h4>Dissent</h4><ul>{_vote_lines(r.dissent)}</ul>" if r.dissent else "",
        f"<h4>Changed votes</h4><ul>{_vote_lines(r.changed_votes)}</ul>" if r.changed_votes else "",
        f"<h4>Andon cord</h4><ul>{andon}</ul>" if andon else "",
        f"<h4>Reviews</h4><ul>{reviews}</ul>" if reviews else "",
        f"<h4>History</h4><ul class='history'>{history}</ul>" if history else "",
    )


@renders(log_views.HomeView)
def render_home(v: log_views.HomeView) -> str:
    f = v.filters
    total = (
        f"{log_views.HOME_COUNT_CAP:,}+" if v.total > log_views.HOME_COUNT_CAP else f"{v.total:,}"
    )
    filters = (
        "<form class='filters' data-filters='1'>"
        + select("c", "Channel", [("", "All channels"), *CHANNELS.items()], f.channel_id or "")
        + select("o", "Owner", person_options("Anyone"), f.owner_id or "")
        + select(
            "s",
            "Status",
            [
                ("", "Any status"),
                *((s.value, s.value.replace("_", " ")) for s in log_views.HOME_STATUSES),
            ],
            f.status or "",
        )
        + select(
            "d", "Review", [("", "Any time"), ("due", "Due or overdue")], "due" if f.due else ""
        )
        + "</form>"
    )
    return render_metrics(v.metrics) + card(
        "home",
        f"🗂️ Decision log · {total} decisions",
        filters,
        _entries(v.lines),
        _pager(v.lines, "home_page"),
        buttons(button("Export what is shown (.xlsx)", "home_export", "")),
    )


@renders(log_views.LoggedView)
def render_logged(v: log_views.LoggedView) -> str:
    return card(
        "record",
        f"📝 {esc(v.label)} recorded by {who(v.author)}: {esc(v.text)}",
        facts(
            ("Owner", who(v.owner)),
            ("Confidence", f"{v.confidence}%"),
            ("Door", esc(v.door)),
            ("Review", when(v.review_on)),
        ),
    )


@renders(log_views.LoggedReceipt)
def render_logged_receipt(r: log_views.LoggedReceipt) -> str:
    return (
        f"<div class='notice success'>✅ Recorded {esc(r.label)} ({r.confidence}%), "
        f"to be reviewed on {when(r.review_on)}.</div>"
    )


@renders(log_views.SupersededView)
def render_superseded(v: log_views.SupersededView) -> str:
    new = f": {esc(v.new_text)}" if v.new_text else ""
    return card(
        "record",
        f"{esc(v.older_label)} was superseded by {esc(v.new_label)}",
        f"<p>{who(v.author)} replaced “{esc(v.older_text)}” with {esc(v.new_label)}{new}.</p>",
    )


@renders(log_views.HomeUnavailable)
def render_home_unavailable(_v: log_views.HomeUnavailable) -> str:
    return "<p>The decision log is not available.</p>"


# --- reviews ----------------------------------------------------------------------------------


@renders(review_views.ReviewPromptView)
def render_review_prompt(v: review_views.ReviewPromptView) -> str:
    dissent = "".join(
        f"<li>{who(d.person)}{' (committed)' if d.committed else ''}: “{para(d.reason)}”</li>"
        for d in v.dissent
    )
    halted = (
        f"<p class='andon'>🚨 Halted by {who(v.halted.person)}: “{para(v.halted.reason)}”</p>"
        if v.halted
        else ""
    )
    return card(
        "review",
        f"🔁 {'Reminder: time' if v.reminder else 'Time'} to review {esc(v.label)}",
        f"<p>{esc(v.decision_text)}</p>",
        facts(
            ("Confidence then", f"{v.confidence}%"),
            ("Decided", when(v.decided_at) if v.decided_at else ""),
        ),
        f"<div class='dissent'><strong>Dissent</strong><ul>{dissent}</ul></div>" if dissent else "",
        halted,
        buttons(
            button("Keep", "review_keep", v.review_id, style="primary"),
            button("Amend", "review_amend", v.review_id),
            button("Reverse", "review_reverse", v.review_id, style="danger"),
            button("Snooze a week", "review_snooze", v.review_id, period="week"),
            button("Snooze a month", "review_snooze", v.review_id, period="month"),
        ),
    )


@renders(review_views.ReviewAnsweredView)
def render_review_answered(v: review_views.ReviewAnsweredView) -> str:
    return card(
        "review",
        f"{esc(v.label)} {esc(OUTCOME_WORDS[v.outcome])}",
        f"<p>{esc(v.decision_text)}</p>",
        f"<p>Next review {when(v.next_review_on)}</p>" if v.next_review_on else "",
        f"<p>Replaced by {esc(v.replaced_by)}</p>" if v.replaced_by else "",
        f"<p>Learned: “{para(v.learned)}”</p>" if v.learned else "",
    )


@renders(review_views.ReviewOutcomeView)
def render_review_outcome(v: review_views.ReviewOutcomeView) -> str:
    return card(
        "review",
        f"🔁 {esc(v.label)} was {esc(OUTCOME_WORDS[v.outcome])} by {who(v.by)}",
        f"<p>Now: {esc(v.replacement_label)}: {esc(v.replacement_text)}</p>"
        if v.replacement_label
        else "",
        f"<p>Learned: “{para(v.learned)}”</p>" if v.learned else "",
        f"<p>Next review {when(v.next_review_on)}</p>" if v.next_review_on else "",
    )


@renders(review_views.DissentRelevantView)
def render_dissent_relevant(v: review_views.DissentRelevantView) -> str:
    return card(
        "review",
        f"Your dissent on {esc(v.label)} mattered",
        f"<p>{who(v.owner)} {esc(OUTCOME_WORDS[v.outcome])} it"
        f"{' (now ' + esc(v.replaced_by) + ')' if v.replaced_by else ''}.</p>",
        f"<p>Learned: “{para(v.learned)}”</p>" if v.learned else "",
    )


def _confidence_options() -> list[tuple[str, str]]:
    """The information actually had, 10–100% in tens (as the Slack form offers)."""
    return [(str(n), f"{n}%") for n in range(10, 101, 10)]


@renders(review_views.KeepForm)
def render_keep_form(f: review_views.KeepForm) -> str:
    return form(
        "review_keep",
        f.review_id,
        f"Keep {esc(f.label)}",
        "Keep it",
        f"<p>{esc(f.decision_text)}</p>",
        f'<input type="hidden" name="tz" value="{esc(f.tz)}">',
        textbox("next_review", "Next review", f.next_review.isoformat(), kind="date"),
        select(
            "actual",
            "Information we actually had",
            _confidence_options(),
            str(round(f.confidence, -1)),
        ),
        textarea("learned", "What we learned (optional)", limit=f.text_limit),
    )


@renders(review_views.ChangeForm)
def render_change_form(f: review_views.ChangeForm) -> str:
    amend = f.outcome == ReviewAnswer.AMEND
    return form(
        "review_change",
        f.review_id,
        f"{'Amend' if amend else 'Reverse'} {esc(f.label)}",
        "Amend" if amend else "Reverse",
        f'<input type="hidden" name="outcome" value="{esc(f.outcome)}">',
        f"<p>{esc(f.decision_text)}</p>",
        textarea(
            "new_text",
            "The new wording" if amend else "What replaces it (optional)",
            f.decision_text if amend else "",
            limit=f.text_limit,
        ),
        textarea("learned", "What we learned", limit=f.text_limit),
        select("actual", "Information we actually had", _confidence_options(), "50"),
    )


# --- reflection -------------------------------------------------------------------------------


def _questions(qs: Iterable[str]) -> str:
    return "<ol class='questions'>" + "".join(f"<li>{esc(q)}</li>" for q in qs) + "</ol>"


@renders(reflection_views.RoundCard)
def render_round(c: reflection_views.RoundCard) -> str:
    late = f"<p>(scheduled for {when(c.scheduled_for)})</p>" if c.late and c.scheduled_for else ""
    return card(
        "round",
        "🪞 Reflection round",
        late,
        _questions(c.questions),
        f"<p>Answers are collected until {when(c.closes_at)}. Answer in the form or reply in "
        "the thread (start with the question's number).</p>",
        buttons(button("Answer", "answer_round", c.round_id, style="primary")),
    )


@renders(reflection_views.ClosedRoundCard)
def render_closed_round(c: reflection_views.ClosedRoundCard) -> str:
    return card(
        "round",
        "🪞 Reflection round (closed)",
        _questions(c.questions),
        f"<p>Closed {when(c.closes_at)} with {c.answer_count} answers; the digest is in the "
        "thread.</p>",
    )


@renders(reflection_views.DigestPart)
def render_round_digest(part: reflection_views.DigestPart) -> str:
    # A page has no length limit: the whole digest is one page.
    p = reflection_views.digest_pages(part.digest, lambda _page: True)[part.index - 1]
    head = ""
    if p.first:
        part = p.participation
        members = (
            f", {part.answered_members} of {part.member_count} members"
            if part.member_count is not None and part.answered_members is not None
            else ""
        )
        head = f"<p>{p.answer_count} answers from {part.authors} people{members}.</p>"
    sections = "".join(
        f"<h4>{f'{s.number}. ' if s.number else ''}{esc(s.question)}</h4><ul>"
        + "".join(f"<li>{who(a.person)}: {para(a.text)}</li>" for a in s.answers)
        + ("</ul>" if s.answers else "<li><em>No answers</em></li></ul>")
        for s in p.sections
    )
    return card("digest", "🪞 What the round said" if p.first else "(continued)", head, sections)


@renders(reflection_views.AnswersForm)
def render_answers_form(f: reflection_views.AnswersForm) -> str:
    return form(
        "answers",
        f.round_id,
        "Your reflection",
        "Save my answers",
        f"<p class='hint'>Every question is optional; closes {when(f.closes_at)}.</p>",
        *(
            textarea(a.name, f"{a.index + 1}. {a.question}", a.value, limit=a.max_chars, rows=2)
            for a in f.fields
        ),
    )


@renders(reflection_views.QuestionsForm)
def render_questions_form(f: reflection_views.QuestionsForm) -> str:
    return form(
        "questions",
        f.place,
        f"Reflection questions of {where(f.place)}",
        "Save the questions",
        f'<input type="hidden" name="meta" value="{esc(f.place)}">',
        textarea(
            reflection_views.QUESTIONS_FIELD,
            "One question a line",
            "\n".join(f.questions),
            limit=f.max_total_chars,
            rows=10,
        ),
        '<label class="inline"><input type="checkbox" name="reset" value="1">'
        "Reset to the standard questions</label>",
    )


@renders(reflection_views.ReflectionStatus)
def render_reflection_status(s: reflection_views.ReflectionStatus) -> str:
    schedule = (
        f"{esc(s.schedule)} ({esc(s.tz)}), next round {when(s.next_at)}"
        if s.schedule
        else "no schedule"
    )
    last = (
        f"last round {when(s.last_round_at)}: {s.last_round_answers} answers from "
        f"{s.last_round_people} people{' (still open)' if s.last_round_open else ''}"
        if s.last_round_at
        else "no round yet"
    )
    pick = f", {s.pick} asked per round" if s.pick else ""
    return (
        f"<div class='notice'>Reflection: {schedule}; {s.question_count} "
        f"{'custom' if s.custom_questions else 'standard'} questions{pick}; answers collected "
        f"for {esc(format_duration(s.collect))}; {last}.</div>"
    )


@renders(reflection_views.ScheduleSet)
def render_schedule_set(s: reflection_views.ScheduleSet) -> str:
    return (
        f"<div class='notice success'>✅ A reflection round {esc(s.schedule)} ({esc(s.tz)}); "
        f"the next one {when(s.next_at)}.</div>"
    )


@renders(reflection_views.ScheduleStopped)
def render_schedule_stopped(s: reflection_views.ScheduleStopped) -> str:
    said = "Scheduled rounds are stopped." if s.stopped else "There was no schedule."
    return f"<div class='notice'>{said}</div>"


@renders(reflection_views.PickSet)
def render_pick_set(p: reflection_views.PickSet) -> str:
    said = f"{p.pick} of the {p.question_count}" if p.pick else f"all {p.question_count}"
    return f"<div class='notice success'>✅ Each round asks {said} questions.</div>"


@renders(reflection_views.AnswersSaved)
def render_answers_saved(a: reflection_views.AnswersSaved) -> str:
    return (
        f"<div class='notice success'>✅ Saved: {a.answered} of {a.question_count} questions "
        f"answered. You can change them until {when(a.closes_at)}.</div>"
    )


@renders(reflection_views.QuestionsSaved)
def render_questions_saved(q: reflection_views.QuestionsSaved) -> str:
    said = f"{q.question_count} questions" if q.question_count else "the standard questions"
    return f"<div class='notice success'>✅ The channel now asks {said}.</div>"


@renders(reflection_views.RoundClosed)
def render_round_closed(_r: reflection_views.RoundClosed) -> str:
    return (
        "<div class='notice'>This reflection round has closed; answers are no longer taken.</div>"
    )


@renders(reflection_views.RoundUnconfirmed)
def render_round_unconfirmed(_r: reflection_views.RoundUnconfirmed) -> str:
    return "<div class='notice'>The reflection round is being posted.</div>"


@renders(reflection_views.RoundNotPosted)
def render_round_not_posted(r: reflection_views.RoundNotPosted) -> str:
    return f"<div class='notice warning'>⚠️ The round could not be posted ({esc(r.reason)}).</div>"


@renders(reflection_views.Refused)
def render_refused(r: reflection_views.Refused) -> str:
    return f"<div class='notice warning'>⚠️ {esc(r.reason)}</div>"


@renders(reflection_views.Problem)
def render_problem(p: reflection_views.Problem) -> str:
    return f"<div class='notice warning'>⚠️ {esc(p.reason)}</div>"
