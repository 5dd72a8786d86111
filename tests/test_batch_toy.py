"""The batch runner is not tied to iesim: a second, tiny Mesa model runs through it.

The toy model and its outcome functions live at module level so that worker
processes (spawned, or Dask's) can import them; other batch tests import them
from here too.
"""

from __future__ import annotations

import math
import os
import time
from functools import partial
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation.batch import ModelTask, ResultsStore, plan_runs, run_batch
from simulation.batch.runner import FAILED, SUCCEEDED, execute_run, stable_hash
from simulation.batch.session import run_session


class Walker(mesa.Agent):
    """Moves up with probability ``0.5 + drift`` each step, else down."""

    def __init__(self, model):
        super().__init__(model)
        self.wealth = 0.0

    def step(self):
        up = self.model.rng.random() < 0.5 + self.model.drift
        self.wealth += 1.0 if up else -1.0


class ToyModel(mesa.Model):
    """Random walkers; knobs to make a run raise, kill its process or take time.

    Args:
        rng: seed or SeedSequence.
        n: walkers.
        drift: upward bias of each step, in [-0.5, 0.5].
        fail_at: step at which ``step`` raises (-1: never).
        die_at: step at which the process exits abruptly (-1: never).
        sleep: seconds to sleep per step (to make runs slow enough to kill).
    """

    def __init__(self, rng=None, n=30, drift=0.0, fail_at=-1, die_at=-1, sleep=0.0):
        super().__init__(rng=rng)
        self.drift, self.fail_at, self.die_at, self.sleep = drift, fail_at, die_at, sleep
        self.t = 0
        Walker.create_agents(self, n)
        self.datacollector = mesa.DataCollector(model_reporters={"mean_wealth": toy_mean})

    def step(self):
        self.t += 1
        if self.t == self.fail_at:
            raise RuntimeError("toy model failed on purpose")
        if self.t == self.die_at:
            os._exit(3)
        if self.sleep:
            time.sleep(self.sleep)
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)


class HeldToy(ToyModel):
    """The toy model whose every run waits, at its first step, until ``hold/release`` exists.

    A run announces itself as ``hold/held-<pid>`` (its process) before it
    waits, so a test can act on a worker known to be in the middle of a run.
    """

    def __init__(self, rng=None, hold="", n=30, drift=0.0, fail_at=-1, die_at=-1, sleep=0.0):
        super().__init__(rng=rng, n=n, drift=drift, fail_at=fail_at, die_at=die_at, sleep=sleep)
        self.hold = hold

    def step(self):
        if self.hold and self.t == 0:
            folder = Path(self.hold)
            (folder / f"held-{os.getpid()}").touch()
            while not (folder / "release").exists():
                time.sleep(0.01)
        super().step()


def toy_mean(model) -> float:
    return float(np.mean([a.wealth for a in model.agents]))


def toy_outcomes(model) -> dict[str, float]:
    wealth = np.array([a.wealth for a in model.agents])
    return {
        "mean_wealth": float(wealth.mean()),
        "share_positive": float((wealth > 0).mean()),
        "undefined_when_no_drift": float("nan") if model.drift == 0 else float(wealth.max()),
    }


def toy_timeseries(model):
    return model.datacollector.get_model_vars_dataframe()


TOY = ModelTask(factory=ToyModel, outcomes=toy_outcomes)
HELD = ModelTask(factory=HeldToy, outcomes=toy_outcomes)


def run_toy(tmp_path, scenarios, replicates=4, seed=11, steps=20, common=True, **options):
    """Plan, store and run a toy batch; returns the finished store."""
    specs = plan_runs(scenarios, replicates, seed, steps, common_random_numbers=common)
    store = ResultsStore.create(tmp_path, specs, batch_hash=stable_hash(scenarios))
    run_batch(options.pop("task", TOY), store.pending_specs(), store.record, **options)
    store.finalize()
    return store


def test_a_run_is_reproducible_and_independent_of_other_runs():
    spec = plan_runs({"a": {"drift": 0.1}}, 2, seed=5, steps=15)[1]
    first, second = execute_run(TOY, spec), execute_run(TOY, spec)
    assert first.status == SUCCEEDED
    assert first.outcomes == second.outcomes
    assert set(first.outcomes) == {"mean_wealth", "share_positive", "undefined_when_no_drift"}


def test_a_raising_run_is_recorded_with_its_stage_and_message():
    spec = plan_runs({"bad": {"fail_at": 3}}, 1, seed=5, steps=10)[0]
    result = execute_run(TOY, spec)
    assert result.status == FAILED
    assert result.error.startswith("running: RuntimeError: toy model failed on purpose")
    assert "Traceback" in result.detail


def test_keep_selects_outcomes_and_timeseries_come_back():
    task = ModelTask(ToyModel, toy_outcomes, timeseries=toy_timeseries, keep=("mean_wealth",))
    result = execute_run(task, plan_runs({"a": {}}, 1, seed=1, steps=7)[0])
    assert list(result.outcomes) == ["mean_wealth"]
    assert len(result.timeseries) == 7
    assert result.outcomes["mean_wealth"] == pytest.approx(result.timeseries["mean_wealth"].iloc[-1])


def test_a_factory_can_be_a_partial():
    task = ModelTask(partial(ToyModel, n=5), toy_outcomes)
    result = execute_run(task, plan_runs({"a": {"drift": 0.2}}, 1, seed=1, steps=4)[0])
    assert result.status == SUCCEEDED
    assert "functools" not in task.identity()["factory"]
    assert "ToyModel" in task.identity()["factory"]


def test_toy_batch_serial_store_is_readable_without_iesim(tmp_path):
    scenarios = {"flat": {"drift": 0.0}, "up": {"drift": 0.1}, "bad": {"fail_at": 5}}
    store = run_toy(tmp_path / "out", scenarios, replicates=3, backend="serial")
    frame = pd.read_parquet(tmp_path / "out" / "summary.parquet")
    assert len(frame) == 6  # 3 replicates of two good scenarios
    assert set(frame["scenario"]) == {"flat", "up"}
    assert frame["undefined_when_no_drift"][frame["scenario"] == "flat"].isna().all()
    assert sorted(store.failures()) == ["s002-r00000", "s002-r00001", "s002-r00002"]
    assert set(frame["param_drift"]) == {0.0, 0.1}
    # the same replicate shares its spawn key across scenarios (common random numbers)
    keys = frame.groupby("replicate")["spawn_key"].nunique()
    assert (keys == 1).all()


def test_toy_batch_processes_match_serial_and_survive_raise_and_kill(tmp_path):
    scenarios = {"flat": {}, "up": {"drift": 0.2}, "raises": {"fail_at": 2},
                 "kills": {"die_at": 2}}
    serial = run_toy(tmp_path / "s", {k: v for k, v in scenarios.items() if k != "kills"},
                     replicates=2, backend="serial")
    procs = run_toy(tmp_path / "p", scenarios, replicates=2, backend="processes", workers=2,
                    chunk_size=3)
    failures = procs.failures()
    assert sorted(failures) == ["s002-r00000", "s002-r00001", "s003-r00000", "s003-r00001"]
    assert "RuntimeError" in failures["s002-r00000"]
    assert "worker process died" in failures["s003-r00000"]
    cols = ["run_id", "mean_wealth", "share_positive"]
    pd.testing.assert_frame_equal(serial.summary()[cols], procs.summary()[cols])


def test_generic_session_reports_paired_differences(tmp_path):
    scenarios = {"flat": {"drift": 0.0}, "up": {"drift": 0.1}}
    specs = lambda n: plan_runs(scenarios, n, 3, 30)  # noqa: E731
    store = ResultsStore.create(tmp_path / "out", specs(5), batch_hash="toy")
    result = run_session(TOY, store, specs, 5, reference="flat", report=["mean_wealth"],
                         backend="serial", quiet=True)
    row = result.table.set_index("scenario").loc["up"]
    assert row["n_pairs"] == 5
    # drift 0.1 raises the chance of an up-step by 0.1: about +0.2 per step, +6 over 30 steps
    assert row["diff_low"] < 6 < row["diff_high"]
    assert row["diff"] > 0
    assert math.isnan(result.table.set_index("scenario").loc["flat", "diff"])
