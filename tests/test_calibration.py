"""Calibration (issue 11): recovery of known values, resume, calibrated defaults, bad input.

The synthetic recovery runs the whole calibration (waves, posterior,
confirmation, choice, check, calibrated.toml) on a toy model with a known
answer: two outputs, linear in two registry parameters, with run-to-run noise
like the model's. It checks the values installed in calibrated.toml on fresh
seeds, for a truth inside the ranges and one near a range's edge.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import iesim, one_error_line
from test_calibration_targets import GOOD

from simulation.batch import ModelTask, run_scenarios
from simulation.batch.iesim_task import iesim_task
from simulation.calibration.run import calibrate
from simulation.calibration.runs import output
from simulation.calibration.targets import TargetSet, load_targets
from simulation.calibration.verdicts import MET, MISSED, check_table
from simulation.errors import InputError
from simulation.model.parameters import CALIBRATED_FILE, PARAMETERS, read_calibrated
from simulation.scenarios import load_scenario

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "calibration" / "targets.toml"
SHARE, OFFER = "internship_programme_share", "outside_offer_rate"
TRUTHS = {"inside": {SHARE: 0.30, OFFER: 0.30}, "near an edge": {SHARE: 0.46, OFFER: 0.17}}
TOLERANCE = {"placement_coverage": 0.04, "employment_rate_6m": 0.03}
NOISE = 0.02  # run-to-run sd of each output, about the model's at the default population


class Toy:
    """A stand-in for iesim: outputs linear in two parameters (unit scale), plus noise."""

    def __init__(self, rng=None, **params):
        self.rng = np.random.default_rng(rng)
        self.params = params

    def step(self):
        """Nothing happens over time."""


def expected(params: dict) -> dict[str, float]:
    """The toy's expected outputs at parameter values."""
    a = (params[SHARE] - PARAMETERS[SHARE].plausible[0]) / np.ptp(PARAMETERS[SHARE].plausible)
    b = (params[OFFER] - PARAMETERS[OFFER].plausible[0]) / np.ptp(PARAMETERS[OFFER].plausible)
    return {"placement_coverage": 0.15 + 0.5 * a + 0.05 * b,
            "employment_rate_6m": 0.70 + 0.06 * a + 0.22 * b}


def toy_outcomes(model: Toy) -> dict[str, float]:
    return {k: v + NOISE * model.rng.standard_normal() for k, v in expected(model.params).items()}


TOY = ModelTask(Toy, toy_outcomes)


def synthetic_file(folder: Path, truth: dict) -> Path:
    """A target file whose figures are the toy's expected outputs at ``truth``."""
    text = ["[calibration]", 'name = "synthetic"', "seed = 3", "replicates = 3", "waves = 3",
            "runs_per_wave = 40", "confirm = 24", "confirm_replicates = 3",
            "check_replicates = 20", "years = 6", "",
            "[calibration.parameters]", f'{SHARE} = "plausible"', f'{OFFER} = "plausible"', "",
            "[calibration.quick]", "waves = 2", "runs_per_wave = 20", "replicates = 2",
            "confirm = 8", "confirm_replicates = 2", "check_replicates = 10", ""]
    for outcome, value in expected(truth).items():
        value, tol = float(value), TOLERANCE[outcome]
        text += ["[[target]]", f'name = "{outcome}"', f'outcome = "{outcome}"',
                 f"value = {value!r}", f"low = {value - tol!r}", f"high = {value + tol!r}",
                 'range_why = "a tolerance about the known expected output"',
                 'population = "the toy model"', "year = 2026",
                 'source = "iesim tests, known parameter values"', 'use = "fit"', ""]
    path = folder / "targets.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def recover(folder: Path, truth: dict, quick: bool, **options):
    targets = load_targets(synthetic_file(folder, truth), quick=quick)
    return calibrate(targets, folder / "run", task=TOY, backend="serial", progress=False,
                     **options)


def check_installed(result, truth: dict) -> None:
    """The installed values meet every target on fresh seeds and lie in the posterior's 90%."""
    installed = tomllib.loads((result.out / "calibrated.toml").read_text(encoding="utf-8"))
    values = installed["values"]
    assert values == result.chosen["values"]
    fresh = run_scenarios(TOY, {"installed": values}, replicates=40, seed=424242, steps=1,
                          backend="serial", progress=False)
    runs = pd.DataFrame({t.name: output(t, fresh) for t in result.targets.targets})
    table = check_table(result.targets, runs).set_index("target")
    assert (table["verdict"] == MET).all(), table[["mean", "ci_low", "ci_high", "low", "high"]]
    ident = result.identification.set_index("parameter")
    for name, value in values.items():
        low, high = ident.loc[name, "q05"], ident.loc[name, "q95"]
        assert low <= value <= high, (name, value, low, high)
        assert low <= truth[name] <= high, (name, truth[name], low, high)


@pytest.mark.parametrize("where", list(TRUTHS))
def test_the_quick_calibration_installs_values_that_meet_the_targets_on_fresh_seeds(
        tmp_path, where):
    result = recover(tmp_path, TRUTHS[where], quick=True, figures_too=False)
    check_installed(result, TRUTHS[where])


@pytest.fixture(scope="module", params=list(TRUTHS))
def recovered(request, tmp_path_factory):
    """The synthetic calibration at its full size, for each truth."""
    folder = tmp_path_factory.mktemp("recovered")
    result = recover(folder, TRUTHS[request.param], quick=False)
    result.truth = TRUTHS[request.param]
    return result


@pytest.mark.slow
def test_the_full_calibration_installs_values_that_meet_the_targets_on_fresh_seeds(recovered):
    check_installed(recovered, recovered.truth)
    # every wave's emulators, the last one's on the confirmation runs, validate on held-back runs
    table = pd.read_csv(recovered.out / "validation.csv")
    assert set(table["wave"]) == {1, 2, 3} and table["validated"].all(), table
    assert set(table.loc[table["wave"] == 3, "held_back"]) == {"confirmation runs"}
    # the fitted targets are met at the chosen values, and counted so in calibrated.toml
    head = tomllib.loads((recovered.out / "calibrated.toml").read_text(encoding="utf-8"))
    assert head["calibration"]["fitted_met"] == 2 and head["calibration"]["fitted_missed"] == 0


@pytest.mark.slow
def test_a_truth_near_an_edge_is_flagged_against_that_bound(recovered):
    ident = recovered.identification.set_index("parameter")
    if recovered.truth is TRUTHS["inside"]:
        assert (ident["edge"] == "").all()
    else:  # the offer rate's truth lies 6% of its range above the lower bound
        assert ident.loc[OFFER, "edge"] == "lower" and not ident.loc[OFFER, "identified"]
        report = (recovered.out / "report.md").read_text(encoding="utf-8")
        assert f"want `{OFFER}` below its plausible range" in report


@pytest.mark.slow
def test_outputs_are_written_and_calibrated_toml_is_read_by_the_registry(recovered):
    out = recovered.out
    for name in ("calibration.json", "waves.parquet", "posterior.parquet", "confirmation.parquet",
                 "check.csv", "identification.csv", "validation.csv", "emulators.csv",
                 "report.md", "calibrated.toml", "figures/targets.png", "figures/posterior.png",
                 "figures/predictive.png", "figures/validation.png"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text(encoding="utf-8")
    for section in ("## Targets against the calibrated model", "## Posterior predictive check",
                    "## Emulator validation", "![validation](figures/validation.png)",
                    "probability a run meets it", "| verdict |"):
        assert section in report, section
    declared = read_calibrated(out / "calibrated.toml", PARAMETERS)
    assert set(declared) == {SHARE, OFFER}
    for name, p in declared.items():
        assert p.default == recovered.chosen["values"][name]
        assert p.calibrated == ("placement_coverage", "employment_rate_6m")
        assert p.uncalibrated == PARAMETERS[name].default  # the default it replaces


@pytest.mark.slow
def test_a_resumed_calibration_reuses_its_runs_and_gives_the_same_values(recovered):
    out = recovered.out
    for name in ("calibrated.toml", "check.csv", "report.md"):
        (out / name).unlink()
    targets = load_targets(recovered.targets.source)
    again = calibrate(targets, out, resume=True, task=TOY, backend="serial", progress=False,
                      figures_too=False)
    assert again.chosen == recovered.chosen
    assert again.posterior.equals(recovered.posterior)
    with pytest.raises(InputError, match="--out is not empty"):
        calibrate(targets, out, task=TOY, backend="serial", progress=False)


def test_the_shipped_file_plans_a_calibration_of_registry_parameters_within_an_hour():
    plan = load_targets(SHIPPED).plan
    assert plan is not None and len(plan.factors) >= 6
    for f in plan.factors:
        assert (f.low, f.high) == PARAMETERS[f.name].plausible
    # about 0.8 s a run on 2 cores at the default population: under 60 minutes in all
    assert plan.most_runs() * 0.8 / 60 < 60
    quick = load_targets(SHIPPED, quick=True).plan
    assert quick.most_runs() < plan.most_runs() / 20


def test_the_registry_takes_calibrated_defaults_and_says_against_what():
    data = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    fitted = {t.name for t in load_targets(SHIPPED).used("fit")}
    assert set(data["calibration"]["fitted"]) == fitted
    for name, value in data["values"].items():
        p = PARAMETERS[name]
        assert p.default == value and set(p.calibrated) == fitted
        assert "calibrated" in p.source and p.uncalibrated is not None
    assert not PARAMETERS["n_students"].calibrated


@pytest.mark.slow
def test_the_calibrated_defaults_reproduce_every_fitted_target():
    """The baseline scenario, at its own size, seed and replicates, misses no fitted target.

    The rule of the calibration's check: every fitted target's 95% interval
    over the runs lies within its range (met) or overlaps it (consistent).
    """
    targets = load_targets(SHIPPED)
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    outcomes = tuple(dict.fromkeys(o for t in targets.used("fit") for o in t.outcomes))
    summary = run_scenarios(iesim_task(outcomes=outcomes), {"baseline": base.params},
                            replicates=base.replicates, seed=base.seed, steps=12 * base.years,
                            progress=False)
    fitted = TargetSet("fitted", targets.used("fit"), {})
    table = check_table(fitted, pd.DataFrame({t.name: output(t, summary) for t in fitted.targets}))
    missed = table[table["verdict"] == MISSED]
    assert missed.empty, table[["target", "mean", "ci_low", "ci_high", "low", "high", "verdict"]]


def test_bad_calibrated_defaults_are_refused_with_the_key(tmp_path):
    good = '[calibration]\nfitted = ["a"]\n\n[values]\nreservation_match = 0.5\n'
    for text, key in [
        (good + "[other]\nx = 1\n", "other"),
        (good.replace("reservation_match", "reservation_mach"), "values.reservation_mach"),
        (good.replace("0.5", "0.9"), "values.reservation_match"),  # outside the plausible range
        (good.replace('["a"]', "[]"), "calibration.fitted"),
    ]:
        path = tmp_path / "calibrated.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as err:
            read_calibrated(path, PARAMETERS)
        assert err.value.key == key


PLAN = GOOD.replace('name = "t"\n', 'name = "t"\n{extra}\n\n[calibration.parameters]\n{parameters}\n', 1)

BAD = {
    "unknown parameter": ("", 'reservation_mach = "plausible"', "calibration.parameters.reservation_mach"),
    "a lever": ("", 'tax_break_rate = "plausible"', "calibration.parameters.tax_break_rate"),
    "no plausible range": ("", 'n_students = "plausible"', "calibration.parameters.n_students"),
    "reversed range": ("", "reservation_match = [0.6, 0.5]", "calibration.parameters.reservation_match"),
    "bad size": ("waves = 0", 'reservation_match = "plausible"', "calibration.waves"),
    "unknown plan key": ("wavez = 2", 'reservation_match = "plausible"', "calibration.wavez"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_malformed_plan_gives_one_error_line_naming_the_key(tmp_path, case):
    extra, parameters, key = BAD[case]
    path = tmp_path / "t.toml"
    path.write_text(PLAN.format(extra=extra, parameters=parameters), encoding="utf-8")
    out = tmp_path / "out"
    done = iesim("calibrate", str(path), "--out", str(out))
    assert done.returncode == 2
    one_error_line(done.stderr, str(path), key)
    assert not out.exists()


def test_calibrate_refuses_a_file_without_parameters_and_a_foreign_directory(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(PLAN.format(extra="", parameters="").replace("[calibration.parameters]", ""),
                    encoding="utf-8")
    done = iesim("calibrate", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    one_error_line(done.stderr, "calibration.parameters")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    done = iesim("calibrate", str(SHIPPED), "--out", str(other), "--resume", "--quick")
    assert done.returncode == 2
    one_error_line(done.stderr, "--resume")
    assert (other / "keep.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.slow
def test_the_quick_calibration_runs_end_to_end_from_the_command_line(tmp_path):
    out = tmp_path / "quick"
    done = iesim("calibrate", str(SHIPPED), "--out", str(out), "--quick", "--quiet",
                 "--workers", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Targets against the calibrated model" in done.stdout
    values = tomllib.loads((out / "calibrated.toml").read_text(encoding="utf-8"))["values"]
    assert set(values) == set(load_targets(SHIPPED).plan.names)
