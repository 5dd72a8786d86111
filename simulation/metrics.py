"""Outcome measures: each defined once, with its reporter and its run summary.

Graduate outcomes are measured per graduating cohort, as national
statistics define them: the employment rate 6 (12) months after graduation
is the share of the cohort employed or self-employed at that time.  The
monthly reporter shows the most recent cohort measured; a run's summary is
the mean over the cohorts measured in the final ``SUMMARY_YEARS`` years.
Stocks (partnerships, curriculum gap, satisfaction) are summarised by their
mean over the same final years; cumulative counts and spending by their
final value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.policy import KINDS
from simulation.skills import rms_gap
from simulation.student_table import EMPLOYED, SELF_EMPLOYED

SUMMARY_YEARS = 5
COHORT, STOCK, CUMULATIVE = "cohort", "stock", "cumulative"


@dataclass(frozen=True)
class Outcome:
    """A named outcome: how it is reported monthly and summarised for a run."""

    name: str
    kind: str  # cohort, stock or cumulative
    unit: str
    meaning: str
    reporter: Callable


def measure_cohort(model, rows: np.ndarray, months: int) -> dict[str, float]:
    """Graduate outcomes of one cohort ``months`` after graduation."""
    st, p = model.students, model.p
    n = len(rows)
    status = st.status[rows]
    employed = status == EMPLOYED
    working = employed | (status == SELF_EMPLOYED)
    q = st.match[rows][employed]
    own_field = model.firm_sector[np.maximum(st.employer[rows], 0)] == st.field[rows]
    placed = st.had_placement[rows]
    kept = placed & employed & (st.employer[rows] == st.last_host[rows])
    sat = np.where(employed, 0.3 + 0.7 * st.match[rows],
                   np.where(status == SELF_EMPLOYED, 0.7, 0.2))
    sat = np.minimum(1.0, sat + 0.1 * placed)
    st.satisfaction[rows] = sat
    nan = float("nan")
    return {
        "size": n,
        f"employment_rate_{months}m": working.mean() if n else nan,
        "matched_employment_share": (own_field & employed).sum() / employed.sum()
        if employed.any() else nan,
        "mean_match_quality": q.mean() if len(q) else nan,
        "low_match_share": (q < p["matched_job_threshold"]).mean() if len(q) else nan,
        "intern_conversion_rate": kept.sum() / placed.sum() if placed.any() else nan,
        "student_satisfaction": sat.mean() if n else nan,
        "employed": int(working.sum()),
    }


def _latest(key: str, months: int) -> Callable:
    def report(model) -> float:
        for rec in reversed(model.cohort_records):
            if rec["months"] == months and key in rec:
                return float(rec[key])
        return float("nan")

    return report


def curriculum_gap(model) -> float:
    """Enrolment-weighted mean RMS gap between curricula and current sector demand."""
    st = model.students
    rows = np.flatnonzero(st.alive & (st.year >= 1))
    if len(rows) == 0:
        return float("nan")
    counts = np.bincount(st.university[rows] * 3 + st.field[rows],
                         minlength=len(model.universities) * 3)
    gaps = rms_gap(model.curricula, model.sector_demand[None, :, :]).reshape(-1)
    return float((gaps * counts).sum() / counts.sum())


def _spend(line: str) -> Callable:
    return lambda m: m.government.spending[line]


def _active(kind: int) -> Callable:
    return lambda m: m.network.count_active(kind)


OUTCOMES: dict[str, Outcome] = {o.name: o for o in [
    Outcome("employment_rate_6m", COHORT, "share",
            "cohort employed or self-employed 6 months after graduation",
            _latest("employment_rate_6m", 6)),
    Outcome("employment_rate_12m", COHORT, "share",
            "cohort employed or self-employed 12 months after graduation",
            _latest("employment_rate_12m", 12)),
    Outcome("matched_employment_share", COHORT, "share",
            "employed graduates (12 months) working in their own field",
            _latest("matched_employment_share", 12)),
    Outcome("mean_match_quality", COHORT, "match",
            "mean match quality of employed graduates at 12 months",
            _latest("mean_match_quality", 12)),
    Outcome("low_match_share", COHORT, "share",
            "employed graduates at 12 months in a job with match below the threshold",
            _latest("low_match_share", 12)),
    Outcome("intern_conversion_rate", COHORT, "share",
            "placement students employed by their host firm 12 months after graduation",
            _latest("intern_conversion_rate", 12)),
    Outcome("student_satisfaction", COHORT, "index",
            "mean satisfaction of graduates at 12 months",
            _latest("student_satisfaction", 12)),
    Outcome("curriculum_gap", STOCK, "RMS skill gap",
            "enrolment-weighted RMS gap between curricula and current industry demand",
            curriculum_gap),
    Outcome("active_partnerships", STOCK, "partnerships", "active partnerships",
            _active(None)),
    *[Outcome(f"active_{k}", STOCK, "partnerships", f"active {k} partnerships", _active(i))
      for i, k in enumerate(KINDS)],
    Outcome("firm_satisfaction", STOCK, "index", "mean satisfaction of firms",
            lambda m: float(np.mean([f.satisfaction for f in m.firms])) if m.firms else np.nan),
    Outcome("partnership_survival_3y", STOCK, "share",
            "partnerships signed at least 3 years ago that lasted 3 years",
            lambda m: m.network.survival(m.steps, 36)),
    Outcome("partnerships_formed", CUMULATIVE, "partnerships",
            "partnerships signed since the start", lambda m: m.network.formed),
    Outcome("partnerships_dissolved", CUMULATIVE, "partnerships",
            "partnerships dissolved since the start", lambda m: m.network.dissolved),
    Outcome("startups", CUMULATIVE, "firms", "graduate start-ups founded since the start",
            lambda m: m.startups_founded),
    Outcome("employed_graduates", CUMULATIVE, "graduates",
            "graduates employed or self-employed 12 months after graduation, all cohorts",
            lambda m: sum(r["employed"] for r in m.cohort_records if r["months"] == 12)),
    Outcome("spending_grants", CUMULATIVE, "kCNY", "dedicated-fund grants and subsidies paid",
            _spend("grants")),
    Outcome("spending_forgone_tax", CUMULATIVE, "kCNY", "tax forgone through the tax break",
            _spend("forgone_tax")),
    Outcome("spending_other", CUMULATIVE, "kCNY",
            "meetings, lecturer stipends, incubator places, evaluations", _spend("other")),
    Outcome("government_spending", CUMULATIVE, "kCNY",
            "grants + forgone tax + other", lambda m: m.government.total_spending),
]}

MAIN_OUTCOMES = (
    "employment_rate_6m", "employment_rate_12m", "matched_employment_share",
    "mean_match_quality", "curriculum_gap", "active_partnerships",
    "partnership_survival_3y", "government_spending",
)


def model_reporters() -> dict[str, Callable]:
    """DataCollector model reporters: one scalar per outcome per step."""
    return {name: o.reporter for name, o in OUTCOMES.items()}


def summarise(model) -> dict[str, float]:
    """A run's summary: one number per outcome (see module docstring)."""
    window = 12 * SUMMARY_YEARS
    since = model.steps - window
    series = model.datacollector.model_vars
    out = {}
    for name, o in OUTCOMES.items():
        if o.kind == COHORT:
            key = name
            months = 6 if name.endswith("6m") else 12
            vals = [r[key] for r in model.cohort_records
                    if r["months"] == months and r["step"] > since and key in r]
            vals = [v for v in vals if not np.isnan(v)]
            out[name] = float(np.mean(vals)) if vals else float("nan")
        elif o.kind == STOCK:
            vals = np.asarray(series[name][-window:], dtype=float)
            vals = vals[~np.isnan(vals)]
            out[name] = float(vals.mean()) if len(vals) else float("nan")
        else:
            out[name] = float(o.reporter(model))
    return out


def cost_per_additional_employed(policy: dict, reference: dict) -> float:
    """Extra government spending per extra graduate employed at 12 months.

    Both arguments are run summaries (:func:`summarise`) of paired runs.
    Infinite when the policy employs no more graduates than the reference.
    """
    extra = policy["employed_graduates"] - reference["employed_graduates"]
    cost = policy["government_spending"] - reference["government_spending"]
    return cost / extra if extra > 0 else float("inf")
