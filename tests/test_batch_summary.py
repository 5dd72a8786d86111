"""The summary `iesim batch` and `iesim report` print first: golden text, words, CSV and JSON.

The golden file ``tests/fixtures/golden/summary.md`` is the summary of the fixed small
batch ``tests/fixtures/batch/small.toml`` (serial backend, a few seconds).  When the
model or the summary changes on purpose, regenerate it (never edit it by hand) with::

    IESIM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_batch_summary.py -k golden

and read the difference (``git diff tests/fixtures/golden``) before committing it.
"""

from __future__ import annotations

import json
import math
import os
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from simulation.batch.brief import ParameterProbability, build, to_markdown
from simulation.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden" / "summary.md"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small batch's store and what `iesim batch` printed."""
    out = tmp_path_factory.mktemp("summary") / "out"
    capture = StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(capture):
        code = main(["batch", str(FIXTURES / "batch" / "small.toml"), "--out", str(out),
                     "--backend", "serial", "--quiet"])
    assert code == 0
    return out, capture.getvalue()


def test_summary_of_the_small_batch_matches_the_golden_file(small):
    _, printed = small
    if os.environ.get("IESIM_UPDATE_GOLDEN"):
        GOLDEN.write_text(printed, encoding="utf-8")
    assert printed == GOLDEN.read_text(encoding="utf-8"), (
        "the summary changed; if on purpose, regenerate the golden file (see this module's "
        "docstring)")


def test_report_gives_the_same_summary_as_the_batch(small, capsys):
    out, printed = small
    assert main(["report", str(out), "--no-figure"]) == 0
    assert capsys.readouterr().out == printed
    assert main(["report", str(out), "--no-figure", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == printed


def test_csv_is_the_complete_comparison_with_the_summary_columns(small, capsys):
    out, _ = small
    assert main(["report", str(out), "--no-figure", "--format", "csv"]) == 0
    table = pd.read_csv(StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(table, pd.read_csv(out / "comparison.csv"))
    assert {"diff", "diff_low", "diff_high", "headline", "unit", "excludes_zero", "verdict",
            "p_cost_effective", "incremental_cost", "sentence"} <= set(table.columns)
    assert {"government_spending", "partnership_survival_3y"} <= set(table["outcome"])
    tax = table[(table.scenario == "tax") & table.headline]
    assert tax["sentence"].nunique() == 1 and tax["verdict"].iloc[0] in (
        "cost-effective", "not cost-effective", "dominated", "dominant")
    excl = (tax.diff_low > 0) | (tax.diff_high < 0)
    assert (tax.excludes_zero == excl).all()
    assert table.loc[table.scenario == "base", "verdict"].isna().all()


def test_json_holds_the_summary_and_every_table_at_full_precision(small, capsys):
    out, _ = small
    assert main(["report", str(out), "--no-figure", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    summary = data["summary"]
    assert summary["reference"] == "base" and summary["wtp"] == 5.0
    assert [o["scenario"] for o in summary["options"]] == ["tax", "package"]
    assert summary["options"][0]["p_over_parameters"] is None  # the decision-study hook
    assert set(data["tables"]) == {"comparison", "evaluation", "frontier"}
    comparison = pd.read_csv(out / "comparison.csv")
    row = comparison[(comparison.scenario == "tax") & (comparison.outcome == "employment_rate_12m")]
    effect = next(e for e in summary["options"][0]["effects"]
                  if e["outcome"] == "employment_rate_12m")
    assert effect["diff"] == pytest.approx(float(row["diff"].iloc[0]), rel=1e-9)
    assert "NaN" not in json.dumps(data) and "Infinity" not in json.dumps(data)


# ------------------------------------------------------------------ words from numbers
def comparison_rows(effects: dict[str, dict[str, tuple[float, float, float]]]) -> pd.DataFrame:
    """A comparison table: per scenario, outcome -> (diff, low, high), 10 pairs each."""
    rows = []
    for scenario, by_outcome in effects.items():
        for outcome, (diff, low, high) in by_outcome.items():
            rows.append({"scenario": scenario, "outcome": outcome, "n": 10, "mean": 0.5,
                         "n_pairs": 10, "diff": diff, "diff_low": low, "diff_high": high})
    return pd.DataFrame(rows)


def evaluation_rows(options: dict[str, tuple[float, str, float, float]]) -> pd.DataFrame:
    """An evaluation table: per scenario (cost, quadrant, nmb, P(cost-effective))."""
    rows = [{"scenario": s, "perspective": p, "d_cost": c if p == "government" else 2 * c,
             "d_cost_low": c, "d_cost_high": c, "quadrant": q, "nmb": nmb,
             "p_cost_effective": pce, "wtp": 5.0, "effect": "employment_months"}
            for s, (c, q, nmb, pce) in options.items() for p in ("government", "societal")]
    return pd.DataFrame(rows)


OUTCOMES = ["employment_rate_6m", "matched_employment_share", "partnership_survival_3y"]


def words_brief(parameters=None):
    table = comparison_rows({
        "accreditation": {"employment_rate_6m": (0.0003, -0.002, 0.0026),
                          "matched_employment_share": (0.00804, 0.00435, 0.0117),
                          "partnership_survival_3y": (-0.0101, -0.0179, -0.0024)},
        "fund": {"employment_rate_6m": (0.0, -0.001, 0.001),
                 "matched_employment_share": (-0.0, -0.002, 0.002),
                 "partnership_survival_3y": (math.nan, math.nan, math.nan)},
        "saver": {o: (0.01, 0.005, 0.015) for o in OUTCOMES},
        "few": {o: (0.01, math.nan, math.nan) for o in OUTCOMES},
    })
    evaluation = evaluation_rows({
        "accreditation": (98.2, "more effective, more costly", 348.0, 0.89),
        "fund": (2407.0, "dominated", -1918.0, 0.0),
        "saver": (-50.0, "dominant", 400.0, 0.995),
        "few": (10.0, "more effective, more costly", -3.0, math.nan),
    })
    return build("words", "baseline", table, evaluation, OUTCOMES, parameters)


def test_sentences_say_what_the_numbers_say():
    options = {o.scenario: o for o in words_brief().options}
    assert options["accreditation"].sentence == (
        "Raises matched employment share by 0.804 pp [0.435, 1.17]; lowers partnership "
        "survival 3y by 1.01 pp [0.240, 1.79]; no measurable effect on employment rate 6m; "
        "costs 98.2 kCNY per 1,000 graduates; cost-effective at 5 kCNY per employment-month "
        "in 89.0% of resamples.")
    assert options["fund"].sentence == (
        "No measurable effect on employment rate 6m and matched employment share; partnership "
        "survival 3y not estimable; costs 2,410 kCNY per 1,000 graduates; dominated, fewer "
        "employment-months at a higher cost (cost-effective at 5 kCNY per employment-month "
        "in 0% of resamples).")
    assert options["saver"].sentence.startswith(
        "Raises employment rate 6m by 1.00 pp [0.500, 1.50], matched employment share by")
    assert "saves 50.0 kCNY per 1,000 graduates; dominant, more employment-months at a lower " \
           "cost (cost-effective at 5 kCNY per employment-month in 99.5% of resamples)." \
           in options["saver"].sentence
    assert options["few"].sentence.endswith(
        "not cost-effective at 5 kCNY per employment-month (probability not estimable: fewer "
        "than 3 pairs).")


def test_table_marks_exactly_the_intervals_that_exclude_zero():
    text = to_markdown(words_brief())
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in text.splitlines()
            if line.startswith("| ") and not line.startswith("| option")}
    assert rows["accreditation"].count(" *") == 2 and rows["saver"].count(" *") == 3
    assert " *" not in rows["fund"] and " *" not in rows["few"]
    assert "| 0 [-0.100, +0.100] |" in rows["fund"] and "| 0 [-0.200, +0.200] |" in rows["fund"]
    assert rows["fund"].endswith("| +2,410 | dominated (0%) |")
    assert rows["few"].endswith("| not cost-effective (not estimable) |")
    assert "* the interval excludes 0" in text and "government" in text
    assert len(text.splitlines()) <= 40


def test_decision_study_probability_is_shown_when_supplied():
    hook = ParameterProbability("over parameter uncertainty (decision study)",
                                {"accreditation": 0.72})
    brief = words_brief(hook)
    options = {o.scenario: o for o in brief.options}
    assert options["accreditation"].p_over_parameters == 0.72
    assert options["fund"].p_over_parameters is None
    assert options["accreditation"].sentence.endswith(
        "in 89.0% of resamples; 72.0% over parameter uncertainty (decision study).")
    text = to_markdown(brief)
    assert "| cost-effective (89.0%; 72.0%) |" in text
    assert "then the probability over parameter uncertainty (decision study)" in text
