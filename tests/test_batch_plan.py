"""Plans stream: runs derived from the plan on demand, stores that record runs compactly.

A plan of a million runs is created, resumed and listed in bounded memory (a
memory bound measured with tracemalloc, never a time); the manifest does not
grow with the runs; pending runs come in chunks from an iterator; the backends
take a bounded window of specs at a time; stores written before plans were
streamed (every run listed in the manifest) resume with the same results.
"""

from __future__ import annotations

import json
import shutil
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pytest
from test_batch_toy import TOY

from simulation.batch import ResultsStore, Scenarios, batch_hash, plan_runs, run_batch
from simulation.batch.plan import Plan
from simulation.batch.runner import stable_hash
from simulation.batch.specs import plain_parameters
from simulation.errors import InputError

LISTED = Path(__file__).parent / "fixtures" / "batch" / "listed_store"
TEN = {f"s{i}": {"drift": i / 100} for i in range(10)}


# --------------------------------------------------------------------------- plans


def test_a_plan_derives_each_spec_from_its_position():
    plan = plan_runs({"a": {"drift": 0.1}, "b": {}, "c": {"n": 5}}, 4, seed=3, steps=7,
                     common_random_numbers=False, first_replicate=1)
    listed = list(plan)
    assert len(plan) == len(listed) == 9
    assert [s.run_id for s in listed[:4]] == ["s000-r00001", "s001-r00001", "s002-r00001",
                                              "s000-r00002"]
    assert plan[-1] == listed[-1] and plan[4:6] == listed[4:6] and plan == listed
    for i, spec in enumerate(listed):
        assert plan.position(spec.run_id) == i and plan.run_id(i) == spec.run_id
    assert plan.position("s000-r00000") is None  # before the first replicate
    assert plan.position("s0-r1") is None and plan.position("x") is None
    assert listed[1].spawn_key == (1, 2)  # independent streams: (replicate, 1 + scenario)
    assert Plan.from_specs(listed) == plan
    with pytest.raises(ValueError, match="not a whole plan"):
        Plan.from_specs(listed[:4])
    with pytest.raises(IndexError):
        plan[9]


def test_derived_scenarios_plan_the_same_runs_as_listed_ones():
    listed = {f"p{i}": {"drift": i / 10, "n": 5 + i} for i in range(4)}
    derived = Scenarios(4, lambda i: f"p{i}", lambda i: {"drift": i / 10, "n": 5 + i},
                        lambda name: int(name[1:]), {"design": "four points"})
    assert plan_runs(derived, 3, seed=2, steps=4) == plan_runs(listed, 3, seed=2, steps=4)
    assert derived["p2"] == listed["p2"] and "p9" not in derived and list(derived) == list(listed)
    assert derived.describe() == {"count": 4, "design": "four points"}
    # the batch hash is that of the whole mapping, hashed scenario by scenario
    whole = {name: TOY.complete(plain_parameters(p, name)) for name, p in listed.items()}
    expected = stable_hash({"task": TOY.identity(), "scenarios": whole, "seed": 2, "steps": 4,
                            "crn": True})
    assert batch_hash(TOY, derived, 2, 4) == batch_hash(TOY, listed, 2, 4) == expected


def test_derived_scenarios_run_to_the_same_summary_as_listed_ones(tmp_path):
    from simulation.batch import run_scenarios

    listed = {f"p{i}": {"drift": i / 10} for i in range(3)}
    derived = Scenarios(3, lambda i: f"p{i}", lambda i: {"drift": i / 10},
                        lambda name: int(name[1:]), {"design": "three points"})
    runs = dict(replicates=2, seed=5, steps=6, backend="serial", progress=False)
    a = run_scenarios(TOY, listed, out=tmp_path / "listed", **runs)
    b = run_scenarios(TOY, derived, out=tmp_path / "derived", **runs)
    pd.testing.assert_frame_equal(a, b)
    meta = json.loads((tmp_path / "derived" / "manifest.json").read_text())["meta"]
    assert meta["scenarios"] == {"count": 3, "design": "three points"}


# --------------------------------------------------------------------------- a million runs


def test_a_million_run_store_is_created_resumed_and_listed_in_bounded_memory(tmp_path):
    small = ResultsStore.create(tmp_path / "small", plan_runs(TEN, 100, 1, 5), "h")
    small.close()
    tracemalloc.start()
    try:
        plan = plan_runs(TEN, 100_000, seed=1, steps=5)
        store = ResultsStore.create(tmp_path / "big", plan, "h")
        store.close()
        store = ResultsStore.resume(tmp_path / "big", plan, "h")
        pending = store.pending_specs()
        assert len(pending) == 1_000_000
        chunks = pending.chunks(1000)
        assert isinstance(chunks, Iterator)  # listed a chunk at a time, never all at once
        first = next(chunks)
        second = next(chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one byte per planned run and a chunk of specs; listing every run took about 1.5 GB
    assert peak < 16 * 2**20, f"{peak / 2**20:.1f} MiB"
    assert len(first) == len(second) == 1000
    assert [s.run_id for s in first[:2]] == ["s000-r00000", "s001-r00000"]
    assert second[0].run_id == "s000-r00100"
    size = (tmp_path / "big" / "manifest.json").stat().st_size
    assert abs(size - (tmp_path / "small" / "manifest.json").stat().st_size) < 16
    # runs recorded far into the plan are known after a resume
    last = plan[999_999]
    run_batch(TOY, [first[0], last], store.record, backend="serial")
    store.close()
    store = ResultsStore.resume(tmp_path / "big", plan, "h")
    assert len(store.pending_specs()) == 999_998
    assert list(store.status) == [first[0].run_id, last.run_id]
    assert next(store.pending_specs().chunks(2))[0].run_id == "s001-r00000"
    assert list(store.finalize()["run_id"]) == [first[0].run_id, last.run_id]
    store.close()


# --------------------------------------------------------------------------- bounded windows


class Taken(Sequence):
    """A plan whose specs are counted as a backend takes them, against the results delivered."""

    def __init__(self, plan):
        self.plan, self.taken, self.delivered, self.ahead = plan, 0, 0, 0

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, i):
        return self.plan[i]

    def __iter__(self):
        for spec in self.plan:
            self.taken += 1
            self.ahead = max(self.ahead, self.taken - self.delivered)
            yield spec

    def deliver(self, result) -> None:
        self.delivered += 1


@pytest.mark.parametrize("backend, bound", [("processes", 3), ("dask", 2 * 4 + 1)])
def test_backends_take_a_bounded_window_of_specs(backend, bound):
    specs = Taken(plan_runs({"a": {}, "b": {"drift": 0.1}}, 40, seed=1, steps=2))
    counts = run_batch(TOY, specs, specs.deliver, backend=backend, workers=2, chunk_size=1)
    assert counts == {"succeeded": 80, "failed": 0} and specs.taken == 80
    # processes: a run per worker and one chunk looked ahead; Dask: 4 tasks per worker
    assert specs.ahead <= bound


# --------------------------------------------------------------------------- old stores


def test_a_store_that_lists_its_runs_is_read_and_resumed_with_the_same_results(tmp_path):
    # written before plans were streamed: a toy batch killed after 4 of its 6 runs
    old = tmp_path / "listed"
    shutil.copytree(LISTED, old)
    scenarios = {"flat": {}, "up": {"drift": 0.1}}
    plan = plan_runs(scenarios, 3, seed=11, steps=12)
    read = ResultsStore.open(old)
    assert read.counts() == {"succeeded": 4, "failed": 0, "pending": 2}
    assert sorted(read.missing()) == ["s000-r00002", "s001-r00002"]
    with pytest.raises(InputError, match="planned differently"):  # each stored run is checked
        ResultsStore.resume(old, plan_runs(scenarios, 3, seed=11, steps=13), stable_hash(scenarios))
    assert json.loads((old / "manifest.json").read_text())["format"] == "iesim-batch-store/1"

    with ResultsStore.resume(old, plan, stable_hash(scenarios)) as store:
        assert [s.run_id for s in store.pending_specs()] == ["s000-r00002", "s001-r00002"]
        run_batch(TOY, store.pending_specs(), store.record, backend="serial")
        resumed = store.finalize()
    with ResultsStore.create(tmp_path / "clean", plan, stable_hash(scenarios)) as clean:
        run_batch(TOY, clean.pending_specs(), clean.record, backend="serial")
        pd.testing.assert_frame_equal(resumed, clean.finalize())
    manifest = json.loads((old / "manifest.json").read_text())
    assert manifest["format"] == "iesim-batch-store/2" and "runs" not in manifest
    assert manifest["plan"]["runs"] == 6 and manifest["status"]["succeeded"] == 6
