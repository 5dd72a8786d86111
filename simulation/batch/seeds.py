"""Random streams for replicates: common random numbers by SeedSequence spawning.

Replicate ``r`` of every scenario gets the same child of the master seed,
``SeedSequence(master).spawn(n)[r]``, so two scenarios differ only by their
parameters and a policy's effect can be measured as a paired difference.
The child is built directly from its spawn key, so replicate ``r`` has the
same streams however many replicates a batch has (adding replicates later
never changes earlier ones).

With common random numbers switched off (for comparison only), each
scenario gets its own grandchild ``spawn_key=(r, 1 + scenario_index)``.

Models that draw from Python's global ``random`` or NumPy's global
``numpy.random`` (e.g. ``networkx`` graph generators called without a seed)
get those seeded per run too, from :func:`global_random_seed`: a stream of
the run's own SeedSequence that no model stream uses.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

GLOBAL_STREAM_KEY = 0x676C6F62
"""Spawn-key word (ASCII ``glob``) of a run's stream for the global generators."""


def spawn_key(replicate: int, scenario_index: int, common: bool = True) -> tuple[int, ...]:
    """The spawn key of a run's SeedSequence under the master seed.

    Args:
        replicate: replicate index (0-based).
        scenario_index: position of the scenario in the batch (0-based).
        common: True for common random numbers (key independent of scenario).

    Returns:
        ``(replicate,)`` with common random numbers, else
        ``(replicate, 1 + scenario_index)``.
    """
    if replicate < 0 or scenario_index < 0:
        raise ValueError("replicate and scenario_index must be >= 0")
    return (replicate,) if common else (replicate, 1 + scenario_index)


def seed_sequence(master_seed: int, key: tuple[int, ...]) -> np.random.SeedSequence:
    """The SeedSequence with entropy ``master_seed`` and spawn key ``key``.

    ``seed_sequence(m, (r,))`` equals ``SeedSequence(m).spawn(r + 1)[r]``.
    """
    return np.random.SeedSequence(entropy=int(master_seed), spawn_key=tuple(int(k) for k in key))


def replicate_seed(master_seed: int, replicate: int) -> np.random.SeedSequence:
    """The common-random-numbers SeedSequence of replicate ``replicate``."""
    return seed_sequence(master_seed, spawn_key(replicate, 0, common=True))


def global_random_seed(run_seed: np.random.SeedSequence) -> np.random.SeedSequence:
    """The SeedSequence that seeds the global generators during a run.

    A child of the run's SeedSequence under the key word
    :data:`GLOBAL_STREAM_KEY`, far from the children a model spawns itself
    (0, 1, 2, ...), so global draws are independent of the model's streams.
    """
    return np.random.SeedSequence(entropy=run_seed.entropy,
                                  spawn_key=(*run_seed.spawn_key, GLOBAL_STREAM_KEY))


@contextmanager
def seeded_global_random(run_seed: np.random.SeedSequence) -> Iterator[None]:
    """Seed ``random`` and ``numpy.random`` for one run, and restore them afterwards.

    Makes models that use the global generators reproducible (same seed, same
    result, whatever the backend), and leaves the caller's global state as it
    was (it matters with the serial backend, which runs in the caller's process).
    With several threads running models in one process (a Dask worker with
    more than one thread) the global generators are shared and such models
    are not reproducible.
    """
    seq = global_random_seed(run_seed)
    saved_random, saved_numpy = random.getstate(), np.random.get_state()
    random.seed(int.from_bytes(seq.generate_state(4).tobytes(), "little"))
    np.random.seed(seq.generate_state(4))
    try:
        yield
    finally:
        random.setstate(saved_random)
        np.random.set_state(saved_numpy)
