"""Peak memory of planning and recording batches of many runs, and of planning a PAWN study.

Not a timed test: each case runs in a fresh interpreter, and reports its peak
resident set size (``ru_maxrss``) and that peak less the resident size after
imports of the libraries the cases use (the memory the plan, the store and
the listing took).  No model runs:

``batch N``
    a batch of 10 scenarios x N/10 replicates: ``plan_runs``;
    ``ResultsStore.create``; ``len(store.pending_specs())`` and every pending
    spec derived one by one; ``--sample`` synthetic results recorded (runs
    spread over the plan, a part file and a journal line each); the store
    resumed (journal read, parts checked), its pending runs counted again;
    ``finalize`` (the summary of the recorded runs).
``study N``
    a PAWN sensitivity study of N sample points, one replicate each (N
    runs; 10 factors of the registry, the iesim model's ~160 parameters per
    point): ``run_study`` up to the runs (design, ``samples.parquet``, the
    parameters completed, batch hash, plan and store of ``run_scenarios``),
    then every pending run listed and ``--sample`` synthetic results recorded
    instead of running the model.

The script uses only what the runner offered before plans were streamed
(``plan_runs``, ``ResultsStore.create`` / ``resume`` / ``pending_specs`` /
``record`` / ``finalize``, ``run_study``), so the same script measures an
older checkout (run it there with ``PYTHONPATH`` set to that checkout).  A
case whose process would pass ``--cap-gb`` of address space ends with a
``MemoryError`` and is reported so::

    python -m benchmarks.plan_memory                      # batch 1e6 and 1e7, study 1e6
    python -m benchmarks.plan_memory --batch 1e6 --study  # only those
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = 10


def _import_libraries() -> None:
    """Import what the cases use, so the resident size after imports includes the libraries."""
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import SALib.analyze.pawn  # noqa: F401
    import SALib.sample.latin  # noqa: F401

    import simulation.batch.iesim_task  # noqa: F401
    import simulation.batch.store  # noqa: F401
    import simulation.sensitivity.run  # noqa: F401


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class _Stages:
    """Peak RSS after each stage, printed as one JSON line at the end (or at a MemoryError)."""

    def __init__(self, case: str, runs: int):
        _import_libraries()
        self.out = {"case": case, "runs": runs, "base_mb": _rss_mb(), "stages": {}}
        self.start = time.perf_counter()

    def __call__(self, name: str) -> None:
        self.out["stages"][name] = round(_rss_mb(), 1)
        self.out["seconds"] = round(time.perf_counter() - self.start, 1)

    def report(self, error: str = "") -> None:
        self.out["peak_mb"] = round(_rss_mb(), 1)
        self.out["planning_mb"] = round(self.out["peak_mb"] - self.out["base_mb"], 1)
        self.out["error"] = error
        print(json.dumps(self.out), flush=True)


def _record_sample(store, pending, sample: int, outcomes) -> int:
    """List every pending run (spec by spec); record a synthetic result for ``sample`` of them."""
    from simulation.batch import RunResult

    stride = max(1, len(pending) // sample)
    listed = 0
    for listed, spec in enumerate(pending, 1):
        if (listed - 1) % stride == 0 and (listed - 1) // stride < sample:
            store.record(RunResult(spec.run_id, "succeeded", {o: 1.0 for o in outcomes}))
    return listed


def batch_case(runs: int, sample: int, where: Path) -> None:
    """Plan, create, list, record, resume and finalize a batch of ``runs`` (see the module docstring)."""
    from simulation.batch import ResultsStore, plan_runs

    stages = _Stages("batch", runs)
    try:
        scenarios = {f"s{i}": {"drift": i / 100, "n": 30} for i in range(SCENARIOS)}
        plan = plan_runs(scenarios, runs // SCENARIOS, seed=1, steps=10)
        stages("planned")
        store = ResultsStore.create(where / "store", plan, batch_hash="plan-memory",
                                    meta={"name": "plan-memory"})
        stages("store created")
        pending = store.pending_specs()
        assert len(pending) == runs
        listed = _record_sample(store, pending, sample, ["y"])
        assert listed == runs
        stages("pending listed, sample recorded")
        store.close()
        del store, pending
        store = ResultsStore.resume(where / "store", plan, batch_hash="plan-memory",
                                    meta={"name": "plan-memory"})
        assert len(store.pending_specs()) == runs - sample
        stages("resumed")
        assert len(store.finalize()) == sample
        stages("finalized")
        stages.out["manifest_bytes"] = (where / "store" / "manifest.json").stat().st_size
        stages.report()
    except MemoryError:
        stages.report("MemoryError")


def _factors():
    from simulation.model.parameters import PARAMETERS
    from simulation.sensitivity.study import Factor

    floats = [p for p in PARAMETERS.values() if p.plausible is not None and p.kind is float]
    return tuple(Factor(p.name, *p.plausible) for p in floats[:10])


class _Stop(Exception):
    """Ends a study where its runs would start."""


def study_case(points: int, sample: int, where: Path) -> None:
    """A PAWN study of ``points`` points planned and stored up to its runs (see the module docstring)."""
    import simulation.batch.session as session
    from simulation.sensitivity.run import run_study
    from simulation.sensitivity.study import Study

    stages = _Stages("study", points)
    outcomes = ("employment_rate_12m",)

    def instead_of_running(task, store, plan, replicates, **options):
        stages("planned and stored")
        pending = store.pending_specs()
        assert len(pending) == points
        _record_sample(store, pending, sample, outcomes)
        stages("pending listed, sample recorded")
        raise _Stop

    session.run_session = instead_of_running
    study = Study(name="plan-memory", method="pawn", factors=_factors(), outcomes=outcomes,
                  replicates=1, seed=3, years=2, size={"samples": points, "slices": 10})
    try:
        run_study(study, where / "study", backend="serial", progress=False, figures_too=False)
    except _Stop:
        stages.out["manifest_bytes"] = (where / "study" / "runs" / "manifest.json").stat().st_size
        stages.report()
    except MemoryError:
        stages.report("MemoryError")


def measure(case: str, runs: int, sample: int, cap_gb: float) -> dict:
    """One case in a fresh interpreter (address space capped at ``cap_gb``); its stages and peaks."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="iesim-plan-memory-") as tmp:
        code = ("import resource, sys\n"
                f"cap = int({cap_gb} * 2**30)\n"
                "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
                "from pathlib import Path\n"
                f"from benchmarks.plan_memory import {case}_case as case\n"
                f"case({runs}, {sample}, Path({tmp!r}))\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=Path.cwd())
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"case": case, "runs": runs, "error": tail[0]}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=float, nargs="*", default=None,
                        help="run counts of batch cases (default 1e6 1e7)")
    parser.add_argument("--study", type=float, nargs="*", default=None,
                        help="sample points of PAWN study cases (default 1e6)")
    parser.add_argument("--sample", type=int, default=1000, help="results recorded per case")
    parser.add_argument("--cap-gb", type=float, default=12.0,
                        help="address-space cap of each case's process, GB")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    batches = [1e6, 1e7] if args.batch is None and args.study is None else (args.batch or [])
    studies = [1e6] if args.study == [] or (args.batch is None and args.study is None) \
        else (args.study or [])
    results = [measure("batch", int(n), args.sample, args.cap_gb) for n in batches]
    results += [measure("study", int(n), args.sample, args.cap_gb) for n in studies]
    print("| case | runs | peak RSS | less RSS after imports | manifest | seconds | |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['case']} | {r['runs']:,} | {r.get('peak_mb', float('nan')):,.0f} MB | "
              f"{r.get('planning_mb', float('nan')):,.0f} MB | "
              f"{r.get('manifest_bytes', 0):,} bytes | {r.get('seconds', '')} | "
              f"{r.get('error', '')} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
