"""`narrative-bot playground --demo`: a believable month, played through the same commands,
buttons and forms a person uses, with the playground's clock moved forward as it goes.

The clock starts a month back; narratives get questions and digests, decisions get votes,
dissent, commitments and an Andon pull, reviews are kept, amended, reversed and snoozed,
reflection rounds get answers. It ends at today, with one poll still open to vote on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.views.decisions import CommitRequest, Poll, VotingOver
from bot.views.narratives import NarrativeCard
from bot.views.reflections import RoundCard
from bot.views.reviews import ReviewPromptView
from handlers.playground import actions, commands
from handlers.playground.asked import Asked, Said
from handlers.playground.platform import Message, dm_place
from handlers.playground.server import Playground

ANA, BEN, CAROL, DAVE, ADMIN = "UANA", "UBEN", "UCAROL", "UDAVE", "UADMIN"
GENERAL, PRICING = "CGENERAL", "CPRICING"
DAYS = 30


class Script:
    """Who does what, where, on the playground's clock."""

    def __init__(self, playground: Playground) -> None:
        self.pg = playground

    def asked(self, person: str, place: str, message: str | None = None) -> Asked:
        return Asked(self.pg.core, self.pg.platform, person, place, message)

    def type(self, person: str, place: str, line: str, *, thread: str | None = None) -> Said:
        asked = self.asked(person, place)
        if line.startswith("/"):
            return commands.run_command(asked, line)
        return actions.message(asked, line, thread)

    def click(self, person: str, place: str, act: str, arg: object, **data: Any) -> Said:
        message = data.pop("msg", None)
        return actions.ACTIONS[act](self.asked(person, place, message), {"arg": str(arg), **data})

    def submit(self, person: str, place: str, form: str, arg: object, **fields: Any) -> Said:
        return actions.FORMS[form](self.asked(person, place), {"arg": str(arg)}, fields)

    def at(self, when: datetime) -> None:
        """Move the clock to `when` (never back) and run what came due."""
        self.later(max(when - self.pg.clock.now(), timedelta()))

    def later(self, by: timedelta) -> None:
        self.pg.clock.advance(by)
        self.pg.core.timers.run_due()

    def newest(self, place: str, kind: type, **match: Any) -> Message:
        found = [
            m
            for m in self.pg.platform.messages.values()
            if m.place == place
            and isinstance(m.view, kind)
            and all(_of(m.view, k) == v for k, v in match.items())
        ]
        return found[-1]


def _of(view: object, name: str) -> Any:
    card = getattr(view, "card", None)
    return getattr(card, name) if card is not None else getattr(view, name)


def fill(playground: Playground, *, today: datetime | None = None) -> None:
    """Play a month into a fresh playground; its clock ends at `today` (default: now)."""
    s = Script(playground)
    end = today or playground.clock.now()
    first = (end - timedelta(days=DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)
    # The first Monday of the month that ends today: a working week, inside the metrics' 30 days.
    start = first + timedelta(days=(7 - first.weekday()) % 7)
    playground.clock.advance(start - playground.clock.now())  # back a month, once

    reading(s, PRICING, "Q3 pricing six-pager https://docs.example.invalid/q3-pricing")
    s.later(timedelta(hours=1))
    d1 = poll(
        s,
        PRICING,
        "Move the Pro plan to 49 dollars a month confidence:55% closes:2h review:14d",
        votes={
            BEN: ("agree", ""),
            CAROL: ("disagree", "Churn in the small accounts will eat it"),
            DAVE: ("disagree_commit", "Risky before the billing migration, but fine"),
        },
        final="Move the Pro plan to 49 dollars a month from 1 March, grandfathering yearly plans",
    )
    s.click(CAROL, dm_place(CAROL), "commit", d1, msg=s.newest(dm_place(CAROL), CommitRequest).id)

    s.at(start + timedelta(days=2, hours=1))
    poll(
        s,
        GENERAL,
        "Ship a release every week confidence:40% closes:1h review:21d door:two-way",
        votes={
            BEN: ("agree", ""),
            CAROL: ("agree", ""),
            DAVE: ("disagree", "QA cannot keep up with a weekly train"),
        },
        final="Ship a release every week, with a QA sign-off on Thursdays",
    )
    s.type(
        BEN, GENERAL, "/decisions log We keep the free tier for students confidence:80% review:20d"
    )
    s.type(
        CAROL, PRICING, "/decisions log Annual plans get two months free confidence:65% review:60d"
    )

    s.at(start + timedelta(days=3, hours=2))
    d5 = poll(
        s,
        GENERAL,
        "Hire a second support engineer confidence:70% closes:1h review:7d door:one-way",
        votes={
            BEN: ("agree", ""),
            CAROL: ("disagree_commit", "I would rather fix the docs first"),
            DAVE: ("agree", ""),
        },
        final="Hire a second support engineer this quarter",
    )
    s.click(DAVE, GENERAL, "andon", d5)
    s.submit(DAVE, GENERAL, "andon", d5, reason="The budget for Q1 is not approved yet")
    s.click(ANA, dm_place(ANA), "resolve", d5, resolution="resume")
    s.type(ANA, GENERAL, "/reflect every friday 15:00")

    day = 4
    while start + timedelta(days=day, hours=16) < end:
        today_at = start + timedelta(days=day)
        if today_at.weekday() < 5:
            for hour in (1, 7):  # 10:00 and 16:00: reviews come in working hours
                s.at(today_at + timedelta(hours=hour))
                answer_reviews(s)
            if today_at.weekday() == 4:
                s.at(today_at + timedelta(hours=7, minutes=30))
                reflection_answers(s, day // 7)
        if day == 9:
            s.type(
                DAVE,
                PRICING,
                "/decisions log Enterprise quotes need a second signature confidence:75% review:45d",
            )
        if day == 15:
            s.at(today_at + timedelta(hours=2))
            reading(s, GENERAL, "Support staffing narrative https://docs.example.invalid/support")
        if day == 17:
            s.type(
                ANA,
                GENERAL,
                "/decisions log The on-call rota moves to two-week shifts confidence:60% review:30d",
            )
        day += 1

    s.at(end)
    answer_reviews(s)
    s.type(ANA, PRICING, "/decide Offer a 14-day trial of the Pro plan confidence:60% closes:2d")
    trial = s.newest(PRICING, Poll).view.card.id  # type: ignore[union-attr]
    s.click(BEN, PRICING, "vote", trial, choice="agree")
    s.submit(
        CAROL,
        PRICING,
        "reason",
        trial,
        choice="disagree",
        reason="Trials bring tire-kickers, not buyers",
    )


def reading(s: Script, place: str, what: str) -> None:
    """A narrative read: questions in its thread, 👍s, one asked privately, a digest."""
    s.type(ANA, place, f"/narrative 20m @ben @carol @dave {what}")
    card = s.newest(place, NarrativeCard)
    nid = card.view.narrative_id  # type: ignore[union-attr]
    s.later(timedelta(minutes=6))
    s.type(BEN, place, "Why March and not after the billing migration?", thread=card.id)
    s.type(CAROL, place, "What happens to churn in the small accounts?", thread=card.id)
    question = s.pg.platform.in_place(place, thread=card.id)[0]
    s.click(DAVE, place, "upvote", question.id)
    s.click(CAROL, place, "upvote", question.id)
    s.submit(DAVE, place, "ask", nid, question="Can we afford the support load?")
    s.later(timedelta(minutes=8))
    for person in (BEN, CAROL, DAVE):
        s.click(person, place, "done_reading", nid)


def poll(s: Script, place: str, line: str, *, votes: dict[str, tuple[str, str]], final: str) -> int:
    """Ana proposes; people vote (dissent with reasons); voting closes; Ana finalizes."""
    s.type(ANA, place, f"/decide {line}")
    decision = s.newest(place, Poll).view.card.id  # type: ignore[union-attr]
    for person, (stance, reason) in votes.items():
        s.later(timedelta(minutes=7))
        if stance == "agree":
            s.click(person, place, "vote", decision, choice=stance)
        else:
            s.submit(person, place, "reason", decision, choice=stance, reason=reason)
    s.later(timedelta(hours=2))
    s.newest(dm_place(ANA), VotingOver, id=decision)
    s.submit(ANA, dm_place(ANA), "finalize", decision, final_text=final)
    return decision


ANSWERS = (
    ("We shipped the pricing page before support had the FAQ.", "Trials started and demos booked."),
    ("We let the release train slip twice.", "Time to first answer in support."),
    ("We argued about pricing without the churn numbers.", "Weekly active teams."),
    ("We hired before the budget was approved.", "Renewals in the first 90 days."),
)


def reflection_answers(s: Script, week: int) -> None:
    """Friday's round: answers in the form and in the thread."""
    rounds = [m for m in s.pg.platform.in_place(GENERAL) if isinstance(m.view, RoundCard)]
    if not rounds:
        return
    round_ = rounds[-1]
    rid = round_.view.round_id  # type: ignore[union-attr]
    mistake, inputs = ANSWERS[week % len(ANSWERS)]
    s.submit(BEN, GENERAL, "answers", rid, q0=mistake, q1=inputs)
    s.submit(CAROL, GENERAL, "answers", rid, q2="Fix onboarding before anything else.")
    s.type(DAVE, GENERAL, "6. Nobody owns the data pipeline.", thread=round_.id)


# Each review, answered by its label's outcome (the rest are left for the visitor).
OUTCOMES = {"D-1": "keep", "D-2": "amend", "D-3": "snooze", "D-5": "reverse"}


def answer_reviews(s: Script) -> None:
    for m in list(s.pg.platform.messages.values()):
        view = m.view
        if not isinstance(view, ReviewPromptView) or view.label not in OUTCOMES:
            continue
        outcome, owner = OUTCOMES[view.label], m.place[1:]
        if outcome == "keep":
            s.submit(
                owner,
                m.place,
                "review_keep",
                view.review_id,
                actual="60",
                learned="Churn stayed flat.",
                next_review=(s.pg.clock.now() + timedelta(days=60)).date().isoformat(),
                tz="UTC",
            )
        elif outcome == "amend":
            s.submit(
                owner,
                m.place,
                "review_change",
                view.review_id,
                outcome="amend",
                actual="30",
                new_text="Ship a release every two weeks",
                learned="QA needs two weeks",
            )
        elif outcome == "reverse":
            s.submit(
                owner,
                m.place,
                "review_change",
                view.review_id,
                outcome="reverse",
                actual="40",
                learned="Better docs halved the tickets; no hire needed",
                new_text="",
            )
        else:
            s.click(owner, m.place, "review_snooze", view.review_id, period="week", msg=m.id)
