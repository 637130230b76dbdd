"""Who asked, where, and how the core's answer reaches them on the page.

A form to open and a form's errors go back in the response to the click (only the person who
clicked sees them); notices are told privately through the platform, so they are on that
person's page only; a replaced card is replaced in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import meetings
from bot.access import Viewer
from bot.core import Core
from bot.views import FormErrors, OpenForm, ReplaceCard
from handlers.playground.html import render
from handlers.playground.platform import TEAM, PlaygroundPlatform


@dataclass(frozen=True)
class Said:
    """The response to the page: a form to open (HTML), errors by field, a record to show."""

    form: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    show: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"form": self.form, "errors": self.errors, "show": self.show}


@dataclass(frozen=True)
class Asked:
    core: Core
    platform: PlaygroundPlatform
    person: str
    place: str
    message: str | None = None  # the message whose button was clicked
    team: str = TEAM

    def viewer_of(self, person: str) -> Viewer:
        # Every playground channel is public; the admin acts as any owner.
        return Viewer(
            person,
            may_see=lambda _place: True,
            is_admin=lambda: self.platform.is_admin(self.team, person),
        )

    def viewer(self) -> Viewer:
        return self.viewer_of(self.person)

    def tell(self, view: object) -> Said:
        """A private note to the person, where they are."""
        self.platform.tell(self.team, self.person, view, place=self.place)
        return Said()

    def reply(self, reply: object | None) -> Said:
        """What the core answered a click, a command or a form with."""
        if reply is None:
            return Said()
        if isinstance(reply, OpenForm):
            return Said(form=render(reply.form))
        if isinstance(reply, FormErrors):
            return Said(errors=dict(reply.errors))
        if isinstance(reply, ReplaceCard):
            if self.message is not None:
                self.platform.replace(self.message, reply.view)
            return Said()
        return self.tell(reply)

    def answer(self, answer: meetings.Answer) -> Said:
        """A narrative answer: its note, then the digest of a reading that just ended."""
        if answer.reply is not None and not isinstance(answer.reply, OpenForm | FormErrors):
            self.platform.tell(
                self.team, self.person, answer.reply, place=answer.place or self.place
            )
            said = Said()
        else:
            said = self.reply(answer.reply)
        if answer.finish is not None:
            meetings.finish_reading_now(
                core=self.core, team_id=self.team, narrative_id=answer.finish
            )
        return said
