"""`/decisions log` in the core: the announcement, a refused one, and the superseded owner."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot import decision_log
from bot.access import Viewer, everyone_sees
from bot.views import Notice, plain
from bot.views.decision_log import LoggedView, SupersededView
from tests.log_helpers import TEAM, make_core
from tests.memory_port import MemoryPlatform

ADMIN = "U0ADMIN"
OWNER = "U0OWNER"


def _log(engine: Engine, memory: MemoryPlatform, author: Viewer, text: str, channel: str):  # type: ignore[no-untyped-def]
    core = make_core(engine)
    core.add_platform(memory)
    logged = decision_log.log_from_command(
        core, team_id=TEAM, channel_id=channel, author=author, text=text
    )
    assert isinstance(logged, decision_log.Logged)
    viewers = {ADMIN: author, OWNER: Viewer(OWNER, may_see=lambda c: c != "C0SECRET")}
    failed = decision_log.announce_logged(
        core, memory, logged, text=text, viewer_of=viewers.__getitem__
    )
    return logged, failed


def test_announced_in_its_channel_and_a_refusal_is_a_notice(engine: Engine) -> None:
    memory = MemoryPlatform()
    owner = Viewer(OWNER, may_see=everyone_sees)
    logged, failed = _log(engine, memory, owner, "Launch in March", "C0GENERAL")
    [posted] = memory.in_place("C0GENERAL")
    assert failed is None and isinstance(posted.view, LoggedView)
    assert (posted.view.label, posted.view.text, posted.view.author) == (
        "D-1",
        "Launch in March",
        OWNER,
    )
    memory.refuse["C0OTHER"] = "not_in_channel"
    _logged, failed = _log(engine, memory, owner, "Launch in April", "C0OTHER")
    assert isinstance(failed, Notice)
    assert plain(failed.body) == "D-2 is in the log, but I could not post it in this channel."


def test_the_owner_of_a_superseded_decision_is_told_without_what_they_cannot_see(
    engine: Engine,
) -> None:
    memory = MemoryPlatform()
    _log(engine, memory, Viewer(OWNER, may_see=everyone_sees), "Launch in March", "C0GENERAL")
    admin = Viewer(ADMIN, may_see=everyone_sees, is_admin=lambda: True)
    _log(engine, memory, admin, "Launch in May replaces:D-1", "C0GENERAL")
    _log(engine, memory, Viewer(OWNER, may_see=everyone_sees), "Price A", "C0GENERAL")
    _log(engine, memory, admin, "Price B replaces:D-3", "C0SECRET")
    told = memory.dms_to(OWNER)
    assert told == [
        SupersededView(ADMIN, "D-1", "Launch in March", "D-2", "Launch in May"),
        SupersededView(ADMIN, "D-3", "Price A", "D-4", None),
    ]
