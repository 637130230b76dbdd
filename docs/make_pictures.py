"""Remake the README's picture of the workbook's summary page.

Builds a small made-up decision log (six months, four owners) in a temporary SQLite file,
exports it as a leader gets it, prints the workbook to PDF with LibreOffice and turns the
summary's pages into PNG files next to this script. Needs `soffice` (libreoffice-calc-nogui)
and `pdftoppm` (poppler-utils).

    python docs/make_pictures.py
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.export import write_workbook  # noqa: E402
from storage.db import make_engine, migrate, session_scope  # noqa: E402
from storage.decision_log import LogQuery  # noqa: E402
from storage.decisions import insert_decision  # noqa: E402
from storage.models import AndonPull, Decision, Review, Vote  # noqa: E402

HERE = Path(__file__).resolve().parent
TEAM = "T0DEMO"
OWNERS = {"U0ANA": "Ana Ruiz", "U0BEN": "Ben Okafor", "U0CHO": "Cho Min", "U0DEV": "Dev Patel"}
VOTERS = {f"U0V{i}": name for i, name in enumerate(("Eva", "Finn", "Gus", "Hana", "Ivo", "Jo"))}
CHANNELS = {"C0PRODUCT": "product", "C0PLATFORM": "platform"}
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


def build(url: str) -> None:
    """A made-up log in which low-confidence decisions get corrected more often."""
    rng = random.Random(7)
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        for i in range(60):
            created = START + timedelta(days=3 * i + rng.randint(0, 2), hours=rng.randint(0, 6))
            confidence = rng.choice((35, 45, 55, 60, 65, 70, 75, 80, 85, 90, 95))
            owner = list(OWNERS)[i % 4]
            review_on = created + timedelta(days=45)
            d = insert_decision(
                session=session,
                team_id=TEAM,
                decision=Decision(
                    team_id=TEAM,
                    number=0,
                    channel_id=list(CHANNELS)[i % 2],
                    owner_id=owner,
                    proposed_by=owner,
                    proposal=f"Proposal {i + 1}",
                    final_text=f"Decision {i + 1}",
                    confidence=confidence,
                    review_on=review_on,
                    status="active",
                    created_at=created,
                    decided_at=created + timedelta(days=rng.choice((0.5, 1, 2, 3, 5))),
                ),
            )
            for voter in rng.sample(list(VOTERS), 3):
                choice = rng.choices(("agree", "disagree_commit", "disagree"), (14, 2, 1))[0]
                session.add(
                    Vote(
                        team_id=TEAM,
                        decision_id=int(d.id or 0),
                        user_id=voter,
                        choice=choice,
                        reason=None if choice == "agree" else "I see a risk",
                        cast_at=created,
                    )
                )
            if rng.random() < 0.05:
                session.add(
                    AndonPull(
                        team_id=TEAM,
                        decision_id=int(d.id or 0),
                        user_id="U0V1",
                        reason="Stop",
                        pulled_at=created,
                    )
                )
            if review_on >= NOW:
                continue
            late = rng.random() < 0.25
            if rng.random() < 0.08:  # reminded, never answered: overdue
                session.add(
                    Review(
                        team_id=TEAM,
                        decision_id=int(d.id or 0),
                        due_at=review_on,
                        sent_at=review_on,
                        reminded_at=review_on + timedelta(days=3),
                    )
                )
                continue
            wrong = max(0.05, (100 - confidence) / 100 - 0.1)
            roll = rng.random()
            outcome = "reverse" if roll < wrong / 2 else "amend" if roll < wrong else "keep"
            d.status = {"reverse": "reversed", "amend": "amended", "keep": "active"}[outcome]
            session.add(d)
            session.add(
                Review(
                    team_id=TEAM,
                    decision_id=int(d.id or 0),
                    due_at=review_on,
                    sent_at=review_on,
                    reminded_at=review_on + timedelta(days=3) if late else None,
                    answered_at=review_on + timedelta(days=4 if late else 1),
                    answered_by=owner,
                    outcome=outcome,
                )
            )
    engine.dispose()


def main() -> int:
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        print("needs soffice (libreoffice-calc-nogui) and pdftoppm (poppler-utils)")
        return 2
    with tempfile.TemporaryDirectory(prefix="narrative-pictures-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'demo.db'}"
        build(url)
        engine = make_engine(url)
        workbook = folder / "decision-log.xlsx"
        write_workbook(
            engine=engine,
            team_id=TEAM,
            query=LogQuery(),
            out=workbook,
            tz="UTC",
            names={**OWNERS, **VOTERS},
            channel_names=CHANNELS,
            now=NOW,
        )
        engine.dispose()
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(workbook),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        prefix = HERE / "workbook-summary"
        for old in HERE.glob("workbook-summary*.png"):
            old.unlink()
        subprocess.run(
            [
                pdftoppm,
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "2",
                str(folder / "decision-log.pdf"),
                str(prefix),
            ],
            check=True,
            timeout=120,
        )
    for made in sorted(HERE.glob("workbook-summary*.png")):
        print(made.relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
