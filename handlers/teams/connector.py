"""Teams' connector service, called from the bot's worker threads through the Agents SDK's
`TeamsConnectorClient` (the connector client with Teams' own calls, such as a team's channel
list) on an event loop of its own.

The connector client does not retry: a 429 is retried here after its `Retry-After` (with
back-off when it names none), a bounded number of times; the rest reach the caller as the
port's errors (`PostFailed` with Teams' status, `Unreachable`)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import ClientError, ClientResponseError, ClientSession, ClientTimeout
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

from bot.port import PostFailed, Unreachable

log = logging.getLogger(__name__)

T = TypeVar("T")
# 429s retried per call, and the longest wait for one (a longer Retry-After gives up).
MAX_RETRIES = 4
MAX_RETRY_AFTER = 30.0
TokenSource = Callable[[str], Awaitable[str]]


class TokenRefused(PostFailed):
    """Microsoft Entra gave the bot no token, so nothing can be posted; `entra` is what it said
    (its AADSTS code and words; never a secret)."""

    def __init__(self, entra: str) -> None:
        super().__init__("token_refused")
        self.entra = entra


async def no_token(_service_url: str) -> str:
    """Anonymous mode: replies go to the activity's `serviceUrl` without a token."""
    return ""


def _retry_after(exc: ClientResponseError, attempt: int) -> float:
    raw = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return min(float(raw), MAX_RETRY_AFTER) if raw is not None else 0.5 * 2**attempt
    except ValueError:
        return 0.5 * 2**attempt


class Connector:
    """Runs connector calls on a private event loop; `call` blocks the calling thread."""

    def __init__(
        self,
        token: TokenSource = no_token,
        *,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._token = token
        self._timeout = timeout
        self._sleep = sleep
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="teams-connector")
        self._thread.daemon = True
        self._thread.start()

    def call(self, service_url: str, use: Callable[[TeamsConnectorClient], Awaitable[T]]) -> T:
        """`use(client)` against `service_url`, with 429s retried; errors as the port's."""
        for attempt in range(MAX_RETRIES + 1):
            try:
                future = asyncio.run_coroutine_threadsafe(self._once(service_url, use), self._loop)
                return future.result(timeout=self._timeout + 5)
            except ClientResponseError as exc:
                if exc.status == 429 and attempt < MAX_RETRIES:
                    wait = _retry_after(exc, attempt)
                    log.info("Teams answered 429; retrying in %.1f s", wait)
                    self._sleep(wait)
                    continue
                if exc.status >= 500 or exc.status == 429:
                    raise Unreachable(f"HTTP {exc.status}") from exc
                raise PostFailed(f"http_{exc.status}") from exc
            except (TimeoutError, ClientError, OSError) as exc:
                raise Unreachable(type(exc).__name__) from exc
        raise Unreachable("HTTP 429")  # not reached: the last attempt raises above

    async def _once(
        self, service_url: str, use: Callable[[TeamsConnectorClient], Awaitable[T]]
    ) -> T:
        base = service_url if service_url.endswith("/") else service_url + "/"
        token = await self._token(service_url)  # first: a refused token leaves no session open
        session = ClientSession(base_url=base, timeout=ClientTimeout(total=self._timeout))
        client = TeamsConnectorClient(base, token, session=session)
        try:
            return await use(client)
        finally:
            await client.close()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
