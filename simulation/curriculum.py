"""Curriculum reviews and accreditation reviews.

Every year each programme (a university's field) reviews its curriculum.
Without co-curriculum partners it sees industry demand ``review_lag_years``
late and moves ``curriculum_review_rate`` of the gap (academic inertia).
With co-curriculum partners it sees their current demand and moves faster
(``co_curriculum_rate``, full with three partners), and each firm lecturer
adds ``firm_lecturer_effect``.  An accreditation rule that weighs industry
alignment makes universities review faster in anticipation, and programmes
that fail a review lose intake and reputation and are remediated.
"""

from __future__ import annotations

import numpy as np

from simulation.policy import CO_CURRICULUM
from simulation.skills import rms_gap

PARTNERS_FOR_FULL_EFFECT = 3.0
REMEDIATION = 0.5  # share of the gap a failing programme must close at once
INTAKE_RECOVERY = 0.1  # yearly recovery of a penalised programme's intake


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
                        + p["co_curriculum_rate"] * min(1.0, len(mine) / PARTNERS_FOR_FULL_EFFECT)
                        + p["firm_lecturer_effect"] * n_lect)
            else:
                target = lagged[f]
                rate = p["curriculum_review_rate"]
            uni.review_curriculum(f, target, rate * anticipation)
            uni.intake_factor[f] += INTAKE_RECOVERY * (1.0 - uni.intake_factor[f])


def _co_curriculum_partners(model) -> dict[int, list]:
    out: dict[int, list] = {}
    for q in model.network.active():
        if q.kind == CO_CURRICULUM:
            out.setdefault(q.university, []).append(q)
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
    half its gap to current demand at once.  Off when the industry weight is 0.

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
    model.accreditation_log.extend((year, *r) for r in results)
    return results


def apply_accreditation_penalty(model, uni, f: int) -> None:
    """Consequences of failing accreditation for programme ``f`` of ``uni``."""
    penalty = model.p["accreditation_penalty"]
    uni.intake_factor[f] *= 1.0 - penalty
    uni.reputation *= 1.0 - penalty
    uni.review_curriculum(f, model.sector_demand[f], REMEDIATION)
