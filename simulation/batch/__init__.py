"""Run many models: batch files, seeds, backends, a results store and statistics.

The runner is generic: it drives any Mesa model class (or factory) and an
outcome function, so other Mesa models can use it::

    from simulation.batch import ModelTask, ResultsStore, plan_runs, run_session

    task = ModelTask(factory=MyModel, outcomes=my_outcomes)   # module-level, picklable

    def plan(n):  # replicates 0..n-1 of every scenario, common random numbers
        return plan_runs({"base": {}, "policy": {"x": 1}}, n, seed=42, steps=100)

    store = ResultsStore.create("out", plan(10), batch_hash="my-batch-v1")
    result = run_session(task, store, plan, 10, reference="base", report=["y"],
                         backend="processes")
    print(result.table)        # means, paired differences, 95% intervals

Lower level: :func:`run_batch` runs specs on a backend and hands each result
to a callback.  See :mod:`simulation.batch.runner` for runs and backends,
:mod:`simulation.batch.store` for the on-disk layout, and
:mod:`simulation.batch.batchfile` for the TOML batch files of ``iesim batch``.
"""

from simulation.batch.runner import ModelTask, RunResult, RunSpec, plan_runs, run_batch
from simulation.batch.seeds import replicate_seed
from simulation.batch.session import SessionResult, run_session
from simulation.batch.stats import comparison
from simulation.batch.store import ResultsStore

__all__ = [
    "ModelTask",
    "ResultsStore",
    "RunResult",
    "RunSpec",
    "SessionResult",
    "comparison",
    "plan_runs",
    "replicate_seed",
    "run_batch",
    "run_session",
]
