"""`TeamsPlatform` against the Teams double: posting, threads, coalesced card updates, 429s
retried after Retry-After (bounded), direct messages and their fallback, names and zones."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from bot.port import MessageRef, PostFailed, Unreachable
from bot.views import notice
from handlers.teams.activity import parse
from handlers.teams.connector import MAX_RETRIES, MAX_RETRY_AFTER, Connector
from handlers.teams.platform import TeamsPlatform
from tests.teams_double import CHANNEL, TENANT, TeamsDouble, activity

DAN = "29:dan"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def platform(teams: TeamsDouble, waits: list[float]) -> Iterator[TeamsPlatform]:
    connector = Connector(timeout=0.5, sleep=waits.append)  # waits recorded, not slept
    made = TeamsPlatform(connector, interval=0.3)
    made.directory.saw(parse(json.dumps(activity(teams, "message", text="hi")).encode()))
    yield made
    made.close()
    connector.close()


def test_a_post_and_a_thread_reply_go_to_the_conversation(
    teams: TeamsDouble, platform: TeamsPlatform
) -> None:
    root = platform.post(TENANT, CHANNEL, notice("hello"))
    reply = platform.post(TENANT, CHANNEL, notice("in the thread"), thread=root.id)
    calls = teams.posts(CHANNEL)
    assert [c.activity_id for c in calls] == [None, root.id]
    assert reply.id == calls[1].answered_id and "in the thread" in calls[1].card_text


def test_a_keyed_post_is_posted_once(teams: TeamsDouble, platform: TeamsPlatform) -> None:
    first = platform.post(TENANT, CHANNEL, notice("poll"), key="poll:1")
    assert platform.post(TENANT, CHANNEL, notice("poll"), key="poll:1") == first
    assert len(teams.posts(CHANNEL)) == 1


def test_a_429_is_retried_after_its_retry_after(
    teams: TeamsDouble, platform: TeamsPlatform, waits: list[float]
) -> None:
    teams.fail("POST", "/activities", 429, times=2, retry_after="2")
    ref = platform.post(TENANT, CHANNEL, notice("hello"))
    assert waits == [2.0, 2.0]
    assert len([c for c in teams.calls if c.method == "POST"]) == 3
    assert ref.id == teams.posts(CHANNEL)[0].answered_id


def test_429s_are_retried_a_bounded_number_of_times_with_backoff(
    teams: TeamsDouble, platform: TeamsPlatform, waits: list[float]
) -> None:
    teams.fail("POST", "/activities", 429, times=100)
    with pytest.raises(Unreachable):
        platform.post(TENANT, CHANNEL, notice("hello"))
    assert waits == [0.5 * 2**n for n in range(MAX_RETRIES)]
    waits.clear()
    teams.failures.clear()
    teams.fail("POST", "/activities", 429, times=100, retry_after="3600")
    with pytest.raises(Unreachable):
        platform.post(TENANT, CHANNEL, notice("hello"))
    assert waits == [MAX_RETRY_AFTER] * MAX_RETRIES


def test_errors_become_the_ports(teams: TeamsDouble, platform: TeamsPlatform) -> None:
    teams.fail("POST", "/activities", 500)
    with pytest.raises(Unreachable):
        platform.post(TENANT, CHANNEL, notice("hello"))
    teams.fail("POST", "/activities", 403)
    with pytest.raises(PostFailed) as refused:
        platform.post(TENANT, CHANNEL, notice("hello"))
    assert refused.value.reason == "http_403"
    teams.fail("POST", "/activities", 200, hang=2.0)
    with pytest.raises(Unreachable):
        platform.post(TENANT, CHANNEL, notice("hello"))


def test_a_burst_of_updates_is_coalesced_and_the_latest_state_wins(
    teams: TeamsDouble, platform: TeamsPlatform
) -> None:
    ref = platform.post(TENANT, CHANNEL, notice("count 0"))
    state = {"count": 0}
    lock = threading.Lock()

    def latest() -> object:
        with lock:
            return notice(f"count {state['count']}")

    for n in range(1, 21):
        with lock:
            state["count"] = n
        platform.update(TENANT, ref, latest)
    teams.wait_for(lambda: any("count 20" in c.card_text for c in teams.updates(ref.id)))
    assert platform.updates.wait_idle(5)
    puts = teams.updates(ref.id)
    # The first update goes at once, the rest wait for the interval: two PUTs, not twenty.
    assert len(puts) <= 2
    assert "count 20" in puts[-1].card_text


def test_a_direct_message_opens_a_chat_once(teams: TeamsDouble, platform: TeamsPlatform) -> None:
    platform.dm(TENANT, DAN, notice("first"))
    platform.dm(TENANT, DAN, notice("second"))
    opened = [c for c in teams.calls if c.path == "/v3/conversations"]
    assert len(opened) == 1
    assert opened[0].body is not None and opened[0].body["members"] == [{"id": DAN}]
    assert opened[0].body["tenantId"] == TENANT
    assert len(teams.posts(teams.chat_of(DAN))) == 2


def test_a_refused_direct_message_falls_back_to_a_mention_in_the_channel(
    teams: TeamsDouble, platform: TeamsPlatform
) -> None:
    teams.refuse_chat.add(DAN)
    platform.directory.saw(
        parse(json.dumps(activity(teams, "message", text="hi", user=DAN, user_name="Dan")).encode())
    )
    platform.dm(TENANT, DAN, notice("your decision"))
    note, view = teams.posts(CHANNEL)
    assert "<at>Dan</at>" in note.card_text
    assert note.card is not None
    assert note.card["msteams"]["entities"][0]["mentioned"] == {"id": DAN, "name": "Dan"}
    assert "your decision" in view.card_text


def test_a_refused_direct_message_with_no_channel_known_fails(
    teams: TeamsDouble, platform: TeamsPlatform
) -> None:
    teams.refuse_chat.add("29:nobody")
    with pytest.raises(PostFailed):
        platform.dm(TENANT, "29:nobody", notice("x"))


def test_names_zones_and_members(teams: TeamsDouble, platform: TeamsPlatform) -> None:
    assert platform.timezone(TENANT, "29:ana") == "Europe/Berlin"
    assert platform.display_name(TENANT, "29:ana") == "Ana"
    assert platform.timezone(TENANT, "29:unknown") == "UTC"
    teams.members[CHANNEL] = [{"id": "29:ana", "name": "Ana"}, {"id": "29:ben", "name": "Ben"}]
    assert platform.members(TENANT, CHANNEL) == frozenset({"29:ana", "29:ben"})


def test_an_update_waited_for_reaches_the_caller(
    teams: TeamsDouble, platform: TeamsPlatform
) -> None:
    ref = platform.post(TENANT, CHANNEL, notice("x"))
    teams.fail("PUT", ref.id, 500)
    with pytest.raises(Unreachable):
        platform.update(TENANT, MessageRef(CHANNEL, ref.id), lambda: notice("y"), wait=True)
