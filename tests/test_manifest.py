"""`manifest.yml` asks for exactly the scopes the code needs: each Web API method the code calls
and each event it subscribes to maps to its scope (a table below and `METHOD_SCOPES` in the
Slack double), and the manifest's defaults agree with `.env.example` and the README."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import RunningBot
from tests.slack_double import METHOD_SCOPES

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("bot", "handlers", "storage")
# Web API method families (slack_sdk names its methods family_method).
FAMILIES = (
    "apps|auth|bookmarks|chat|conversations|dnd|emoji|files|pins|reactions|reminders|search|"
    "team|usergroups|users|views"
)
CALL = re.compile(rf"\bclient\.((?:{FAMILIES})_[A-Za-z0-9_]+)\(")
# slack_sdk helpers that call several methods.
HELPERS = {"files_upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
# Methods that need no bot scope (apps.connections.open takes the app-level token's
# connections:write, which is not a bot scope).
NO_SCOPE = {
    "auth.test",
    "chat.getPermalink",
    "views.open",
    "views.publish",
    "views.push",
    "views.update",
    "apps.connections.open",
}
# The scope each subscribed bot event needs (None: none).
EVENT_SCOPES: dict[str, str | None] = {
    "app_home_opened": None,
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "reaction_added": "reactions:read",
    "reaction_removed": "reactions:read",
}
# Scopes no method or event call for: slash commands, and posting (polls, decision records)
# in public channels the bot has not joined.
OTHER_SCOPES = {"commands", "chat:write.public"}


def manifest() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "manifest.yml").read_text())


def called_methods() -> set[str]:
    methods: set[str] = set()
    for folder in SOURCES:
        for path in (REPO / folder).rglob("*.py"):
            for name in CALL.findall(path.read_text()):
                methods.update(HELPERS.get(name, (name.replace("_", "."),)))
    return methods


def test_the_manifest_asks_for_exactly_the_scopes_the_code_needs() -> None:
    methods = called_methods()
    assert "chat.postMessage" in methods and "conversations.join" in methods
    unknown = methods - NO_SCOPE - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES"
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert events <= set(EVENT_SCOPES), sorted(events - set(EVENT_SCOPES))
    needed = {s for m in methods - NO_SCOPE for s in METHOD_SCOPES[m]}
    needed |= {s for e in events if (s := EVENT_SCOPES[e])}
    needed |= OTHER_SCOPES
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert granted - needed == set(), "scopes asked for but not used"
    assert needed - granted == set(), "scopes the code needs that the manifest lacks"


def test_the_manifests_slash_commands_are_the_ones_the_bot_handles() -> None:
    declared = {c["command"] for c in manifest()["features"]["slash_commands"]}
    handled: set[str] = set()
    for path in (REPO / "handlers").rglob("*.py"):
        handled.update(re.findall(r"""\.command\(["'](/[a-z-]+)["']\)""", path.read_text()))
    assert declared == handled


def test_with_the_manifests_scopes_a_reading_period_hears_its_thread(bot: RunningBot) -> None:
    """End to end with the token granted exactly the manifest's scopes, in a public channel the
    bot was never invited to: the thread's replies reach the bot."""
    bot.slack.scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    bot.slack.outside_channels.add("C0NEW")
    bot.client.command("/narrative", "20m Kick-off", user_id="U0ALICE", channel_id="C0NEW")
    bot.slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.params["channel"] == "C0NEW" and c.error is None
    )
    assert not [c for c in bot.slack.calls() if c.error == "missing_scope"]
    assert bot.slack.delivers_events_from("C0NEW")


def test_one_default_mode_in_manifest_env_example_and_readme() -> None:
    """Socket Mode by default everywhere: the manifest turns it on, `.env.example` asks for
    SLACK_APP_TOKEN (uncommented), and the README's first run uses it."""
    assert manifest()["settings"]["socket_mode_enabled"] is True
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^SLACK_APP_TOKEN=", example, re.M)
    assert not re.search(r"^SLACK_SIGNING_SECRET=", example, re.M)
    readme = (REPO / "README.md").read_text()
    assert "Socket Mode is the default" in readme


def _command_rows() -> list[tuple[str, str]]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(/[^`]+)` \| `@Narrative ([^`]+)` \|", section, re.M)
    assert rows, "the README's command table has no Slack | Teams rows"
    return rows


def test_the_readme_command_table_names_each_command_in_slack_and_teams() -> None:
    """Every row shows the Slack form and the same words as the Teams form; the first words
    are commands the manifest registers and the Teams side answers; none is left out."""
    from handlers.teams.app import COMMANDS

    slash = {c["command"] for c in manifest()["features"]["slash_commands"]}
    rows = _command_rows()
    for slack, teams in rows:
        # Teams names a channel by mentioning it (`@channel`), Slack by `#channel`.
        assert slack[1:].replace("#channel", "@channel") == teams, (slack, teams)
        assert slack.split()[0] in slash
        assert teams.split()[0] in COMMANDS
    assert {s.split()[0] for s, _ in rows} == slash
    assert {t.split()[0] for _, t in rows} == set(COMMANDS) - {"help"}
