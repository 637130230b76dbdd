"""Helpers for distribution-mode tests: a bot with OAuth credentials and no token of its own,
and installs walked through as a browser does (install page, Slack's approval, redirect)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html import unescape

from tests.conftest import SIGNING_SECRET, RunningBot
from tests.slack_double import SlackDouble


def distribution_env(slack: SlackDouble, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def start_distribution_bot(slack: SlackDouble, database_url: str, **extra: str) -> RunningBot:
    bot = RunningBot(slack, database_url, distribution_env(slack, database_url, **extra))
    slack.oauth_redirect_uri = f"{base_url(bot)}/slack/oauth_redirect"
    return bot


def base_url(bot: RunningBot) -> str:
    return f"http://127.0.0.1:{bot.server.port}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]


def get(url: str, *, cookie: str | None = None) -> Page:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _OPENER.open(request, timeout=10) as answer:
            return Page(answer.status, answer.read().decode(), _lower(answer.headers.items()))
    except urllib.error.HTTPError as exc:
        return Page(exc.code, exc.read().decode(), _lower(exc.headers.items()))


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


@dataclass
class Install:
    """One walk through "Add to Slack": what each step answered."""

    install_page: Page
    authorize_url: str
    cookie: str
    callback: str


def begin_install(bot: RunningBot) -> Install:
    """Open /slack/install and approve on Slack's page (the double's): returns where Slack
    sends the browser back, not yet visited."""
    page = get(f"{base_url(bot)}/slack/install")
    assert page.status == 200, page
    (href,) = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.body)
    authorize = unescape(href)
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    approval = get(authorize)
    assert approval.status == 302, approval
    return Install(page, authorize, cookie, approval.headers["location"])


def install(bot: RunningBot, team: str, **approving: object) -> Page:
    """Install Narrative in `team` the whole way; the success page."""
    bot.slack.approving = {"team_id": team, **approving}
    walk = begin_install(bot)
    return get(walk.callback, cookie=walk.cookie)


def calls_for(slack: SlackDouble, method: str, channel: str) -> Iterator[object]:
    return (c for c in slack.calls(method) if c.params.get("channel") == channel)
