"""The posterior, the choice of the calibrated values, and what the posterior identifies.

- :func:`draw_posterior`: points drawn uniformly from the space the waves
  kept, weighted by the last wave's emulators' likelihood of every fitted
  target (range-centred, with discrepancy; see
  :mod:`simulation.calibration.history_matching`) and resampled.
- :func:`choose`: the confirmed point the pooled evidence favours most. How
  many targets a point's few confirmation runs happen to meet plays no part.
- :func:`identification`: per parameter, the posterior's summary, whether it
  piles against a bound of its range, and whether the targets identify it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.calibration import history_matching as hm
from simulation.calibration.runs import parameter_values

POSTERIOR_DRAWS = 2000
CANDIDATES = 20_000
MAX_DRAWS = 2_000_000
SIGNIFICANT = 4
EVIDENCE_MARGIN = math.log(math.sqrt(10.0))
"""Log-likelihood below the best within which confirmed points are not told apart.

A likelihood ratio under 10**0.5 is "barely worth mentioning" on Jeffreys' scale."""
EDGE_ZONE = 0.05  # the outer share of a parameter's range at each end
EDGE_MASS = 0.15  # posterior share in an outer zone at which it piles there (3x the prior's)
EDGE_RISING = 0.10, 0.75  # or this share (2x the prior's) while as dense as this of the densest
NOT_IDENTIFIED = 0.8  # 90% interval width over the prior's at or above which not identified
TOUCH = 0.01  # an interval end within this share of the range from a bound touches it


def draw_posterior(plan, waves, observations, rng, warnings) -> tuple[pd.DataFrame, float]:
    """Importance-resampled posterior on the last wave's emulators, and its effective size."""
    dims = len(plan.factors)
    kept = hm.sample_plausible(waves, observations, CANDIDATES, dims, rng, max_draws=MAX_DRAWS)
    columns = [f"u_{n}" for n in plan.names] + plan.names + ["log_likelihood"]
    if len(kept) == 0:
        warnings.append("no point of the parameter space is consistent with every fitted target "
                        "(all ruled out), so there is no posterior; the chosen values are the "
                        "best the waves ran")
        return pd.DataFrame(columns=columns), 0.0
    loglik = hm.log_likelihood(waves[-1].emulators, observations, kept)
    weight = np.exp(loglik - loglik.max())
    weight /= weight.sum()
    ess = float(1.0 / np.sum(weight**2))
    pick = rng.choice(len(kept), size=POSTERIOR_DRAWS, replace=True, p=weight)
    x = kept[pick]
    frame = pd.concat([pd.DataFrame(x, columns=columns[:dims]),
                       pd.DataFrame(parameter_values(plan, x)),
                       pd.DataFrame({"log_likelihood": loglik[pick]})], axis=1)
    return frame, ess


def pooled_log_likelihood(observations, train_x, train_y, confirm_x, confirm_y, at: np.ndarray,
                          seed: int) -> np.ndarray:
    """Log-likelihood at the points ``at``, on emulators trained on every run, pooled.

    The emulators are refitted to the waves' runs inside the kept space
    (``train_x``, ``train_y``) and the confirmation runs of posterior points
    (``confirm_x``, their means ``confirm_y``), so a confirmed point is
    judged by its own runs and its neighbours' together, not by its few
    replicates alone.
    """
    x = np.concatenate([train_x, confirm_x])
    y = np.concatenate([train_y, confirm_y])
    ok = np.isfinite(y).all(axis=1)
    emulators = hm.fit_emulators(x[ok], y[ok], seed)
    return hm.log_likelihood(emulators, observations, at)


def choose(plan, confirmation: pd.DataFrame, posterior: pd.DataFrame) -> dict:
    """The confirmed point the pooled evidence favours, nearest the posterior's centre; rounded.

    1. Every confirmed point has the pooled emulators' log-likelihood of all
       fitted targets (column ``pooled_log_likelihood``,
       :func:`pooled_log_likelihood`); under the uniform prior it is the log
       posterior density up to a constant.
    2. The points within :data:`EVIDENCE_MARGIN` of the best are the ones the
       evidence cannot tell apart (a likelihood ratio under 10**0.5).
    3. Among those, the chosen point is the one nearest the posterior's
       centre: distance from the posterior median of each parameter, in
       posterior standard deviations, in the unit cube. Without a posterior,
       the most likely point.

    The values are rounded to :data:`SIGNIFICANT` significant digits.
    """
    units = [f"u_{n}" for n in plan.names]
    loglik = np.nan_to_num(confirmation["pooled_log_likelihood"].to_numpy(float), nan=-np.inf)
    best = loglik.max()
    near = loglik >= best - EVIDENCE_MARGIN if np.isfinite(best) else np.ones(len(loglik), bool)
    if len(posterior):
        u = confirmation[units].to_numpy(float)
        centre = posterior[units].median().to_numpy(float)
        scale = np.maximum(posterior[units].std().to_numpy(float), 1e-3)
        far = np.sqrt((((u - centre) / scale) ** 2).sum(axis=1))
    else:
        far = -loglik
    index = np.flatnonzero(near)[np.argmin(far[near])]
    row = confirmation.iloc[index]
    values = {f.name: _round(row[f.name], f.kind) for f in plan.factors}
    return {"point": int(row["point"]), "source": row["source"], "values": values,
            "pooled_log_likelihood": float(loglik[index]), "candidates": int(near.sum()),
            "distance": float(row["distance"])}


def _round(value, kind):
    if kind is int:
        return int(round(float(value)))
    return float(f"{float(value):.{SIGNIFICANT}g}")


def identification(plan, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the posterior's median and 90% interval, its edges, and its status.

    In the unit cube (the prior is uniform on [0, 1]):

    - ``mass_low`` and ``mass_high``: the posterior's share in the outer
      :data:`EDGE_ZONE` of the range at each end (a uniform prior puts 5%
      there). The posterior piles against that bound (``edge``: the targets
      want values beyond the range) when the share is :data:`EDGE_MASS` or
      more, or when it is at least the first of :data:`EDGE_RISING` and the
      outer zone is nearly the densest slice of the range (at least the
      second of :data:`EDGE_RISING` times the densest slice of that width):
      a posterior rising to the bound.
    - ``width_ratio``: the 90% interval's width over the prior's (0.9).
    - ``identified``: the interval is narrower than :data:`NOT_IDENTIFIED`
      of the prior's, the posterior does not pile at an edge, and the
      interval touches neither bound (within :data:`TOUCH` of the range), so
      truncation at a bound cannot make a parameter look identified.
    - ``status``: identified, not identified, or against the lower/upper bound.

    ``sd_ratio`` (posterior sd over the prior's) is kept for reference.
    """
    rows = []
    for f in plan.factors:
        row = {"parameter": f.name, "prior_low": f.low, "prior_high": f.high}
        if not len(posterior):
            rows.append({**row, "median": np.nan, "q05": np.nan, "q95": np.nan,
                         "sd_ratio": np.nan, "width_ratio": np.nan, "mass_low": np.nan,
                         "mass_high": np.nan, "edge": "", "identified": False,
                         "status": "no posterior"})
            continue
        u = posterior[f"u_{f.name}"].to_numpy(float)
        v = posterior[f.name].to_numpy(float)
        u05, u95 = np.quantile(u, [0.05, 0.95])
        mass_low, mass_high = float((u < EDGE_ZONE).mean()), float((u > 1 - EDGE_ZONE).mean())
        low_piles, high_piles = (_piles(share, u) for share in (mass_low, mass_high))
        edge = ("lower" if low_piles and (mass_low >= mass_high or not high_piles)
                else "upper" if high_piles else "")
        width = float((u95 - u05) / 0.9)
        touches = bool(u05 <= TOUCH or u95 >= 1 - TOUCH)
        identified = bool(not edge and not touches and width < NOT_IDENTIFIED)
        status = (f"against the {edge} bound" if edge
                  else "identified" if identified else "not identified")
        rows.append({**row, "median": float(np.median(v)),
                     "q05": float(np.quantile(v, 0.05)), "q95": float(np.quantile(v, 0.95)),
                     "sd_ratio": float(u.std() * np.sqrt(12)), "width_ratio": width,
                     "mass_low": mass_low, "mass_high": mass_high, "edge": edge,
                     "identified": identified, "status": status})
    return pd.DataFrame(rows)


def _piles(share: float, u: np.ndarray) -> bool:
    """Whether an outer zone holding ``share`` of the posterior ``u`` piles against its bound."""
    if share >= EDGE_MASS:
        return True
    densest = np.histogram(u, bins=round(1 / EDGE_ZONE), range=(0.0, 1.0))[0].max() / len(u)
    return bool(share >= EDGE_RISING[0] and share >= EDGE_RISING[1] * densest)


def edge_statements(ident: pd.DataFrame) -> list[str]:
    """A sentence for each parameter whose posterior piles against a bound."""
    lines = []
    for r in ident[ident["edge"] != ""].itertuples():
        side, bound = (("below", r.prior_low) if r.edge == "lower" else ("above", r.prior_high))
        share = r.mass_low if r.edge == "lower" else r.mass_high
        lines.append(f"The targets want `{r.parameter}` {side} its plausible range: {share:.0%} "
                     f"of the posterior lies in the outer {EDGE_ZONE:.0%} of the range next to "
                     f"{bound:.4g} (a uniform prior puts {EDGE_ZONE:.0%} there). This is a sign "
                     "of model discrepancy: the model reaches the targets only at the edge of "
                     "what the parameter can plausibly be.")
    return lines
