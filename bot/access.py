"""Who is asking: the channels a person may see and whether they may act as any owner.

The platform adapter answers both questions (channel membership, workspace admin standing);
the core asks them where a decision is shown or changed, so every door applies the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _not_admin() -> bool:
    return False


@dataclass(frozen=True)
class Viewer:
    """A person, with what the platform says about them.

    `may_see(channel_id)`: whether they may see what happened in that channel (public
    channels: everyone; private ones: their members). `is_admin()` is asked only when
    it matters (it may cost a platform call).
    """

    user_id: str
    may_see: Callable[[str], bool]
    is_admin: Callable[[], bool] = _not_admin

    def sees(self, channel_id: str | None) -> bool:
        """Decisions logged without a channel belong to the whole workspace."""
        return channel_id is None or self.may_see(channel_id)

    def may_act_as_owner(self, owner_id: str) -> bool:
        return self.user_id == owner_id or self.is_admin()


def everyone_sees(_channel_id: str) -> bool:
    """For callers acting for the workspace itself (the command line, tests)."""
    return True
