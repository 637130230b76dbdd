"""A closed round's digest: per question the answers and their authors, participation, and
the thread messages it is posted in."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.reflections.rounds import RoundView, round_view
from bot.reflections.settings import GONE, ReflectionError
from bot.views.reflections import (
    DigestAnswer,
    Participation,
    RoundDigest,
)
from storage import decisions as decision_rows
from storage import reflections as rows
from storage.db import session_scope

if TYPE_CHECKING:
    from bot.core import Core


def build_digest(
    core: Core,
    *,
    team_id: str,
    round_id: int,
    member_ids: frozenset[str] | None = None,
    channel_is_public: Callable[[str], bool] | None = None,
) -> RoundDigest:
    """Per question, the answers with their authors; participation against `member_ids`.

    An answer names a decision made elsewhere only if everyone reading the digest may see it:
    one without a channel, of the round's own channel, or of a channel `channel_is_public`
    says is public (without it, no other channel's decision is named)."""
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is None:
            raise ReflectionError(GONE)
        view = round_view(row)
        answers = []
        for a in rows.list_answers(session=session, team_id=team_id, round_id=round_id):
            decision = (
                decision_rows.get_decision(
                    session=session, team_id=team_id, decision_id=a.decision_id
                )
                if a.decision_id is not None
                else None
            )
            if decision is not None and not _shown_in(decision.channel_id, view, channel_is_public):
                decision = None
            answers.append(
                DigestAnswer(
                    person=a.user_id,
                    question_index=a.question_index,
                    text=a.text,
                    source=a.source,
                    decision_number=decision.number if decision else None,
                    decision_link=decision.permalink if decision else None,
                )
            )
    authors = frozenset(a.person for a in answers)
    return RoundDigest(
        round_id=view.id,
        place=view.channel_id,
        questions=tuple(
            (q, tuple(a for a in answers if a.question_index == i))
            for i, q in enumerate(view.questions)
        ),
        free_replies=tuple(a for a in answers if a.question_index is None),
        participation=Participation(
            authors=len(authors),
            member_count=len(member_ids) if member_ids is not None else None,
            answered_members=len(authors & member_ids) if member_ids is not None else None,
        ),
    )


def _shown_in(
    channel_id: str | None, round_: RoundView, channel_is_public: Callable[[str], bool] | None
) -> bool:
    if channel_id is None or channel_id == round_.channel_id:
        return True
    return channel_is_public is not None and channel_is_public(channel_id)


def digest_posted(
    core: Core, *, team_id: str, round_id: int, digest_ts: str, member_count: int | None
) -> None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is not None:
            row.digest_ts, row.member_count = digest_ts, member_count
            session.add(row)
