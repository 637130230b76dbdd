"""The playground's commands, buttons and forms in-process (no browser): Slack's grammar, help
and errors; the forms a browser test does not open; the clock control; the host warning."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from bot.views.decisions import Poll
from bot.views.narratives import NarrativeCard
from bot.views.reviews import ReviewAnsweredView, ReviewPromptView
from bot.vocabulary import ReviewAnswer
from handlers.playground import actions, commands
from handlers.playground.asked import Asked, Said
from handlers.playground.html import render, usage
from handlers.playground.platform import FileLink, Message, dm_place
from handlers.playground.run import Started, build, host_warning
from handlers.slack.commands import decide as slack_decide
from handlers.slack.commands import reflect as slack_reflect

ANA, BEN, ADMIN = "UANA", "UBEN", "UADMIN"
GENERAL = "CGENERAL"


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    with freeze_time("2026-12-01 09:00:00"):
        built = build(tmp_path / "playground.db")
        yield built
        built.core.close()


def say(started: Started, person: str, line: str, place: str = GENERAL) -> Said:
    asked = Asked(started.core, started.playground.platform, person, place)
    return commands.run_command(asked, line)


def click(started: Started, person: str, act: str, arg: object, **data: str) -> Said:
    asked = Asked(started.core, started.playground.platform, person, GENERAL, data.pop("msg", None))
    return actions.ACTIONS[act](asked, {"arg": str(arg), **data})


def submit(started: Started, person: str, form: str, arg: object, **fields: object) -> Said:
    asked = Asked(started.core, started.playground.platform, person, GENERAL)
    return actions.FORMS[form](asked, {"arg": str(arg)}, fields)


def told(started: Started, person: str) -> list[str]:
    return [render(t.notice) for t in started.playground.platform.notices_for(person)]


def posted(started: Started, place: str, kind: type) -> list[Message]:
    return [m for m in started.playground.platform.in_place(place) if isinstance(m.view, kind)]


def test_help_and_errors_are_slacks(started: Started) -> None:
    say(started, ANA, "/decide help")
    assert told(started, ANA)[-1] == render(usage(slack_decide.USAGE))
    say(started, ANA, "/decide Ship it confidence:300%")
    last = told(started, ANA)[-1]
    assert "⚠️" in last and "confidence" in last and render(usage(slack_decide.USAGE))[30:90] in last
    say(started, ANA, "/reflect sometimes")
    assert "I don&#x27;t know <code>/reflect sometimes</code>" in told(started, ANA)[-1]
    say(started, ANA, "/reflect every blursday 09:00")
    assert "I could not read that schedule" in told(started, ANA)[-1]
    say(started, ANA, "/reflect")
    assert told(started, ANA)[-1] == render(usage(slack_reflect.USAGE))
    say(started, ANA, "/shrug")
    assert "not a command here" in told(started, ANA)[-1]
    assert told(started, BEN) == []


def test_bare_commands_open_their_forms_and_the_forms_post(started: Started) -> None:
    with freeze_time("2026-12-01 09:00:00"):
        said = say(started, ANA, "/narrative")
        assert said.form is not None and 'data-form="start"' in said.form
        errors = submit(started, ANA, "start", GENERAL, title="", link="", reading="20m")
        assert errors.errors  # neither a title nor a link
        submit(started, ANA, "start", GENERAL, title="Hiring plan", reading="30m", readers=[BEN])
        [card] = posted(started, GENERAL, NarrativeCard)
        assert card.view.title == "Hiring plan" and card.view.progress.expected == (BEN,)  # type: ignore[union-attr]
        said = say(started, BEN, "/narrative end")
        assert said == Said() and "Only the narrative" in told(started, BEN)[-1]

        said = say(started, ANA, "/decide")
        assert said.form is not None and 'data-form="propose"' in said.form
        bad = submit(
            started, ANA, "propose", "", proposal="Hire two", confidence="200", channel_id=GENERAL
        )
        assert "confidence" in bad.errors
        submit(
            started,
            ANA,
            "propose",
            "",
            proposal="Hire two",
            confidence="50",
            owner=BEN,
            channel_id=GENERAL,
        )
        [poll] = posted(started, GENERAL, Poll)
        assert (poll.view.card.proposal, poll.view.card.owner_id) == ("Hire two", BEN)  # type: ignore[union-attr]


def test_decisions_subcommands_and_export(started: Started) -> None:
    with freeze_time("2026-12-01 09:00:00"):
        say(started, ANA, "/decisions log We keep the free tier confidence:80% review:20d")
        assert "Recorded D-1 (80%)" in told(started, ANA)[-1]
        say(started, ANA, "/decisions search free tier")
        assert "We keep the free tier" in told(started, ANA)[-1]
        say(started, ANA, "/decisions D-1")
        assert "D-1 (active): We keep the free tier" in told(started, ANA)[-1]
        say(started, ANA, "/decisions frobnicate")
        assert "I don&#x27;t know <code>frobnicate</code>" in told(started, ANA)[-1]
        say(started, ANA, "/decisions export #general")
        [sent] = [
            m.view
            for m in started.playground.platform.in_place(dm_place(ANA))
            if isinstance(m.view, FileLink)
        ]
        data = started.playground.platform.files[sent.file_id].data
        rows = list(load_workbook(io.BytesIO(data))["Decisions"].iter_rows(values_only=True))
        assert [r[0] for r in rows[1:]] == ["D-1"]


def test_reflection_settings_forms(started: Started) -> None:
    said = say(started, ANA, "/reflect questions")
    assert said.form is not None and 'data-form="questions"' in said.form
    submit(started, ANA, "questions", GENERAL, questions="What surprised us?\nWhat do we stop?")
    assert "now asks 2 questions" in told(started, ANA)[-1]
    say(started, ANA, "/reflect pick 1")
    assert "Each round asks 1 of the 2 questions" in told(started, ANA)[-1]
    say(started, ANA, "/reflect status")
    assert "2 custom questions, 1 asked per round" in told(started, ANA)[-1]


def test_the_clock_runs_what_came_due_and_the_keep_form_and_snooze(started: Started) -> None:
    pg = started.playground
    with freeze_time("2026-12-01 09:00:00") as frozen:
        say(started, ANA, "/decisions log We keep the free tier confidence:80% review:30d")
        before = pg.clock.now()
        assert pg.advance("next") == 1  # straight to the review, a month on
        frozen.tick(timedelta(seconds=1))
        assert pg.clock.now() - before >= timedelta(days=29)
        [prompt] = [
            m for m in pg.platform.in_place(dm_place(ANA)) if isinstance(m.view, ReviewPromptView)
        ]
        review_id = prompt.view.review_id  # type: ignore[union-attr]
        refused = click(started, BEN, "review_keep", review_id)
        assert refused == Said() and "owner" in told(started, BEN)[-1]
        said = click(started, ANA, "review_keep", review_id)
        assert said.form is not None and 'data-form="review_keep"' in said.form
        submit(
            started,
            ANA,
            "review_keep",
            review_id,
            next_review="2027-03-01",
            actual="70",
            learned="",
        )
        answered = pg.platform.messages[prompt.id].view
        assert isinstance(answered, ReviewAnsweredView) and answered.outcome == ReviewAnswer.KEEP
        assert pg.advance("next") == 1  # the next review, on the day the owner chose
        [again] = [
            m for m in pg.platform.in_place(dm_place(ANA)) if isinstance(m.view, ReviewPromptView)
        ]
        click(started, ANA, "review_snooze", again.view.review_id, period="week")  # type: ignore[union-attr]
        assert isinstance(pg.platform.messages[again.id].view, ReviewAnsweredView)
        assert pg.advance("5m") == 0 and pg.clock.now() > before


def test_a_non_loopback_host_is_warned_about() -> None:
    assert host_warning("127.0.0.1", 3000) is None and host_warning("localhost", 3000) is None
    assert host_warning("::1", 3000) is None
    warned = host_warning("0.0.0.0", 3000)
    assert warned is not None and "no sign-in" in warned and "0.0.0.0:3000" in warned


def test_mentions_are_typed_as_names(started: Started) -> None:
    with freeze_time("2026-12-01 09:00:00"):
        say(started, ANA, "/decide Hire a designer owner:@ben closes:1h")
        say(started, ANA, "/narrative 15m @carol @Dave Design review")
    [poll] = posted(started, GENERAL, Poll)
    assert poll.view.card.owner_id == BEN  # type: ignore[union-attr]
    [card] = posted(started, GENERAL, NarrativeCard)
    assert card.view.progress.expected == ("UCAROL", "UDAVE")  # type: ignore[union-attr]
    assert card.view.title == "Design review"  # type: ignore[union-attr]


def test_a_kept_database_never_lets_an_old_message_id_name_a_new_message(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    with freeze_time("2026-12-01 09:00:00"):
        first = build(db)
        say(first, ANA, "/decide Hire a designer closes:1h")
        [old] = posted(first, GENERAL, Poll)
        decision = old.view.card.id  # type: ignore[union-attr]
        first.core.close()
        again = build(db)
        try:
            say(again, ANA, "/decisions log Keep the free tier")
            [logged] = again.playground.platform.in_place(GENERAL)
            shown = logged.view
            click(again, BEN, "vote", decision, choice="agree")  # updates the poll's old message
            assert logged.view is shown, "the new message was not overwritten"
            assert logged.id != old.id
        finally:
            again.core.close()


def test_a_step_runs_each_timer_at_its_own_time(tmp_path: Path) -> None:
    """Days stepped through at 17:30, after working hours: the review due on a Saturday is sent
    on Monday at 09:00, when its timer comes due, not pushed on from one step's end to the
    next (which would never fall in working hours)."""
    with freeze_time("2026-11-26 17:30:00"):
        started = build(tmp_path / "playground.db")
        try:
            pg = started.playground
            say(started, ANA, "/decisions log We keep the free tier confidence:80% review:30d")
            pg.advance("30d")  # Saturday 26 December, 17:30: outside working hours
            for _ in range(3):
                pg.advance("1d")
            sent = [
                m
                for m in pg.platform.in_place(dm_place(ANA))
                if isinstance(m.view, ReviewPromptView)
            ]
            assert len(sent) == 1, "the review was sent once, on Monday"
            assert pg.clock.now().strftime("%a %H:%M") == "Tue 17:30"
        finally:
            started.core.close()
