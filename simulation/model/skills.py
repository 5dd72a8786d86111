"""Skill spaces: industry demand drift, learning, and the match between the two.

Each field (sector) has a skill space of K dimensions with values in [0, 1]:
a student's skills are coordinates in the space of the student's own field,
and are compared with another field's jobs only through the transferability
matrix (:func:`transfer_matrix`).  A sector's demand vector drifts monthly
(technological change) around the field's own long-run profile; a firm's
demand is its sector's demand plus a fixed firm-specific offset.  Students
learn by closing a share of the gap between their skills and a target (the
curriculum, a host firm's demand, an employer's demand) every month.
"""

from __future__ import annotations

import numpy as np

FIELDS = ("tech", "design", "agri")


def transfer_matrix(p: dict) -> np.ndarray:
    """(n_fields, n_fields) transferability T[f, g] of field-f skills to field-g jobs (T[f, f] = 1)."""
    t = np.eye(len(FIELDS))
    for a, fa in enumerate(FIELDS):
        for b, fb in enumerate(FIELDS):
            if a != b:
                t[a, b] = p[f"transfer_{fa}_{fb}"]
    return t


def match_quality(skills: np.ndarray, demand: np.ndarray, scale: float) -> np.ndarray:
    """Match quality in [0, 1]: one minus ``scale`` times the RMS skill gap.

    Args:
        skills: (n, K) student skills.
        demand: (n, K) or (K,) demand the skills are compared with.
        scale: how strongly the RMS gap lowers the match.
    """
    quality = rms_gap(skills, demand)
    if not isinstance(quality, np.ndarray):  # one pair
        return np.clip(1.0 - scale * quality, 0.0, 1.0)
    quality *= scale
    np.subtract(1.0, quality, out=quality)
    return np.clip(quality, 0.0, 1.0, out=quality)


def rms_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Root-mean-square distance along the last axis.

    The same numbers as ``np.sqrt(np.mean((a - b) ** 2, axis=-1))`` (``np.mean`` is
    a sum then a division), without its temporaries.
    """
    gap = np.subtract(a, b)
    gap *= gap
    total = last_axis_sum(gap)
    total /= gap.shape[-1]
    return np.sqrt(total, out=total) if isinstance(total, np.ndarray) else np.sqrt(total)


def last_axis_sum(a: np.ndarray) -> np.ndarray:
    """``np.add.reduce(a, axis=-1)``, bit for bit, faster for a few skill dimensions.

    NumPy adds fewer than eight numbers strictly left to right and reduces
    along a short last axis one row at a time; adding whole columns in the
    same order gives the same sums several times faster.
    """
    k = a.shape[-1]
    if a.ndim < 2 or not 2 <= k < 8:
        return np.add.reduce(a, axis=-1)
    total = a[..., 0] + a[..., 1]
    for i in range(2, k):
        total += a[..., i]
    return total


def learn(skills: np.ndarray, target: np.ndarray, rate: np.ndarray | float,
          out: np.ndarray | None = None) -> np.ndarray:
    """Skills after one month of learning: the gap to ``target`` shrinks by ``rate``.

    ``out`` (an array of the skills' shape, ``target`` itself for one) receives the
    result instead of a new array; the numbers are the same.
    """
    rate = np.clip(np.asarray(rate, dtype=float), 0.0, 1.0)
    if rate.ndim == 1:
        rate = rate[:, None]
    step = np.subtract(target, skills, out=out)
    step *= rate
    step += skills
    return step


def put_rows(a: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``a[rows] = values`` for a 2-D array ``a`` and integer ``rows``, each row put whole.

    NumPy's fancy assignment to the rows of a 2-D array goes element by
    element; viewing each row as one opaque item and putting those is several
    times faster for the same result.
    """
    values = np.ascontiguousarray(values, dtype=a.dtype)
    row = np.dtype((np.void, a.dtype.itemsize * a.shape[1]))
    np.put(a.view(row).reshape(-1), rows, values.view(row).reshape(-1))


def drift_demand(
    demand: np.ndarray, yearly_drift: np.ndarray, rng: np.random.Generator,
    profile: np.ndarray, reversion: float,
) -> np.ndarray:
    """One month of sector demand drift (mean-reverting random walk in [0, 1]).

    Args:
        demand: (n_fields, K) current sector demand.
        yearly_drift: (n_fields,) standard deviation of a year's change per dimension.
        rng: the demand stream.
        profile: (n_fields, K) each field's long-run demand profile.
        reversion: yearly share of the distance to the profile closed.
    """
    shock = rng.standard_normal(demand.shape) * (yearly_drift[:, None] / np.sqrt(12.0))
    reverted = demand + (reversion / 12.0) * (profile - demand)
    return np.clip(reverted + shock, 0.0, 1.0)
