"""Calibration (issue 11): recovery of known values, resume, calibrated defaults, bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import iesim, one_error_line
from test_calibration_targets import GOOD

from simulation.batch import run_scenarios
from simulation.batch.iesim_task import iesim_task
from simulation.calibration.run import calibrate
from simulation.calibration.targets import load_targets
from simulation.errors import InputError
from simulation.parameters import CALIBRATED_FILE, PARAMETERS, read_calibrated
from simulation.scenarios import load_scenario

ROOT = Path(__file__).parents[1]
SHIPPED = ROOT / "calibration" / "targets.toml"
SMALL = {"n_students": 4000, "n_technical_universities": 2, "n_art_schools": 1,
         "n_comprehensive_universities": 2, "n_firms_tech": 40, "n_firms_design": 20,
         "n_firms_agri": 20}
SMALL_FILE = """n_students = 4000
technical_universities = 2
art_schools = 1
comprehensive_universities = 2
firms_tech = 40
firms_design = 20
firms_agri = 20"""
TRUTH = {"internship_programme_share": 0.35, "outside_offer_rate": 0.22}
YEARS = 6


def _target(name, outcome, value, low, high, use="fit"):
    return (f'[[target]]\nname = "{name}"\noutcome = "{outcome}"\nvalue = {value!r}\n'
            f"low = {low!r}\nhigh = {high!r}\n"
            'range_why = "plus or minus two standard errors of the true mean (20 runs)"\n'
            'population = "iesim itself"\nyear = 2026\nsource = "iesim, known parameter values"\n'
            f'use = "{use}"\n\n')


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A target file made from the model's own outputs at known values (small population)."""
    folder = tmp_path_factory.mktemp("synthetic")
    summary = run_scenarios(iesim_task(outcomes=("placement_coverage", "employment_rate_6m")),
                            {"truth": {**SMALL, **TRUTH}}, replicates=20, seed=7,
                            steps=12 * YEARS, backend="serial", progress=False)
    text = ["[calibration]", 'name = "synthetic"', "seed = 3", "replicates = 3", "waves = 3",
            "runs_per_wave = 30", "confirm = 8", "confirm_replicates = 2",
            "check_replicates = 6", f"years = {YEARS}", "",
            "[calibration.parameters]", 'internship_programme_share = "plausible"',
            'outside_offer_rate = "plausible"', "",
            "[calibration.quick]", "waves = 1", "runs_per_wave = 8", "replicates = 1",
            "confirm = 2", "confirm_replicates = 1", "check_replicates = 2", ""]
    for outcome in ("placement_coverage", "employment_rate_6m"):
        v = summary[outcome].to_numpy(float)
        mean, half = float(v.mean()), float(2 * v.std(ddof=1) / np.sqrt(len(v)))
        text.append(_target(outcome, outcome, round(mean, 4), round(mean - half, 4),
                            round(mean + half, 4)))
    path = folder / "targets.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return path


def _with_population(path: Path) -> Path:
    """The synthetic file with the small population as its scenario."""
    scenario = path.parent / "small.toml"
    scenario.write_text('[scenario]\nname = "small"\n\n[population]\n' + SMALL_FILE + "\n",
                        encoding="utf-8")
    text = path.read_text(encoding="utf-8").replace('name = "synthetic"',
                                                    'name = "synthetic"\nscenario = "small.toml"')
    out = path.parent / "targets_small.toml"
    out.write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def recovered(synthetic, tmp_path_factory):
    out = tmp_path_factory.mktemp("recovered") / "run"
    targets = load_targets(_with_population(synthetic))
    return calibrate(targets, out, workers=2, progress=False, figures_too=True)


@pytest.mark.slow
def test_known_values_lie_inside_the_posterior_and_the_emulators_hold_on_new_runs(recovered):
    ident = recovered.identification.set_index("parameter")
    for name, truth in TRUTH.items():
        low, high = np.quantile(recovered.posterior[name], [0.005, 0.995])
        assert low <= truth <= high, (name, low, high, truth)
    # placement coverage narrows the programme share's posterior well inside its prior
    share = ident.loc["internship_programme_share"]
    assert share["identified"] and share["q05"] <= TRUTH["internship_programme_share"] <= share["q95"]
    chosen = recovered.chosen["values"]["internship_programme_share"]
    assert share["q05"] <= chosen <= share["q95"]
    # the emulators, checked on each next wave's runs, held them within 3 sd
    emulators = pd.read_csv(recovered.out / "emulators.csv").dropna()
    assert len(emulators) and (emulators["validated"] >= 0.8).all()


@pytest.mark.slow
def test_outputs_are_written_and_calibrated_toml_is_read_by_the_registry(recovered):
    out = recovered.out
    for name in ("calibration.json", "waves.parquet", "posterior.parquet", "confirmation.parquet",
                 "check.csv", "identification.csv", "report.md", "calibrated.toml",
                 "figures/targets.png", "figures/posterior.png", "figures/predictive.png"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Posterior predictive check" in report and "Not identified" in report
    declared = read_calibrated(out / "calibrated.toml", PARAMETERS)
    assert set(declared) == set(TRUTH)
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
    again = calibrate(targets, out, resume=True, workers=2, progress=False, figures_too=False)
    assert again.chosen == recovered.chosen
    assert again.posterior.equals(recovered.posterior)
    with pytest.raises(InputError, match="--out is not empty"):
        calibrate(targets, out, backend="serial", progress=False)


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
    """The baseline scenario, at its own size, seed and replicates, meets every fitted target."""
    targets = load_targets(SHIPPED)
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    outcomes = tuple(dict.fromkeys(o for t in targets.used("fit") for o in t.outcomes))
    summary = run_scenarios(iesim_task(outcomes=outcomes), {"baseline": base.params},
                            replicates=base.replicates, seed=base.seed, steps=12 * base.years,
                            progress=False)
    means = summary[list(outcomes)].mean().to_dict()
    missed = [t.name for t in targets.used("fit") if not t.met(means)]
    assert not missed, (missed, means)


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
