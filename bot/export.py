"""The Excel export of the decision log: one workbook, written in streaming (write-only) mode.

Sheets: Summary (headline figures, months, calibration by confidence band, owners, with native
charts), then Decisions, Votes, Reviews, Questions, Reflections. Each data sheet has a bold
frozen header repeated on every printed page, an auto-filter, set column widths, wrapped long
text, real Excel dates (converted to one time zone, named in the header; dates alone where only
a day is meant), confidence as a percentage, statuses and answers in words, links to each
decision's message and, on review dates, overdue ones highlighted. Pages print landscape, fit
to width. Names of people and channels are shown where known, ids otherwise.

Only openpyxl's public API: plain values go to `append` as they are; values that need a style
or must stay text are cells with named styles registered once (on data sheets, one cell per
styled column, given each row's value: `append` writes the row out before it returns).

Text from users is always stored as a text cell: a value such as `=HYPERLINK(...)` never
becomes a formula (formula injection), whatever character it starts with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from sqlalchemy.engine import Engine

from bot.vocabulary import DecisionStatus, ReviewAnswer, Stance
from storage import decision_log as log_rows
from storage import export_rows, log_summary
from storage.db import read_scope
from storage.decision_log import LogQuery
from storage.decisions import decision_label
from storage.models import AndonPull, Review, Vote

SUMMARY = "Summary"
SHEETS = ("Decisions", "Votes", "Reviews", "Questions", "Reflections")
# openpyxl keeps every hyperlink of a sheet in memory until the workbook is saved (about 1 KB
# each, more while saving), so only this many rows get a native hyperlink; later rows get an
# equally clickable HYPERLINK formula, which is written out with its row and keeps memory flat.
LINK_LIMIT = 5_000
# Excel refuses a HYPERLINK formula whose address is longer than this.
FORMULA_LINK_MAX = 255
# The most characters an Excel cell holds (openpyxl cuts longer text there too).
CELL_TEXT_MAX = 32_767
# A link's words name the platform its address is on (a workspace lives on one platform).
LINK_TEXTS = {"slack.com": "Open in Slack", "teams.microsoft.com": "Open in Teams"}
LINK_TEXT = "Open the message"
CHOICE_NAMES = {
    Stance.AGREE: "Agree",
    Stance.DISAGREE_COMMIT: "Disagree, but commit",
    Stance.DISAGREE: "Disagree",
}
STATUS_WORDS = {
    DecisionStatus.VOTING: "Voting",
    DecisionStatus.ACTIVE: "Active",
    DecisionStatus.UNDER_REVIEW: "Under review",
    DecisionStatus.HALTED: "Halted",
    DecisionStatus.AMENDED: "Amended",
    DecisionStatus.REVERSED: "Reversed",
    DecisionStatus.SUPERSEDED: "Superseded",
}
OUTCOME_WORDS = {
    ReviewAnswer.KEEP: "Kept",
    ReviewAnswer.AMEND: "Amended",
    ReviewAnswer.REVERSE: "Reversed",
    ReviewAnswer.SNOOZE: "Snoozed",
}
SOURCE_WORDS = {"poll": "Poll", "log": "Recorded", "modal": "Form", "thread": "Thread reply"}
DOOR_WORDS = {"one-way": "One-way", "two-way": "Two-way"}
# Statuses still in force, whose passed review date means an overdue review.
IN_FORCE_WORDS = ("Active", "Under review", "Halted")
TEXT_STYLE = "Narrative text"
PERCENT_STYLE = "Narrative percent"
HEADER_STYLE = "Narrative header"
TABLE_HEADER_STYLE = "Narrative table header"
TITLE_STYLE = "Narrative title"
DECIMAL_STYLE = "Narrative decimal"
LINK_STYLE = "Narrative link"
OVERDUE_FILL = PatternFill(start_color="FFC7CE", end_color="FFC7CE", fill_type="solid")
OVERDUE_FONT = Font(color="9C0006")


@dataclass(frozen=True)
class ExportSummary:
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    # plain (the export's own words, numbers) | name (may be anything a person typed) |
    # text (user text, wrapped) | date | day | percent | link
    kind: str = "plain"


def link_text(url: str) -> str:
    """The words of a link to a message: "Open in Slack", "Open in Teams", or neutral."""
    try:
        host = (urlsplit(url).hostname or "") if url.startswith("https://") else ""
    except ValueError:
        host = ""
    for domain, words in LINK_TEXTS.items():
        if host == domain or host.endswith("." + domain):
            return words
    return LINK_TEXT


def _clean(text: str) -> str:
    """Text as a cell can hold it: no control characters, at most 32,767 characters."""
    if text.isprintable():  # most text; a faster check than the pattern (line breaks fail it)
        return text[:CELL_TEXT_MAX]
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:CELL_TEXT_MAX]


def _add_styles(wb: Workbook) -> dict[str, Any]:
    """The workbook's named styles, registered once: name -> the style array each cell of that
    style starts from (a cell copies it when made, so nothing is looked up per cell)."""
    styles = {}
    for style in (
        NamedStyle(TEXT_STYLE, alignment=Alignment(wrap_text=True, vertical="top")),
        NamedStyle(PERCENT_STYLE, number_format="0%"),
        NamedStyle(DECIMAL_STYLE, number_format="0.0"),
        NamedStyle(HEADER_STYLE, font=Font(bold=True)),
        NamedStyle(
            TABLE_HEADER_STYLE,
            font=Font(bold=True),
            alignment=Alignment(wrap_text=True, vertical="bottom"),
        ),
        NamedStyle(TITLE_STYLE, font=Font(bold=True, size=14)),
        NamedStyle(LINK_STYLE, font=Font(color="0563C1", underline="single")),
    ):
        wb.add_named_style(style)
        styles[style.name] = style.as_tuple()
    return styles


def _print_setup(ws: Any) -> None:
    """Landscape, fit to the page width, header row repeated (before any row is written)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


class _Sheet:
    """A write-only data sheet that stores each column's kind of value as a leader reads it."""

    def __init__(
        self,
        wb: Workbook,
        title: str,
        columns: list[_Column],
        tz_name: str,
        styles: dict[str, Any],
    ) -> None:
        self.ws = ws = wb.create_sheet(title)
        self.styles = styles
        self.wrap = styles[TEXT_STYLE]
        self._safe: dict[str, str] = {}
        self.columns = columns
        self.rows = 0
        self.links = 0
        _print_setup(ws)
        ws.print_title_rows = "1:1"
        for index, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        ws.freeze_panes = "A2"
        header = []
        for column in columns:
            title = f"{column.title} ({tz_name})" if column.kind == "date" else column.title
            header.append(self._styled(title, HEADER_STYLE))
        ws.append(header)
        # Per column: how a value becomes what `append` is given.
        convert: dict[str, Callable[[Any], Any]] = {
            "plain": _same,  # the export's own words and numbers
            "name": self._plain,
            "date": _same,
            "day": _same,
            "link": self._link,
        }
        converters = [
            self._text_for(int(c.width))
            if c.kind == "text"
            else self._percent_for()
            if c.kind == "percent"
            else convert[c.kind]
            for c in columns
        ]
        # Only the columns whose values need converting are visited per row.
        self._converters = [(i, f) for i, f in enumerate(converters) if f is not _same]

    def _styled(self, value: Any, style: str) -> Cell:
        return Cell(self.ws, row=1, column=1, value=value, style_array=self.styles[style])

    def _as_text(self, text: str, style: str | None) -> Any:
        """A text cell: plain when openpyxl would store it as text anyway (most), else a cell
        told so (a leading `=` would make a formula, `#N/A` an error value)."""
        text = _clean(text)
        if style is None and text[:1] != "=" and text not in ERROR_CODES:
            return text
        cell = Cell(
            self.ws, row=1, column=1, value=text, style_array=self.styles[style] if style else None
        )
        cell.data_type = "s"
        return cell

    def _plain(self, value: Any) -> Any:
        if type(value) is not str:
            return value
        # Names repeat on every row: each is checked once (only safe text is remembered).
        known = self._safe.get(value)
        if known is not None:
            return known
        made = self._as_text(value, None)
        if type(made) is str and len(self._safe) < 100_000:
            self._safe[value] = made
        return made

    def _text_for(self, width: int) -> Callable[[Any], Any]:
        """User text in a column `width` characters wide: wrapped when it is longer than that
        or has several lines (shorter text looks the same either way and costs no style)."""
        # One styled cell for the column, given each row's value: `append` in write-only mode
        # writes the row out before it returns, and a cell made per value costs as much again.
        cell = Cell(self.ws, row=1, column=1, style_array=self.wrap)

        def text(value: Any) -> Any:
            if type(value) is not str:
                return value
            value = _clean(value)
            if len(value) > width or "\n" in value or value[:1] == "=" or value in ERROR_CODES:
                cell.value = value
                cell.data_type = "s"
                return cell
            return value

        return text

    def _percent_for(self) -> Callable[[Any], Any]:
        """Whole percentages as fractions shown with a percent sign (one cell per column, as
        for text)."""
        cell = Cell(self.ws, row=1, column=1, style_array=self.styles[PERCENT_STYLE])

        def percent(value: Any) -> Any:
            cell.value = value / 100
            return cell

        return percent

    def _link(self, url: Any) -> Any:
        url = str(url)
        if self.links < LINK_LIMIT:
            self.links += 1
            cell = self._styled(link_text(url), LINK_STYLE)
            cell.hyperlink = url
            return cell
        if url.startswith("https://") and '"' not in url and len(url) <= FORMULA_LINK_MAX:
            # Only addresses the platform made (https, no quotes) become formulas; a plain
            # value (a formula to openpyxl), unstyled: a style per cell costs more than writing it.
            return f'=HYPERLINK("{url}","{link_text(url)}")'
        return self._as_text(url, None)

    def append(self, values: tuple[Any, ...]) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        row = list(values)
        for index, convert in self._converters:
            value = row[index]
            if value is not None:
                row[index] = convert(value)
        self.ws.append(row)
        self.rows += 1

    def letter(self, title: str) -> str:
        index = next(i for i, c in enumerate(self.columns, 1) if c.title == title)
        return get_column_letter(index)

    def highlight_overdue(self, review: str, condition: str) -> None:
        """Overdue review dates in red: the date has passed and `condition` holds (Excel's
        formula syntax, for row 2; `{col}` is replaced by a column's letter by title)."""
        if not self.rows:
            return
        col = self.letter(review)
        last = self.rows + 1
        formula = f'AND(${col}2<>"",${col}2<TODAY(),{condition})'
        self.ws.conditional_formatting.add(
            f"{col}2:{col}{last}",
            FormulaRule(formula=[formula], fill=OVERDUE_FILL, font=OVERDUE_FONT),
        )

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def _same(value: Any) -> Any:
    return value


class _LocalTime:
    """Stored dates (naive UTC as export_rows reads them, or aware) as local dates and times in
    one zone, without a zone: Excel has none, the header names it.

    The offset from UTC is looked up once per UTC day and added: converting each of a million
    dates through the zone costs over a second. Days on which the zone changes its offset take
    the exact path."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[int, timedelta | None] = {}

    def _exact(self, at: datetime) -> datetime:
        return at.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None, microsecond=0)

    def _offset(self, day: int) -> timedelta | None:
        start = datetime.fromordinal(day).replace(tzinfo=UTC)
        first = start.astimezone(self.zone).utcoffset()
        last = (start + timedelta(days=1, microseconds=-1)).astimezone(self.zone).utcoffset()
        return first if first == last else None

    def at(self, at: datetime | None) -> datetime | None:
        """A date and time, to the second."""
        if at is None:
            return None
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        day = at.toordinal()
        offset = self._offsets.get(day, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = self._offsets[day] = self._offset(day)
        if offset is None:
            return self._exact(at)
        local = at + offset
        return local.replace(microsecond=0) if local.microsecond else local

    def day(self, at: datetime | None) -> date | None:
        """The day alone."""
        local = self.at(at)
        return local.date() if local is not None else None


_UNKNOWN = timedelta.max


def write_workbook(
    *,
    engine: Engine,
    team_id: str,
    query: LogQuery,
    out: str | Path | IO[bytes],
    tz: str = "UTC",
    names: Mapping[str, str] | None = None,
    channel_names: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ExportSummary:
    """Write the workbook of `team_id`'s decisions matching `query` (and the questions and
    reflections of the same channels and period) to `out`."""
    zone = ZoneInfo(tz)
    clock = _LocalTime(zone)
    local, day = clock.at, clock.day
    # Not `names or {}`: a directory that looks names up on demand is empty (falsy) at first.
    names = {} if names is None else names
    channel_names = {} if channel_names is None else channel_names

    def who(user_id: str | None) -> str | None:
        return names.get(user_id, user_id) if user_id else None

    def where(channel_id: str | None) -> str | None:
        if not channel_id:
            return None
        name = channel_names.get(channel_id)
        return f"#{name}" if name and name != channel_id else channel_id

    wb = Workbook(write_only=True)
    wb.properties.title = "Decision log"
    wb.properties.creator = "Narrative"
    wb.properties.lastModifiedBy = "Narrative"
    styles = _add_styles(wb)
    summary_ws = wb.create_sheet(SUMMARY)
    decisions = _Sheet(wb, "Decisions", _DECISION_COLUMNS, tz, styles)
    votes = _Sheet(wb, "Votes", _VOTE_COLUMNS, tz, styles)
    reviews = _Sheet(wb, "Reviews", _REVIEW_COLUMNS, tz, styles)
    questions = _Sheet(wb, "Questions", _QUESTION_COLUMNS, tz, styles)
    reflections = _Sheet(wb, "Reflections", _REFLECTION_COLUMNS, tz, styles)

    # A reader: the export may take a while, and votes and questions go on being stored.
    with read_scope(engine) as session:
        figures = log_summary.log_summary(session=session, team_id=team_id, query=query)
        _write_summary(
            summary_ws, figures, query, who, where, (now or datetime.now(UTC)).astimezone(zone)
        )
        labels: dict[int, str] = {}
        for batch in export_rows.decision_batches(session=session, team_id=team_id, query=query):
            # Rows of export_rows.DECISION_FIELDS, by name where it costs nothing per cell.
            ids = [d.id for d in batch]
            for d in batch:
                labels[d.id] = decision_label(d.number)
            found = {
                model: export_rows.by_decision(
                    session=session, team_id=team_id, model=model, decision_ids=ids
                )
                for model in (Vote, Review, AndonPull)
            }
            batch_votes, batch_reviews, batch_pulls = found[Vote], found[Review], found[AndonPull]
            linked = {d.replaces_id for d in batch} | {d.replaced_by_id for d in batch}
            unlabelled = {i for i in linked if i is not None and i not in labels}
            _label_links(session, team_id, unlabelled, labels, query)
            narratives = log_rows.narratives_by_id(
                session=session,
                team_id=team_id,
                narrative_ids=[d.narrative_id for d in batch if d.narrative_id is not None],
            )
            for d in batch:
                decision_id, confidence = d.id, d.confidence
                label = labels[decision_id]
                decision_votes = batch_votes.get(decision_id, _NONE)
                decisions.append(
                    _decision_row(
                        d,
                        label,
                        decision_votes,
                        batch_reviews.get(decision_id, _NONE),
                        batch_pulls.get(decision_id, _NONE),
                        labels,
                        narratives,
                        who,
                        where,
                        local,
                        day,
                    )
                )
                for _, user_id, choice, reason, cast_at, current, committed_at in decision_votes:
                    votes.append(
                        (
                            label,
                            who(user_id),
                            CHOICE_NAMES.get(choice, choice),
                            reason,
                            local(cast_at),
                            "Yes" if current else "No (changed)",
                            local(committed_at),
                        )
                    )
                for (
                    _,
                    due_at,
                    sent_at,
                    reminded_at,
                    answered_at,
                    answered_by,
                    outcome,
                    actual_confidence,
                    learned,
                    new_text,
                    next_review_on,
                ) in batch_reviews.get(decision_id, _NONE):
                    reviews.append(
                        (
                            label,
                            day(due_at),
                            local(sent_at),
                            local(reminded_at),
                            local(answered_at),
                            who(answered_by),
                            _outcome(outcome, reminded_at),
                            confidence,
                            actual_confidence,
                            learned,
                            new_text,
                            day(next_review_on),
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
                        "Yes" if question.private else "No",
                        "Yes" if question.after_reading else "No",
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
            _label_links(session, team_id, {i for i in named if i not in labels}, labels, query)
            for answer, round_ in abatch:
                reflections.append(
                    (
                        where(round_.channel_id),
                        local(round_.posted_at),
                        _question_text(round_.questions, answer.question_index),
                        answer.text,
                        who(answer.user_id),
                        local(answer.answered_at),
                        SOURCE_WORDS.get(answer.source, answer.source),
                        labels.get(answer.decision_id) if answer.decision_id else None,
                    )
                )
    in_force = ",".join(f'${decisions.letter("Status")}2="{w}"' for w in IN_FORCE_WORDS)
    decisions.highlight_overdue("Review date", f"OR({in_force})")
    reviews.highlight_overdue("Due", f'${reviews.letter("Answered")}2=""')
    sheets = (decisions, votes, reviews, questions, reflections)
    for sheet in sheets:
        sheet.finish()
    wb.save(out)
    return ExportSummary(rows={name: s.rows for name, s in zip(SHEETS, sheets, strict=True)})


def _outcome(outcome: str | None, reminded_at: datetime | None) -> str:
    if outcome:
        return OUTCOME_WORDS.get(outcome, outcome)
    return "Overdue" if reminded_at else "Open"


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


_NONE: list[Any] = []


def _decision_row(
    d: Sequence[Any],
    label: str,
    votes: list[Any],
    reviews: list[Any],
    pulls: list[Any],
    labels: dict[int, str],
    narratives: dict[int, tuple[str, int]],
    who: Callable[[str | None], str | None],
    where: Callable[[str | None], str | None],
    local: Callable[[datetime | None], datetime | None],
    day: Callable[[datetime | None], date | None],
) -> tuple[Any, ...]:
    """One Decisions row from a decision (export_rows.DECISION_FIELDS) and its rows (*_FIELDS)."""
    (
        _,
        _,
        final_text,
        proposal,
        status,
        owner_id,
        proposed_by,
        channel_id,
        source,
        created_at,
        decided_at,
        confidence,
        door,
        review_on,
        narrative_id,
        replaces_id,
        replaced_by_id,
        permalink,
    ) = d
    tally = dict.fromkeys(CHOICE_NAMES, 0)
    dissent = []
    # Votes: decision_id user_id choice reason cast_at current committed_at.
    for v in votes:
        if v[5]:
            choice = v[2]
            if choice in tally:
                tally[choice] += 1
            if choice in log_rows.DISSENT_CHOICES:
                dissent.append(v)
    dissent_text = "\n".join(
        f"{who(v[1])} ({CHOICE_NAMES[v[2]]}"
        + (", committed" if v[2] == Stance.DISAGREE_COMMIT or v[6] else "")
        + f"): {v[3] or ''}"
        for v in dissent
    )
    # Pulls: decision_id user_id reason resolution resolved_at.
    pulls_text = "\n".join(
        f"{who(p[1])}: {p[2]}" + (f" (resolved: {p[3]})" if p[4] else " (open)") for p in pulls
    )
    # Reviews: outcome is the seventh field.
    answered = [r[6] for r in reviews if r[6]]
    narrative = narratives.get(narrative_id or 0)
    return (
        label,
        final_text or proposal,
        proposal,
        STATUS_WORDS.get(status, status),
        who(owner_id),
        who(proposed_by),
        where(channel_id),
        SOURCE_WORDS.get(source, source),
        local(created_at),
        local(decided_at),
        confidence,
        DOOR_WORDS.get(door, door),
        day(review_on),
        tally[Stance.AGREE],
        tally[Stance.DISAGREE_COMMIT],
        tally[Stance.DISAGREE],
        len(dissent),
        dissent_text or None,
        pulls_text or None,
        narrative[0] if narrative else None,
        narrative[1] if narrative else None,
        labels.get(replaces_id) if replaces_id else None,
        labels.get(replaced_by_id) if replaced_by_id else None,
        len(answered),
        OUTCOME_WORDS.get(answered[-1], answered[-1]) if answered else None,
        permalink,
    )


# --- the Summary sheet ----------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class _Rows:
    """Rows of the Summary sheet, appended in order; remembers which row is which."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.row = 0

    def add(self, *values: Any) -> int:
        cells = []
        for value in values:
            if isinstance(value, tuple):  # (value, named style)
                cell = WriteOnlyCell(self.ws, value=value[0])
                if isinstance(value[0], str):
                    cell.data_type = "s"
                cell.style = value[1]
                cells.append(cell)
            elif isinstance(value, str):
                cell = WriteOnlyCell(self.ws, value=_clean(value))
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        self.ws.append(cells)
        self.row += 1
        return self.row

    def header(self, *titles: str) -> int:
        return self.add(*((t, TABLE_HEADER_STYLE) for t in titles))


def _pct(value: float | None) -> Any:
    return (value, PERCENT_STYLE) if value is not None else "—"


def _write_summary(
    ws: Any,
    s: log_summary.Summary,
    query: LogQuery,
    who: Callable[[str | None], str | None],
    where: Callable[[str | None], str | None],
    now: datetime,
) -> None:
    _print_setup(ws)
    for letter in "ABCDEFGHIJK":
        ws.column_dimensions[letter].width = 40 if letter == "A" else 13
    rows = _Rows(ws)
    rows.add(("Decision log summary", TITLE_STYLE))
    period = f"from {query.since.date().isoformat()}" if query.since else "all decisions"
    scope = f" in {where(query.channel_id)}" if query.channel_id else ""
    rows.add(f"Period: {period}{scope}, exported {now.date().isoformat()}. Months in UTC.")
    rows.add()
    rows.header("Figure", "Value", "Out of")
    headline = (
        ("Decisions made", s.decisions, None),
        ("Median days from proposal to final", (s.median_days_to_final, DECIMAL_STYLE), None),
        ("Dissent rate", _pct(_share(s.with_dissent, s.decisions)), s.decisions),
        (
            "Dissenters who committed",
            _pct(_share(s.dissenters_committed, s.dissenters)),
            s.dissenters,
        ),
        ("Andon pulls", s.andon_pulls, None),
        ("Reviews on time", s.reviews_on_time, None),
        ("Reviews late", s.reviews_late, None),
        ("Reviews overdue", s.reviews_overdue, None),
        ("Reversal rate", _pct(_share(s.reversed, s.decisions)), s.decisions),
        (
            "Reading completion",
            _pct(_share(s.readers_done, s.readers_expected)),
            s.readers_expected,
        ),
        (
            "Questions per narrative",
            (s.questions / s.narratives, DECIMAL_STYLE) if s.narratives else "—",
            s.narratives,
        ),
        (
            "Reflection participation",
            _pct(_share(s.reflection_answerers, s.reflection_members)),
            s.reflection_members,
        ),
    )
    for label, value, whole in headline:
        if isinstance(value, tuple) and value[0] is None:
            value = "—"
        rows.add(label, value, whole)
    rows.add()

    # Calibration: share of reviewed decisions kept / amended / reversed per confidence band.
    rows.add(
        ("Calibration: what reviews said, by the confidence decisions were made with", HEADER_STYLE)
    )
    first = rows.header("Confidence band", "Reviewed", "Kept", "Amended", "Reversed") + 1
    for band in s.bands:
        rows.add(
            f"{band.label} ({band.reviewed} reviewed)",
            band.reviewed,
            _pct(_share(band.kept, band.reviewed)) if band.reviewed else 0,
            _pct(_share(band.amended, band.reviewed)) if band.reviewed else 0,
            _pct(_share(band.reversed, band.reviewed)) if band.reviewed else 0,
        )
    last = rows.row
    calibration = BarChart()
    calibration.type = "bar"
    calibration.grouping = "percentStacked"
    calibration.overlap = 100
    calibration.title = "Calibration: reviewed decisions by confidence band"
    calibration.y_axis.title = "Share of reviewed decisions"
    calibration.add_data(
        Reference(ws, min_col=3, max_col=5, min_row=first - 1, max_row=last), titles_from_data=True
    )
    calibration.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    rows.add()

    # Months (UTC): statuses, dissent, reviews.
    rows.add(("By month (UTC)", HEADER_STYLE))
    statuses = [w for k, w in STATUS_WORDS.items() if k != DecisionStatus.VOTING]
    month_first = (
        rows.header(
            "Month", *statuses, "Decisions", "Dissent rate", "Reviews on time", "Reviews late"
        )
        + 1
    )
    for m in s.months:
        rows.add(
            m.month,
            *(m.by_status.get(k, 0) for k in STATUS_WORDS if k != DecisionStatus.VOTING),
            m.decisions,
            _pct(_share(m.with_dissent, m.decisions)) if m.decisions else None,
            m.reviews_on_time,
            m.reviews_late,
        )
    month_last = max(rows.row, month_first)
    n_status = len(statuses)
    per_month = BarChart()
    per_month.type = "col"
    per_month.grouping = "stacked"
    per_month.overlap = 100
    per_month.title = "Decisions per month by status"
    per_month.add_data(
        Reference(ws, min_col=2, max_col=1 + n_status, min_row=month_first - 1, max_row=month_last),
        titles_from_data=True,
    )
    per_month.set_categories(Reference(ws, min_col=1, min_row=month_first, max_row=month_last))
    dissent = LineChart()
    dissent.title = "Dissent rate per month"
    dissent.y_axis.number_format = "0%"
    dissent.y_axis.scaling.min = 0
    dissent.y_axis.scaling.max = 1
    dissent.add_data(
        Reference(ws, min_col=3 + n_status, min_row=month_first - 1, max_row=month_last),
        titles_from_data=True,
    )
    dissent.set_categories(Reference(ws, min_col=1, min_row=month_first, max_row=month_last))
    for series in dissent.series:
        series.smooth = False  # straight lines between months, no invented curve
    on_time = BarChart()
    on_time.type = "col"
    on_time.grouping = "clustered"
    on_time.title = "Reviews on time vs late per month"
    on_time.add_data(
        Reference(
            ws,
            min_col=4 + n_status,
            max_col=5 + n_status,
            min_row=month_first - 1,
            max_row=month_last,
        ),
        titles_from_data=True,
    )
    on_time.set_categories(Reference(ws, min_col=1, min_row=month_first, max_row=month_last))
    rows.add()

    # Owners.
    rows.add(("By owner (reversal rate by confidence band)", HEADER_STYLE))
    rows.header(
        "Owner",
        "Decisions owned",
        "Median confidence",
        "Reviews on time",
        *(f"Reversed, {label}" for label, _ in log_summary.BANDS),
    )
    for owner in s.owners:
        rows.add(
            who(owner.owner_id) or owner.owner_id,
            owner.decisions,
            _pct(owner.median_confidence / 100 if owner.median_confidence is not None else None),
            _pct(_share(owner.reviews_on_time, owner.reviews_settled)),
            *(_pct(_share(b.reversed, b.reviewed)) for b in owner.bands),
        )

    # The charts under the tables, two by two (the page is as wide as the month table), on a
    # printed page of their own.
    ws.row_breaks.append(Break(id=rows.row + 1))
    top = rows.row + 3
    for position, chart in enumerate((calibration, per_month, dissent, on_time)):
        chart.width, chart.height = 17, 8
        row = top + (position // 2) * 17
        ws.add_chart(chart, f"{'AF'[position % 2]}{row}")


# --- columns --------------------------------------------------------------------------------------

_DECISION_COLUMNS = [
    _Column("ID", 9),
    _Column("Decision", 50, "text"),
    _Column("Proposal", 40, "text"),
    _Column("Status", 13),
    _Column("Owner", 16, "name"),
    _Column("Proposed by", 16, "name"),
    _Column("Channel", 16, "name"),
    _Column("Source", 9),
    _Column("Created", 19, "date"),
    _Column("Decided", 19, "date"),
    _Column("Confidence", 11, "percent"),
    _Column("Door", 9),
    _Column("Review date", 12, "day"),
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
    _Column("Voter", 16, "name"),
    _Column("Choice", 20),
    _Column("Reason", 50, "text"),
    _Column("Cast", 19, "date"),
    _Column("Current", 14),
    _Column("Committed", 19, "date"),
]
_REVIEW_COLUMNS = [
    _Column("Decision", 9),
    _Column("Due", 12, "day"),
    _Column("Sent", 19, "date"),
    _Column("Reminded", 19, "date"),
    _Column("Answered", 19, "date"),
    _Column("Answered by", 16, "name"),
    _Column("Outcome", 10),
    _Column("Recorded confidence", 12, "percent"),
    _Column("Actual information", 12, "percent"),
    _Column("What we learned", 50, "text"),
    _Column("New text", 40, "text"),
    _Column("Next review", 12, "day"),
]
_QUESTION_COLUMNS = [
    _Column("Narrative", 30, "text"),
    _Column("Channel", 16, "name"),
    _Column("Author", 16, "name"),
    _Column("Question", 60, "text"),
    _Column("Asked", 19, "date"),
    _Column("Private", 8),
    _Column("After reading", 9),
    _Column("Edited", 19, "date"),
]
_REFLECTION_COLUMNS = [
    _Column("Channel", 16, "name"),
    _Column("Round posted", 19, "date"),
    _Column("Question", 40, "text"),
    _Column("Answer", 60, "text"),
    _Column("Author", 16, "name"),
    _Column("Answered", 19, "date"),
    _Column("Source", 8),
    _Column("Decision", 10),
]
