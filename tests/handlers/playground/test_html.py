"""The playground's HTML renderers: pure functions of the neutral views (like the Block Kit
ones), read here as HTML with the standard library's parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from bot.views import Person, Strong, notice
from bot.views.decision_log import EntryLine, HomeFilters, HomeView, MetricsView, PageLines
from bot.views.decisions import Ballot, DecisionCard, FinalizeForm, Poll, ReasonForm, Record
from bot.views.narratives import Digest, DigestQuestion, NarrativeCard, ReadingProgress
from bot.views.reflections import AnswerField, AnswersForm, RoundCard
from bot.views.reviews import ReviewPromptView
from bot.vocabulary import DecisionStatus, NarrativeKind, Stance
from handlers.playground.html import render, usage

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EVIL = "<script>alert('x')</script> & co"


class Parsed(HTMLParser):
    """The tags, attributes and text of a fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def buttons(self) -> list[tuple[str | None, str | None, str | None]]:
        return [
            (a.get("data-act"), a.get("data-arg"), a.get("data-choice"))
            for t, a in self.tags
            if t == "button" and a.get("data-act")
        ]

    def words(self) -> str:
        return "".join(self.text)


def decision(**changes: object) -> DecisionCard:
    base: dict[str, object] = dict(
        id=7,
        label="D-7",
        status=DecisionStatus.VOTING,
        proposal=EVIL,
        final_text=None,
        owner_id="UANA",
        proposed_by="UANA",
        confidence=60,
        confidence_note=None,
        door="one-way",
        review_on=AT + timedelta(days=30),
        closes_at=AT + timedelta(hours=2),
        anonymous=False,
        decided_at=None,
        permalink=None,
        ballots=(
            Ballot("UBEN", Stance.AGREE, None, AT, None),
            Ballot("UCAROL", Stance.DISAGREE, "Too <b>early</b>", AT, None),
        ),
        andon=None,
    )
    base.update(changes)
    return DecisionCard(**base)  # type: ignore[arg-type]


def test_user_text_is_escaped_never_markup() -> None:
    html = render(Poll(decision()))
    parsed = Parsed(html)
    assert "script" not in [t for t, _ in parsed.tags]
    assert "b" not in [t for t, _ in parsed.tags]  # the dissent reason's <b> is text
    assert EVIL in parsed.words() and "Too <b>early</b>" in parsed.words()


def test_a_poll_has_the_three_stances_and_finalize_and_names_the_voters() -> None:
    parsed = Parsed(render(Poll(decision())))
    assert parsed.buttons() == [
        ("vote", "7", "agree"),
        ("vote", "7", "disagree_commit"),
        ("vote", "7", "disagree"),
        ("finalize", "7", None),
    ]
    words = parsed.words()
    assert "Agree — 1: @Ben" in words and "Disagree — 1: @Carol" in words
    assert "60%" in words and "one-way" in words


def test_an_anonymous_poll_shows_counts_without_names_or_reasons() -> None:
    words = Parsed(render(Poll(decision(anonymous=True)))).words()
    assert "Agree — 1" in words and "@Ben" not in words and "Too" not in words


def test_a_record_shows_the_new_wording_the_proposal_and_the_andon_cord() -> None:
    card = decision(status=DecisionStatus.ACTIVE, final_text="Launch in April", decided_at=AT)
    parsed = Parsed(render(Record(card)))
    assert "D-7 (active): Launch in April" in parsed.words()
    assert f"Proposed as: {EVIL}" in parsed.words()
    assert parsed.buttons() == [("andon", "7", None)]
    halted = Parsed(render(Record(decision(status=DecisionStatus.HALTED, final_text="x"))))
    assert halted.buttons() == []  # a halted decision cannot be halted again


def test_the_narrative_card_has_its_buttons_while_reading_only() -> None:
    progress = ReadingProgress(expected=("UBEN", "UCAROL"), done=("UBEN",), reading=True)
    card = NarrativeCard(
        narrative_id=3,
        title="Q3 <pricing>",
        link="javascript:alert(1)",
        kind=NarrativeKind.SIX_PAGER,
        owner="UANA",
        reading_time=timedelta(minutes=20),
        ends_at=AT,
        progress=progress,
    )
    parsed = Parsed(render(card))
    assert [b[0] for b in parsed.buttons()] == ["done_reading", "ask_privately", "end_reading"]
    assert "Done: @Ben · still reading: @Carol" in parsed.words()
    links = [a.get("href") for t, a in parsed.tags if t == "a"]
    assert links == ["#"], "only http(s) links are followed"
    over = NarrativeCard(**{**card.__dict__, "progress": ReadingProgress(("UBEN",), (), False)})
    assert Parsed(render(over)).buttons() == []


def test_the_digest_ranks_and_hides_the_private_asker() -> None:
    digest = Digest(
        3,
        "Q3",
        ReadingProgress((), (), False),
        (
            DigestQuestion("Why March?", "UBEN", 2, AT),
            DigestQuestion("Can we afford it?", None, 0, AT),
        ),
    )
    words = Parsed(render(digest)).words()
    assert words.index("Why March?") < words.index("Can we afford it?")
    assert "@Ben · 👍 2" in words and "asked privately" in words


def test_forms_name_their_fields_as_the_core_reads_them() -> None:
    reason = Parsed(render(ReasonForm(decision(), Stance.DISAGREE)))
    forms = [a for t, a in reason.tags if t == "form"]
    assert forms == [{"class": "pg-form", "data-form": "reason", "data-arg": "7"}]
    names = {a.get("name") for t, a in reason.tags if t in ("input", "textarea")}
    assert names == {"choice", "reason"}
    finalize = render(FinalizeForm(decision()))
    assert "&lt;script&gt;" in finalize  # prefilled with the proposal, escaped
    answers = AnswersForm(5, AT, (AnswerField("q0", 0, "Mistakes?", "We <did>"),))
    parsed = Parsed(render(answers))
    assert [a.get("name") for t, a in parsed.tags if t == "textarea"] == ["q0"]
    assert "We <did>" in parsed.words()


def test_review_prompt_offers_every_answer() -> None:
    prompt = ReviewPromptView(9, "D-7", "Ship weekly", 40, None, AT, None, ())
    acts = [(b[0], b[1]) for b in Parsed(render(prompt)).buttons()]
    assert acts == [
        ("review_keep", "9"),
        ("review_amend", "9"),
        ("review_reverse", "9"),
        ("review_snooze", "9"),
        ("review_snooze", "9"),
    ]


def test_a_round_has_its_answer_button_and_questions() -> None:
    parsed = Parsed(render(RoundCard(4, ("What went wrong?", "What <next>?"), AT)))
    assert parsed.buttons() == [("answer_round", "4", None)]
    assert "What <next>?" in parsed.words()


def test_notices_and_usage() -> None:
    words = Parsed(render(notice("Only ", Person("UANA"), " may ", Strong("<finalize>")))).words()
    assert words == "Only @Ana may <finalize>"
    parsed = Parsed(render(usage("*/decide* runs a poll: `/decide <x>`")))
    assert ("strong", {}) in parsed.tags and ("code", {}) in parsed.tags
    assert "/decide <x>" in parsed.words()


def test_the_log_tab_pages_filters_and_caps_the_count() -> None:
    line = EntryLine(1, "D-1", "active", 60, 1, AT, True, None, EVIL, "UBEN", "CPRICING")
    metrics = MetricsView(1, 0, 0, 60.0, 1, 0, 0, 0, 0, 0)
    view = HomeView(
        HomeFilters(status="active", page=1), PageLines((line,), 1, 10, True), metrics, 1001
    )
    parsed = Parsed(render(view))
    words = parsed.words()
    assert "1,000+ decisions" in words and EVIL in words and "#pricing" in words
    assert [(b[0], b[1]) for b in parsed.buttons()] == [
        ("open_record", "1"),
        ("home_page", "0"),
        ("home_page", "2"),
        ("home_export", ""),
    ]
    chosen = [a.get("value") for t, a in parsed.tags if t == "option" and "selected" in a]
    assert chosen == ["", "", "active", ""]
