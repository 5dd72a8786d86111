"""One batch session: run what the store is missing, optionally until intervals are narrow.

Generic: works with any :class:`~simulation.batch.runner.ModelTask` and any
``plan(replicates) -> specs`` function, so other Mesa models get resuming,
progress and replicate control too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulation.batch.plan import as_plan
from simulation.batch.progress import Progress
from simulation.batch.runner import run_batch
from simulation.batch.specs import FAILED, RunResult, RunSpec
from simulation.batch.stats import comparison, widest_difference
from simulation.batch.store import ResultsStore
from simulation.batch.task import ModelTask


@dataclass
class SessionResult:
    """What a session ended with.

    Attributes:
        summary: every succeeded run's summary row (the store's summary.parquet).
        table: the comparison table (see :func:`simulation.batch.stats.comparison`).
        failures: failed run id to error line.
        replicates: replicates per scenario at the end.
        ran: runs executed in this session.
        widest: widest reported paired-difference interval (NaN without a reference).
    """

    summary: Any
    table: Any
    failures: dict[str, str]
    replicates: int
    ran: int
    widest: float


def next_replicates(n: int, widest: float, target: float, cap: int) -> int:
    """Replicates to try next so the widest interval gets below ``target``.

    Interval width shrinks about as ``1/sqrt(n)``; aim 10% past the estimate,
    at least two more and at most four times as many, never above ``cap``.
    """
    if not math.isfinite(widest):
        guess = 2 * n
    else:
        guess = math.ceil(1.1 * n * (widest / target) ** 2)
    return int(min(cap, max(n + 2, min(4 * n, guess))))


def run_session(
    task: ModelTask,
    store: ResultsStore,
    plan: Callable[[int], Iterable[RunSpec]],
    replicates: int,
    *,
    reference: str | None = None,
    report: Sequence[str] = (),
    scenarios: Sequence[str] | None = None,
    backend: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    quiet: bool = False,
    ci_width: float | None = None,
    max_replicates: int | None = None,
    progress_stream=None,
) -> SessionResult:
    """Run every planned run the store is missing, then report.

    Args:
        task: the model task.
        store: an open results store (created or resumed).
        plan: ``plan(n)`` gives the specs of replicates ``0..n-1`` (a
            :class:`~simulation.batch.plan.Plan`, e.g. from
            :func:`~simulation.batch.specs.plan_runs`, or specs that make one).
        replicates: replicates to run at least.
        reference: scenario the others are compared with.
        report: outcomes in the comparison table and the ``ci_width`` rule.
        scenarios: scenario order for the table.
        backend: serial, processes or dask.
        workers: worker processes.
        scheduler: Dask scheduler address.
        chunk_size: runs per task.
        quiet: plain progress lines instead of a bar.
        ci_width: keep adding replicates until every paired-difference 95%
            interval of the ``report`` outcomes is narrower than this.
        max_replicates: cap for ``ci_width``.
        progress_stream: where progress goes (default standard error).

    Returns:
        The :class:`SessionResult`.

    Raises:
        TypeError: the model cannot be built with a scenario's parameter names
            (checked before anything runs).
    """
    planned = as_plan(plan(replicates))
    task.check_specs(planned.first_specs())
    store.add_specs(planned)
    pending = store.pending_specs()
    progress = Progress(len(pending), quiet=quiet, stream=progress_stream)
    ran = 0

    def on_result(result: RunResult) -> None:
        nonlocal ran
        store.record(result)
        ran += 1
        progress.update(failed=result.status == FAILED)

    options = dict(backend=backend, workers=workers, scheduler=scheduler, chunk_size=chunk_size)
    try:
        run_batch(task, pending, on_result, **options)
        # only --ci-width needs the table before the end (finalize reads the store once more)
        while reference is not None and ci_width is not None:
            table = comparison(store.summary(), list(report), reference, scenarios)
            widest = widest_difference(table, report)
            cap = max_replicates or replicates
            if widest < ci_width or replicates >= cap:
                break
            before, replicates = replicates, next_replicates(replicates, widest, ci_width, cap)
            store.add_specs(plan(replicates))
            more = store.pending_specs(first_replicate=before)
            progress.add(len(more))
            run_batch(task, more, on_result, **options)
    finally:
        progress.close()
    summary = store.finalize()
    table = comparison(summary, list(report), reference, scenarios)
    widest = widest_difference(table, report) if reference is not None else math.nan
    return SessionResult(summary, table, store.failures(), replicates, ran, widest)
