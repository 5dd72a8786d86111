"""Run many models: batch files, seeds, backends, a results store and statistics.

The runner is generic: it drives any Mesa model class (or factory) and an
outcome function, so other Mesa models can use it::

    from simulation.batch import ModelTask, plan_runs, run_batch, ResultsStore

    task = ModelTask(factory=MyModel, outcomes=my_outcomes)
    specs = plan_runs({"base": {}, "policy": {"x": 1}}, replicates=10, seed=42, steps=100)
    store = ResultsStore.create("out", specs, batch_hash="...", meta={})
    run_batch(task, store.pending_specs(), store.record, backend="processes")

See :mod:`simulation.batch.runner` for the backends and
:mod:`simulation.batch.store` for the on-disk layout.
"""

from simulation.batch.runner import ModelTask, RunResult, RunSpec, plan_runs, run_batch
from simulation.batch.seeds import replicate_seed
from simulation.batch.store import ResultsStore

__all__ = [
    "ModelTask",
    "ResultsStore",
    "RunResult",
    "RunSpec",
    "plan_runs",
    "replicate_seed",
    "run_batch",
]
