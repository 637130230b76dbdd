"""The Excel export of the decision log: one workbook, written in streaming (write-only) mode.

Sheets: Decisions, Votes, Reviews, Questions, Reflections. Each has a bold frozen header, an
auto-filter, set column widths, wrapped long text, real Excel dates (converted to one time
zone, named in the header) and links to the Slack threads.

Text from users is always stored as a text cell: a value such as `=HYPERLINK(...)` never
becomes a formula (formula injection), whatever character it starts with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.engine import Engine

from storage import decision_log as log_rows
from storage.db import read_scope
from storage.decision_log import LogQuery
from storage.decisions import decision_label
from storage.models import AndonPull, Decision, Review, Vote

SHEETS = ("Decisions", "Votes", "Reviews", "Questions", "Reflections")
# openpyxl keeps every hyperlink of a sheet in memory until the workbook is saved (about 1 KB
# each, more while saving), so only this many rows get a native hyperlink; later rows get an
# equally clickable HYPERLINK formula, which is written out with its row and keeps memory flat.
LINK_LIMIT = 5_000
# Excel refuses a HYPERLINK formula whose address is longer than this.
FORMULA_LINK_MAX = 255
# The most characters an Excel cell holds (openpyxl cuts longer text there too).
CELL_TEXT_MAX = 32_767
CHOICE_NAMES = {"agree": "Agree", "disagree_commit": "Disagree, but commit", "disagree": "Disagree"}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class ExportSummary:
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    kind: str = "plain"  # plain | text (user text, wrapped) | date | link


class _Sheet:
    """A write-only sheet that knows how to store each column's kind of value.

    Rows are turned into cells here rather than by openpyxl's generic `_values_to_row`: the
    column kinds are known, so each value's cell type and style are set directly on one reused
    cell (openpyxl infers the type of every value and re-checks every string, and a styled cell
    handed to it costs an exception), which keeps a large export close to plain openpyxl speed.
    """

    def __init__(self, ws: WriteOnlyWorksheet, columns: list[_Column], tz_name: str) -> None:
        self.ws = ws
        self.columns = columns
        self.rows = 0
        self.links = 0
        # Styles are made once and shared by every cell of their kind (openpyxl only reads a
        # cell's style array when writing it).
        self._plain_style = StyleArray()
        self._wrap_style = _style_of(ws, alignment=_WRAP)
        self._link_style = _style_of(ws, style="Hyperlink")
        self._date_style = _style_of(ws, value=datetime(2000, 1, 1))
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        header = []
        for column in columns:
            title = f"{column.title} ({tz_name})" if column.kind == "date" else column.title
            cell = WriteOnlyCell(ws, value=title)
            cell.font = _BOLD
            header.append(cell)
        ws.append(header)
        self._cell = WriteOnlyCell(ws)
        # From here on, the rows this sheet appends are converted by `_to_cells`.
        ws._values_to_row = self._to_cells  # type: ignore[method-assign]

    def append(self, values: tuple[Any, ...]) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.ws.append(values)
        self.rows += 1

    def _to_cells(self, values: tuple[Any, ...], row_idx: int) -> Iterator[Cell]:
        # openpyxl writes each yielded cell before asking for the next, so one cell is reused.
        cell = self._cell
        cell.row = row_idx
        for col_idx, (column, value) in enumerate(zip(self.columns, values, strict=True), 1):
            if value is None:
                continue
            cell.column = col_idx
            cell._hyperlink = None
            kind = type(value)
            if column.kind == "link":
                self._link(cell, str(value))
            elif kind is str:
                # User text is always a text cell, never a formula or an error value.
                cell._value = _clean(value)
                cell.data_type = "s"
                cell._style = self._wrap_style if column.kind == "text" else self._plain_style
            elif kind is datetime:
                cell._value = value
                cell.data_type = "d"
                cell._style = self._date_style
            elif kind is int or kind is float:
                cell._value = value
                cell.data_type = "n"
                cell._style = self._plain_style
            else:  # anything else: openpyxl's own type inference, on a style of its own
                cell._style = StyleArray()
                cell.value = value
            yield cell

    def _link(self, cell: Cell, url: str) -> None:
        if self.links < LINK_LIMIT:
            self.links += 1
            cell._value = "Open in Slack"
            cell.data_type = "s"
            cell.hyperlink = url
            cell._style = self._link_style
        elif url.startswith("https://") and '"' not in url and len(url) <= FORMULA_LINK_MAX:
            # Only addresses Slack made (https, no quotes) become formulas; others stay text.
            cell._value = f'=HYPERLINK("{url}","Open in Slack")'
            cell.data_type = "f"
            cell._style = self._link_style
        else:
            cell._value = _clean(url)
            cell.data_type = "s"
            cell._style = self._plain_style

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def _style_of(ws: WriteOnlyWorksheet, **settings: Any) -> StyleArray:
    """The style array openpyxl gives a cell with these settings."""
    cell = WriteOnlyCell(ws, value=settings.pop("value", None))
    for name, value in settings.items():
        setattr(cell, name, value)
    return copy(cell._style)


def _clean(text: str) -> str:
    """Text as a cell can hold it: no control characters, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:CELL_TEXT_MAX]


def _local(tz: ZoneInfo) -> Callable[[datetime | None], datetime | None]:
    def convert(at: datetime | None) -> datetime | None:
        if at is None:
            return None
        # Excel has no time zones: the value is local time in `tz`, named in the header.
        return at.astimezone(tz).replace(tzinfo=None, microsecond=0)

    return convert


def write_workbook(
    *,
    engine: Engine,
    team_id: str,
    query: LogQuery,
    out: str | Path | IO[bytes],
    tz: str = "UTC",
    names: Mapping[str, str] | None = None,
    channel_names: Mapping[str, str] | None = None,
) -> ExportSummary:
    """Write the workbook of `team_id`'s decisions matching `query` (and the questions and
    reflections of the same channels and period) to `out`."""
    zone = ZoneInfo(tz)
    local = _local(zone)
    # Not `names or {}`: a directory that looks names up on demand is empty (falsy) at first.
    names = {} if names is None else names
    channel_names = {} if channel_names is None else channel_names

    def who(user_id: str | None) -> str | None:
        return names.get(user_id, user_id) if user_id else None

    def where(channel_id: str | None) -> str | None:
        if not channel_id:
            return None
        name = channel_names.get(channel_id)
        return f"#{name}" if name else channel_id

    wb = Workbook(write_only=True)
    decisions = _Sheet(wb.create_sheet("Decisions"), _DECISION_COLUMNS, tz)
    votes = _Sheet(wb.create_sheet("Votes"), _VOTE_COLUMNS, tz)
    reviews = _Sheet(wb.create_sheet("Reviews"), _REVIEW_COLUMNS, tz)
    questions = _Sheet(wb.create_sheet("Questions"), _QUESTION_COLUMNS, tz)
    reflections = _Sheet(wb.create_sheet("Reflections"), _REFLECTION_COLUMNS, tz)

    # A reader: the export may take a while, and votes and questions go on being stored.
    with read_scope(engine) as session:
        labels: dict[int, str] = {}
        for batch in log_rows.iter_decisions(session=session, team_id=team_id, query=query):
            ids = [int(d.id or 0) for d in batch]
            for d in batch:
                labels[int(d.id or 0)] = decision_label(d.number)
            batch_votes: list[Vote] = log_rows.rows_for_decisions(
                session=session, team_id=team_id, model=Vote, decision_ids=ids
            )
            batch_reviews: list[Review] = log_rows.rows_for_decisions(
                session=session, team_id=team_id, model=Review, decision_ids=ids
            )
            batch_pulls: list[AndonPull] = log_rows.rows_for_decisions(
                session=session, team_id=team_id, model=AndonPull, decision_ids=ids
            )
            linked = {d.replaces_id for d in batch} | {d.replaced_by_id for d in batch}
            _label_links(session, team_id, linked - {None} - set(labels), labels, query)
            narratives = log_rows.narratives_by_id(
                session=session,
                team_id=team_id,
                narrative_ids=[d.narrative_id for d in batch if d.narrative_id is not None],
            )
            by_decision: dict[int, dict[str, list[Any]]] = {
                i: {"votes": [], "reviews": [], "pulls": []} for i in ids
            }
            for vote in batch_votes:
                by_decision[vote.decision_id]["votes"].append(vote)
            for review in batch_reviews:
                by_decision[review.decision_id]["reviews"].append(review)
            for pull in batch_pulls:
                by_decision[pull.decision_id]["pulls"].append(pull)
            for d in batch:
                rows = by_decision[int(d.id or 0)]
                decisions.append(_decision_row(d, rows, labels, narratives, who, where, local))
                for vote in rows["votes"]:
                    votes.append(
                        (
                            labels[vote.decision_id],
                            who(vote.user_id),
                            CHOICE_NAMES.get(vote.choice, vote.choice),
                            vote.reason,
                            local(vote.cast_at),
                            "yes" if vote.current else "no (changed)",
                            local(vote.committed_at),
                        )
                    )
                for review in rows["reviews"]:
                    reviews.append(
                        (
                            labels[review.decision_id],
                            local(review.due_at),
                            local(review.sent_at),
                            local(review.reminded_at),
                            local(review.answered_at),
                            who(review.answered_by),
                            review.outcome or ("overdue" if review.reminded_at else "open"),
                            d.confidence,
                            review.actual_confidence,
                            review.learned,
                            review.new_text,
                            local(review.next_review_on),
                        )
                    )
        for qbatch in log_rows.iter_questions(
            session=session,
            team_id=team_id,
            channel_id=query.channel_id,
            since=query.since,
            hidden_channels=query.hidden_channels,
        ):
            for question, narrative in qbatch:
                if question.deleted_at is not None:
                    continue
                questions.append(
                    (
                        narrative.title,
                        where(narrative.channel_id),
                        who(question.author_id),
                        question.text,
                        local(question.asked_at),
                        "yes" if question.private else "no",
                        "yes" if question.after_reading else "no",
                        local(question.edited_at),
                    )
                )
        for abatch in log_rows.iter_reflection_answers(
            session=session,
            team_id=team_id,
            channel_id=query.channel_id,
            since=query.since,
            hidden_channels=query.hidden_channels,
        ):
            named = {a.decision_id for a, _ in abatch if a.decision_id is not None}
            _label_links(session, team_id, named - set(labels), labels, query)
            for answer, round_ in abatch:
                reflections.append(
                    (
                        where(round_.channel_id),
                        local(round_.posted_at),
                        _question_text(round_.questions, answer.question_index),
                        answer.text,
                        who(answer.user_id),
                        local(answer.answered_at),
                        answer.source,
                        labels.get(answer.decision_id) if answer.decision_id else None,
                    )
                )
    sheets = (decisions, votes, reviews, questions, reflections)
    for sheet in sheets:
        sheet.finish()
    wb.save(out)
    return ExportSummary(rows={name: s.rows for name, s in zip(SHEETS, sheets, strict=True)})


def _label_links(
    session: Any, team_id: str, ids: set[Any], labels: dict[int, str], query: LogQuery
) -> None:
    """Labels of decisions the exported rows link to, but not of those in hidden channels."""
    from storage.decisions import get_decision

    for decision_id in ids:
        other = get_decision(session=session, team_id=team_id, decision_id=int(decision_id))
        if other is not None and other.channel_id not in query.hidden_channels:
            labels[int(decision_id)] = decision_label(other.number)


def _question_text(raw: str, index: int | None) -> str | None:
    if index is None:
        return None
    try:
        questions = json.loads(raw)
        return str(questions[index])
    except (ValueError, IndexError, TypeError):
        return None


def _decision_row(
    d: Decision,
    rows: dict[str, list[Any]],
    labels: dict[int, str],
    narratives: dict[int, tuple[str, int]],
    who: Callable[[str | None], str | None],
    where: Callable[[str | None], str | None],
    local: Callable[[datetime | None], datetime | None],
) -> tuple[Any, ...]:
    current = [v for v in rows["votes"] if v.current]
    tally = {c: sum(1 for v in current if v.choice == c) for c in CHOICE_NAMES}
    dissent = [v for v in current if v.choice in log_rows.DISSENT_CHOICES]
    dissent_text = "\n".join(
        f"{who(v.user_id)} ({CHOICE_NAMES[v.choice]}"
        + (", committed" if v.choice == "disagree_commit" or v.committed_at else "")
        + f"): {v.reason or ''}"
        for v in dissent
    )
    pulls = "\n".join(
        f"{who(p.user_id)}: {p.reason}"
        + (f" (resolved: {p.resolution})" if p.resolved_at else " (open)")
        for p in rows["pulls"]
    )
    answered = [r for r in rows["reviews"] if r.outcome]
    narrative = narratives.get(d.narrative_id or 0)
    return (
        decision_label(d.number),
        d.final_text or d.proposal,
        d.proposal,
        d.status.replace("_", " "),
        who(d.owner_id),
        who(d.proposed_by),
        where(d.channel_id),
        d.source,
        local(d.created_at),
        local(d.decided_at),
        d.confidence,
        d.door,
        local(d.review_on),
        tally["agree"],
        tally["disagree_commit"],
        tally["disagree"],
        len(dissent),
        dissent_text or None,
        pulls or None,
        narrative[0] if narrative else None,
        narrative[1] if narrative else None,
        labels.get(d.replaces_id) if d.replaces_id else None,
        labels.get(d.replaced_by_id) if d.replaced_by_id else None,
        len(answered),
        answered[-1].outcome if answered else None,
        d.permalink,
    )


_DECISION_COLUMNS = [
    _Column("ID", 9),
    _Column("Decision", 50, "text"),
    _Column("Proposal", 40, "text"),
    _Column("Status", 13),
    _Column("Owner", 16),
    _Column("Proposed by", 16),
    _Column("Channel", 16),
    _Column("Source", 8),
    _Column("Created", 19, "date"),
    _Column("Decided", 19, "date"),
    _Column("Confidence %", 12),
    _Column("Door", 9),
    _Column("Review date", 19, "date"),
    _Column("Agree", 8),
    _Column("Disagree, but commit", 11),
    _Column("Disagree", 9),
    _Column("Dissent count", 9),
    _Column("Dissent (name: reason)", 50, "text"),
    _Column("Andon pulls", 30, "text"),
    _Column("Narrative", 30, "text"),
    _Column("Narrative questions", 11),
    _Column("Replaces", 10),
    _Column("Replaced by", 10),
    _Column("Reviews", 9),
    _Column("Last review", 12),
    _Column("Thread", 14, "link"),
]
_VOTE_COLUMNS = [
    _Column("Decision", 9),
    _Column("Voter", 16),
    _Column("Choice", 20),
    _Column("Reason", 50, "text"),
    _Column("Cast", 19, "date"),
    _Column("Current", 14),
    _Column("Committed", 19, "date"),
]
_REVIEW_COLUMNS = [
    _Column("Decision", 9),
    _Column("Due", 19, "date"),
    _Column("Sent", 19, "date"),
    _Column("Reminded", 19, "date"),
    _Column("Answered", 19, "date"),
    _Column("Answered by", 16),
    _Column("Outcome", 10),
    _Column("Recorded confidence %", 12),
    _Column("Actual information %", 12),
    _Column("What we learned", 50, "text"),
    _Column("New text", 40, "text"),
    _Column("Next review", 19, "date"),
]
_QUESTION_COLUMNS = [
    _Column("Narrative", 30, "text"),
    _Column("Channel", 16),
    _Column("Author", 16),
    _Column("Question", 60, "text"),
    _Column("Asked", 19, "date"),
    _Column("Private", 8),
    _Column("After reading", 9),
    _Column("Edited", 19, "date"),
]
_REFLECTION_COLUMNS = [
    _Column("Channel", 16),
    _Column("Round posted", 19, "date"),
    _Column("Question", 40, "text"),
    _Column("Answer", 60, "text"),
    _Column("Author", 16),
    _Column("Answered", 19, "date"),
    _Column("Source", 8),
    _Column("Decision", 10),
]
