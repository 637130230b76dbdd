"""The leader's workbook: the Summary sheet's figures against a hand-computed log, its native
charts and the ranges they plot, cells as a leader reads them, and the print setup."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.export import SHEETS, SUMMARY
from storage.db import make_engine, migrate
from tests.workbook_log import export_log, hand_computed_log


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _table(ws: object, title: str) -> list[tuple[object, ...]]:
    """The rows under the header row whose first cell is `title`, up to the next empty row."""
    rows = list(ws.iter_rows(values_only=True))  # type: ignore[attr-defined]
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    out = []
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        out.append(row)
    return out


def test_summary_figures(db: Engine, tmp_path: Path) -> None:
    hand_computed_log(db)
    out = tmp_path / "log.xlsx"
    export_log(db, out)
    wb = load_workbook(out)
    assert wb.sheetnames == [SUMMARY, *SHEETS]
    ws = wb[SUMMARY]
    figures = {r[0]: r[1:3] for r in _table(ws, "Figure")}
    assert figures == {
        "Decisions made": (4, None),
        # Days from proposal to final: 2, 1, 4 and 0.5; the median is (1 + 2) / 2.
        "Median days from proposal to final": (1.5, None),
        # D-1 and D-3 carry current dissent.
        "Dissent rate": (0.5, 4),
        # Dissenting votes: U1 and U4 disagree, U2 disagrees but commits.
        "Dissenters who committed": (pytest.approx(1 / 3), 3),
        "Andon pulls": (1, None),
        # D-1 and D-3's first review answered before any reminder, D-2's after one; D-3's
        # second was reminded and is still unanswered.
        "Reviews on time": (2, None),
        "Reviews late": (1, None),
        "Reviews overdue": (1, None),
        "Reversal rate": (0.25, 4),
        "Reading completion": (0.75, 4),
        "Questions per narrative": (2.0, 1),
        # Two people of the five the round was posted to answered.
        "Reflection participation": (0.4, 5),
    }
    cells = {row[0].value: row for row in ws.iter_rows() if row[0].value in figures}
    assert cells["Dissent rate"][1].number_format == "0%"
    assert cells["Median days from proposal to final"][1].number_format == "0.0"
    bands = _table(ws, "Confidence band")
    assert [b[:5] for b in bands] == [
        ("under 50% (1 reviewed)", 1, 0, 0, 1),
        ("50–69% (1 reviewed)", 1, 1, 0, 0),
        ("70–89% (1 reviewed)", 1, 0, 1, 0),
        ("90% and over (0 reviewed)", 0, 0, 0, 0),
    ]
    months = _table(ws, "Month")
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Month")
    by_month = {m[0]: dict(zip(header, m, strict=True)) for m in months}
    assert list(by_month) == ["2026-12", "2027-01"]
    december = by_month["2026-12"]
    assert (december["Active"], december["Reversed"], december["Decisions"]) == (1, 1, 2)
    assert (december["Dissent rate"], december["Reviews on time"], december["Reviews late"]) == (
        0.5,
        1,
        1,
    )
    assert (by_month["2027-01"]["Amended"], by_month["2027-01"]["Reviews on time"]) == (1, 1)
    owners = {o[0]: o for o in _table(ws, "Owner")}
    # Alice: confidences 40 and 60; one review on time of two settled; her under-50% decision
    # reversed, her 50-69% one kept; nothing reviewed in the upper bands.
    assert owners["Alice Archer"][1:8] == (2, 0.5, 0.5, 1, 0, "—", "—")
    # Bob: confidences 80 and 95; his one settled review on time; his 70-89% decision amended.
    assert owners["Bob Baker"][1:8] == (2, 0.875, 1, "—", "—", 0, "—")
    assert wb.properties.creator == "Narrative" and wb.properties.title == "Decision log"


C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def _charts(path: Path) -> list[ElementTree.Element]:
    """The workbook's charts (DrawingML), in order."""
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        return [ElementTree.fromstring(z.read(n)) for n in names]


def _plot(chart: ElementTree.Element) -> ElementTree.Element:
    area = chart.find(f"{C}chart/{C}plotArea")
    assert area is not None
    return next(e for e in area if e.tag.endswith("Chart"))


def _refs(plot: ElementTree.Element) -> list[tuple[str, str, str]]:
    """Per series: (title cell, categories, values)."""
    return [
        (
            ser.findtext(f"{C}tx/{C}strRef/{C}f") or "",
            ser.findtext(f"{C}cat/{C}numRef/{C}f") or ser.findtext(f"{C}cat/{C}strRef/{C}f") or "",
            ser.findtext(f"{C}val/{C}numRef/{C}f") or "",
        )
        for ser in plot.findall(f"{C}ser")
    ]


def _attr(plot: ElementTree.Element, name: str) -> str | None:
    found = plot.find(f"{C}{name}")
    return None if found is None else found.get("val")


def test_summary_charts_are_native_and_plot_the_summary_tables(
    engine: Engine, tmp_path: Path
) -> None:
    hand_computed_log(engine)
    out = tmp_path / "log.xlsx"
    export_log(engine, out)
    charts = _charts(out)
    assert len(charts) == 4
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/media/")]  # no pictures
    ws = load_workbook(out)[SUMMARY]
    rows = list(ws.iter_rows(values_only=True))
    band_row = next(i for i, r in enumerate(rows, 1) if r[0] == "Confidence band")
    month_row = next(i for i, r in enumerate(rows, 1) if r[0] == "Month")
    calibration, per_month, dissent, reviews = (_plot(c) for c in charts)

    # Calibration: horizontal bars, each band's kept / amended / reversed shares stacked to 100%.
    assert calibration.tag == f"{C}barChart"
    assert (_attr(calibration, "barDir"), _attr(calibration, "grouping")) == (
        "bar",
        "percentStacked",
    )
    b0, b1 = band_row + 1, band_row + 4
    assert _refs(calibration) == [
        (
            f"'Summary'!{col}{band_row}",
            f"'Summary'!$A${b0}:$A${b1}",
            f"'Summary'!${col}${b0}:${col}${b1}",
        )
        for col in "CDE"
    ]
    assert rows[band_row - 1][2:5] == ("Kept", "Amended", "Reversed")
    assert rows[b0 - 1][0] == "under 50% (1 reviewed)"  # the count per band, on its label

    m0, m1 = month_row + 1, month_row + 2
    months = f"'Summary'!$A${m0}:$A${m1}"
    # Decisions per month by status: stacked columns, one series per status.
    assert per_month.tag == f"{C}barChart"
    assert (_attr(per_month, "barDir"), _attr(per_month, "grouping")) == ("col", "stacked")
    assert _refs(per_month) == [
        (f"'Summary'!{col}{month_row}", months, f"'Summary'!${col}${m0}:${col}${m1}")
        for col in "BCDEFG"
    ]
    assert rows[month_row - 1][1:7] == (
        "Active",
        "Under review",
        "Halted",
        "Amended",
        "Reversed",
        "Superseded",
    )
    # Dissent rate per month: a line.
    assert dissent.tag == f"{C}lineChart"
    assert _refs(dissent) == [(f"'Summary'!I{month_row}", months, f"'Summary'!$I${m0}:$I${m1}")]
    assert rows[month_row - 1][8] == "Dissent rate"
    # Reviews on time vs late per month: columns side by side.
    assert reviews.tag == f"{C}barChart" and _attr(reviews, "grouping") == "clustered"
    assert _refs(reviews) == [
        (f"'Summary'!{col}{month_row}", months, f"'Summary'!${col}${m0}:${col}${m1}")
        for col in "JK"
    ]
    assert rows[month_row - 1][9:11] == ("Reviews on time", "Reviews late")


def test_cells_read_as_a_leader_reads_them(engine: Engine, tmp_path: Path) -> None:
    hand_computed_log(engine)
    out = tmp_path / "log.xlsx"
    export_log(engine, out)
    wb = load_workbook(out)
    decisions = wb["Decisions"]
    header = [c.value for c in decisions[1]]
    row = dict(zip(header, decisions[2], strict=True))
    # A date where only a day is meant: midnight, shown without a time.
    assert row["Review date"].value == datetime(2027, 3, 1)
    assert row["Review date"].number_format == "yyyy-mm-dd"
    assert row["Created (UTC)"].value == datetime(2026, 12, 1, 9, 0)
    assert row["Confidence"].value == 0.4 and row["Confidence"].number_format == "0%"
    assert row["Status"].value == "Reversed" and row["Last review"].value == "Reversed"
    assert row["Owner"].value == "Alice Archer" and row["Channel"].value == "#general"
    assert row["Dissent (name: reason)"].value == (
        "Uma (Disagree): Too early\nUgo (Disagree, but commit, committed): Fine"
    )
    assert row["Thread"].hyperlink.target.endswith("/p1")
    reviews = wb["Reviews"]
    rheader = [c.value for c in reviews[1]]
    outcomes = [r[rheader.index("Outcome")] for r in reviews.iter_rows(min_row=2, values_only=True)]
    assert outcomes == ["Reversed", "Kept", "Amended", "Overdue"]
    due = reviews.cell(row=2, column=rheader.index("Due") + 1)
    assert due.number_format == "yyyy-mm-dd" and due.value == datetime(2026, 12, 21)
    recorded = reviews.cell(row=2, column=rheader.index("Recorded confidence") + 1)
    assert recorded.value == 0.4 and recorded.number_format == "0%"
    # Overdue reviews highlighted: a rule on the review date columns.
    rules = {str(cf.sqref): [r.formula for r in cf.rules] for cf in reviews.conditional_formatting}
    assert rules == {"B2:B5": [['AND($B2<>"",$B2<TODAY(),$E2="")']]}
    drules = {
        str(cf.sqref): [r.formula for r in cf.rules] for cf in decisions.conditional_formatting
    }
    assert drules == {
        "M2:M5": [['AND($M2<>"",$M2<TODAY(),OR($D2="Active",$D2="Under review",$D2="Halted"))']]
    }
    assert (
        next(iter(reviews.conditional_formatting)).rules[0].dxf.fill.fgColor.rgb.endswith("FFC7CE")
    )
    for name in SHEETS:
        ws = wb[name]
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    summary = wb[SUMMARY]
    assert summary.page_setup.orientation == "landscape"
    assert summary.sheet_properties.pageSetUpPr.fitToPage
