"""Batch runner speed: overhead per run, and iesim's runner against mesa.batch_run.

Overhead is the share of worker time not spent inside runs:
``(workers x wall - sum of run times) / sum of run times``, which includes
starting the workers, shipping tasks and results, and idle time at the end.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from benchmarks.boltzmann_kw import KwBoltzmann, from_integer_seed, gini
from benchmarks.model_speed import spread
from simulation.batch import ModelTask, plan_runs, run_batch
from simulation.batch.iesim_task import iesim_task


def overhead(backend: str, runs: int, months: int, workers: int, params: dict) -> dict:
    """Wall time of a batch of short iesim runs against the runs' own times."""
    specs = plan_runs({"run": params}, runs, seed=7, steps=months)
    seconds: list[float] = []
    start = time.perf_counter()
    counts = run_batch(iesim_task(), specs, lambda r: seconds.append(r.seconds),
                       backend=backend, workers=workers)
    wall = time.perf_counter() - start
    if counts["failed"]:
        raise RuntimeError(f"{counts['failed']} benchmark runs failed")
    busy = sum(seconds)
    return {"wall_s": wall, "sum_run_s": busy, "mean_run_s": statistics.mean(seconds),
            "overhead_share": (workers * wall - busy) / busy, "runs": runs, "workers": workers}


def _fresh_overhead(backend: str, runs: int, months: int, workers: int, params: dict) -> dict:
    """One overhead trial in a fresh interpreter, as ``iesim batch`` runs one batch a process.

    (A Dask client leaves threads behind, after which local workers are
    spawned instead of forked; a fresh process keeps trials independent.)
    """
    code = ("import json, sys\n"
            "from benchmarks.runner_speed import overhead\n"
            "a = json.loads(sys.argv[1])\n"
            "print(json.dumps(overhead(a['backend'], a['runs'], a['months'], a['workers'],"
            " a['params'])))\n")
    args = json.dumps({"backend": backend, "runs": runs, "months": months, "workers": workers,
                       "params": params})
    out = subprocess.run([sys.executable, "-c", code, args], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def batch_overhead(repeats: int, runs: int, months: int, workers: int, params: dict) -> dict:
    out = {}
    for backend in ("processes", "dask"):
        trials = [_fresh_overhead(backend, runs, months, workers, params)
                  for _ in range(repeats)]
        out[backend] = {
            "overhead_share": spread([t["overhead_share"] for t in trials]),
            "mean_run_s": spread([t["mean_run_s"] for t in trials]),
            "wall_s": spread([t["wall_s"] for t in trials]),
            "runs": runs, "workers": workers,
        }
    return out


def _ours(n_runs: int, processes: int, params: dict, steps: int) -> tuple[float, list[float]]:
    task = ModelTask(factory=from_integer_seed, outcomes=gini)
    scenarios = {f"seed{i}": {**params, "seed": i} for i in range(n_runs)}
    specs = plan_runs(scenarios, 1, seed=0, steps=steps)
    results: dict[str, float] = {}
    backend = "serial" if processes == 1 else "processes"
    start = time.perf_counter()
    run_batch(task, specs, lambda r: results.__setitem__(r.run_id, r.outcomes["gini"]),
              backend=backend, workers=processes)
    wall = time.perf_counter() - start
    by_seed = [results[s.run_id] for s in sorted(specs, key=lambda s: s.params["seed"])]
    return wall, by_seed


def _theirs(n_runs: int, processes: int, params: dict, steps: int) -> tuple[float, list[float]]:
    from mesa.batchrunner import batch_run

    start = time.perf_counter()
    rows = batch_run(KwBoltzmann, parameters=params, number_processes=processes,
                     max_steps=steps, display_progress=False, rng=list(range(n_runs)),
                     data_collection_period=-1)
    wall = time.perf_counter() - start
    final: dict[int, float] = {}
    for row in rows:
        final[row["rng"]] = row["Gini"]
    return wall, [final[i] for i in range(n_runs)]


def versus_batch_run(repeats: int, n_runs: int = 64, steps: int = 100,
                     processes=(1, 2)) -> dict:
    """Runs per second of iesim's runner and mesa.batch_run on the same Boltzmann work."""
    params = {"n": 200, "width": 10, "height": 10}
    out = {}
    for procs in processes:
        ours, theirs, ratios, same = [], [], [], True
        for r in range(repeats):
            if r % 2:  # alternate which runner goes first
                t_theirs, g_theirs = _theirs(n_runs, procs, params, steps)
                t_ours, g_ours = _ours(n_runs, procs, params, steps)
            else:
                t_ours, g_ours = _ours(n_runs, procs, params, steps)
                t_theirs, g_theirs = _theirs(n_runs, procs, params, steps)
            ours.append(n_runs / t_ours)
            theirs.append(n_runs / t_theirs)
            ratios.append(ours[-1] / theirs[-1])
            same = same and g_ours == g_theirs
        out[str(procs)] = {"iesim_runs_per_s": spread(ours), "batch_run_runs_per_s": spread(theirs),
                           "ratio": spread(ratios), "same_numbers": same, "runs": n_runs,
                           "steps": steps}
    return out


__all__ = ["batch_overhead", "versus_batch_run"]
