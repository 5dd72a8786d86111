"""Outcome measures: each defined once, with its reporter and its run summary.

Graduate outcomes are measured per graduating cohort, as national
statistics define them: the employment rate 6 (12) months after graduation
is the share of the cohort employed or self-employed at that time.  The
monthly reporter shows the most recent cohort measured; a run's summary is
the mean over the cohorts measured in the final ``summary_years`` years.
Stocks (partnerships, curriculum gap, satisfaction) are summarised by their
mean over the same final years; cumulative counts and spending by their
final value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.model.monitoring import funded_score
from simulation.model.policy import KINDS
from simulation.model.skills import FIELDS, rms_gap
from simulation.model.student_table import EMPLOYED, OUTSIDE, SELF_EMPLOYED

COHORT, STOCK, CUMULATIVE = "cohort", "stock", "cumulative"


@dataclass(frozen=True)
class Outcome:
    """A named outcome: how it is reported monthly and summarised for a run."""

    name: str
    kind: str  # cohort, stock or cumulative
    unit: str
    meaning: str
    reporter: Callable
    months: int = 12  # for cohort outcomes: months after graduation measured
    per: str = ""  # for shares and rates: who the denominator counts


def measure_cohort(model, rows: np.ndarray, months: int) -> dict[str, float]:
    """Graduate outcomes of one cohort ``months`` after graduation."""
    st, p = model.students, model.p
    n = len(rows)
    status = st.status[rows]
    employed = status == EMPLOYED
    working = employed | (status == SELF_EMPLOYED)
    q = st.match[rows][employed]
    employer = st.employer[rows]
    at_firm = employer >= 0
    q_graduate = st.match[rows][employed & at_firm]
    own_field = at_firm & (model.firm_sector[np.maximum(employer, 0)] == st.field[rows])
    below_level = employed & (employer == OUTSIDE)
    placed = st.had_placement[rows]
    kept = placed & employed & (employer == st.last_host[rows])
    sat = np.where(employed, st.match[rows],
                   np.where(status == SELF_EMPLOYED, p["satisfaction_self_employed"],
                            p["satisfaction_seeking"]))
    sat = np.minimum(1.0, sat + p["satisfaction_placement_bonus"] * placed)
    st.satisfaction[rows] = sat
    first = st.first_job_month[rows]
    found = (first >= 0) & (first <= months)
    nan = float("nan")
    n_emp = employed.sum()
    rec = {
        "size": n,
        f"employment_rate_{months}m": working.mean() if n else nan,
        "matched_employment_share": (own_field & employed).sum() / n_emp if n_emp else nan,
        "out_of_field_share": (employed & ~own_field).sum() / n_emp if n_emp else nan,
        "overqualified_share": below_level.sum() / n_emp if n_emp else nan,
        "mean_match_quality": q.mean() if len(q) else nan,
        "low_match_share": (q_graduate < p["matched_job_threshold"]).mean()
        if len(q_graduate) else nan,
        "intern_conversion_rate": kept.sum() / placed.sum() if placed.any() else nan,
        "student_satisfaction": sat.mean() if n else nan,
        "placement_coverage": placed.mean() if n else nan,
        "months_to_first_job": first[found].mean() if found.any() else nan,
        "employed": int(working.sum()),
    }
    for f, name in enumerate(FIELDS):
        mine = st.field[rows] == f
        rec[f"employment_rate_{months}m_by_field_{name}"] = working[mine].mean() if mine.any() else nan
    return rec


def unfilled_vacancy_rate(model) -> float:
    """Share of last hiring year's vacancies (opened and re-opened) still open when it ended."""
    if not model.vacancy_log:
        return float("nan")
    _, opened, unfilled = model.vacancy_log[-1]
    return unfilled / opened


def graduate_level_hires(model) -> float:
    """Hires into graduate-level jobs of the graduate's own field in the last 12 months."""
    return float(sum(model.field_hires[-12:]))


# --------------------------------------------------------------- evaluation
# The effect and cost measures of the policy evaluation (simulation.evaluation).
# The horizon is the whole run, from its first month; every month t (t = 1, 2, ...)
# is discounted by d_t = (1 + discount_rate)^(-(t - 1) / 12).
EVALUATION_MEASURES = ("employment_months", "matched_employment_months",
                       "cost_government", "cost_societal")
_LEDGER = ("spend", "transfers", "firms")  # cumulative values at the last month, for differences


def reference_graduates(p: dict) -> float:
    """The fixed reference population: graduates the model follows at a steady state.

    ``n_students / study_years`` graduates a year, each followed for
    ``tracking_months``; it depends on parameters only, so a lever that
    shrinks cohorts does not change it.
    """
    return p["n_students"] / p["study_years"] * p["tracking_months"] / 12.0


def new_evaluation() -> dict[str, float]:
    """Empty discounted sums (and the ledgers' last values)."""
    return dict.fromkeys((*EVALUATION_MEASURES, *(f"_last_{k}" for k in _LEDGER)), 0.0)


def accumulate_evaluation(model) -> None:
    """Add this month's discounted effects and costs to ``model.evaluation``.

    Effects are rates, per 1,000 graduates: the share of the graduates in the
    model this month (every cohort followed, older seekers included) who are
    employed or self-employed, and who hold a graduate-level job of their own
    field, times 1,000; summed over months they are employment-months per
    1,000 graduates.  Costs are this month's spending per 1,000 graduates of
    the fixed reference population (:func:`reference_graduates`), in kCNY:
    government (grants, subsidies, forgone tax, programme costs) and societal
    (government plus firms' gross partnership and set-up costs, minus the
    transfers from government to firms: grants, subsidies and forgone tax).
    """
    st, ev, gov = model.students, model.evaluation, model.government
    d = (1.0 + model.p["discount_rate"]) ** (-(model.steps - 1) / 12.0)
    grads = st.alive & (st.months_since_grad >= 0)
    n = int(np.count_nonzero(grads))
    if n:
        status, employer = st.status[grads], st.employer[grads]
        working = (status == EMPLOYED) | (status == SELF_EMPLOYED)
        at_firm = (status == EMPLOYED) & (employer >= 0)
        own = at_firm & (model.firm_sector[np.maximum(employer, 0)] == st.field[grads])
        ev["employment_months"] += d * 1000.0 * int(np.count_nonzero(working)) / n
        ev["matched_employment_months"] += d * 1000.0 * int(np.count_nonzero(own)) / n
    now = {"spend": gov.total_spending,
           "transfers": gov.spending["grants"] + gov.spending["forgone_tax"],
           "firms": model.firm_costs}
    month = {k: now[k] - ev[f"_last_{k}"] for k in _LEDGER}
    per = 1000.0 / reference_graduates(model.p)
    ev["cost_government"] += d * per * month["spend"]
    ev["cost_societal"] += d * per * (month["spend"] + month["firms"] - month["transfers"])
    for k in _LEDGER:
        ev[f"_last_{k}"] = now[k]


def _evaluation(key: str) -> Callable:
    return lambda m: m.evaluation[key]


def _latest(key: str, months: int) -> Callable:
    def report(model) -> float:
        for rec in reversed(model.cohort_records):
            if rec["months"] == months and key in rec:
                return float(rec[key])
        return float("nan")

    return report


def curriculum_gap(model) -> float:
    """Enrolment-weighted mean RMS gap between curricula and current sector demand."""
    counts = model.enrolment()
    if counts.sum() == 0:
        return float("nan")
    gaps = rms_gap(model.curricula, model.sector_demand[None, :, :]).reshape(-1)
    return float((gaps * counts).sum() / counts.sum())


def _spend(line: str) -> Callable:
    return lambda m: m.government.spending[line]


def _active(kind: int) -> Callable:
    return lambda m: m.network.count_active(kind)


COHORT_PER = "every graduate of the cohort (founders included)"
EMPLOYED_PER = "the cohort's employed graduates (graduate-level and wider-market jobs)"


def _cohort(name: str, unit: str, meaning: str, months: int = 12, per: str = "") -> Outcome:
    return Outcome(name, COHORT, unit, meaning, _latest(name, months), months, per)


OUTCOMES: dict[str, Outcome] = {o.name: o for o in [
    _cohort("employment_rate_6m", "share",
            "cohort employed or self-employed 6 months after graduation", 6, COHORT_PER),
    *[_cohort(f"employment_rate_6m_by_field_{f}", "share",
              f"{f} graduates of the cohort employed or self-employed 6 months after graduation",
              6, f"every {f} graduate of the cohort") for f in FIELDS],
    _cohort("employment_rate_12m", "share",
            "cohort employed or self-employed 12 months after graduation", per=COHORT_PER),
    _cohort("matched_employment_share", "share",
            "employed graduates (12 months) in a graduate-level job of their own field",
            per=EMPLOYED_PER),
    _cohort("out_of_field_share", "share",
            "employed graduates (12 months) in another field's firm or a wider-market job",
            per=EMPLOYED_PER),
    _cohort("overqualified_share", "share",
            "employed graduates (12 months) in a wider-market job below graduate level",
            per=EMPLOYED_PER),
    _cohort("placement_coverage", "share",
            "graduates of the cohort who had a placement by graduation", 6, COHORT_PER),
    _cohort("months_to_first_job", "months",
            "mean months from graduation to the first job (founders 0), among graduates with "
            "a job within 12 months"),
    _cohort("mean_match_quality", "match",
            "mean match quality of employed graduates at 12 months"),
    _cohort("low_match_share", "share",
            "graduates in graduate-level jobs at 12 months whose match is below the threshold "
            "(under-skilled for the job)", per="the cohort's graduates in graduate-level jobs"),
    _cohort("intern_conversion_rate", "share",
            "placement students employed by their host firm 12 months after graduation",
            per="the cohort's graduates who had a placement"),
    _cohort("student_satisfaction", "index", "mean satisfaction of graduates at 12 months"),
    Outcome("curriculum_gap", STOCK, "RMS skill gap",
            "enrolment-weighted RMS gap between curricula and current industry demand",
            curriculum_gap),
    Outcome("active_partnerships", STOCK, "partnerships", "active partnerships",
            _active(None)),
    *[Outcome(f"active_{k}", STOCK, "partnerships", f"active {k} partnerships", _active(i))
      for i, k in enumerate(KINDS)],
    Outcome("cooperating_firm_share", STOCK, "share",
            "firms with at least one active partnership with a university",
            lambda m: m.network.cooperating_firms() / len(m.firms), per="every firm"),
    Outcome("firm_satisfaction", STOCK, "index", "mean satisfaction of firms",
            lambda m: float(m.firm_satisfaction.mean()) if m.firms else np.nan),
    Outcome("partnership_survival_3y", STOCK, "share",
            "partnerships signed at least 3 years ago that lasted 3 years",
            lambda m: m.network.survival(m.steps, 36),
            per="partnerships signed at least 3 years ago (seeded ones included)"),
    Outcome("grant_end_dissolution_share", STOCK, "share",
            "dissolved partnerships that ended within 12 months after their grant ended",
            lambda m: m.network.grant_end_dissolution_share(),
            per="partnerships dissolved so far (abandoned negotiations excluded)"),
    Outcome("unfilled_vacancy_rate", STOCK, "share",
            "share of the last hiring year's vacancies withdrawn or lapsed unfilled",
            unfilled_vacancy_rate, per="vacancies posted in the last hiring year (re-opened "
            "positions included)"),
    Outcome("graduate_level_hires", STOCK, "hires per year",
            "graduates hired into graduate-level jobs of their own field in the last 12 months",
            graduate_level_hires),
    Outcome("funded_partnership_score", STOCK, "index",
            "monitoring criterion (employment, firm satisfaction, alignment) averaged over "
            "the partnerships the fund pays for", funded_score),
    Outcome("monitoring_grants_moved", CUMULATIVE, "grants",
            "grants that monitoring evaluations stopped or renewed (the lever's direct action)",
            lambda m: sum(e["grants_stopped"] + e["grants_renewed"]
                          for e in m.government.evaluations)),
    Outcome("partnerships_formed", CUMULATIVE, "partnerships",
            "partnerships signed since the start", lambda m: m.network.formed),
    Outcome("partnerships_dissolved", CUMULATIVE, "partnerships",
            "partnerships dissolved since the start", lambda m: m.network.dissolved),
    Outcome("startups", CUMULATIVE, "firms", "graduate start-ups founded since the start",
            lambda m: m.startups_founded),
    Outcome("startups_surviving_3y", CUMULATIVE, "firms",
            "graduate start-ups founded at least 3 years ago that survived their first 3 years",
            lambda m: m.startups.surviving(m.steps, 36)),
    Outcome("employed_graduates", CUMULATIVE, "graduates",
            "graduates employed or self-employed 12 months after graduation, all cohorts",
            lambda m: sum(r["employed"] for r in m.cohort_records if r["months"] == 12)),
    Outcome("spending_grants", CUMULATIVE, "kCNY", "dedicated-fund grants and subsidies paid",
            _spend("grants")),
    Outcome("spending_forgone_tax", CUMULATIVE, "kCNY", "tax forgone through the tax break",
            _spend("forgone_tax")),
    Outcome("spending_other", CUMULATIVE, "kCNY",
            "meetings, lecturer stipends, incubator places, evaluations, accreditation "
            "reviews, the fast-track office", _spend("other")),
    Outcome("employment_months", CUMULATIVE, "employment-months per 1,000 graduates",
            "discounted employment-months of graduates (every cohort followed) per 1,000, "
            "over the run: the evaluation's effect", _evaluation("employment_months")),
    Outcome("matched_employment_months", CUMULATIVE, "employment-months per 1,000 graduates",
            "the same in graduate-level jobs of the graduate's own field",
            _evaluation("matched_employment_months")),
    Outcome("cost_government", CUMULATIVE, "kCNY per 1,000 graduates",
            "discounted government spending over the run per 1,000 graduates of the fixed "
            "reference population", _evaluation("cost_government")),
    Outcome("cost_societal", CUMULATIVE, "kCNY per 1,000 graduates",
            "discounted government spending plus firms' partnership costs minus transfers "
            "(grants, subsidies, forgone tax), per 1,000 reference graduates",
            _evaluation("cost_societal")),
    Outcome("government_spending", CUMULATIVE, "kCNY",
            "grants + forgone tax + other", lambda m: m.government.total_spending),
]}

MAIN_OUTCOMES = (
    "employment_rate_6m", "employment_rate_12m", "matched_employment_share",
    "placement_coverage", "graduate_level_hires", "mean_match_quality", "curriculum_gap",
    "active_partnerships", "partnership_survival_3y", "government_spending",
)


def minimum_years(name: str, params: dict | None = None) -> int:
    """The fewest simulated years in which outcome ``name`` can be measured at all.

    The first cohort graduates in the last month of year 1 (step 12), so a
    cohort outcome measured ``m`` months after graduation needs ``12 + m``
    steps (2 years; every later cohort is measured within the summary
    window).  ``partnership_survival_3y`` needs a partnership signed 36
    months before the end: 3 years when ``params`` seeds partnerships at the
    start (``seed_partnerships`` > 0), else 4 (the first can be signed in
    month 1).  ``unfilled_vacancy_rate`` reads the last finished hiring year,
    logged when the next starts (the first, year 2, at step 25: 3 years).
    ``startups_surviving_3y`` counts start-ups founded 36 months before the
    end, the first at step 12 (4 years).  Every other outcome: 1 year.

    Args:
        name: an outcome of :data:`OUTCOMES`.
        params: model keywords of the run (registry defaults where missing).
    """
    outcome = OUTCOMES[name]
    if outcome.kind == COHORT:
        return -(-(12 + outcome.months) // 12)
    if name == "partnership_survival_3y":
        from simulation.model.parameters import PARAMETERS

        seeded = (params or {}).get("seed_partnerships", PARAMETERS["seed_partnerships"].default)
        return 3 if seeded > 0 else 4
    return {"unfilled_vacancy_rate": 3, "startups_surviving_3y": 4}.get(name, 1)


def model_reporters() -> dict[str, Callable]:
    """DataCollector model reporters: one scalar per outcome per step."""
    return {name: o.reporter for name, o in OUTCOMES.items()}


def summarise(model) -> dict[str, float]:
    """A run's summary: one number per outcome (see module docstring)."""
    window = 12 * model.p["summary_years"]
    since = model.steps - window
    series = model.datacollector.model_vars
    out = {}
    for name, o in OUTCOMES.items():
        if o.kind == COHORT:
            vals = [r[name] for r in model.cohort_records
                    if r["months"] == o.months and r["step"] > since and name in r]
            vals = [v for v in vals if not np.isnan(v)]
            out[name] = float(np.mean(vals)) if vals else float("nan")
        elif o.kind == STOCK:
            vals = np.asarray(series[name][-window:], dtype=float)
            vals = vals[~np.isnan(vals)]
            out[name] = float(vals.mean()) if len(vals) else float("nan")
        else:
            out[name] = float(o.reporter(model))
    return out
