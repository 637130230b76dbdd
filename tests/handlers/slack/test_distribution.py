"""Distribution mode: many workspaces install Narrative through OAuth, each served with its
own token (the Slack double refuses a token used for another workspace's channel or person)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy
import yaml
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from freezegun import freeze_time
from openpyxl import load_workbook
from sqlmodel import SQLModel

from bot import uninstall
from bot.config import ConfigError, load_settings
from handlers.slack.app import build_client
from handlers.slack.blocks.decisions import VOTE_ACTIONS
from handlers.slack.installations import BOT_SCOPES, Installations
from storage.db import compare_type, make_engine
from storage.slack_oauth import SLACK_OAUTH_TABLES
from tests.conftest import BOT_TOKEN, RunningBot
from tests.handlers.slack.distribution import (
    begin_install,
    distribution_env,
    get,
    install,
    start_distribution_bot,
)
from tests.process import BotProcess, run_cli
from tests.slack_double import Call, SlackDouble

T1, T2 = "T0ALPHA", "T0BETA"
C1, C2 = "C0ALPHA", "C0BETA"
U1, U2 = "U0ANA", "U0BEN"


@pytest.fixture
def dist_bot(slack: SlackDouble, any_db_url: str) -> Iterator[RunningBot]:
    running = start_distribution_bot(slack, any_db_url)
    yield running
    running.stop()


def _installations(bot: RunningBot) -> Installations:
    return Installations(bot.settings, bot.core.engine, build_client(bot.settings))


def _bots(bot: RunningBot) -> list[dict[str, Any]]:
    with bot.core.engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT team_id, bot_token FROM slack_bots"))
        return [dict(r) for r in rows.mappings()]


# --- settings -----------------------------------------------------------------------------------


def test_distribution_mode_needs_both_credentials_and_no_single_token(
    slack: SlackDouble, sqlite_url: str
) -> None:
    env = distribution_env(slack, sqlite_url)
    settings = load_settings(env)
    assert settings.distribution and settings.slack_bot_token is None
    with pytest.raises(ConfigError) as both:
        load_settings({**env, "SLACK_BOT_TOKEN": BOT_TOKEN})
    assert "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID" in str(both.value)
    with pytest.raises(ConfigError) as half:
        load_settings({k: v for k, v in env.items() if k != "SLACK_CLIENT_SECRET"})
    assert "SLACK_CLIENT_SECRET is not set" in str(half.value)
    with pytest.raises(ConfigError) as socket:
        load_settings({**env, "SLACK_APP_TOKEN": "xapp-1-A-1-abc"})
    assert "needs HTTP mode" in str(socket.value)


# --- the OAuth flow -----------------------------------------------------------------------------


def test_the_stores_tables_are_the_ones_slack_sdk_defines(dist_bot: RunningBot) -> None:
    store = _installations(dist_bot)
    with dist_bot.core.engine.connect() as conn:
        for metadata in (store.store.metadata, store.states.metadata):

            def its_own(name: str | None, type_: str, _parents: Any, md: Any = metadata) -> bool:
                return type_ != "table" or name in md.tables

            context = MigrationContext.configure(
                conn, opts={"compare_type": compare_type, "include_name": its_own}
            )
            assert compare_metadata(context, metadata) == []
    assert set(store.store.metadata.tables) | set(store.states.metadata.tables) == (
        SLACK_OAUTH_TABLES
    )


def test_install_stores_the_workspace_and_its_token(dist_bot: RunningBot) -> None:
    slack = dist_bot.slack
    walk = begin_install(dist_bot)
    assert walk.authorize_url.startswith(f"{slack.base_url}/oauth/v2/authorize?")
    assert f"scope={','.join(BOT_SCOPES)}" in unquote(walk.authorize_url)
    assert "slack-app-oauth-state=" in walk.cookie
    assert _bots(dist_bot) == []
    page = get(walk.callback, cookie=walk.cookie)
    assert page.status == 200, page
    assert _bots(dist_bot) == [
        {"team_id": slack.team_id, "bot_token": slack.tokens_of(slack.team_id)[0]}
    ]
    assert slack.last("oauth.v2.access").error is None


def test_a_wrong_or_expired_state_is_refused(dist_bot: RunningBot) -> None:
    walk = begin_install(dist_bot)
    forged = walk.callback.replace("state=", "state=forged")
    assert get(forged, cookie=walk.cookie.replace("state=", "state=forged")).status == 401
    assert get(walk.callback).status == 400  # no cookie: another browser
    with freeze_time("2030-01-01 09:00:00", tick=True) as clock:
        late = begin_install(dist_bot)
        clock.move_to("2030-01-01 09:11:00")  # the state lasts ten minutes
        assert get(late.callback, cookie=late.cookie).status == 401
    assert _bots(dist_bot) == []
    assert dist_bot.slack.calls("oauth.v2.access") == []


def test_an_org_wide_install_is_refused_with_a_page(dist_bot: RunningBot) -> None:
    page = install(dist_bot, "T0ORG", enterprise_id="E0ORG", is_enterprise_install=True)
    assert page.status == 403
    assert "installs per workspace" in page.body and "Nothing was installed" in page.body
    assert _bots(dist_bot) == []
    # A workspace of the same organization installs as any other.
    assert install(dist_bot, T1, enterprise_id="E0ORG").status == 200
    assert [b["team_id"] for b in _bots(dist_bot)] == [T1]


def test_requests_are_authorized_without_an_auth_test_each(dist_bot: RunningBot) -> None:
    install(dist_bot, T1)
    dist_bot.slack.clear()
    for _ in range(3):
        reply = dist_bot.client.command("/decide", "help", team_id=T1)
        assert reply.status == 200 and "/decide" in reply.body
    assert len(dist_bot.slack.calls("auth.test")) == 1  # the first request's, then cached
    # A workspace that never installed is refused (and changes nothing).
    assert "/decide" not in dist_bot.client.command("/decide", "help", team_id=T2).body


# --- every call with the workspace's own token ------------------------------------------------


def _succeeded_in(slack: SlackDouble, method: str, channel: str) -> list[Call]:
    return [
        c
        for c in slack.calls(method)
        if c.params.get("channel") == channel or c.params.get("channel_id") == channel
    ]


def test_each_workspace_is_served_with_its_own_token(dist_bot: RunningBot) -> None:
    slack, bot = dist_bot.slack, dist_bot
    install(bot, T1)
    install(bot, T2)
    slack.channel_teams.update({C1: T1, C2: T2})
    slack.user_teams.update({U1: T1, U2: T2})
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        for team, channel, user in ((T1, C1, U1), (T2, C2, U2)):
            assert bot.client.command(
                "/narrative", f"5m Plan of {team}", team_id=team, channel_id=channel, user_id=user
            ).ok
            assert bot.client.command(
                "/decide", f"Proposal of {team}", team_id=team, channel_id=channel, user_id=user
            ).ok
            assert bot.client.command(
                "/decisions",
                f"log Logged of {team}",
                team_id=team,
                channel_id=channel,
                user_id=user,
            ).ok
        polls = {
            channel: slack.wait_for(
                "chat.postMessage",
                predicate=lambda c, ch=channel: (
                    c.params.get("channel") == ch
                    and "decision_vote_agree" in json.dumps(c.params.get("blocks"))
                ),
            )[0]
            for channel in (C1, C2)
        }
        bot.wait_idle()
        # Clicks: a vote on each workspace's poll updates it with that workspace's token.
        for team, channel, user in ((T1, C1, U1), (T2, C2, U2)):
            (message,) = [
                ts
                for (ch, ts), m in slack.messages.items()
                if ch == channel and "decision_vote_agree" in json.dumps(m.get("blocks"))
            ]
            reply = bot.client.block_action(
                VOTE_ACTIONS["agree"],
                _decision_value(polls[channel]),
                team_id=team,
                channel_id=channel,
                user_id=user,
                message_ts=message,
            )
            assert reply.status == 200
        for channel in (C1, C2):
            slack.wait_for("chat.update", predicate=lambda c, ch=channel: c.params["channel"] == ch)
        # Timers: the reading periods end and post their digests.
        clock.move_to("2026-12-01 09:05:01")
        bot.run_timers()
        bot.wait_idle()
        # Exports: each workspace's log, to its own person, with only its own decisions.
        books = {}
        for team, channel, user in ((T1, C1, U1), (T2, C2, U2)):
            assert bot.client.command(
                "/decisions", "export all", team_id=team, channel_id=channel, user_id=user
            ).ok
            (done,) = slack.wait_for(
                "files.completeUploadExternal", predicate=lambda c, t=team: c.team == t, timeout=20
            )
            file_id = json.loads(done.params["files"])[0]["id"]
            book = load_workbook(io.BytesIO(slack.uploads[file_id]))
            books[team] = json.dumps([list(s.values) for s in book.worksheets], default=str)
        bot.wait_idle()
        # Timers: the reviews fall due; each owner is asked in a direct message.
        posted_before = len(slack.calls("chat.postMessage"))
        clock.move_to("2027-03-01 14:00:00")  # a working hour on the review date (90 days)
        bot.run_timers()
        bot.wait_idle()
        reviews = slack.calls("chat.postMessage")[posted_before:]
    # Neither sees the other's data: each workbook holds its own decisions only.
    assert "Logged of T0ALPHA" in books[T1] and "of T0BETA" not in books[T1]
    assert "Logged of T0BETA" in books[T2] and "of T0ALPHA" not in books[T2]
    for team, channel in ((T1, C1), (T2, C2)):
        for method in ("chat.postMessage", "chat.update"):
            calls = _succeeded_in(slack, method, channel)
            assert calls, (method, channel)
            assert {c.team for c in calls} == {team}, (method, channel)
        digests = [
            c
            for c in _succeeded_in(slack, "chat.postMessage", channel)
            if "igest" in json.dumps(c.params) or "readers" in json.dumps(c.params)
        ]
        assert digests, f"no digest in {channel}"
    assert {(c.team, c.params["users"]) for c in slack.calls("conversations.open")} == {
        (T1, U1),
        (T2, U2),
    }
    assert {c.team for c in reviews} == {T1, T2} and all(c.error is None for c in reviews)
    refused = [
        c
        for c in slack.calls()
        if c.error in ("invalid_auth", "not_authed", "channel_not_found", "user_not_found")
    ]
    assert refused == [], refused


def _decision_value(poll: Call) -> str:
    blocks = poll.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == VOTE_ACTIONS["agree"]:
                return str(element["value"])
    raise AssertionError("no vote button")


# --- token rotation -------------------------------------------------------------------------


def test_rotating_tokens_are_refreshed_before_they_expire(
    slack: SlackDouble, any_db_url: str
) -> None:
    slack.token_expires_in = 600  # ten minutes; refreshed in the last five
    slack.channel_teams[C1] = T1
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        bot = start_distribution_bot(slack, any_db_url, SLACK_TOKEN_ROTATION_MINUTES="5")
        try:
            install(bot, T1)
            (first,) = slack.tokens_of(T1)
            assert bot.client.command("/decide", "help", team_id=T1).ok
            assert _refreshes(slack) == 0
            clock.move_to("2026-12-01 09:06:00")
            reply = bot.client.command(
                "/narrative", "5m Plan", team_id=T1, channel_id=C1, user_id=U1
            )
            assert reply.ok
            bot.wait_idle()
            assert _refreshes(slack) == 1  # by the request's authorization
            clock.move_to("2026-12-01 09:16:01")  # both tokens so far have expired
            slack.clear()
            assert bot.run_timers() >= 1  # the reading period ends: its digest is posted
            bot.wait_idle()
        finally:
            bot.stop()
    posted = slack.calls("chat.postMessage")
    assert posted and all(c.error is None for c in posted)
    assert all(c.headers["authorization"] != f"Bearer {first}" for c in posted)
    assert _refreshes(slack) == 1, "the timer refreshed the token it needed"
    assert not [c for c in slack.calls() if c.error == "token_expired"]


def _refreshes(slack: SlackDouble) -> int:
    return len(
        [
            c
            for c in slack.calls("oauth.v2.access")
            if c.params.get("grant_type") == "refresh_token" and c.error is None
        ]
    )


# --- uninstall --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_uninstall_removes_tokens_stops_timers_and_ignores_later_events(
    dist_bot: RunningBot, event: dict[str, Any]
) -> None:
    slack, bot = dist_bot.slack, dist_bot
    install(bot, T1)
    install(bot, T2)
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        for team, channel in ((T1, C1), (T2, C2)):
            assert bot.client.command(
                "/narrative", "5m Plan", team_id=team, channel_id=channel, user_id=U1
            ).ok
        bot.wait_idle()
        slack.revoke(T1)  # Slack revokes the tokens, then tells the app
        assert bot.client.event(event, team_id=T1).status == 200
        bot.wait_idle()
        assert [b["team_id"] for b in _bots(bot)] == [T2]
        with bot.core.engine.connect() as conn:
            pending = conn.execute(
                sqlalchemy.text("SELECT team_id FROM timer WHERE status = 'pending'")
            ).all()
        assert T1 not in {r[0] for r in pending} and T2 in {r[0] for r in pending}
        slack.clear()
        clock.move_to("2026-12-01 09:05:01")
        bot.run_timers()
        bot.wait_idle()
        # A later command from the uninstalled workspace does nothing.
        later = bot.client.command("/narrative", "5m Again", team_id=T1, channel_id=C1)
        assert "/narrative" not in later.body
        (told,) = slack.wait_for(
            "response_url", predicate=lambda c: c.params["_id"] == f"commands-{T1}"
        )
        assert "Narrative is not installed in this workspace" in told.params["text"]
        bot.wait_idle()
    # T1's reading period ended with no digest and its later command started nothing; T2's
    # went on as before. (An update of T1's message still on its way when the tokens were
    # revoked may be refused: that is all Slack would do.)
    assert not [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == C1]
    assert not [c for c in slack.calls() if c.team == T1 and c.method != "chat.update"]
    t2 = [c for c in slack.calls() if c.team == T2]
    assert any(c.method == "chat.postMessage" for c in t2)
    assert all(c.error is None for c in t2)


# --- retention and purge ----------------------------------------------------------------------


def _rows_by_team(bot: RunningBot) -> dict[str, dict[str, int]]:
    """Rows per table for each workspace, in every table that has a team id."""
    counts: dict[str, dict[str, int]] = {}
    tables = [*sorted(t.name for t in SQLModel.metadata.sorted_tables if "team_id" in t.c)]
    tables += ["slack_bots", "slack_installations"]
    with bot.core.engine.connect() as conn:
        for table in tables:
            query = sqlalchemy.text(f"SELECT team_id, COUNT(*) FROM {table} GROUP BY team_id")
            for team, count in conn.execute(query).all():
                counts.setdefault(team, {})[table] = count
    return counts


def _two_busy_workspaces(bot: RunningBot) -> None:
    install(bot, T1)
    install(bot, T2)
    for team, channel, user in ((T1, C1, U1), (T2, C2, U2)):
        for command, text in (
            ("/narrative", "5m Plan"),
            ("/decide", "A proposal"),
            ("/decisions", "log A decision review:30d"),
        ):
            assert bot.client.command(
                command, text, team_id=team, channel_id=channel, user_id=user
            ).ok
    bot.wait_idle()


def test_purge_deletes_exactly_that_workspaces_rows(dist_bot: RunningBot, tmp_path: Path) -> None:
    _two_busy_workspaces(dist_bot)
    before = _rows_by_team(dist_bot)
    assert {"narrative", "decision", "timer", "workspace", "slack_bots"} <= set(before[T1])
    result = run_cli(["purge", "--team", T1], cwd=tmp_path, env=dist_bot.env)
    assert result.returncode == 0, result.stderr
    # Each table's count as found before (processed request ids are written in the background,
    # so theirs may have grown meanwhile).
    for table, count in before[T1].items():
        if table != "processed_event":
            assert f"{table:28} {count}\n" in result.stdout, (table, result.stdout)
    assert f"rows of workspace {T1}" in result.stdout
    after = _rows_by_team(dist_bot)
    # The running bot writes the ids of requests it answered a moment later (write-behind): one
    # answered just before the purge may land after it. Ids only, forgotten after a week.
    assert set(after.get(T1, {})) <= {"processed_event"}, after.get(T1)
    kept = {t: n for t, n in after[T2].items() if t != "processed_event"}
    assert kept == {t: n for t, n in before[T2].items() if t != "processed_event"}


def test_an_uninstalled_workspaces_data_is_deleted_after_the_retention_period(
    slack: SlackDouble, any_db_url: str
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        bot = start_distribution_bot(slack, any_db_url, UNINSTALLED_RETENTION_DAYS="10")
        try:
            _two_busy_workspaces(bot)
            before = _rows_by_team(bot)
            uninstall.schedule(bot.core)
            for team in (T1, T2):
                assert bot.client.event({"type": "app_uninstalled"}, team_id=team).status == 200
            bot.wait_idle()
            clock.move_to("2026-12-05 09:00:00")
            assert install(bot, T2).status == 200  # back within the retention period
            clock.move_to("2026-12-10 09:00:00")  # nine days later: kept
            bot.run_timers()
            assert _rows_by_team(bot)[T1]["decision"] == before[T1]["decision"]
            clock.move_to("2026-12-11 09:05:00")  # ten days after the uninstall
            bot.run_timers()
            bot.run_timers()
            after = _rows_by_team(bot)
        finally:
            bot.stop()
    assert T1 not in after
    # The workspace that came back keeps its data.
    assert after[T2]["decision"] == before[T2]["decision"]
    assert after[T2]["narrative"] == before[T2]["narrative"]


# --- narrative-bot check ----------------------------------------------------------------------


def test_check_lists_installed_workspaces_and_checks_each_token(
    dist_bot: RunningBot, tmp_path: Path
) -> None:
    install(dist_bot, T1)
    install(dist_bot, T2)
    dist_bot.slack.revoke(T2)
    dist_bot.slack.clear()
    result = run_cli(["check"], cwd=tmp_path, env=dist_bot.env)
    assert "2 workspace(s) installed" in result.stdout
    assert f"{T1} (Workspace {T1})" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert lines[T1].endswith("ok") and lines[T2].endswith("refused: invalid_auth")
    assert result.returncode == 1
    assert [c.method for c in dist_bot.slack.calls()] == ["auth.test", "auth.test"]
    for token in dist_bot.slack.tokens_of(T1):
        assert token not in result.stdout + result.stderr


def test_the_install_asks_for_the_manifests_bot_scopes() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[3] / "manifest.yml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


# --- narrative-bot run ------------------------------------------------------------------------


def test_run_in_distribution_mode_serves_add_to_slack_and_installs(
    slack: SlackDouble, sqlite_url: str, tmp_path: Path
) -> None:
    env = distribution_env(slack, sqlite_url)
    process = BotProcess(cwd=tmp_path, env=env).start()
    try:
        process.wait_ready()
        assert "distribution mode" in process.output
        assert slack.calls("auth.test") == []  # no token of its own to check at start
        slack.oauth_redirect_uri = f"{process.base_url}/slack/oauth_redirect"
        slack.approving = {"team_id": T1}
        page = get(f"{process.base_url}/slack/install")
        (href,) = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.body)
        back = get(unescape(href)).headers["location"]
        assert get(back, cookie=page.headers["set-cookie"].split(";")[0]).status == 200
        reply = process.client.command("/decide", "help", team_id=T1)
        assert reply.status == 200 and "/decide" in reply.body
    finally:
        assert process.stop() == 0
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        due = conn.execute(
            sqlalchemy.text("SELECT kind FROM timer WHERE kind = :k"),
            {"k": uninstall.PURGE_UNINSTALLED},
        ).all()
    engine.dispose()
    assert due, "the daily deletion of uninstalled workspaces is scheduled"
