"""The public batch API: ModelTask checks, plain parameters, batch hashes, run_scenarios, Dask errors."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mesa.examples import BoltzmannWealth, ConwaysGameOfLife
from mesa.examples.advanced.wolf_sheep.model import WolfSheepScenario
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario
from test_batch_toy import TOY, ToyModel, toy_outcomes

from simulation.batch import (
    ModelTask,
    ResultsStore,
    batch_hash,
    plan_runs,
    run_batch,
    run_scenarios,
)
from simulation.batch.dask_backend import check_scheduler
from simulation.batch.specs import plain_parameters
from simulation.cli import main
from simulation.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
BATCH = Path(__file__).parents[1] / "simulation" / "batch"
FLAT_UP = {"flat": {"drift": 0.0}, "up": {"drift": 0.2}}


def gini(model) -> dict[str, float]:
    return {"gini": model.gini}


def not_a_model(width=3):
    return None


def seeded_by_integer(rng=None, seed: int = 0, n: int = 30):
    """A factory that names ``seed`` itself (as benchmarks/boltzmann_kw.py does)."""
    return ToyModel(rng=seed, n=n)


# --------------------------------------------------------------------------- ModelTask


def test_a_factory_the_runner_cannot_seed_is_refused_when_the_task_is_made():
    with pytest.raises(TypeError, match="takes neither rng= nor scenario="):
        ModelTask(not_a_model, toy_outcomes)
    with pytest.raises(TypeError, match="scenario_class must be a subclass of mesa's Scenario"):
        ModelTask(BoltzmannWealth, gini, scenario_class=dict)
    with pytest.raises(TypeError, match="takes no scenario argument"):
        ModelTask(ToyModel, toy_outcomes, scenario_class=BoltzmannScenario)
    with pytest.raises(TypeError, match="not one string"):
        ModelTask(ToyModel, toy_outcomes, keep="mean_wealth")


def test_keyword_task_identity_is_unchanged_so_old_stores_resume():
    assert TOY.identity() == {"factory": "test_batch_toy.ToyModel",
                              "outcomes": "test_batch_toy.toy_outcomes", "timeseries": None,
                              "keep": None}
    scenario_task = ModelTask(BoltzmannWealth, gini).identity()
    assert scenario_task["scenario_class"].endswith("BoltzmannScenario")


@pytest.mark.parametrize(("task", "params", "message"), [
    (ModelTask(BoltzmannWealth, gini), {"nn": 5},
     "BoltzmannWealth (its BoltzmannScenario or its own keywords) takes no parameter 'nn'; "
     "did you mean 'n'?"),
    (ModelTask(ConwaysGameOfLife, toy_outcomes), {"widht": 5}, "did you mean 'width'?"),
    (ModelTask(ConwaysGameOfLife, toy_outcomes), {"rng": 5}, "parameter 'rng' is set by the runner"),
    (ModelTask(BoltzmannWealth, gini), {"seed": 5}, "parameter 'seed' would reach mesa.Model"),
    (ModelTask(ToyModel, toy_outcomes), {"seed": 5}, "parameter 'seed' would reach mesa.Model"),
])
def test_unknown_parameters_fail_once_up_front_with_the_names_that_exist(tmp_path, task, params,
                                                                           message):
    with pytest.raises(TypeError, match="scenario 'bad': .*" + message.replace("(", r"\(")
                       .replace(")", r"\)").replace("?", r"\?")):
        run_scenarios(task, {"bad": params}, replicates=1, seed=1, steps=1, out=tmp_path / "o",
                      backend="serial")
    assert not (tmp_path / "o").exists()  # nothing was created


def test_a_factory_that_names_seed_may_take_it():
    task = ModelTask(seeded_by_integer, toy_outcomes)
    task.check({"seed": 3, "n": 5})
    assert "seed" not in task.complete({})  # not filled in from the factory's default


# --------------------------------------------------------------------------- parameters


def test_numpy_and_scenario_parameters_become_plain_values():
    plain = plain_parameters({"n": np.int64(5), "x": np.float32(0.5), "flag": np.bool_(True),
                              "levels": [np.int64(1), 2], "pair": (1, np.float64(2.0))})
    assert plain == {"n": 5, "x": 0.5, "flag": True, "levels": [1, 2], "pair": (1, 2.0)}
    assert [type(v) for v in plain.values()] == [int, float, bool, list, tuple]
    assert plain_parameters(BoltzmannScenario(n=7)) == {"n": 7, "width": 10, "height": 10}


@pytest.mark.parametrize(("value", "fragment"), [
    (np.arange(3), "parameter 'p' is a ndarray; .* \\(pass value.tolist\\(\\)\\)"),
    (object(), "parameter 'p' is a object; batch parameters must be numbers"),
    ({1: 2}, "parameter 'p': dict keys must be strings"),
])
def test_a_value_that_cannot_be_stored_is_named(value, fragment):
    with pytest.raises(TypeError, match="scenario 'base': " + fragment):
        plan_runs({"base": {"p": value}}, 1, seed=1, steps=1)


def test_a_scenario_instance_must_leave_rng_to_the_runner():
    with pytest.raises(ValueError, match="scenario 'base': the Scenario sets rng=3"):
        plain_parameters(BoltzmannScenario(rng=3), "base")


def test_numpy_parameters_reach_the_store_without_type_errors(tmp_path):
    specs = plan_runs({"a": {"drift": np.float64(0.1), "n": np.int64(5)}}, 2, seed=np.int64(3),
                      steps=np.int64(4))
    store = ResultsStore.create(tmp_path / "o", specs, batch_hash="numpy")
    run_batch(TOY, store.pending_specs(), store.record, backend="serial")
    frame = store.finalize()
    assert list(frame["param_n"]) == [5, 5] and frame["param_drift"].dtype == float


def test_a_scenario_of_another_model_is_refused(tmp_path):
    with pytest.raises(TypeError, match="scenario 'a' is a WolfSheepScenario; the model takes a "
                                        "BoltzmannScenario"):
        run_scenarios(ModelTask(BoltzmannWealth, gini), {"a": WolfSheepScenario()}, replicates=1,
                      seed=1, steps=1, backend="serial")


# --------------------------------------------------------------------------- batch hash


def test_batch_hash_follows_task_and_plan_but_not_replicates_or_numpy_types():
    base = batch_hash(TOY, FLAT_UP, seed=1, steps=10)
    assert base == batch_hash(TOY, {"flat": {"drift": np.float64(0.0)}, "up": {"drift": 0.2}}, 1, 10)
    others = [
        batch_hash(TOY, FLAT_UP, seed=2, steps=10),
        batch_hash(TOY, FLAT_UP, seed=1, steps=11),
        batch_hash(TOY, FLAT_UP, seed=1, steps=10, common_random_numbers=False),
        batch_hash(TOY, {"flat": {"drift": 0.0}, "up": {"drift": 0.3}}, seed=1, steps=10),
        batch_hash(ModelTask(ToyModel, toy_outcomes, keep=("mean_wealth",)), FLAT_UP, 1, 10),
    ]
    assert len({base, *others}) == 6
    written_out = {"n": 30, "drift": 0.0, "fail_at": -1, "die_at": -1, "sleep": 0.0}
    assert batch_hash(TOY, {"flat": {}}, 1, 10) == batch_hash(TOY, {"flat": written_out}, 1, 10)


# --------------------------------------------------------------------------- run_scenarios


def journal_lines(out: Path) -> int:
    return len((out / "status.jsonl").read_text().splitlines())


def test_run_scenarios_stores_resumes_and_adds_replicates(tmp_path):
    out = tmp_path / "toy"
    first = run_scenarios(TOY, FLAT_UP, replicates=3, seed=5, steps=12, out=out, backend="serial",
                          progress=False)
    assert len(first) == 6 and first.attrs["failures"] == {}
    assert set(first["param_n"]) == {30}  # the model's defaults are filled in and stored
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "summary.parquet"),
                                  check_like=True)
    again = run_scenarios(TOY, FLAT_UP, replicates=3, seed=5, steps=12, out=out,
                          backend="serial", progress=False)
    assert journal_lines(out) == 6  # nothing ran twice
    pd.testing.assert_frame_equal(first, again)
    more = run_scenarios(TOY, FLAT_UP, replicates=4, seed=5, steps=12, out=out, backend="serial",
                         progress=False)
    assert journal_lines(out) == 8 and len(more) == 8
    pd.testing.assert_frame_equal(more[more["replicate"] < 3].reset_index(drop=True), first)


def test_run_scenarios_refuses_another_batch_in_out(tmp_path):
    out = tmp_path / "toy"
    run_scenarios(TOY, FLAT_UP, replicates=1, seed=5, steps=3, out=out, backend="serial",
                  progress=False)
    with pytest.raises(InputError, match="out holds the results of a different batch"):
        run_scenarios(TOY, FLAT_UP, replicates=1, seed=6, steps=3, out=out, backend="serial",
                      progress=False)


def test_run_scenarios_without_out_matches_the_processes_backend(tmp_path):
    serial = run_scenarios(TOY, FLAT_UP, replicates=2, seed=5, steps=8, backend="serial",
                           progress=False)
    processes = run_scenarios(TOY, FLAT_UP, replicates=2, seed=5, steps=8, out=tmp_path / "p",
                              workers=2, progress=False)
    pd.testing.assert_frame_equal(serial, processes)


def test_failed_runs_warn_and_all_failing_raises(tmp_path):
    scenarios = {"ok": {}, "bad": {"fail_at": 2}}
    with pytest.warns(RuntimeWarning, match="2 runs failed and are left out of the summary"):
        summary = run_scenarios(TOY, scenarios, replicates=2, seed=1, steps=4, backend="serial",
                                progress=False)
    assert sorted(summary.attrs["failures"]) == ["s001-r00000", "s001-r00001"]
    assert set(summary["scenario"]) == {"ok"}
    with pytest.raises(RuntimeError, match="all 1 runs failed; s000-r00000: running: "
                                           "RuntimeError: toy model failed on purpose"):
        run_scenarios(TOY, {"bad": {"fail_at": 1}}, replicates=1, seed=1, steps=3,
                      backend="serial", progress=False)


@pytest.mark.parametrize(("options", "error"), [
    ({"replicates": 0}, "replicates must be an integer >= 1"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"backend": "threads"}, "backend must be one of"),
    ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler needs backend='dask'"),
])
def test_run_scenarios_rejects_bad_options(options, error):
    arguments = {"replicates": 1, "seed": 1, "steps": 1, "backend": "serial", **options}
    with pytest.raises(ValueError, match=error):
        run_scenarios(TOY, FLAT_UP, **arguments)


# --------------------------------------------------------------------------- Dask addresses


@pytest.mark.parametrize("address", ["notanaddress", "foo://host:1", "tcp://127.0.0.1:99999",
                                     "tcp://:8786", "tcp://host:port"])
def test_a_malformed_scheduler_address_is_one_input_error(address):
    with pytest.raises(InputError, match="the Dask scheduler address .* is malformed") as caught:
        check_scheduler(address)
    assert "\n" not in str(caught.value)


def test_an_unreachable_scheduler_fails_without_waiting_for_the_timeout():
    # refused at once, not after the (long) timeout: the error says so, not "no answer"
    with pytest.raises(InputError, match=r"^cannot reach the Dask scheduler at "
                                         r"tcp://127\.0\.0\.1:1 \(connection refused"):
        check_scheduler("tcp://127.0.0.1:1", timeout=600)


def test_a_listening_scheduler_address_passes():
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert check_scheduler(address.removeprefix("tcp://"), timeout=60) == address


def test_a_listening_socket_that_is_no_scheduler_is_refused():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(InputError, match="gave no answer within 1 s; is it a Dask scheduler"):
            check_scheduler(f"127.0.0.1:{port}", timeout=1)


def test_run_batch_and_run_scenarios_report_an_unreachable_scheduler(tmp_path):
    specs = plan_runs({"a": {}}, 1, seed=1, steps=1)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_batch(TOY, specs, lambda r: None, backend="dask", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_scenarios(TOY, FLAT_UP, replicates=1, seed=1, steps=1, out=tmp_path / "o",
                      backend="dask", scheduler="tcp://127.0.0.1:1")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("address", "fragment"), [
    ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at tcp://127.0.0.1:1"),
    ("notanaddress", "the Dask scheduler address 'notanaddress' is malformed"),
])
def test_cli_bad_scheduler_is_one_error_line_and_exit_2(tmp_path, capsys, address, fragment):
    code = main(["batch", str(FIXTURES / "small.toml"), "--out", str(tmp_path / "o"),
                 "--scheduler", address, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and fragment in err
    assert len(err.strip().splitlines()) == 1, err


def test_cli_bad_scheduler_leaves_no_store(tmp_path, capsys):
    main(["batch", str(FIXTURES / "small.toml"), "--out", str(tmp_path / "o"), "--scheduler",
          "tcp://127.0.0.1:1", "--quiet"])
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- modules


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n.removeprefix("simulation.batch.") for n in names if n.startswith("simulation.batch.")}


def test_batch_modules_import_each_other_without_cycles():
    modules = {p.stem: p for p in BATCH.glob("*.py") if p.stem != "__init__"}
    graph = {name: {n for n in _imports(path) if n in modules} for name, path in modules.items()}
    assert "runner" not in graph["backends"] and "runner" not in graph["dask_backend"]

    def visit(name, trail):
        assert name not in trail, f"import cycle: {' -> '.join([*trail, name])}"
        for other in graph[name]:
            visit(other, [*trail, name])

    for name in graph:
        visit(name, [])
