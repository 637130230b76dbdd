"""Vote burst: 1,000 votes by 200 people on one /decide poll, through the real HTTP stack.

The bot (Bolt on the aiohttp server, SQLite file) runs against the Slack test double; 20 client threads send
signed requests. Each person votes five times: four votes with a reason (the reason modal's
submission, stored before Slack gets its answer) and, for half of them, a last *Agree* (the
button, stored just after the answer). Measured: seconds until all 1,000 votes are stored, the
number of `chat.update` calls on the poll (coalesced to about one a second), and whether the poll
ends up showing the exact tally.

    python -m benchmarks.votes
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from benchmarks.report import Table, machine
from bot.config import load_settings
from bot.core import build_core
from handlers.slack.app import build_app, build_client
from handlers.slack.blocks.decisions import CHOICE_LABELS, REASON_VIEW, VOTE_ACTIONS
from handlers.web import HttpServer
from storage.db import session_scope
from storage.models import Decision, Vote
from tests.signed import SignedClient
from tests.slack_double import SlackDouble

USERS = 200
VOTES_PER_USER = 5
THREADS = 20
SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH"


def _final_choice(user: int) -> str:
    return "agree" if user % 2 == 0 else ("disagree_commit", "disagree")[(user // 2) % 2]


def _plan(user: int) -> list[tuple[str, str | None]]:
    """Five votes: four with a reason (alternating), then Agree for even users."""
    votes: list[tuple[str, str | None]] = []
    last = _final_choice(user)
    reasoned = 4 if last == "agree" else 5
    ending = "disagree" if last == "agree" else last
    other = "disagree_commit" if ending == "disagree" else "disagree"
    for k in range(reasoned):
        # Alternate, ending on this person's final choice when it needs a reason.
        choice = ending if (reasoned - 1 - k) % 2 == 0 else other
        votes.append((choice, f"Reason {k} of voter {user}"))
    if last == "agree":
        votes.append(("agree", None))
    assert len(votes) == VOTES_PER_USER and votes[-1][0] == last
    return votes


def _shown_tally(message: dict[str, Any] | None) -> dict[str, int]:
    blocks = json.dumps((message or {}).get("blocks") or [])
    found = {}
    for choice, label in CHOICE_LABELS.items():
        match = re.search(rf"\*{re.escape(label)}:\* (\d+)", blocks)
        found[choice] = int(match.group(1)) if match else -1
    return found


def bench_vote_burst() -> Table:
    slack = SlackDouble().start()
    folder = tempfile.TemporaryDirectory(prefix="bench-votes-")
    url = f"sqlite:///{Path(folder.name) / 'narrative.db'}"
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }
    settings = load_settings(env, mode="http", port=0)
    core = build_core(settings)
    app = build_app(settings, core, client=build_client(settings))
    server = HttpServer(app, core, host="127.0.0.1", port=0)
    server.start_in_thread()
    client = SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
    try:
        return _run(slack, core, client)
    finally:
        server.close()
        core.close()
        slack.stop()
        folder.cleanup()


def _run(slack: SlackDouble, core: Any, client: SignedClient) -> Table:
    reply = client.command("/decide", "We move the all-hands to Thursdays", channel_id=CHANNEL)
    assert reply.status == 200, reply.body
    deadline = time.monotonic() + 10
    decision: Decision | None = None
    while decision is None or not decision.poll_ts:
        assert time.monotonic() < deadline, "the poll was not posted"
        time.sleep(0.02)
        with session_scope(core.engine) as session:
            decision = session.exec(select(Decision)).first()
    decision_id, poll_ts = int(decision.id or 0), str(decision.poll_ts)
    errors: list[str] = []
    latencies: list[float] = []

    def timed(send: Any, *args: Any, **kwargs: Any) -> Any:
        at = time.perf_counter()
        reply = send(*args, **kwargs)
        latencies.append(time.perf_counter() - at)
        return reply

    def voter(user: int) -> None:
        uid = f"U{user:07d}"
        for k, (choice, reason) in enumerate(_plan(user)):
            pressed = timed(
                client.block_action,
                VOTE_ACTIONS[choice],
                str(decision_id),
                user_id=uid,
                channel_id=CHANNEL,
                message_ts=poll_ts,
                trigger_id=f"t-{user}-{k}",
            )
            if pressed.status != 200:
                errors.append(f"button {pressed.status}")
            if reason is None:
                continue
            submitted = timed(
                client.view_submission,
                REASON_VIEW,
                {"reason": {"value": {"type": "plain_text_input", "value": reason}}},
                private_metadata=json.dumps({"decision_id": decision_id, "choice": choice}),
                user_id=uid,
            )
            if submitted.status != 200 or submitted.body.strip():
                errors.append(f"reason {submitted.status} {submitted.body[:80]}")

    def counts() -> tuple[int, int]:
        with session_scope(core.engine) as session:
            total = session.exec(select(func.count()).select_from(Vote)).one()
            current = session.exec(
                select(func.count()).select_from(Vote).where(col(Vote.current))
            ).one()
        return int(total), int(current)

    total_votes = USERS * VOTES_PER_USER
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(voter, range(USERS)))
    sent = time.perf_counter() - started
    deadline = time.monotonic() + 60
    while counts() != (total_votes, USERS) and time.monotonic() < deadline:
        time.sleep(0.01)
    stored = time.perf_counter() - started
    stored_counts = counts()

    # The tally the votes stored make (what each person last sent, when every request is
    # acknowledged in time), which the poll must show exactly.
    with session_scope(core.engine) as session:
        current = list(session.exec(select(Vote.choice).where(col(Vote.current))))
    want = {c: sum(1 for v in current if v == c) for c in CHOICE_LABELS}
    intended = {c: 0 for c in CHOICE_LABELS}
    for user in range(USERS):
        intended[_final_choice(user)] += 1
    deadline = time.monotonic() + 10
    while _shown_tally(slack.messages.get((CHANNEL, poll_ts))) != want:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    shown_at = time.perf_counter() - started
    time.sleep(1.5)  # anything still pending lands now
    shown = _shown_tally(slack.messages.get((CHANNEL, poll_ts)))
    updates = [c.at for c in slack.calls("chat.update") if c.params.get("ts") == poll_ts]
    span = updates[-1] - updates[0] if len(updates) > 1 else 0.0
    gaps = [b - a for a, b in zip(updates, updates[1:], strict=False)]

    table = Table(
        f"Vote burst: {total_votes:,} votes by {USERS} people on one poll ({THREADS} clients)",
        ["measure", "value"],
    )
    table.add("votes sent (HTTP 200)", f"{total_votes - len(errors):,} of {total_votes:,}")
    table.add("seconds to send", f"{sent:.2f}")
    ordered = sorted(latencies)
    table.add(
        "acknowledgement p50 / p99 / max",
        f"{ordered[len(ordered) // 2] * 1000:.0f} / {ordered[int(len(ordered) * 0.99)] * 1000:.0f}"
        f" / {ordered[-1] * 1000:.0f} ms",
    )
    table.add("seconds until all stored", f"{stored:.2f}")
    table.add("votes stored / current", f"{stored_counts[0]:,} / {stored_counts[1]}")
    table.add("votes per second (stored)", f"{total_votes / stored:.0f}")
    table.add("chat.update calls on the poll", f"{len(updates)} over {span:.1f} s")
    table.add("shortest gap between updates", f"{min(gaps):.2f} s" if gaps else "-")
    table.add("seconds until the exact tally shows", f"{shown_at:.2f}")
    table.add(
        "final tally shown (agree / commit / disagree)",
        f"{shown['agree']} / {shown['disagree_commit']} / {shown['disagree']}"
        + (" (exact)" if shown == want else f" (WRONG, want {want})"),
    )
    if want != intended:
        table.note(f"Stored tally {want} differs from what people last sent {intended}.")
    table.note(f"{machine()}; SQLite file; Slack test double on loopback.")
    if errors:
        table.note(f"{len(errors)} request errors, e.g. {errors[0]}")
    return table


if __name__ == "__main__":
    print(bench_vote_burst().render())
