"""How the Teams side answers: privately to the sender, in the conversation, or after the
HTTP answer (what the core left for later)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.core import Core
from bot.views import Notice, OpenForm
from handlers.teams.activity import Incoming
from handlers.teams.cards.decisions import FormButton
from handlers.teams.platform import TeamsPlatform

log = logging.getLogger(__name__)


class Answers:
    def __init__(self, core: Core, platform: TeamsPlatform) -> None:
        self.core = core
        self.platform = platform
        # Work left for after the answer (posting a record, telling the owner), in order.
        self._later = ThreadPoolExecutor(1, thread_name_prefix="teams-later")
        self._pending: list[Future[None]] = []
        self._lock = threading.Lock()  # activities are handled on several worker threads

    def tell(self, m: Incoming, said: object | None) -> None:
        """A private note to the sender: in their 1:1 chat (Teams has no ephemeral messages)."""
        if said is None:
            return
        self.platform.tell(m.tenant, m.user, said, place=m.place)

    def post_here(self, m: Incoming, reply: object) -> None:
        """A form asked for outside a click (typed `decide`): a card with a button opening it."""
        if isinstance(reply, OpenForm):
            self.platform.post(m.tenant, m.place, FormButton(reply.form))
        elif reply is not None:
            self.tell(m, reply)

    def later(self, m: Incoming, work: Callable[[], object | None]) -> None:
        def run() -> None:
            try:
                said = work()
            except Exception:  # noqa: BLE001 - logged; the person is told briefly
                log.exception("Teams follow-up work failed (tenant %s)", m.tenant)
                said = Notice(("Something went wrong; please try again.",))
            if said is not None and not isinstance(said, OpenForm):
                self.tell(m, said)

        with self._lock:
            self._pending = [f for f in self._pending if not f.done()]
            self._pending.append(self._later.submit(run))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Tests: wait until the work left for later is done."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)
        return self.platform.updates.wait_idle(timeout)

    def close(self) -> None:
        self._later.shutdown(wait=True)
