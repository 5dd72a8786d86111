"""Every notebook runs at QUICK size and writes its figures; figure data come from the CLI's code."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from simulation import figures
from simulation.batch.stats import comparison
from simulation.batch.store import ResultsStore
from simulation.evaluation.increments import evaluate

# Ten notebooks run once for the module at QUICK size; on a shared 2-core machine that can
# exceed the suite's default timeout, so the module has a generous guard of its own.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

EXPECTED = {  # notebook: the figures it writes (each as .png and .pdf)
    "01_baseline_dynamics": ["baseline_dynamics"],
    "02_policy_levers": ["policy_levers"],
    "03_partnership_survival": ["partnership_survival", "grant_cliff"],
    "04_three_cases": ["three_cases"],
    "05_cost_effectiveness": ["ce_plane", "acceptability", "frontier"],
    "06_sensitivity": ["sensitivity_morris", "sensitivity_sobol", "sensitivity_package"],
    "07_calibration": ["calibration_targets", "calibration_posterior", "calibration_predictive"],
    "08_future_trends": ["future_trends"],
    "09_scenario_discovery": ["discovery_trajectory", "discovery_pairs"],
    "10_decision_uncertainty": ["decision_ce_plane", "decision_acceptability", "decision_evpi",
                                "decision_evppi"],
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """Every notebook executed once at QUICK size into fresh directories."""
    root = tmp_path_factory.mktemp("figures")
    out, results = root / "figures", root / "results"
    for path in figures.notebooks():
        figures.execute(path, "QUICK", out, results)
    return out, results


def test_every_notebook_is_listed_and_committed_without_outputs():
    assert [p.stem for p in figures.notebooks()] == sorted(EXPECTED)
    for path in figures.notebooks():
        book = nbformat.read(path, as_version=4)
        tags = [c.metadata.get("tags", []) for c in book.cells]
        assert ["parameters"] in tags, path
        for cell in book.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path


def test_every_notebook_writes_its_figures_at_quick_size(quick):
    out, results = quick
    for notebook, names in EXPECTED.items():
        for name in names:
            for suffix in ("png", "pdf"):
                path = out / f"{name}.{suffix}"
                assert path.is_file() and path.stat().st_size > 1000, (notebook, path)
        executed = results / "notebooks" / f"{notebook}.ipynb"
        assert executed.is_file()


def test_the_policy_lever_figure_shows_what_iesim_report_computes(quick):
    out, results = quick
    shown = pd.read_csv(out / "policy_levers.csv")
    store = ResultsStore.open(results / "policy_comparison")
    outcomes = sorted(set(shown["outcome"]))
    cli = comparison(store.summary(), outcomes, "baseline")  # as cmd_report calls it
    cli = cli[cli["scenario"] != "baseline"]
    merged = shown.merge(cli, on=["scenario", "outcome"], suffixes=("", "_cli"))
    assert len(merged) == len(shown) == 9 * len(outcomes)
    for column in ("diff", "diff_low", "diff_high", "mean"):
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_cli"],
                                       check_names=False)


def test_the_cost_effectiveness_figures_use_the_evaluation_of_iesim_report(quick):
    out, results = quick
    shown = pd.read_csv(out / "cost_effectiveness.csv")
    summary = ResultsStore.open(results / "policy_comparison").summary()
    cli = evaluate(summary, "baseline")  # as iesim batch and iesim report evaluate
    assert len(shown) == len(cli) == 9 * 2  # every scenario, both perspectives
    for column in ("d_cost", "d_effect", "icer", "nmb"):
        pd.testing.assert_series_equal(shown[column], cli[column].reset_index(drop=True),
                                       check_names=False, rtol=1e-9)


def test_the_calibration_figure_reads_the_calibrations_check(quick):
    _, results = quick
    check = pd.read_csv(results / "calibration" / "check.csv")
    assert set(check["use"]) == {"fit", "holdout"} and len(check) == 10


def test_the_discovery_figure_shows_the_boxes_iesim_discover_found(quick):
    out, results = quick
    shown = pd.read_csv(out / "discovery_boxes.csv")
    cli = pd.read_csv(results / "discovery" / "full_package_fails" / "boxes.csv")
    pd.testing.assert_frame_equal(shown, cli)
