"""A real spreadsheet program opens the workbook: LibreOffice converts it to PDF without error
and the summary page's text carries the headline figures of the hand-computed log.

Skipped (with the reason) where LibreOffice or pdftotext is missing, but never when the
environment variable CI is set: there a missing program is a failure (`.ci/run` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.workbook_log import export_log, hand_computed_log

# LibreOffice's first start (a fresh profile) takes a while; a hung conversion must not.
CONVERT_TIMEOUT = 240


def _programs() -> tuple[str, str]:
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice and pdftotext:
        return soffice, pdftotext
    missing = " and ".join(
        name for name, path in (("soffice", soffice), ("pdftotext", pdftotext)) if not path
    )
    reason = (
        f"{missing} not installed (apt-get install libreoffice-calc-nogui poppler-utils, "
        "as .ci/run does)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}")
    pytest.skip(reason)


def to_pdf(soffice: str, workbook: Path, folder: Path) -> Path:
    """The workbook printed to PDF by LibreOffice, with a profile of its own."""
    profile = (folder / "lo-profile").as_uri()
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=CONVERT_TIMEOUT,
        check=False,
    )
    pdf = folder / f"{workbook.stem}.pdf"
    assert done.returncode == 0 and pdf.is_file(), done.stdout + done.stderr
    return pdf


def test_libreoffice_prints_the_summary_with_its_headline_figures(
    engine: Engine, tmp_path: Path
) -> None:
    soffice, pdftotext = _programs()
    hand_computed_log(engine)
    workbook = tmp_path / "decision-log.xlsx"
    export_log(engine, workbook)
    pdf = to_pdf(soffice, workbook, tmp_path)
    page = subprocess.run(
        [pdftotext, "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "Decision log summary" in page
    lines = {
        label: r"\s+".join(values)
        for label, values in {
            "Decisions made": ["4"],
            "Median days from proposal to final": ["1.5"],
            "Dissent rate": ["50%", "4"],
            "Dissenters who committed": ["33%", "3"],
            "Reviews on time": ["2"],
            "Reviews overdue": ["1"],
            "Reversal rate": ["25%", "4"],
            "Reading completion": ["75%", "4"],
            "Reflection participation": ["40%", "5"],
        }.items()
    }
    for label, values in lines.items():
        assert re.search(rf"{re.escape(label)}\s+{values}\b", page), (label, page)
    assert re.search(r"under 50% \(1 reviewed\)\s+1\s+0%\s+0%\s+100%", page), page
