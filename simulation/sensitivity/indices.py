"""Sensitivity indices from a study's sample and results, with their noise checks.

Tables are tidy, one row per outcome, parameter and index:

* Morris: ``mu_star`` (with its bootstrap 95% half-width), ``mu``, ``sigma``;
* Sobol: ``S1`` and ``ST`` (and ``S2`` for pairs ``a,b``) with bootstrap
  95% half-widths;
* PAWN: the median Kolmogorov-Smirnov distance over slices (``pawn_median``,
  bootstrap 95% half-width) and its maximum (``pawn_max``).

The model is stochastic: each point's value is the mean of its replicates,
and the share of output variance due to the seed is reported beside the
indices (:func:`seed_noise`).  An index is flagged as not distinguishable
from noise (:func:`flag_noise`) when

* Morris: mu* minus its half-width is not above the mu* that seed noise alone
  gives (estimated from each replicate's own elementary effects);
* Sobol: its interval reaches 0, or (ST) it is not above the seed's share of
  the analysed mean's variance (noise appears as an interaction of every factor);
* PAWN: it is not above the dummy factor's index plus its half-width.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.sensitivity.sampling import DUMMY, nested_sizes, problem, rows_per_unit
from simulation.sensitivity.study import Study

COLUMNS = ["outcome", "parameter", "index", "value", "conf"]
CONF_LEVEL = 0.95
NOISE_WARNING = 0.1
"""Seed share of the analysed mean's variance above which the report warns."""


def analyse(study: Study, unit: np.ndarray, y: np.ndarray, units: int | None = None) -> pd.DataFrame:
    """Indices of every outcome from the first ``units`` units of the design (default all).

    Args:
        study: the study.
        unit: the design in unit coordinates.
        y: point means, ``(n_points, n_outcomes)``.
        units: trajectories (Morris), base samples (Sobol) or points (PAWN) to use.

    Returns:
        A tidy DataFrame with :data:`COLUMNS`.  An outcome with a point that
        has no value (NaN) gets no rows.
    """
    rows = len(unit) if units is None else units * rows_per_unit(study)
    x, y = unit[:rows], y[:rows]
    sp = problem(study)
    frames = []
    for j, outcome in enumerate(study.outcomes):
        keep = usable_rows(study, y[:, j])
        if keep is None:
            continue
        frames.append(_METHODS[study.method](study, sp, x[keep], y[keep, j], outcome))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def usable_rows(study: Study, column: np.ndarray) -> np.ndarray | None:
    """Rows of one outcome the analysis can use, or None when it cannot go on.

    A point without a value (NaN: e.g. no partnership reached three years)
    removes its whole Morris trajectory (trajectories are independent) or its
    own PAWN row; a Sobol' design needs every row, so one missing value stops
    that outcome.  Fewer than two trajectories (Morris) or ten points (PAWN)
    left also stop it.
    """
    finite = np.isfinite(column)
    if finite.all():
        return np.arange(len(column))
    if study.method == "sobol":
        return None
    if study.method == "morris":
        block = rows_per_unit(study)
        whole = finite.reshape(-1, block).all(axis=1)
        if whole.sum() < 2:
            return None
        return np.flatnonzero(np.repeat(whole, block))
    return np.flatnonzero(finite) if finite.sum() >= 10 else None


def missing_points(study: Study, y: np.ndarray) -> dict[str, int]:
    """Sample points without a value, by outcome (only outcomes that have some)."""
    return {o: int((~np.isfinite(y[:, j])).sum()) for j, o in enumerate(study.outcomes)
            if not np.isfinite(y[:, j]).all()}


def _morris(study, sp, x, y, outcome):
    from SALib.analyze import morris

    si = morris.analyze(sp, x, y, num_resamples=1000, conf_level=CONF_LEVEL,
                        num_levels=study.size["levels"], seed=study.seed % 2**32)
    rows = []
    for i, name in enumerate(study.names):
        rows += [(outcome, name, "mu_star", si["mu_star"][i], si["mu_star_conf"][i]),
                 (outcome, name, "mu", si["mu"][i], np.nan),
                 (outcome, name, "sigma", si["sigma"][i], np.nan)]
    return pd.DataFrame(rows, columns=COLUMNS)


def _sobol(study, sp, x, y, outcome):
    from SALib.analyze import sobol

    second = study.size["second_order"]
    si = sobol.analyze(sp, y, calc_second_order=second, num_resamples=study.size["bootstrap"],
                       conf_level=CONF_LEVEL, seed=study.seed % 2**32)
    rows = []
    for i, name in enumerate(study.names):
        rows += [(outcome, name, "S1", si["S1"][i], si["S1_conf"][i]),
                 (outcome, name, "ST", si["ST"][i], si["ST_conf"][i])]
    if second:
        for i, a in enumerate(study.names):
            for k in range(i + 1, len(study.names)):
                rows.append((outcome, f"{a},{study.names[k]}", "S2", si["S2"][i, k],
                             si["S2_conf"][i, k]))
    return pd.DataFrame(rows, columns=COLUMNS)


def _pawn(study, sp, x, y, outcome):
    from SALib.analyze import pawn

    slices = study.size["slices"]
    si = pawn.analyze(sp, x, y, S=slices)
    rng = np.random.default_rng(study.seed)
    boot = []
    for _ in range(study.size["bootstrap"]):
        pick = rng.integers(0, len(y), len(y))
        boot.append(pawn.analyze(sp, x[pick], y[pick], S=slices)["median"])
    half = 0.5 * np.diff(np.nanpercentile(np.array(boot), [2.5, 97.5], axis=0), axis=0)[0]
    rows = []
    for i, name in enumerate(sp["names"]):
        rows += [(outcome, name, "pawn_median", si["median"][i], half[i]),
                 (outcome, name, "pawn_max", si["maximum"][i], np.nan)]
    return pd.DataFrame(rows, columns=COLUMNS)


_METHODS = {"morris": _morris, "sobol": _sobol, "pawn": _pawn}


# --------------------------------------------------------------------------- noise


def spread(study: Study, y: np.ndarray) -> pd.DataFrame:
    """How the analysed value (level or paired effect) spreads over the sample points.

    Columns: ``outcome``, ``mean``, ``sd``, ``p05``, ``p95`` and
    ``share_positive`` (the share of points whose replicate mean is above 0:
    for an effect target, where the policy helps).
    """
    rows = []
    for j, outcome in enumerate(study.outcomes):
        column = y[:, j][np.isfinite(y[:, j])]
        if not len(column):
            continue
        rows.append({"outcome": outcome, "mean": column.mean(), "sd": column.std(ddof=1),
                     "p05": np.percentile(column, 5), "p95": np.percentile(column, 95),
                     "share_positive": (column > 0).mean(), "points": len(column)})
    return pd.DataFrame(rows)


def seed_noise(study: Study, values: pd.DataFrame) -> pd.DataFrame:
    """How much of each outcome's variance is the seed's, from the replicates.

    Columns: ``outcome``; ``seed_share``, the within-point (replicate)
    variance of single runs over their total variance; ``seed_share_of_mean``,
    the same for the analysed replicate mean (within variance / replicates,
    over the variance of the point means).  NaN with one replicate.
    """
    rows = []
    for outcome in study.outcomes:
        grouped = values.groupby("point")[outcome]
        within = grouped.var(ddof=1).mean() if study.replicates > 1 else np.nan
        total = values[outcome].var(ddof=1)
        means = grouped.mean().var(ddof=1)
        rows.append({
            "outcome": outcome,
            "seed_share": within / total if total > 0 else np.nan,
            "seed_share_of_mean": (within / study.replicates) / means if means > 0 else np.nan,
            "replicates": study.replicates,
        })
    return pd.DataFrame(rows)


def morris_noise(study: Study, unit: np.ndarray, values: pd.DataFrame) -> pd.DataFrame:
    """The mu* that seed noise alone would give each factor, from per-replicate effects.

    Each replicate's elementary effects are computed on its own; their spread
    across replicates is the noise in the mean's effects (with common random
    numbers it is smaller than independent runs would give).  The expected
    |N(0, s^2)| = s sqrt(2/pi) of that noise is the factor's noise mu*.
    """
    d = len(study.names)
    steps = np.diff(unit.reshape(-1, d + 1, unit.shape[1])[:, :, :d], axis=1)  # (r, d, D)
    which = np.abs(steps).argmax(axis=2)
    size = np.take_along_axis(steps, which[:, :, None], axis=2)[:, :, 0]
    rows = []
    for outcome in study.outcomes:
        per = values.pivot(index="point", columns="replicate", values=outcome).sort_index()
        y = per.to_numpy().reshape(-1, d + 1, study.replicates)  # (r, d+1, R)
        ee = np.diff(y, axis=1) / size[:, :, None]  # (r, d, R)
        spread = np.zeros((len(ee), d))
        if study.replicates > 1:
            with np.errstate(invalid="ignore"):
                spread = np.var(ee, axis=2, ddof=1) / study.replicates  # NaN: a point without value
        usable = np.isfinite(spread)
        noise = np.zeros(d)
        np.add.at(noise, which[usable], spread[usable])
        counts = np.bincount(which[usable], minlength=d)
        with np.errstate(invalid="ignore", divide="ignore"):
            noise = np.sqrt(noise / counts) * np.sqrt(2 / np.pi)  # NaN: no usable effect
        rows += [{"outcome": outcome, "parameter": n, "noise_mu_star": v}
                 for n, v in zip(study.names, noise, strict=True)]
    return pd.DataFrame(rows)


def flag_noise(study: Study, table: pd.DataFrame, noise: pd.DataFrame,
               morris_floor: pd.DataFrame | None = None) -> pd.DataFrame:
    """``table`` with a boolean column ``distinguishable`` (see the module docstring)."""
    out = table.copy()
    conf = out["conf"].fillna(0.0)
    low = out["value"] - conf
    if study.method == "morris":
        floor = out.merge(morris_floor, on=["outcome", "parameter"], how="left")["noise_mu_star"]
        ok = low.to_numpy() > floor.fillna(0.0).to_numpy()
        out["distinguishable"] = np.where(out["index"] == "mu_star", ok, True)
    elif study.method == "sobol":
        share = out["outcome"].map(noise.set_index("outcome")["seed_share_of_mean"]).fillna(0.0)
        ok = low > 0
        ok = np.where(out["index"] == "ST", ok & (out["value"] > share), ok)
        out["distinguishable"] = ok
    else:
        dummy = out[(out["parameter"] == DUMMY) & (out["index"] == "pawn_median")]
        ref = out["outcome"].map(dummy.set_index("outcome")["value"]
                                 + dummy.set_index("outcome")["conf"].fillna(0.0))
        out["distinguishable"] = np.where(out["index"] == "pawn_median",
                                          low > ref.fillna(0.0), True)
    out.loc[out["parameter"] == DUMMY, "distinguishable"] = False
    return out


def convergence(study: Study, unit: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Indices at nested sample sizes (prefixes of the design): the tidy columns plus ``n``."""
    frames = []
    for n in nested_sizes(study):
        frame = analyse(study, unit, y, units=n)
        frame.insert(3, "n", n)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def headline(method: str) -> str:
    """The index that ranks factors under a method: mu_star, ST or pawn_median."""
    return {"morris": "mu_star", "sobol": "ST", "pawn": "pawn_median"}[method]


def enough(study: Study, table: pd.DataFrame) -> tuple[bool, float]:
    """Whether every headline index's 95% interval (2 x conf) is narrower than conf_width.

    For Morris the widths are relative to the outcome's largest mu* (mu*
    has the output's units); Sobol and PAWN indices are unitless.

    Returns:
        ``(enough, widest)``: the verdict and the widest interval.
    """
    rows = table[table["index"] == headline(study.method)].copy()
    rows = rows[rows["parameter"] != DUMMY]
    if rows.empty:
        return False, float("nan")
    width = 2 * rows["conf"].fillna(0.0)
    if study.method == "morris":
        scale = rows.groupby("outcome")["value"].transform("max").replace(0, np.nan)
        width = width / scale
    widest = float(width.max())
    return bool(widest < study.conf_width), widest


def rank_agreement(a: pd.DataFrame, b: pd.DataFrame, outcome: str, index: str,
                   top: int = 5) -> dict[str, float]:
    """How far two studies' rankings of the same factors agree on one outcome and index.

    Returns:
        ``spearman`` (rank correlation of the index over the shared factors),
        ``top_overlap`` (share of ``a``'s top ``top`` factors also in ``b``'s
        top ``top``) and ``factors`` (how many were compared).
    """
    from scipy.stats import spearmanr

    def pick(t):
        rows = t[(t["outcome"] == outcome) & (t["index"] == index) & (t["parameter"] != DUMMY)]
        return rows.set_index("parameter")["value"]

    x, y = pick(a), pick(b)
    shared = x.index.intersection(y.index)
    x, y = x[shared], y[shared]
    top_a, top_b = set(x.nlargest(top).index), set(y.nlargest(top).index)
    return {"spearman": float(spearmanr(x, y).statistic),
            "top_overlap": len(top_a & top_b) / max(1, len(top_a)), "factors": len(shared)}
