"""Run many models: scenarios times replicates, on any backend, into a resumable results store.

The runner is generic: it drives any Mesa model -- one that takes ``rng``
and keyword parameters, or a Mesa 3.5 model that takes a ``Scenario`` --
and an outcome function.  One call plans, stores, runs and summarises::

    from mesa.examples import BoltzmannWealth
    from simulation.batch import ModelTask, run_scenarios

    def gini(model):                      # module-level, so workers can import it
        return {"gini": model.gini}

    task = ModelTask(BoltzmannWealth, outcomes=gini)   # Scenario-based: found by itself
    summary = run_scenarios(task, {"small": {"n": 20}, "large": {"n": 80}},
                            replicates=10, seed=42, steps=50, out="results/boltzmann")

Calling it again continues the batch in ``out``.  Rules (see ``docs/runner.md``):

* the factory and outcome functions must be importable (module level, not
  lambdas), because worker processes receive them by reference;
* parameters are plain values (numbers, strings, booleans, lists, dicts) --
  they are hashed and stored; NumPy scalars and Mesa Scenario instances are
  converted;
* a script that starts a batch keeps it under ``if __name__ == "__main__":``;
  workers are forked whenever that is safe, and where they must be spawned an
  unguarded script is refused with a message saying so;
* Python's global ``random`` and ``numpy.random`` are seeded per run from the
  run's seed, so models that use them are reproducible too.

Lower levels: :func:`plan_runs` and :class:`ResultsStore` with
:func:`run_session` (adds replicates until intervals are narrow, compares
with a reference), and :func:`run_batch`, which runs specs on a backend and
hands each result to a callback.  See :mod:`simulation.batch.store` for the
on-disk layout and :mod:`simulation.batch.batchfile` for the TOML batch files
of ``iesim batch``.
"""

from simulation.batch.api import batch_hash, run_scenarios
from simulation.batch.backends import BackendError
from simulation.batch.plan import Plan, Scenarios
from simulation.batch.runner import run_batch
from simulation.batch.seeds import replicate_seed
from simulation.batch.session import SessionResult, run_session
from simulation.batch.specs import RunResult, RunSpec, plan_runs
from simulation.batch.stats import comparison
from simulation.batch.store import ResultsStore
from simulation.batch.task import ModelTask

__all__ = [
    "BackendError",
    "ModelTask",
    "Plan",
    "ResultsStore",
    "RunResult",
    "RunSpec",
    "Scenarios",
    "SessionResult",
    "batch_hash",
    "comparison",
    "plan_runs",
    "replicate_seed",
    "run_batch",
    "run_scenarios",
    "run_session",
]
