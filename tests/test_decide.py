"""Decisions under parameter uncertainty (issue 22): decision files, iesim decide, its tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import iesim, one_error_line
from interrupt import whole_and_resumed
from small_world import TINY_POPULATION_TABLE

from simulation.batch.specs import plan_runs
from simulation.cli import main
from simulation.decisions.study import load_decision
from simulation.model.posterior import read_posterior

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted((SCENARIOS / "decisions").glob("*.toml"))
TABLES = ("draws", "results", "per_draw", "expected", "acceptability", "frontier", "evpi",
          "evppi", "variance")

GOOD = f"""
[decision]
name = "tiny"
description = "three options over the posterior and two assumptions"
no_policy = "none"
draws = 24
replicates = 2
seed = 11
years = 2
willingness_to_pay = 5.0
wtp_grid = {{ low = 0.0, high = 20.0, points = 9 }}

[decision.scale]
graduates = 1_000_000
label = "a test population"
source = "made up for the test"
year = 2024

[decision.quick]
draws = 20

[options]
none = "{SCENARIOS / 'baseline.toml'}"
fund = "{SCENARIOS / 'lever_dedicated_fund.toml'}"
incubator = "{SCENARIOS / 'lever_incubator.toml'}"

[uncertain]
posterior = "calibration"

[uncertain.parameters]
demand_drift_multiplier = "plausible"
contact_rate = {{ distribution = "triangular" }}

[uncertain.groups]
calibrated = "posterior"
""" + TINY_POPULATION_TABLE
RUNS = 24 * 2 * 3


def _write(tmp_path, text, name="d.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- files


def test_a_good_file_gives_the_options_inputs_and_sizes(tmp_path):
    d = load_decision(_write(tmp_path, GOOD))
    assert d.names == ["none", "fund", "incubator"] and d.no_policy == "none"
    assert d.runs == RUNS and d.steps == 24 and d.discount_rate == 0.03
    assert d.options[1].params["fund_budget"] > 0 and d.params(d.options[0])["n_students"] == 400
    assert 5.0 in d.wtp_grid and d.wtp_grid == tuple(sorted(d.wtp_grid)) and len(d.wtp_grid) == 9
    posterior = list(read_posterior().columns)
    assert d.uncertainty.names == posterior + ["demand_drift_multiplier", "contact_rate"]
    assert d.uncertainty.groups["calibrated"] == tuple(posterior)
    triangular = d.uncertainty.inputs[-1]
    assert (triangular.distribution, triangular.mode) == ("triangular", 0.15)  # the default
    assert load_decision(_write(tmp_path, GOOD), quick=True).draws == 20
    # reversing the options keeps the no-policy option first
    flipped = GOOD.replace('none = "', 'x = "').replace('[options]\n', '[options]\n')
    assert load_decision(_write(tmp_path, flipped.replace('no_policy = "none"',
                                                          'no_policy = "x"'))).names[0] == "x"


def test_draws_are_whole_posterior_rows_and_the_distributions_hold(tmp_path):
    d = load_decision(_write(tmp_path, GOOD.replace("draws = 24", "draws = 4000")))
    draws = d.uncertainty.draw(d.draws, d.seed)
    posterior = read_posterior()
    rows = posterior.iloc[draws["posterior_row"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(draws[list(posterior.columns)], rows)  # whole rows
    drift = draws["demand_drift_multiplier"]
    assert drift.between(0.5, 2.0).all() and abs(drift.mean() - 1.25) < 0.03  # uniform
    contact = draws["contact_rate"]  # triangular on [0.075, 0.3], mode 0.15: mean 0.175
    assert contact.between(0.075, 0.3).all() and abs(contact.mean() - 0.175) < 0.005
    pd.testing.assert_frame_equal(draws, d.uncertainty.draw(d.draws, d.seed))  # seeded


def test_each_draw_is_a_stream_group_shared_by_its_options():
    scenarios = {"d0-a": {}, "d0-b": {}, "d1-a": {}, "d1-b": {}}
    groups = {"d0-a": 0, "d0-b": 0, "d1-a": 1, "d1-b": 1}
    specs = plan_runs(scenarios, 2, seed=5, steps=1, stream_groups=groups)
    key = {(s.scenario, s.replicate): s.spawn_key for s in specs}
    assert key[("d0-a", 0)] == key[("d0-b", 0)] != key[("d1-a", 0)] == key[("d1-b", 0)]
    assert key[("d0-a", 0)] != key[("d0-a", 1)]
    with pytest.raises(ValueError, match="every scenario"):
        plan_runs(scenarios, 1, seed=5, steps=1, stream_groups={"d0-a": 0})


BAD = {
    "no table": ("[options]\nx = 'a.toml'\n", "decision"),
    "unknown key": (GOOD.replace('name = "tiny"', 'name = "tiny"\nmethod = "evpi"'),
                    "decision.method"),
    "unknown scale key": (GOOD.replace("year = 2024", "year = 2024\nyears = 1"),
                          "decision.scale.years"),
    "unknown quick key": (GOOD.replace("[decision.quick]\n", "[decision.quick]\nseed = 1\n"),
                          "decision.quick.seed"),
    "unknown uncertain key": (GOOD.replace('posterior = "calibration"',
                                           'posterior = "calibration"\nprior = 1'),
                              "uncertain.prior"),
    "unknown distribution key": (GOOD.replace('distribution = "triangular"',
                                              'distribution = "triangular", peak = 0.1'),
                                 "uncertain.parameters.contact_rate.peak"),
    "too few draws": (GOOD.replace("draws = 24", "draws = 5"), "decision.draws"),
    "one replicate": (GOOD.replace("replicates = 2", "replicates = 1"), "decision.replicates"),
    "one year": (GOOD.replace("years = 2", "years = 1"), "decision.years"),
    "bad perspective": (GOOD.replace('no_policy = "none"',
                                     'no_policy = "none"\nperspective = "firms"'),
                        "decision.perspective"),
    "no willingness to pay": (GOOD.replace("willingness_to_pay = 5.0\n", ""),
                              "decision.willingness_to_pay"),
    "bad grid": (GOOD.replace("points = 9", "points = 1"), "decision.wtp_grid.points"),
    "no scale": (GOOD.replace("[decision.scale]", "[decision.other]"), "decision.other"),
    "scale without source": (GOOD.replace('source = "made up for the test"\n', ""),
                             "decision.scale.source"),
    "no-policy not an option": (GOOD.replace('no_policy = "none"', 'no_policy = "baseline"'),
                                "decision.no_policy"),
    "one option": (GOOD.replace('fund = "', '# fund = "').replace('incubator = "',
                                                                  '# incubator = "'),
                   "options"),
    "option file missing": (GOOD.replace("lever_incubator.toml", "nowhere.toml"),
                            "options.incubator"),
    "unknown parameter": (GOOD.replace("demand_drift_multiplier", "demand_drift"),
                          "uncertain.parameters.demand_drift"),
    "range outside valid": (GOOD.replace('demand_drift_multiplier = "plausible"',
                                         "demand_drift_multiplier = [0.5, 99.0]"),
                            "uncertain.parameters.demand_drift_multiplier"),
    "mode outside range": (GOOD.replace('distribution = "triangular"',
                                        'distribution = "triangular", mode = 0.5'),
                           "uncertain.parameters.contact_rate"),
    "bad distribution": (GOOD.replace('"triangular"', '"normal"'),
                         "uncertain.parameters.contact_rate.distribution"),
    "posterior parameter listed": (GOOD.replace('contact_rate = {',
                                                'reservation_match = "plausible"\ncontact_rate = {'),
                                   "uncertain.parameters.reservation_match"),
    "option sets an uncertain input": (GOOD.replace("demand_drift_multiplier", "fund_budget"),
                                       "options.fund"),
    "fixed and uncertain": (GOOD + "[labour_market]\nlabour_demand_multiplier = 1.1\n",
                            "labour_demand_multiplier"),
    "group of an unknown input": (GOOD.replace('calibrated = "posterior"',
                                               'g = ["contact_rate", "admin_cost"]'),
                                  "uncertain.groups.g"),
    "no posterior file": (GOOD.replace('"calibration"', '"nowhere.parquet"'),
                          "uncertain.posterior"),
    "sensitivity table too": (GOOD + "[sensitivity]\nname = 'x'\n", "sensitivity"),
    "not toml": ("[decision\n", None),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_malformed_decision_files_give_one_error_line_and_exit_2(tmp_path, capsys, case):
    text, key = BAD[case]
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["decide", str(path), "--out", str(out)]) == 2
    one_error_line(capsys.readouterr().err, str(path), *([key] if key else []))
    assert not out.exists()  # nothing written


def test_a_malformed_file_is_one_line_from_the_command_line_too(tmp_path):
    path = _write(tmp_path, GOOD.replace("draws = 24", "draw = 24"))
    proc = iesim("decide", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stdout == ""
    one_error_line(proc.stderr, str(path), "decision.draw", "did you mean 'draws'")
    assert not (tmp_path / "out").exists()
    assert iesim("validate", str(_write(tmp_path, GOOD, "g.toml")), *map(str, SHIPPED)) \
        .returncode == 0
    proc = iesim("validate", str(path))
    assert proc.returncode == 2
    one_error_line(proc.stderr, "decision.draw")


def test_quick_needs_a_quick_table_and_options_are_checked(tmp_path, capsys):
    path = _write(tmp_path, GOOD.replace("[decision.quick]\ndraws = 20\n", ""))
    out = tmp_path / "o"
    assert main(["decide", str(path), "--out", str(out), "--quick"]) == 2
    assert "decision.quick" in capsys.readouterr().err
    assert main(["decide", str(path), "--out", str(out), "--max-runs", "100"]) == 2
    assert f"needs {RUNS:,} model runs" in capsys.readouterr().err
    assert main(["decide", str(path), "--out", str(out), "--workers", "0"]) == 2
    assert main(["decide", str(path), "--out", str(out), "--scheduler", "tcp://x:1"]) == 2
    assert not out.exists()


# --------------------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny study run once, serially: its file and output directory."""
    root = tmp_path_factory.mktemp("decide")
    path = _write(root, GOOD)
    out = root / "serial"
    assert main(["decide", str(path), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return path, out


def test_the_pipeline_writes_every_table_figure_and_the_report(tiny):
    _, out = tiny
    for name in TABLES:
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert len(frame) > 0, name
        csv = pd.read_csv(out / f"{name}.csv")
        assert list(csv.columns) == list(frame.columns), name
    for name in ("ce_plane", "acceptability", "evpi", "evppi"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 5000, name
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == RUNS and results[["cost_government", "employment_months"]].notna().all().all()
    report = (out / "report.md").read_text()
    for phrase in ("## The decision", "has the highest expected net benefit",
                   "of the parameter draws", "Perfect information about every uncertain input",
                   "a test population", "carries the most", "## Seed noise"):
        assert phrase in report, phrase


def test_acceptability_sums_to_one_and_the_frontier_follows_expected_net_benefit(tiny):
    _, out = tiny
    curves = pd.read_parquet(out / "acceptability.parquet")
    sums = curves.groupby("wtp")["probability_best"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    assert len(sums) == 9
    front = pd.read_parquet(out / "frontier.parquet").set_index("wtp")
    best = curves.loc[curves.groupby("wtp")["expected_net_benefit"].idxmax()].set_index("wtp")
    assert (front["option"] == best["option"]).all()
    chosen = curves[curves["chosen"]].set_index("wtp")
    assert (chosen["option"] == front["option"]).all()
    evpi = pd.read_parquet(out / "evpi.parquet").set_index("wtp")
    # the chosen option's expected loss is the EVPI; every EVPI is >= 0
    np.testing.assert_allclose(chosen["expected_loss"], evpi["evpi"], atol=1e-9)
    assert (evpi["evpi"] >= -1e-9).all()
    # the population EVPI: per 1,000 followed graduates (24 months = 2 cohorts of 1,000,000)
    np.testing.assert_allclose(evpi["evpi_population_kcny"], evpi["evpi"] * 2_000_000 / 1000)


def test_expectations_frontier_evppi_and_noise_tables_are_complete(tiny):
    path, out = tiny
    d = load_decision(path)
    expected = pd.read_parquet(out / "expected.parquet")
    assert list(expected["option"]) == d.names
    assert set(expected["status"]) <= {"frontier", "dominated", "extendedly dominated"}
    per = pd.read_parquet(out / "per_draw.parquet")
    means = per.groupby("option", sort=False)[["cost", "effect"]].mean()
    np.testing.assert_allclose(expected.set_index("option").loc[d.names, "cost"],
                               means.loc[d.names, "cost"])
    evppi = pd.read_parquet(out / "evppi.parquet")
    names = set(d.uncertainty.names) | {"calibrated", "all inputs"}
    assert set(evppi["input"]) == names
    assert (evppi["se"] >= 0).all() and len(evppi) == len(names) * 9
    variance = pd.read_parquet(out / "variance.parquet")
    assert set(variance["option"]) == {"fund", "incubator"}
    assert ((variance["parameter"] >= 0) & (variance["stochastic"] >= 0)).all()


def test_the_options_of_a_draw_share_streams_and_the_draws_do_not(tiny):
    _, out = tiny
    runs = pd.read_parquet(out / "runs" / "summary.parquet")
    keys = {(s, r): tuple(int(k) for k in key.split(","))
            for s, r, key in zip(runs["scenario"], runs["replicate"], runs["spawn_key"],
                                 strict=True)}
    assert keys[("d000003-o00", 1)] == keys[("d000003-o01", 1)] == keys[("d000003-o02", 1)]
    assert keys[("d000003-o00", 1)] != keys[("d000004-o00", 1)]
    assert len({keys[(f"d{i:06d}-o00", 0)] for i in range(24)}) == 24


@pytest.mark.slow
def test_an_interrupted_and_resumed_decision_gives_identical_tables(tmp_path):
    whole, broken = whole_and_resumed("decide", _write(tmp_path, GOOD), tmp_path, RUNS,
                                      "report.md")
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(whole / f"{name}.parquet"),
                                      pd.read_parquet(broken / f"{name}.parquet"), obj=name)
    assert len(json.loads((broken / "sessions.json").read_text())) == 1


@pytest.mark.slow
def test_serial_processes_and_dask_give_identical_tables(tiny, tmp_path):
    path, serial = tiny
    for backend in ("processes", "dask"):
        out = tmp_path / backend
        assert main(["decide", str(path), "--out", str(out), "--backend", backend,
                     "--workers", "2", "--quiet"]) == 0
        for name in TABLES:
            pd.testing.assert_frame_equal(pd.read_parquet(serial / f"{name}.parquet"),
                                          pd.read_parquet(out / f"{name}.parquet"),
                                          obj=f"{backend} {name}")


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_decisions_run_at_quick_size(tmp_path, path):
    out = tmp_path / "out"
    proc = iesim("decide", str(path), "--quick", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    d = load_decision(path, quick=True)
    assert len(pd.read_parquet(out / "results.parquet")) == d.runs
    for name in TABLES:
        assert (out / f"{name}.csv").stat().st_size > 0, name
    curves = pd.read_parquet(out / "acceptability.parquet")
    np.testing.assert_allclose(curves.groupby("wtp")["probability_best"].sum(), 1.0)
    assert "# Decision under parameter uncertainty" in proc.stdout


def test_a_large_group_of_irrelevant_inputs_at_few_draws_is_not_given_the_noises_value():
    # 100 draws, 11 inputs that do not enter, net benefit pure seed noise: the regression
    # once interpolated the noise (length scales fitted to it, the penalty judged on the
    # same draws) and returned the EVPI of the noise itself
    from simulation.decisions import evpi, evppi

    rng = np.random.default_rng(0)
    x = rng.random((100, 11))
    nb = np.column_stack([np.zeros(100), rng.normal(0.0, 1.0, 100)])
    result = evppi(nb, x, samples=20)
    assert result.edf[0] < 25  # the linear part (12) and little more, not 100
    assert result.value < 0.5 * float(evpi(nb))
