"""Statistics: t intervals, NaN handling, paired differences, common random numbers, --ci-width."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_batch_toy import TOY

from simulation.batch import ResultsStore, plan_runs, replicate_seed
from simulation.batch.seeds import seed_sequence, spawn_key
from simulation.batch.session import next_replicates, run_session
from simulation.batch.stats import comparison, paired_differences, t_interval, widest_difference
from simulation.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "batch"


def test_t_interval_known_values():
    n, mean, sd, lo, hi = t_interval([1.0, 2.0, 3.0, 4.0])
    # t(0.975, 3) = 3.182446; sd = 1.290994; half width = 3.182446 * 1.290994 / 2
    assert (n, mean) == (4, 2.5)
    assert sd == pytest.approx(1.290994, abs=1e-6)
    assert hi - mean == pytest.approx(2.054260, abs=1e-5)
    assert mean - lo == pytest.approx(hi - mean)


def test_t_interval_skips_nan_and_handles_tiny_samples():
    assert t_interval([1.0, np.nan, 3.0, np.inf])[:2] == (2, 2.0)
    n, mean, *rest = t_interval([5.0, np.nan])
    assert n == 1 and mean == 5.0 and all(math.isnan(x) for x in rest)
    n, mean, *rest = t_interval([np.nan])
    assert n == 0 and math.isnan(mean)


def frame(rows):
    return pd.DataFrame(rows, columns=["scenario", "replicate", "y"])


def test_paired_differences_pair_by_replicate_and_skip_nan_pairs():
    data = frame([
        ("ref", 0, 1.0), ("ref", 1, 2.0), ("ref", 2, 3.0), ("ref", 3, np.nan),
        ("pol", 0, 1.5), ("pol", 1, 2.4), ("pol", 2, np.nan), ("pol", 3, 9.0), ("pol", 4, 7.0),
    ])
    diff = paired_differences(data, ["y"], "ref").set_index("scenario").loc["pol"]
    assert diff["n_pairs"] == 2  # replicates 0 and 1; 2 and 3 have a NaN, 4 has no partner
    assert diff["diff"] == pytest.approx(0.45)
    table = comparison(data, ["y"], "ref")
    assert list(table["scenario"]) == ["ref", "pol"]
    assert table.set_index("scenario").loc["pol", "n"] == 4
    assert math.isnan(table.set_index("scenario").loc["ref", "diff"])


def test_paired_interval_is_the_t_interval_of_the_differences():
    rng = np.random.default_rng(0)
    base = rng.normal(size=8)
    data = pd.DataFrame({"scenario": ["a"] * 8 + ["b"] * 8, "replicate": list(range(8)) * 2,
                         "y": np.concatenate([base, base + 0.3 + 0.1 * rng.normal(size=8)])})
    row = paired_differences(data, ["y"], "a").iloc[0]
    n, mean, sd, lo, hi = t_interval(data.y[8:].to_numpy() - data.y[:8].to_numpy())
    assert (row["n_pairs"], row["diff"], row["diff_low"], row["diff_high"]) == pytest.approx(
        (n, mean, lo, hi))


def test_widest_difference_ignores_all_nan_outcomes_and_counts_single_pairs_as_infinite():
    data = frame([("r", 0, 1.0), ("r", 1, 2.0), ("p", 0, 1.1), ("p", 1, 2.3)])
    data["never"] = np.nan
    table = comparison(data, ["y", "never"], "r")
    assert widest_difference(table) == pytest.approx(
        float(table.dropna(subset=["diff_low"]).eval("diff_high - diff_low").max()))
    single = comparison(data[data.replicate == 0], ["y"], "r")
    assert widest_difference(single) == math.inf


def test_seeds_are_spawned_children_shared_across_scenarios():
    children = np.random.SeedSequence(42).spawn(5)
    for r in range(5):
        assert replicate_seed(42, r).generate_state(4).tolist() == \
            children[r].generate_state(4).tolist()
    specs = plan_runs({"a": {}, "b": {"x": 1}}, 3, seed=42, steps=1)
    by_rep = {}
    for spec in specs:
        by_rep.setdefault(spec.replicate, set()).add(spec.spawn_key)
    assert all(keys == {(r,)} for r, keys in by_rep.items())
    # adding replicates never changes earlier ones
    assert plan_runs({"a": {}}, 5, 42, 1)[:3] == plan_runs({"a": {}}, 3, 42, 1)
    independent = {spawn_key(0, i, common=False) for i in range(3)}
    assert len(independent) == 3
    assert seed_sequence(42, (0, 1)).generate_state(2).tolist() != \
        replicate_seed(42, 0).generate_state(2).tolist()


def widths(out: Path, capsys, batch: str) -> pd.DataFrame:
    assert main(["batch", str(FIXTURES / batch), "--out", str(out), "--backend", "serial",
                 "--quiet", "--format", "csv"]) == 0
    from io import StringIO

    table = pd.read_csv(StringIO(capsys.readouterr().out)).dropna(subset=["diff_low"])
    return table.assign(width=table.diff_high - table.diff_low).set_index(
        ["scenario", "outcome"])["width"]


def test_common_random_numbers_narrow_the_interval_of_a_difference(tmp_path, capsys):
    crn = widths(tmp_path / "crn", capsys, "small.toml")
    independent = widths(tmp_path / "ind", capsys, "small_independent.toml")
    common = crn.index.intersection(independent.index)
    crn, independent = crn[common], independent[common]
    assert len(common) >= 12
    # at 12 months nearly every graduate of this small world is employed, so its
    # 12-month differences sit at the ceiling; the shares of matched work do not
    for key in [("tax", "matched_employment_share"), ("tax", "mean_match_quality"),
                ("package", "matched_employment_share"), ("package", "mean_match_quality")]:
        assert crn[key] < independent[key], key
    assert (crn / independent).median() < 0.5


def test_ci_width_adds_replicates_until_intervals_are_narrow(tmp_path):
    scenarios = {"flat": {}, "up": {"drift": 0.1}}

    def plan(n):
        return plan_runs(scenarios, n, seed=8, steps=30)

    store = ResultsStore.create(tmp_path, plan(4), batch_hash="toy")
    result = run_session(TOY, store, plan, 4, reference="flat", report=["mean_wealth"],
                         backend="serial", quiet=True, ci_width=0.5, max_replicates=200)
    assert result.replicates > 4
    assert result.widest < 0.5
    assert len(result.summary) == 2 * result.replicates
    # the step before did not yet meet the target (else it would have stopped there)
    smaller = comparison(result.summary[result.summary.replicate < 4], ["mean_wealth"], "flat")
    assert widest_difference(smaller) >= 0.5


def test_next_replicates_grows_but_respects_the_cap():
    assert next_replicates(4, widest=2.0, target=1.0, cap=100) == 16  # 4x growth limit
    assert next_replicates(10, widest=1.1, target=1.0, cap=100) == 14
    assert next_replicates(10, widest=math.inf, target=1.0, cap=15) == 15


def test_cli_ci_width_stops_at_the_cap_and_says_so(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", str(FIXTURES / "ci.toml"), "--out", str(out), "--backend", "serial",
                 "--quiet", "--ci-width", "1e-6"])
    err = capsys.readouterr().err
    assert code == 0
    assert "did not reach --ci-width 1e-06" in err and "24 replicates" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["plan"]["runs"] == 2 * 24 and manifest["plan"]["replicates"] == 24
    code = main(["batch", str(FIXTURES / "ci.toml"), "--out", str(tmp_path / "wide"),
                 "--backend", "serial", "--quiet", "--ci-width", "10"])
    assert code == 0 and "reached --ci-width 10" in capsys.readouterr().err
