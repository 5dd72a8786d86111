"""Sensitivity analysis: known indices through the study code path, noise, effects, resume, bad files."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from cli_errors import iesim, one_error_line
from interrupt import whole_and_resumed
from small_world import TINY_POPULATION_TABLE

from simulation.batch import ModelTask
from simulation.cli import main
from simulation.model.parameters import PARAMETERS
from simulation.sensitivity import Factor, Study, load_study, run_study
from simulation.sensitivity.indices import COLUMNS
from simulation.sensitivity.sampling import nested_sizes, unit_sample

ROOT = Path(__file__).parents[1]
SHIPPED = sorted((ROOT / "scenarios" / "sensitivity").glob("*.toml"))
PI = math.pi


def function_study(function: str, method: str, factors, size, replicates=1, outcomes=("y",),
                   seed=1) -> Study:
    return Study(name=function, method=method, factors=tuple(factors), outcomes=tuple(outcomes),
                 replicates=replicates, seed=seed, size=size,
                 function=f"simulation.sensitivity.functions:{function}")


def value(table: pd.DataFrame, parameter: str, index: str, outcome: str = "y") -> float:
    rows = table[(table["outcome"] == outcome) & (table["parameter"] == parameter)
                 & (table["index"] == index)]
    assert len(rows) == 1, (parameter, index)
    return float(rows["value"].iloc[0])


# --------------------------------------------------------------------------- known answers


def test_ishigami_sobol_indices_match_the_analytical_values(tmp_path):
    factors = [Factor(f"x{i}", -PI, PI) for i in (1, 2, 3)]
    study = function_study("ishigami", "sobol", factors,
                           {"base_samples": 4096, "second_order": False, "bootstrap": 200})
    result = run_study(study, tmp_path / "out", figures_too=False)
    expected = {"S1": (0.3139, 0.4424, 0.0), "ST": (0.5576, 0.4424, 0.2437)}
    for index, values in expected.items():
        for i, want in enumerate(values, 1):
            assert abs(value(result.indices, f"x{i}", index) - want) < 0.05, (index, i)
    assert list(pd.read_csv(tmp_path / "out" / "indices.csv").columns) == COLUMNS


def test_ishigami_second_order_indices_find_the_x1_x3_interaction(tmp_path):
    factors = [Factor(f"x{i}", -PI, PI) for i in (1, 2, 3)]
    study = function_study("ishigami", "sobol", factors,
                           {"base_samples": 2048, "second_order": True, "bootstrap": 100})
    result = run_study(study, tmp_path / "out", figures_too=False)
    assert abs(value(result.indices, "x1,x3", "S2") - 0.2437) < 0.05  # S13 = ST1 - S1
    assert abs(value(result.indices, "x1,x2", "S2")) < 0.05
    assert abs(value(result.indices, "x2,x3", "S2")) < 0.05


def test_morris_ranks_a_known_inert_input_last(tmp_path):
    factors = [Factor(f"x{i}", 0.0, 1.0) for i in (1, 2, 3, 4)]
    study = function_study("linear_with_inert", "morris", factors,
                           {"trajectories": 20, "levels": 4})
    result = run_study(study, tmp_path / "out")
    mu_star = result.indices[result.indices["index"] == "mu_star"].set_index("parameter")["value"]
    assert mu_star.idxmin() == "x4"
    assert mu_star["x4"] == 0.0
    assert list(mu_star.sort_values(ascending=False).index[:3]) == ["x1", "x2", "x3"]
    assert (tmp_path / "out" / "figures" / "morris.png").stat().st_size > 0
    assert (tmp_path / "out" / "figures" / "convergence.png").stat().st_size > 0


def test_pawn_gives_the_dummy_factor_the_lowest_index_and_flags_it(tmp_path):
    factors = [Factor(f"x{i}", 0.0, 1.0) for i in (1, 2, 3, 4)]
    study = function_study("linear_with_inert", "pawn", factors,
                           {"samples": 600, "slices": 10, "bootstrap": 30})
    result = run_study(study, tmp_path / "out", figures_too=False)
    median = result.flagged[result.flagged["index"] == "pawn_median"].set_index("parameter")
    assert median.loc["x1", "value"] > median.loc["x3", "value"] > median.loc["x4", "value"]
    assert median.loc["x1", "distinguishable"]
    assert not median.loc["x4", "distinguishable"]  # inert: no better than the dummy
    assert not median.loc["(dummy)", "distinguishable"]


def test_the_seed_share_of_a_noisy_function_is_measured(tmp_path):
    # y = 2 x1 + x2 + N(0, 1) on [0, 1]^2: Var(signal) = 5/12, so the seed's share is 12/17
    factors = [Factor("x1", 0.0, 1.0), Factor("x2", 0.0, 1.0)]
    study = function_study("noisy_linear", "pawn", factors,
                           {"samples": 2000, "slices": 10, "bootstrap": 10}, replicates=4)
    result = run_study(study, tmp_path / "out", figures_too=False)
    noise = result.noise.set_index("outcome").loc["y"]
    assert abs(noise["seed_share"] - 12 / 17) < 0.03
    # the mean of 4 replicates: (1/4) / (5/12 + 1/4)
    assert abs(noise["seed_share_of_mean"] - 0.375) < 0.04
    assert any("seed noise" in w for w in result.warnings)


def test_nested_sizes_are_prefixes_of_the_design():
    factors = [Factor("x1", 0, 1), Factor("x2", 0, 1)]
    study = function_study("ishigami", "sobol", factors,
                           {"base_samples": 64, "second_order": False, "bootstrap": 10})
    assert nested_sizes(study) == [4, 8, 16, 32, 64]
    unit = unit_sample(study)
    assert unit.shape == (64 * 4, 2)
    assert np.array_equal(unit, unit_sample(study))  # the seed fixes the design


# --------------------------------------------------------------------------- effect target


class EffectToy(mesa.Model):
    """y = treat * 2a + b + c + noise: the policy effect depends on a alone."""

    def __init__(self, a=0.5, b=0.5, c=0.5, treat=0, rng=None):
        super().__init__(rng=rng)
        self.y = treat * 2 * a + b + c + self.rng.normal(0.0, 0.3)

    def step(self):
        pass


def effect_outcomes(model):
    return {"y": model.y}


def test_an_effect_that_depends_on_one_factor_gives_it_total_index_near_one(tmp_path):
    task = ModelTask(EffectToy, effect_outcomes)
    study = Study(name="toy", method="sobol", outcomes=("y",), replicates=2, seed=5, years=1,
                  factors=(Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0), Factor("c", 0.0, 1.0)),
                  size={"base_samples": 64, "second_order": False, "bootstrap": 200},
                  target="effect", reference={"treat": 0}, policy={"treat": 1})
    result = run_study(study, tmp_path / "out", task=task, backend="serial", progress=False,
                       figures_too=False)
    assert abs(value(result.indices, "a", "ST") - 1.0) < 0.1
    assert abs(value(result.indices, "a", "S1") - 1.0) < 0.1
    for other in ("b", "c"):
        assert abs(value(result.indices, other, "ST")) < 0.05
    # common random numbers: the seed's noise cancels in the paired difference
    assert result.noise.set_index("outcome").loc["y", "seed_share"] < 1e-9
    effect = result.spread.set_index("outcome").loc["y"]  # 2a with a uniform on [0, 1]
    assert abs(effect["mean"] - 1.0) < 0.02 and abs(effect["p95"] - 1.9) < 0.05
    assert effect["share_positive"] == 1.0


def test_lever_factors_vary_the_policy_arm_only():
    from simulation.sensitivity.runs import scenarios

    study = Study(name="t", method="morris", outcomes=("employment_rate_6m",),
                  factors=(Factor("tax_break_rate", 0.0, 0.5, lever=True),
                           Factor("contact_rate", 0.1, 0.3)),
                  size={"trajectories": 2, "levels": 4}, target="effect",
                  reference={"fund_budget": 0.0}, policy={"fund_budget": 3000.0})
    points = scenarios(study, np.array([[1.0, 0.0]]))
    assert points["p0000000-policy"] == {"fund_budget": 3000.0, "tax_break_rate": 0.5,
                                         "contact_rate": 0.1}
    assert points["p0000000-reference"] == {"fund_budget": 0.0, "contact_rate": 0.1}


# --------------------------------------------------------------------------- registry and files


def test_every_plausible_range_lies_inside_the_valid_range_and_holds_the_default():
    sampled = [p for p in PARAMETERS.values() if p.plausible is not None]
    assert len(sampled) > 120
    for p in sampled:
        low, high = p.plausible
        assert low < high, p.name
        p.check(low)
        p.check(high)
        assert low <= p.default <= high, p.name
        assert p.plausible_source, p.name
    fixed = {p.name for p in PARAMETERS.values() if p.plausible is None}
    assert {"n_students", "n_firms_tech", "summary_years"} <= fixed


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_studies_validate(path):
    study = load_study(path)
    quick = load_study(path, quick=True)
    assert quick.size != study.size
    assert main(["validate", str(path)]) == 0


def test_the_screening_varies_every_uncertain_parameter_and_lever():
    study = load_study(ROOT / "scenarios" / "sensitivity" / "morris_screening.toml")
    names = set(study.names)
    assert names == {p.name for p in PARAMETERS.values() if p.plausible is not None}
    assert {p.name for p in PARAMETERS.values() if p.lever} <= names


def _write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """
[sensitivity]
name = "s"
method = "morris"
outcomes = ["employment_rate_6m"]
[factors.parameters]
contact_rate = "plausible"
"""

BAD = {
    "no table": ("[factors]\nall = true\n", "sensitivity"),
    "unknown key": (GOOD.replace('name = "s"', 'name = "s"\nsamples = 3'), "sensitivity.samples"),
    "bad method": (GOOD.replace('"morris"', '"fast"'), "sensitivity.method"),
    "unknown outcome": (GOOD.replace('"employment_rate_6m"', '"employment"'), "sensitivity.outcomes"),
    "unknown parameter": (GOOD.replace("contact_rate", "contact_rat"), "factors.parameters.contact_rat"),
    "range outside valid": (GOOD.replace('"plausible"', "[0.1, 9.0]"), "factors.parameters.contact_rate"),
    "reversed range": (GOOD.replace('"plausible"', "[0.3, 0.1]"), "factors.parameters.contact_rate"),
    "fixed without plausible": (GOOD.replace("contact_rate", "n_students"), "factors.parameters.n_students"),
    "size key of another method": (GOOD + "[sensitivity.size]\nbase_samples = 8\n",
                                   "sensitivity.size.base_samples"),
    "sobol not power of 2": (GOOD.replace('"morris"', '"sobol"')
                             + "[sensitivity.size]\nbase_samples = 100\n", "sensitivity.size.base_samples"),
    "effect without policy": (GOOD + '[sensitivity.target]\nkind = "effect"\nreference = "x.toml"\n',
                              "sensitivity.target.policy"),
    "missing scenario": (GOOD + '[sensitivity.target]\nscenario = "nowhere.toml"\n',
                         "sensitivity.target.scenario"),
    "fixed and varied": (GOOD + "[partnerships]\ncontact_rate = 0.2\n", "partnerships.contact_rate"),
    "no population": (GOOD + "[population]\ntechnical_universities = 0\nart_schools = 0\n"
                      "comprehensive_universities = 0\n", "population.technical_universities"),
    "unknown factors key": (GOOD + "[factors.extra]\nx = 1\n", "factors.extra"),
    "bad function": (GOOD.replace('name = "s"', 'name = "s"\nfunction = "math:nope"'),
                     "sensitivity.function"),
    "not toml": ("[sensitivity\n", None),
    "other noise treatment": (GOOD.replace('name = "s"', 'name = "s"\nreplicate_noise = "each"'),
                              "sensitivity.replicate_noise"),
    "replicates zero": (GOOD.replace('name = "s"', 'name = "s"\nreplicates = 0'),
                        "sensitivity.replicates"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_malformed_sensitivity_files_give_one_error_line_and_exit_2(tmp_path, case):
    text, key = BAD[case]
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    proc = iesim("sensitivity", str(path), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    one_error_line(proc.stderr, str(path), *([key] if key else []))
    assert not out.exists()  # nothing written


def test_quick_needs_a_quick_table(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "o"), "--quick"]) == 2
    assert "sensitivity.quick" in capsys.readouterr().err


def test_another_study_in_the_output_directory_is_refused(tmp_path, capsys):
    (tmp_path / "functions.py").write_text(
        "from simulation.sensitivity.functions import linear_with_inert  # noqa: F401\n")
    text = GOOD.replace('name = "s"', 'name = "s"\nfunction = "functions:'
                        'linear_with_inert"').replace(
        'outcomes = ["employment_rate_6m"]', 'outcomes = ["y"]').replace(
        'contact_rate = "plausible"', "x1 = [0, 1]\nx2 = [0, 1]\nx3 = [0, 1]\nx4 = [0, 1]")
    path = _write(tmp_path, text)
    out = tmp_path / "o"
    flag = "--allow-function"
    assert main(["sensitivity", str(path), "--out", str(out), "--quiet", flag]) == 0
    assert main(["sensitivity", str(path), "--out", str(out), flag]) == 2
    assert "--resume" in capsys.readouterr().err
    other = _write(tmp_path, text.replace("x4 = [0, 1]", "x4 = [0, 2]"), "t.toml")
    assert main(["sensitivity", str(other), "--out", str(out), "--resume", flag]) == 2
    assert "another study" in capsys.readouterr().err
    assert main(["sensitivity", str(path), "--out", str(out), "--resume", "--quiet", flag]) == 0


# --------------------------------------------------------------------------- resume


SMALL = """
[sensitivity]
name = "small"
method = "morris"
outcomes = ["employment_rate_6m", "placement_coverage"]
replicates = 2
seed = 11
years = 2
[sensitivity.size]
trajectories = 4
[factors.parameters]
labour_demand_multiplier = "plausible"
contact_rate = "plausible"
firm_min_match = "plausible"
placement_slots = "plausible"
""" + TINY_POPULATION_TABLE


@pytest.mark.slow
def test_a_study_killed_and_resumed_gives_the_same_indices(tmp_path):
    # 4 trajectories x 5 points x 2 replicates = 40 runs
    whole, broken = whole_and_resumed("sensitivity", _write(tmp_path, SMALL), tmp_path, 40,
                                      "indices.csv")
    a = pd.read_csv(whole / "indices.csv")
    b = pd.read_csv(broken / "indices.csv")
    pd.testing.assert_frame_equal(a, b)
    assert len(pd.read_parquet(broken / "results.parquet")) == 40


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_studies_run_at_quick_size(tmp_path, path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "sensitivity", str(path),
                           "--quick", "--quiet", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(out / "indices.csv")
    assert list(table.columns) == COLUMNS
    study = load_study(path, quick=True)
    assert set(table["outcome"]) <= set(study.outcomes) and len(table) > 0
    assert set(table["parameter"]) >= set(study.names)
    for name in ("report.md", "noise.csv", "convergence.csv", "samples.parquet",
                 "results.parquet", "figures/convergence.png"):
        assert (out / name).stat().st_size > 0, name
    assert "# Sensitivity study" in proc.stdout


@pytest.mark.slow
def test_backends_give_the_same_indices(tmp_path):
    task = ModelTask(EffectToy, effect_outcomes)
    study = Study(name="toy", method="morris", outcomes=("y",), replicates=2, seed=9, years=1,
                  factors=(Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0), Factor("c", 0.0, 1.0)),
                  size={"trajectories": 6, "levels": 4}, target="effect",
                  reference={"treat": 0}, policy={"treat": 1})
    tables = [run_study(study, tmp_path / backend, task=task, backend=backend, workers=2,
                        progress=False, figures_too=False).indices
              for backend in ("serial", "processes", "dask")]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)


def test_rank_agreement_compares_two_studies_on_shared_factors(tmp_path, capsys):
    from simulation.sensitivity.compare import main as compare

    rows = lambda values: pd.DataFrame(  # noqa: E731
        [("y", f"x{i}", "mu_star", v, 0.0) for i, v in enumerate(values)], columns=COLUMNS)
    for name, values in (("a", [5, 4, 3, 2, 1, 0]), ("b", [4, 5, 3, 2, 0, 1])):
        (tmp_path / name).mkdir()
        rows(values).to_csv(tmp_path / name / "indices.csv", index=False)
        (tmp_path / name / "study.json").write_text('{"study": {"method": "morris"}}')
    assert compare([str(tmp_path / "a"), str(tmp_path / "b"), "--outcome", "y", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "Spearman rank correlation 0.886 over 6 factors; top 3 shared: 100%" in out
    assert compare([str(tmp_path / "a"), str(tmp_path / "nowhere")]) == 2


def test_a_study_larger_than_the_run_cap_is_refused_before_anything_runs(tmp_path, capsys):
    screening = ROOT / "scenarios" / "sensitivity" / "morris_screening.toml"
    out = tmp_path / "o"
    assert main(["sensitivity", str(screening), "--out", str(out), "--max-runs", "100"]) == 2
    err = capsys.readouterr().err
    # 12 trajectories of (factors + 1) points, 2 replicates each
    study = load_study(screening)
    needed = 12 * (len(study.factors) + 1) * 2
    assert needed > 3000
    assert err.startswith("error:") and "--max-runs" in err and f"{needed:,} model runs" in err
    assert not out.exists()
