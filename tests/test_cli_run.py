import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.batch.seeds import replicate_seed
from simulation.cli import main
from simulation.model import IndustryEducationModel
from simulation.model.metrics import OUTCOMES
from simulation.scenarios import load_scenario, run_seed

SCENARIOS = sorted(Path(__file__).resolve().parents[1].joinpath("scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_runs_two_years(path):
    model = IndustryEducationModel.from_scenario(path)
    model.run_years(2)
    out = model.outcomes()
    assert set(out) == set(OUTCOMES)
    assert model.steps == 24
    assert model.students.count() > 0
    assert 0.0 <= out["employment_rate_6m"] <= 1.0


def test_from_scenario_uses_the_file_seed_and_params():
    path = Path(__file__).resolve().parents[1] / "scenarios" / "lever_tax_break.toml"
    sc = load_scenario(path)
    a = IndustryEducationModel.from_scenario(path)
    b = IndustryEducationModel(rng=run_seed(sc.seed), **sc.params)
    assert a.p == b.p
    assert a.p["tax_break_rate"] == sc.params["tax_break_rate"] > 0
    a.run_for(14)
    b.run_for(14)
    pd.testing.assert_frame_equal(a.datacollector.get_model_vars_dataframe(),
                                  b.datacollector.get_model_vars_dataframe())


@pytest.mark.parametrize("seed", [0, 5, 20240501, 2**63 - 1])
def test_a_single_run_draws_the_streams_of_replicate_0_of_a_batch_with_its_seed(seed):
    single, batch = run_seed(seed), replicate_seed(seed, 0)
    assert (single.entropy, single.spawn_key) == (batch.entropy, batch.spawn_key)
    assert (single.generate_state(4) == batch.generate_state(4)).all()
    assert (single.generate_state(4) != np.random.SeedSequence(seed).generate_state(4)).any()


def test_iesim_run_writes_parquet_and_json(tmp_path, capsys):
    scen = tmp_path / "small.toml"
    scen.write_text('[scenario]\nname = "small"\nyears = 2\nseed = 5\n'
                    "[population]\nn_students = 1200\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out), "--years", "3"]) == 0
    printed = capsys.readouterr().out
    assert "employment_rate_6m" in printed and "scenario small: seed 5, 3 years" in printed
    series = pd.read_parquet(out / "timeseries.parquet")
    assert len(series) == 3 * 12 + 1  # initial state plus one row a month
    assert set(OUTCOMES) <= set(series.columns)
    doc = json.loads((out / "summary.json").read_text())
    assert doc["seed"] == 5 and doc["years"] == 3 and doc["parameters"]["n_students"] == 1200
    assert set(doc["outcomes"]) == set(OUTCOMES)
    assert not list(out.glob(".*.tmp"))


def test_iesim_run_seed_override_changes_results(tmp_path, capsys):
    scen = tmp_path / "small.toml"
    scen.write_text('[scenario]\nname = "small"\nyears = 2\nseed = 5\n'
                    "[population]\nn_students = 1200\n", encoding="utf-8")
    assert main(["run", str(scen), "--seed", "5"]) == 0
    first = capsys.readouterr().out
    assert main(["run", str(scen)]) == 0
    same = capsys.readouterr().out
    assert main(["run", str(scen), "--seed", "6"]) == 0
    other = capsys.readouterr().out
    assert first == same
    assert first != other


def _exit_code(args):
    try:
        return main(args)
    except SystemExit as exc:  # argparse usage errors
        return exc.code


@pytest.mark.parametrize("args", [["run", "missing.toml"], ["run", "x.toml", "--years", "0"],
                                  ["run", "x.toml", "--seed", "-1"], ["run"], ["frobnicate"],
                                  ["run", "x.toml", "--years", "two"]])
def test_iesim_run_bad_input_is_one_error_line(args, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.toml").write_text('[scenario]\nname = "x"\n', encoding="utf-8")
    assert _exit_code(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:")
    assert "Traceback" not in err
