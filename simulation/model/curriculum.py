"""Curriculum reviews and accreditation reviews.

Every year each programme (a university's field) reviews its curriculum.
Without co-curriculum partners it sees industry demand ``review_lag_years``
late and moves ``curriculum_review_rate`` of the gap (academic inertia).
With co-curriculum partners it sees their current demand and moves faster
(``co_curriculum_rate``, full with ``partners_for_full_effect`` partners), and
each firm lecturer adds ``firm_lecturer_effect``.  An accreditation rule that
weighs industry alignment makes universities review faster in anticipation;
each programme review costs the government ``accreditation_review_cost``, and
programmes that fail lose intake and reputation and are remediated.
Universities' reputations follow their graduates' employment.
"""

from __future__ import annotations

import numpy as np

from simulation.model.policy import CO_CURRICULUM
from simulation.model.skills import rms_gap


def review_curricula(model) -> None:
    """One yearly curriculum review for every programme."""
    p = model.p
    lagged = model.demand_history[max(0, len(model.demand_history) - 1 - p["review_lag_years"])]
    anticipation = 1.0 + p["accreditation_weight"] * p["accreditation_effort"]
    partners = _co_curriculum_partners(model)
    for uni in model.universities:
        for f in uni.fields:
            mine = [q for q in partners.get(uni.index, []) if model.firms[q.firm].sector == f]
            if mine:
                target = np.mean([model.firms[q.firm].demand() for q in mine], axis=0)
                n_lect = sum(q.lecturer for q in mine)
                rate = (p["curriculum_review_rate"]
                        + p["co_curriculum_rate"]
                        * min(1.0, len(mine) / p["partners_for_full_effect"])
                        + p["firm_lecturer_effect"] * n_lect)
            else:
                target = lagged[f]
                rate = p["curriculum_review_rate"]
            uni.review_curriculum(f, target, rate * anticipation)
            uni.intake_factor[f] += p["intake_recovery"] * (1.0 - uni.intake_factor[f])


def update_reputations(model) -> None:
    """Yearly: each university's reputation moves toward its graduates' 6-month employment rate.

    The target is the employment rate of the university's most recently
    measured cohort (all its programmes); a university without a measured
    cohort keeps its reputation.
    """
    rate = model.p["reputation_rate"]
    for uni in model.universities:
        target = model.university_employment[uni.index]
        if np.isfinite(target):
            uni.reputation += rate * (target - uni.reputation)


def _co_curriculum_partners(model) -> dict[int, list]:
    out: dict[int, list] = {}
    for q in model.network.active():
        if q.kind == CO_CURRICULUM:
            out.setdefault(q.university, []).append(q)
    return out


def programme_field(model, u: int, sector: int) -> int:
    """The field of university ``u`` that serves firms of ``sector`` (see :func:`serving_fields`)."""
    return int(model.serving_field[u, sector])


def serving_fields(universities, transfer: np.ndarray) -> np.ndarray:
    """(n_universities, n_sectors) the field of each university that serves each sector.

    The sector itself if the university teaches it; otherwise (cross-sector
    networks) the taught field whose skills transfer best to the sector.
    """
    out = np.zeros((len(universities), transfer.shape[1]), dtype=np.int64)
    for uni in universities:
        for sector in range(transfer.shape[1]):
            out[uni.index, sector] = sector if sector in uni.fields else max(
                uni.fields, key=lambda f, g=sector: transfer[f, g])
    return out


def alignment(model, uni, f: int) -> float:
    """Industry alignment of a programme: match between curriculum and current demand."""
    gap = rms_gap(uni.curriculum[f], model.sector_demand[f])
    return float(np.clip(1.0 - model.p["match_scale"] * gap, 0.0, 1.0))


def accreditation_score(model, uni, f: int) -> float:
    """Review score: (1 - w) * teaching quality + w * industry alignment."""
    w = model.p["accreditation_weight"]
    return (1.0 - w) * uni.teaching_quality + w * alignment(model, uni, f)


def run_accreditation_reviews(model, year: int) -> list[tuple[int, int, float, bool]]:
    """Review the programmes due this year (staggered by university).

    A failing programme loses ``accreditation_penalty`` of its intake and
    the university that share of its reputation; its curriculum must close
    ``accreditation_remediation`` of its gap to current demand at once.  Each
    programme reviewed costs ``accreditation_review_cost``.  Off when the
    industry weight is 0.

    Returns:
        (university, field, score, passed) for each programme reviewed.
    """
    p = model.p
    if p["accreditation_weight"] <= 0:
        return []
    results = []
    for uni in model.universities:
        if (year + uni.review_offset) % p["accreditation_interval"] != 0:
            continue
        for f in uni.fields:
            score = accreditation_score(model, uni, f)
            passed = score >= p["accreditation_threshold"]
            uni.accredited[f] = passed
            if not passed:
                apply_accreditation_penalty(model, uni, f)
            results.append((uni.index, f, score, passed))
    model.government.pay("other", p["accreditation_review_cost"] * len(results))
    model.accreditation_log.extend((year, *r) for r in results)
    return results


def apply_accreditation_penalty(model, uni, f: int) -> None:
    """Consequences of failing accreditation for programme ``f`` of ``uni``."""
    penalty = model.p["accreditation_penalty"]
    uni.intake_factor[f] *= 1.0 - penalty
    uni.reputation *= 1.0 - penalty
    uni.review_curriculum(f, model.sector_demand[f], model.p["accreditation_remediation"])
