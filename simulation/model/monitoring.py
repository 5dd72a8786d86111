"""Monitoring: the government evaluates what the dedicated fund pays for, and reallocates.

Zhao (2024) asks for regular evaluation of cooperation projects by
graduate employment, business satisfaction and educational quality, with
policy adjusted on the results.  Every ``monitoring_interval`` years the
government scores each partnership the fund pays for on those three
criteria, with equal weights:

- graduate employment: the 6-month employment rate of the partner
  programme's (university, firm's sector) most recently measured cohort;
- business satisfaction: the partner firm's trust in this partnership
  (its realised benefit over cost, 7.8);
- educational quality: the partner programme's industry alignment,
  ``1 - match_scale x RMS(C[u, f] - D[f])`` clipped to [0, 1].

Then the fund is reallocated three ways:

- grant weights per partnership kind become the scenario's weights times
  the kind's mean score over the mean of all kinds, clipped to
  [``monitoring_weight_min``, ``monitoring_weight_max``] (kinds with no
  funded partnership take the mean; with nothing funded they stay as they are);
- the grants of the highest-scoring ``monitoring_renew_share`` of funded
  partnerships are renewed for ``fund_grant_years`` from the evaluation
  (their yearly commitment is already counted, so the fund's cap holds);
- the grants of the lowest-scoring ``monitoring_stop_share`` are stopped,
  freeing the fund for new partnerships.
"""

from __future__ import annotations

import numpy as np

from simulation.model.policy import KINDS
from simulation.model.skills import rms_gap


def scores(model, partnerships: list) -> np.ndarray:
    """The monitoring criterion of each partnership, in [0, 1] (NaN parts are skipped).

    The mean of the serving programme's last 6-month employment rate, the
    partnership's trust, and the programme's alignment times the
    transferability of its field to the firm's sector; NaN when all three are.
    """
    if not partnerships:
        return np.zeros(0)
    u = np.array([q.university for q in partnerships])
    sector = model.firm_sector[[q.firm for q in partnerships]]
    f = model.serving_field[u, sector]
    gap = rms_gap(model.curricula[u, f], model.sector_demand[f])
    align = np.clip(1.0 - model.p["match_scale"] * gap, 0.0, 1.0) * model.transfer[f, sector]
    parts = np.stack([model.programme_employment[u, f],
                      np.array([q.trust for q in partnerships]), align])
    seen = np.isfinite(parts)
    total = np.where(seen, parts, 0.0).sum(axis=0)
    return np.where(seen.any(axis=0), total / np.maximum(seen.sum(axis=0), 1), np.nan)


def partnership_score(model, q) -> float:
    """The monitoring criterion of one partnership (see :func:`scores`)."""
    return float(scores(model, [q])[0])


def funded(model) -> list:
    """Active partnerships whose grant the fund is paying now."""
    return [q for q in model.network.active() if q.has_grant(model.steps)]


def funded_score(model) -> float:
    """Mean monitoring criterion over the partnerships the fund pays for (NaN if none)."""
    per = scores(model, funded(model))
    per = per[np.isfinite(per)]
    return float(per.mean()) if len(per) else float("nan")


def evaluate(model) -> None:
    """One evaluation: pay its cost, reweight kinds by score, stop the weakest grants."""
    gov, p = model.government, model.p
    gov.pay("other", p["monitoring_cost"])
    paid_for = funded(model)
    score = scores(model, paid_for)
    by_kind = np.full(len(KINDS), np.nan)
    for k in range(len(KINDS)):
        mine = [s for q, s in zip(paid_for, score, strict=True) if q.kind == k and np.isfinite(s)]
        if mine:
            by_kind[k] = np.mean(mine)
    if np.isfinite(by_kind).any():
        filled = np.where(np.isfinite(by_kind), by_kind, np.nanmean(by_kind))
        relative = np.clip(filled / max(filled.mean(), 1e-9),
                           p["monitoring_weight_min"], p["monitoring_weight_max"])
        gov.kind_weights = gov.base_weights * relative  # a kind excluded stays excluded
    scored = np.flatnonzero(np.isfinite(score))  # a partnership without a score is left alone
    ranked = scored[np.argsort(score[scored], kind="stable")]
    n_stop = min(int(p["monitoring_stop_share"] * len(paid_for)), len(ranked))
    n_renew = min(int(p["monitoring_renew_share"] * len(paid_for)), len(ranked) - n_stop)
    for i in ranked[:n_stop]:
        q = paid_for[i]
        gov.stop_grant(q, model.steps)
        q.grant_expiry = model.steps
    for i in ranked[len(ranked) - n_renew:]:
        q = paid_for[i]
        gov.renew_grant(q, model.steps + 12 * p["fund_grant_years"])
    gov.evaluations.append({"step": model.steps, "scores": by_kind.tolist(),
                            "weights": gov.kind_weights.tolist(), "grants_stopped": n_stop,
                            "grants_renewed": n_renew})
