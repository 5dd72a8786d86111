"""What a batch is made of: run specs, run results, their hashes, and the plan of a batch.

This module knows nothing of models or backends; the runner, the backends,
the results store and the batch files all build on it.  A run's spec, result,
hashes and plain parameters live in :mod:`simulation.batch.runspec` (re-exported
here), a plan's classes in :mod:`simulation.batch.plan`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

import numpy as np

from simulation.batch.plan import Plan, Scenarios
from simulation.batch.runspec import (
    FAILED,
    PLAIN,
    SUCCEEDED,
    RunResult,
    RunSpec,
    make_run_id,
    parse_run_id,
    plain_parameters,
    stable_hash,
    stable_hash_of,
)

__all__ = [
    "BACKENDS", "FAILED", "PLAIN", "SUCCEEDED", "RunResult", "RunSpec", "chunked", "iter_chunks",
    "make_run_id", "parse_run_id", "plain_parameters", "plan_runs", "stable_hash", "stable_hash_of",
]

BACKENDS = ("serial", "processes", "dask")


# --------------------------------------------------------------------------- plans


def plan_runs(
    scenarios: Mapping[str, Any],
    replicates: int,
    seed: int,
    steps: int,
    common_random_numbers: bool = True,
    first_replicate: int = 0,
    stream_groups: Mapping[str, int] | None = None,
) -> Plan:
    """Specs for every scenario times replicates ``first_replicate..replicates-1``.

    The specs are not listed: the :class:`~simulation.batch.plan.Plan` (a
    sequence of specs) derives each when it is asked for, so a plan of any
    size takes the memory of its scenarios only.

    Args:
        scenarios: scenario name to parameter keywords (or a Mesa Scenario), in
            batch order; values are made plain (see :func:`plain_parameters`).
            A :class:`~simulation.batch.plan.Scenarios` of derived scenarios
            stays derived.
        replicates: total number of replicates per scenario.
        seed: master seed (an integer >= 0).
        steps: model steps per run.
        common_random_numbers: share random streams across scenarios by replicate.
        first_replicate: first replicate index to plan (to add replicates later).
        stream_groups: scenario name to a group number (an integer >= 0), for every
            scenario: scenarios of one group share random streams by replicate
            (common random numbers within the group), groups have independent
            streams (spawn key ``(replicate, 1 + group)``).  It replaces
            ``common_random_numbers``.  A probabilistic analysis makes each
            parameter draw a group, so its options are paired and its draws independent.

    Returns:
        The plan: specs ordered replicate-major, so early chunks cover every scenario.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0; got {steps!r}")
    plain = Scenarios.of(scenarios)
    groups = _stream_groups(stream_groups, plain)
    if groups is not None:
        stream, words = (lambda i: groups[plain.name(i)]), "within stream groups"
    elif common_random_numbers:
        stream, words = (lambda i: None), "common"
    else:
        stream, words = (lambda i: i), "independent"
    return Plan(plain, replicates, seed, steps, stream, first_replicate, words)


def _stream_groups(groups: Mapping[str, int] | None,
                   scenarios: Mapping[str, Any]) -> dict[str, int] | None:
    """The stream group of every scenario, checked (None: no groups)."""
    if groups is None:
        return None
    missing = [name for name in scenarios if name not in groups]
    if missing:
        raise ValueError(f"stream_groups must give every scenario a group; {missing[0]!r} has none")
    out = {}
    for name in scenarios:
        group = groups[name]
        if isinstance(group, bool) or not isinstance(group, int | np.integer) or group < 0:
            raise ValueError(f"stream_groups[{name!r}] must be an integer >= 0; got {group!r}")
        out[name] = int(group)
    return out


def chunked(specs: Sequence[RunSpec], size: int | None, workers: int = 1) -> list[list[RunSpec]]:
    """Split specs into consecutive chunks (all at once; see :func:`iter_chunks`)."""
    return list(iter_chunks(specs, size, workers))


def iter_chunks(specs: Iterable[RunSpec], size: int | None,
                workers: int = 1) -> Iterator[list[RunSpec]]:
    """Consecutive chunks of specs, taken from ``specs`` one chunk at a time.

    With a ``size``, chunks of at most ``size``.  Without one, guided
    chunks: each takes a quarter of the remaining runs' share per worker
    (at most 16, at least 1), so chunks are large while much work remains
    and single runs at the end, when an uneven last chunk would leave a
    worker idle.  The remaining runs are counted from ``len(specs)`` when
    this is called (an iterable without a length is listed first).
    """
    if not hasattr(specs, "__len__"):
        specs = list(specs)
    total = len(specs)
    size = None if size is None else max(1, int(size))
    return _chunks(iter(specs), total, size, workers)


def _chunks(specs: Iterator[RunSpec], total: int, size: int | None,
            workers: int) -> Iterator[list[RunSpec]]:
    start = 0
    while start < total:
        take = size or max(1, min(16, math.ceil((total - start) / max(1, 4 * workers))))
        chunk = list(islice(specs, take))
        if not chunk:
            return
        yield chunk
        start += len(chunk)
