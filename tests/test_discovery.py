"""Scenario discovery (issue 14): covering boxes, the discover command, resume, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_errors import iesim, one_error_line
from interrupt import whole_and_resumed
from small_world import TINY_POPULATION_TABLE

from simulation.cli import main
from simulation.discovery import boxes
from simulation.discovery.study import load_discovery, unit_design

ROOT = Path(__file__).parents[1]
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted((SCENARIOS / "discovery").glob("*.toml"))


def _write(tmp_path, text, name="d.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- covering


def test_covering_finds_two_separate_boxes_one_after_the_other():
    rng = np.random.default_rng(5)
    x = rng.random((4000, 4))
    first = (x[:, 0] <= 0.4) & (x[:, 1] <= 0.6)  # a large region, found first
    second = (x[:, 0] >= 0.8) & (x[:, 2] >= 0.75)  # a small one, found on the points left
    y = first | second
    found = boxes.find(x, y, boxes=3, resamples=0)
    assert len(found) == 2  # the third search finds no significant concentration left
    a, b = found
    assert set(a.box.restricted) == {0, 1} and set(b.box.restricted) == {0, 2}
    assert abs(a.box.high[0] - 0.4) <= 0.05 and abs(a.box.high[1] - 0.6) <= 0.05
    assert abs(b.box.low[0] - 0.8) <= 0.05 and abs(b.box.low[2] - 0.75) <= 0.05
    assert a.density > 0.9 and b.density > 0.8  # limits a little wide let some others in
    assert a.coverage + b.coverage > 0.85 and a.coverage + b.coverage <= 1.0
    assert not (a.inside & b.inside).any()  # a point belongs to one box at most
    table = boxes.table(found, ["a", "b", "c", "d"], np.zeros(4), np.ones(4))
    assert set(table["factor"]) == {"a", "b", "c"} and set(table["box"]) == {1, 2}


def test_no_box_is_reported_where_the_cases_do_not_depend_on_the_factors():
    rng = np.random.default_rng(8)
    x = rng.random((2000, 4))
    y = rng.random(2000) < 0.3
    found = boxes.find(x, y, boxes=2, resamples=0)
    assert found == [] or all(f.density < 0.45 for f in found)
    assert "no box" in boxes.markdown(boxes.table([], list("abcd"), np.zeros(4), np.ones(4)), 0.3)


# --------------------------------------------------------------------------- files

GOOD = f"""
[discovery]
name = "d"
samples = 20

[discovery.case]
outcome = "employment_rate_6m"
below = 0.01

[discovery.target]
policy = "{SCENARIOS / 'full_package.toml'}"
reference = "{SCENARIOS / 'baseline.toml'}"

[factors.parameters]
labour_demand_multiplier = "plausible"
"""


def test_a_good_file_gives_a_latin_hypercube_and_both_arms(tmp_path):
    discovery = load_discovery(_write(tmp_path, GOOD))
    assert discovery.samples == 20 and discovery.runs == 20 * 2 * 2
    assert discovery.study.target == "effect" and discovery.study.policy["fund_budget"] > 0
    unit = unit_design(discovery)
    assert unit.shape == (20, 1)
    # a Latin hypercube: one point in each of the 20 equal strata
    assert sorted(np.floor(unit[:, 0] * 20).astype(int)) == list(range(20))
    assert np.array_equal(unit, unit_design(discovery))
    assert list(discovery.is_case(np.array([0.0, 0.01, 0.02, np.nan]))) == [True, False, False,
                                                                           False]


BAD = {
    "no table": ("[factors]\nall = true\n", "discovery"),
    "unknown key": (GOOD.replace('name = "d"', 'name = "d"\nmethod = "prim"'), "discovery.method"),
    "samples too few": (GOOD.replace("samples = 20", "samples = 3"), "discovery.samples"),
    "alpha too large": (GOOD.replace("samples = 20", "samples = 20\nalpha = 0.7"),
                        "discovery.alpha"),
    "boxes not an integer": (GOOD.replace("samples = 20", "samples = 20\nboxes = 1.5"),
                             "discovery.boxes"),
    "permutations too few": (GOOD.replace("samples = 20", "samples = 20\npermutations = 5"),
                             "discovery.permutations"),
    "permutations short of the level": (
        GOOD.replace("samples = 20", "samples = 20\nsignificance = 0.01\npermutations = 50"),
        "discovery.permutations"),
    "permutations not an integer": (
        GOOD.replace("samples = 20", "samples = 20\npermutations = \"many\""),
        "discovery.permutations"),
    "quick permutations short of the level": (
        GOOD.replace("samples = 20", "samples = 20\nsignificance = 0.01\npermutations = 99")
        + "[discovery.quick]\nsamples = 10\npermutations = 49\n",
        "discovery.quick.permutations"),
    "no case": (GOOD.replace("[discovery.case]", "[discovery.other]"), "discovery.other"),
    "case without rule": (GOOD.replace("below = 0.01\n", ""), "discovery.case"),
    "case with both rules": (GOOD.replace("below = 0.01", "below = 0.01\nabove = 0.02"),
                             "discovery.case"),
    "case rule not a number": (GOOD.replace("below = 0.01", 'below = "1 pp"'),
                               "discovery.case.below"),
    "unknown case key": (GOOD.replace("below = 0.01", "below = 0.01\nat_least = 3"),
                         "discovery.case.at_least"),
    "unknown outcome": (GOOD.replace('"employment_rate_6m"', '"employment"'),
                        "discovery.case.outcome"),
    "unknown recorded outcome": (GOOD.replace('name = "d"', 'name = "d"\noutcomes = ["jobs"]'),
                                 "discovery.outcomes"),
    "missing policy": (GOOD.replace("policy =", "# policy ="), "discovery.target.policy"),
    "policy file not found": (GOOD.replace("full_package.toml", "nowhere.toml"),
                              "discovery.target.policy"),
    "unknown target key": (GOOD.replace("[discovery.target]", "[discovery.target]\nkind = 1"),
                           "discovery.target.kind"),
    "unknown parameter": (GOOD.replace("labour_demand_multiplier", "labour_demand"),
                          "factors.parameters.labour_demand"),
    "range outside valid": (GOOD.replace('"plausible"', "[0.5, 99.0]"),
                            "factors.parameters.labour_demand_multiplier"),
    "fixed and varied": (GOOD + "[labour_market]\nlabour_demand_multiplier = 1.1\n",
                         "labour_demand_multiplier"),
    "sensitivity table too": (GOOD + "[sensitivity]\nname = 'x'\n", "sensitivity"),
    "not toml": ("[discovery\n", None),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_malformed_discovery_files_give_one_error_line_and_exit_2(tmp_path, case):
    text, key = BAD[case]
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    proc = iesim("discover", str(path), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    one_error_line(proc.stderr, str(path), *([key] if key else []))
    assert not out.exists()  # nothing written


def test_validate_reads_discovery_files(tmp_path):
    good, bad = _write(tmp_path, GOOD), _write(tmp_path, BAD["unknown key"][0], "bad.toml")
    assert iesim("validate", str(good), *map(str, SHIPPED)).returncode == 0
    proc = iesim("validate", str(bad))
    assert proc.returncode == 2
    one_error_line(proc.stderr, "discovery.method")


def test_quick_needs_a_quick_table_and_options_are_checked(tmp_path, capsys):
    path = _write(tmp_path, GOOD)
    assert main(["discover", str(path), "--out", str(tmp_path / "o"), "--quick"]) == 2
    assert "discovery.quick" in capsys.readouterr().err
    assert main(["discover", str(path), "--out", str(tmp_path / "o"), "--max-runs", "10"]) == 2
    assert "--max-runs" in capsys.readouterr().err
    assert main(["discover", str(path), "--out", str(tmp_path / "o"), "--workers", "0"]) == 2
    assert not (tmp_path / "o").exists()


def test_a_case_near_the_threshold_is_uncertain_and_a_probability(tmp_path):
    from simulation.discovery.run import _points, _uncertain

    discovery = load_discovery(_write(tmp_path, GOOD))  # the case: effect below 0.01
    effects = {0: [0.0, 0.002],  # a case, well clear of the threshold
               1: [0.0, 0.03],  # mean 0.015, no case, but within 1.96 se: one replicate of two
               2: [0.05, 0.06],  # no case, clear
               3: [np.nan, np.nan],  # no value
               4: [0.005, np.nan]}  # one replicate with a value: no standard error
    values = pd.DataFrame([{"point": k, "replicate": r, "employment_rate_6m": e}
                           for k, pair in effects.items() for r, e in enumerate(pair)])
    points = _points(discovery, np.linspace(0.8, 1.2, 5)[:, None], values)
    assert points["case"].tolist() == [True, False, False, False, True]
    assert points["uncertain"].tolist() == [False, True, False, False, False]
    probability = points["case_probability"].to_numpy()
    assert probability[[0, 1, 2, 4]].tolist() == [1.0, 0.5, 0.0, 1.0] and np.isnan(probability[3])
    assert _uncertain(discovery, points) == pytest.approx(1 / 3)  # of the points with an se


def test_each_box_reports_how_many_of_its_points_are_uncertain():
    rng = np.random.default_rng(5)
    x = rng.random((2000, 3))
    y = (x[:, 0] <= 0.4) & (x[:, 1] <= 0.6)
    uncertain = np.arange(2000) % 4 == 0
    probability = np.where(uncertain, 0.5, y.astype(float))
    (box,) = boxes.find(x, y, boxes=1, permutations=19, resamples=0, uncertain=uncertain,
                        probability=probability)
    assert box.uncertain_share == pytest.approx(uncertain[box.inside].mean())
    assert box.replicate_density == pytest.approx(probability[box.inside].mean())
    assert box.replicate_density < box.density  # its uncertain cases count for half
    text = boxes.markdown(boxes.table([box], list("abc"), np.zeros(3), np.ones(3)), y.mean())
    assert "could change case with the seed" in text


# --------------------------------------------------------------------------- runs

SMALL = f"""
[discovery]
name = "small"
samples = 80
replicates = 1
seed = 7
years = 3
resamples = 5

[discovery.case]
# the fund adds fewer than 2 active partnerships where firms rarely make contact (few
# proposals to fund): a case with structure, so that the resume test compares boxes
outcome = "active_partnerships"
below = 2.0

[discovery.target]
policy = "{SCENARIOS / 'lever_dedicated_fund.toml'}"
reference = "{SCENARIOS / 'baseline.toml'}"

[factors.parameters]
coordination_capacity = "plausible"
contact_rate = "plausible"
cultural_distance = "plausible"
admin_cost = "plausible"

""" + TINY_POPULATION_TABLE


@pytest.mark.slow
def test_an_interrupted_and_resumed_discovery_gives_the_same_boxes(tmp_path):
    # 80 points x 2 arms = 160 runs
    whole, broken = whole_and_resumed("discover", _write(tmp_path, SMALL), tmp_path, 160,
                                      "boxes.csv")
    a, b = pd.read_csv(whole / "boxes.csv"), pd.read_csv(broken / "boxes.csv")
    assert len(a) >= 1  # a box was found, so the comparison is about boxes
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(pd.read_parquet(whole / "points.parquet"),
                                  pd.read_parquet(broken / "points.parquet"))
    assert (whole / "cart.txt").read_text() == (broken / "cart.txt").read_text()
    # the resumed session's time is recorded (a killed session cannot record its own)
    assert len(json.loads((broken / "sessions.json").read_text())) == 1
    # a study with another seed may not resume into this directory without --replan: its
    # change alters every stored run
    other = _write(tmp_path, SMALL.replace("seed = 7", "seed = 8"), "other.toml")
    refused = iesim("discover", str(other), "--out", str(broken), "--resume")
    assert refused.returncode == 2
    one_error_line(refused.stderr, "the change alters 160 of the 160 stored runs")
    assert "--replan" in refused.stderr


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_discoveries_run_at_quick_size(tmp_path, path):
    out = tmp_path / "out"
    proc = iesim("discover", str(path), "--quick", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    discovery = load_discovery(path, quick=True)
    points = pd.read_parquet(out / "points.parquet")
    assert len(points) == discovery.samples
    assert {*discovery.study.names, "case", "box", f"effect_{discovery.outcome}"} <= set(points)
    assert points["case"].to_numpy().tolist() == discovery.is_case(
        points[f"effect_{discovery.outcome}"]).tolist()
    table = pd.read_csv(out / "boxes.csv")
    assert list(table.columns) == ["box", "coverage", "density", "mass", "permutation_p_value",
                                   "permutations", "stability", "uncertain_share",
                                   "replicate_density", "factor", "low", "high", "range_low",
                                   "range_high", "quasi_p_value", "restricted_share"]
    assert (table["permutation_p_value"] <= discovery.significance).all()
    assert {"uncertain", "case_probability"} <= set(points)
    assert set(table["factor"]) <= set(discovery.study.names)
    for name in ("figures/trajectory.png", "figures/pairs.png", "boxes.md", "cart.txt",
                 "cart_leaves.csv", "trajectory.csv", "samples.parquet", "results.parquet"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "## PRIM boxes" in report and "## CART" in report
