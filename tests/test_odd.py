"""docs/ODD.md cannot drift from the code.

* the parameter table between the markers equals the one generated from the
  registry (``python -m simulation.odd_table --write docs/ODD.md`` fixes it);
* every registry parameter, every outcome in ``metrics.OUTCOMES`` and every
  lever in ``policy.LEVERS`` is named, code-formatted, in the ODD text outside
  the generated table (so each one is actually described, not just listed);
* the generator's check / write modes behave.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulation import odd_table
from simulation.model.metrics import OUTCOMES
from simulation.model.parameters import PARAMETERS, as_table
from simulation.model.policy import LEVERS

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
FIX = "run: python -m simulation.odd_table --write docs/ODD.md"


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def prose(text) -> str:
    """The ODD without the generated table."""
    begin = text.index(odd_table.START)
    end = text.index(odd_table.END) + len(odd_table.END)
    return text[:begin] + text[end:]


def _named(name: str, body: str) -> bool:
    """``name`` appears code-formatted, alone or at the start/end of a code span."""
    return re.search(rf"`[^`\n]*(?<![\w.]){re.escape(name)}(?![\w])[^`\n]*`", body) is not None


def test_parameter_table_matches_registry(text):
    assert odd_table.extract_table(text) == odd_table.parameter_table_markdown(), FIX


def test_generated_table_has_one_row_per_parameter():
    rows = odd_table.parameter_table_markdown().splitlines()[2:]
    assert len(rows) == len(as_table()) == len(PARAMETERS)
    for row, param in zip(rows, as_table(), strict=True):
        assert row.startswith(f"| `{param['name']}` | `{param['path']}` |")
        assert row.count(" | ") == len(odd_table.COLUMNS) - 1  # no stray pipes


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_parameter_is_described(prose, name):
    assert _named(name, prose), f"parameter {name} is not described in docs/ODD.md (outside the table)"


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_every_outcome_is_described(prose, name):
    assert _named(name, prose), f"outcome {name} is not described in docs/ODD.md"


@pytest.mark.parametrize("name", LEVERS)
def test_every_lever_is_described(prose, name):
    assert _named(name, prose), f"lever {name} is not described in docs/ODD.md"


def test_the_named_check_is_strict():
    assert _named("contact_rate", "uses `contact_rate` monthly")
    assert _named("contact_rate", "`λ = contact_rate · 2`")
    assert not _named("contact_rate", "contact_rate without backticks")
    assert not _named("contact_rate", "`monthly_contact_rate_x`")
    assert not _named("tax_break", "`levers.tax_break.rate`")


def test_replace_table_round_trip(tmp_path):
    doc = tmp_path / "ODD.md"
    doc.write_text(f"# t\n\nbefore\n{odd_table.START}\nstale | table\n{odd_table.END}\nafter\n")
    assert not odd_table.is_current(doc)
    assert odd_table.write(doc) is True
    assert odd_table.is_current(doc)
    assert odd_table.write(doc) is False  # idempotent
    new = doc.read_text()
    assert new.startswith("# t\n\nbefore\n") and new.endswith(f"{odd_table.END}\nafter\n")


@pytest.mark.parametrize("bad", [
    "no markers at all",
    f"{odd_table.END}\n{odd_table.START}\n",
    f"{odd_table.START}\n{odd_table.START}\n{odd_table.END}\n",
])
def test_missing_or_misplaced_markers_are_refused(bad):
    with pytest.raises(ValueError):
        odd_table.replace_table(bad)


def test_command_line_check_and_write(tmp_path):
    cmd = [sys.executable, "-m", "simulation.odd_table"]
    ok = subprocess.run([*cmd, "--check", str(ODD)], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "ODD.md"
    stale.write_text(f"{odd_table.START}\n| old |\n{odd_table.END}\n")
    bad = subprocess.run([*cmd, "--check", str(stale)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "--write" in bad.stderr
    fixed = subprocess.run([*cmd, "--write", str(stale)], capture_output=True, text=True, cwd=ROOT)
    assert fixed.returncode == 0 and odd_table.is_current(stale)
    missing = subprocess.run([*cmd, "--check", str(tmp_path / "none.md")],
                             capture_output=True, text=True, cwd=ROOT)
    assert missing.returncode == 2 and missing.stderr.startswith("error:")


def test_every_share_says_who_it_counts():
    shares = [o for o in OUTCOMES.values() if o.unit == "share"]
    assert shares
    for o in shares:
        assert o.per, f"outcome {o.name} is a share without a denominator (Outcome.per)"
