"""A burst of votes on one poll, end to end: every vote stored, the poll message updated at most
about once per second (Slack's `chat.update` rate for one message), and the exact final tally."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import col, select

from handlers.slack.blocks.decisions import CHOICE_LABELS
from storage.db import session_scope
from storage.models import Vote
from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import CHANNEL, propose, shown, vote, wait_until

VOTERS = 200
THREADS = 20


def choice_of(i: int) -> str:
    """A mix: most agree, some disagree but commit, some disagree (both need a reason)."""
    return ("agree", "agree", "agree", "disagree_commit", "disagree")[i % 5]


def expected_tally() -> dict[str, int]:
    tally = {"agree": 0, "disagree_commit": 0, "disagree": 0}
    for i in range(VOTERS):
        tally[choice_of(i)] += 1
    return tally


def shown_tally(text: str) -> dict[str, int]:
    found = {}
    for choice, label in CHOICE_LABELS.items():
        match = re.search(rf"\*{re.escape(label)}:\* (\d+)", text)
        assert match, f"no {label} line in {text[:300]!r}"
        found[choice] = int(match.group(1))
    return found


def test_two_hundred_people_vote_within_seconds(bot: RunningBot) -> None:
    slack = bot.slack
    poll_ts, decision_id = propose(bot, "We move the all-hands to Thursdays")
    wait_until(lambda: bool(slack.calls("chat.postMessage")))

    def cast(i: int) -> None:
        user = f"U{i:07d}"
        choice = choice_of(i)
        reason = None if choice == "agree" else f"Reason of voter {i} & <friends>"
        vote(bot, decision_id, poll_ts, user, choice, reason)

    started = time.time()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(cast, range(VOTERS)))
    sent = time.time()
    assert sent - started < 60, "the burst itself should take seconds"

    def stored() -> int:
        with session_scope(bot.core.engine) as session:
            return len(list(session.exec(select(Vote).where(col(Vote.current)))))

    wait_until(lambda: stored() == VOTERS, timeout=20, what="all votes stored")
    want = expected_tally()
    wait_until(
        lambda: shown_tally(shown(slack, CHANNEL, poll_ts)) == want,
        timeout=10,
        what=f"final tally {want} on the poll",
    )
    with session_scope(bot.core.engine) as session:
        votes = list(session.exec(select(Vote)))
    assert len(votes) == VOTERS and len({v.user_id for v in votes}) == VOTERS
    assert all(v.current and v.decision_id == decision_id for v in votes)
    assert sum(1 for v in votes if v.reason) == want["disagree_commit"] + want["disagree"]

    # Once every update still pending has landed (each in its turn), look at the rate.
    bot.wait_idle(timeout=20)
    updates = [c for c in slack.calls("chat.update") if c.params.get("ts") == poll_ts]
    assert updates, "the poll was never updated"
    times = [c.at for c in updates]
    elapsed = times[-1] - times[0]
    assert len(updates) <= elapsed + 2, (len(updates), elapsed)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps, default=1.0) >= 0.9, gaps
    # The last update shows every vote: the exact tally.
    assert shown_tally(shown(slack, CHANNEL, poll_ts)) == want
