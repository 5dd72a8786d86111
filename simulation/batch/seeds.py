"""Random streams for replicates: common random numbers by SeedSequence spawning.

Replicate ``r`` of every scenario gets the same child of the master seed,
``SeedSequence(master).spawn(n)[r]``, so two scenarios differ only by their
parameters and a policy's effect can be measured as a paired difference.
The child is built directly from its spawn key, so replicate ``r`` has the
same streams however many replicates a batch has (adding replicates later
never changes earlier ones).

With common random numbers switched off (for comparison only), each
scenario gets its own grandchild ``spawn_key=(r, 1 + scenario_index)``.
"""

from __future__ import annotations

import numpy as np


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
