"""Paired replicate runs shared by the direction and pattern tests.

Every arm runs the same replicates on common random numbers: replicate r
of every arm is seeded with ``SeedSequence(MASTER_SEED, spawn_key=(r,))``,
as the batch runner does, so an arm's effect is a paired difference.  The
population is the default one (20,000 students, 12 universities, 300
firms), and each run lasts ``YEARS`` years, so the summaries average the
cohorts of years 6-10.  Arms take their lever settings from the
scenario presets, so the tests follow the files users run.

Runs are computed once per test session (in two worker processes) and
cached.  Each run returns its summary outcomes plus a few measures that
need the model's internals (``extras``).
"""

from __future__ import annotations

import functools
import json
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
from scipy import stats

from simulation.model import IndustryEducationModel
from simulation.model.parameters import defaults
from simulation.model.partnerships import REASONS
from simulation.scenarios import load_scenario

MASTER_SEED = 20240501
REPLICATES = 20
YEARS = 12
SIZE: dict = {}  # the default population
DEFAULTS = defaults()
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def preset(name: str) -> dict:
    """Parameters of a scenario preset (its levers; presets of levers keep the default population)."""
    return dict(load_scenario(SCENARIOS / f"{name}.toml").params)


# Three doses of each lever for the dose-response tests: about half the preset's setting, the
# preset, and about twice it (within the valid range), with the lever's direct target and the
# direction in which the lever should move it.
DOSES: dict[str, tuple] = {
    # lever: (preset, parameter, direction, (low, high)); the preset's own value is the middle dose
    # the fund and fast track act on the stock of partnerships: they make partnerships form
    # and last, and once universities' coordination capacity binds, longer-lived partnerships
    # leave fewer places for new ones, so formations (a flow) can fall (docs/ODD.md, 7.7)
    "fund": ("lever_dedicated_fund", "fund_budget", "active_partnerships", 1, (750.0, 6000.0)),
    "tax_break": ("lever_tax_break", "tax_break_rate", "active_partnerships", 1, (0.15, 0.6)),
    "accreditation": ("lever_accreditation", "accreditation_weight", "curriculum_gap", -1,
                      (0.25, 1.0)),
    "fast_track": ("lever_fast_track", ("fast_track_cost_cut", "fast_track_delay_cut"),
                   "active_partnerships", 1, (0.25, 1.0)),
    "linkage_meetings": ("lever_linkage_meetings", "linkage_meetings", "partnerships_formed", 1,
                         (1, 4)),
    "firm_lecturers": ("lever_firm_lecturers", "firm_lecturer_share", "curriculum_gap", -1,
                       (0.25, 1.0)),
    "incubator": ("lever_incubator", "incubator_places", "startups_surviving_3y", 1, (1, 6)),
    # monitoring's dose is how often it evaluates: every 5 years (low), 3 (preset), every year
    "monitoring": ("lever_monitoring", "monitoring_interval", "monitoring_grants_moved", 1,
                   (5, 1)),
}


def _dose(arm: dict, parameter, value) -> dict:
    names = parameter if isinstance(parameter, tuple) else (parameter,)
    return {**arm, **dict.fromkeys(names, value)}


def dose_arms() -> dict[str, dict]:
    """The low and high dose of every lever, named ``<lever>_low`` and ``<lever>_high``."""
    out = {}
    for lever, (name, parameter, _, _, (low, high)) in DOSES.items():
        out[f"{lever}_low"] = _dose(preset(name), parameter, low)
        out[f"{lever}_high"] = _dose(preset(name), parameter, high)
    return out


def arms() -> dict[str, dict]:
    """Every arm the tests compare, by name."""
    fund = preset("lever_dedicated_fund")
    return {
        "baseline": {},
        "fund": fund,
        # the fund aimed at internship bases only (other kinds weighted 0)
        "fund_placements": {**fund, "fund_weight_co_curriculum": 0.0,
                            "fund_weight_joint_research": 0.0},
        "tax_break": preset("lever_tax_break"),
        "accreditation": preset("lever_accreditation"),
        "fast_track": preset("lever_fast_track"),
        "linkage_meetings": preset("lever_linkage_meetings"),
        "firm_lecturers": preset("lever_firm_lecturers"),
        "incubator": preset("lever_incubator"),
        "monitoring": preset("lever_monitoring"),
        "full_package": preset("full_package"),
        # a tenth less labour demand than the (calibrated) default
        "demand_cut": {"labour_demand_multiplier": 0.9 * DEFAULTS["labour_demand_multiplier"]},
        # the first revision's calendar: every opening of the year posted after graduation
        "calendar_at_once": {"hiring_season_share": 1.0, "hiring_season_months": 1},
        # the all-offers ceiling of intern conversion: every host offers every intern a job
        # (no bar, exact assessment) and every intern takes it (no reservation match)
        "all_offers": {"firm_min_match": 0.0, "return_offer_noise": 0.0,
                       "reservation_match": 0.0},
        **dose_arms(),
    }


def _extras(model) -> dict:
    """Measures from the model's internals at the end of a run."""
    st = model.students
    grads = np.flatnonzero(st.alive & (st.months_since_grad >= 12))
    placed = st.had_placement[grads]
    first = st.first_job_month[grads]
    soon = (first >= 0) & (first <= 3)
    out = {
        "first_job_by_3m_placed": soon[placed].mean() if placed.any() else np.nan,
        "first_job_by_3m_unplaced": soon[~placed].mean() if (~placed).any() else np.nan,
    }
    out.update(grant_end_hazards(model))
    years = preset("lever_dedicated_fund")["fund_grant_years"]
    placebo = grant_end_hazards(model, placebo_years=years)
    out.update({f"placebo_{k}": v for k, v in placebo.items()})
    ended = [q.reason for q in model.network.all if q.state == "ended" and q.reason != "abandoned"]
    for reason in REASONS:
        out[f"dissolved_{reason}"] = sum(r == reason for r in ended)
    out["dissolved"] = len(ended)
    window = 12 * model.p["summary_years"]
    out["graduates_measured"] = sum(r["size"] for r in model.cohort_records
                                    if r["months"] == 6 and r["step"] > model.steps - window)
    return out


def grant_end_hazards(model, placebo_years: int | None = None) -> dict:
    """Yearly dissolution hazard of granted partnerships before and after their grant ran out.

    For a grant whose last paid month is e - 1 (``grant_expiry`` = e): the
    year before is steps [e - 13, e - 2], the year after [e - 1, e + 10]
    (the yearly review that sees the grant's last month counts as after).  A
    partnership is at risk in a year if it is active at the year's start;
    only years that end before the run's last step are counted.

    With ``placebo_years`` (a run without a fund), every signed partnership
    gets a pretend grant that ran out ``placebo_years`` after signing: the
    same measure without any grant, so that the hazard's rise with age alone
    can be told from the grant cliff.
    """
    now = model.steps
    at_risk = {"before": 0, "after": 0}
    ended = {"before": 0, "after": 0}
    for q in model.network.all:
        if q.start_step < 0:
            continue
        if placebo_years is not None:
            if q.grant > 0:
                continue
            e = q.start_step + 12 * placebo_years
        elif q.grant <= 0 or q.grant_expiry < 0:
            continue
        else:
            e = q.grant_expiry
        for name, (lo, hi) in {"before": (e - 13, e - 2), "after": (e - 1, e + 10)}.items():
            if hi > now or q.start_step > lo:
                continue
            alive_at_lo = q.state != "ended" or q.end_step >= lo
            if not alive_at_lo or q.reason == "abandoned":
                continue
            at_risk[name] += 1
            ended[name] += q.state == "ended" and q.end_step <= hi
    return {f"hazard_{k}": ended[k] / at_risk[k] if at_risk[k] else np.nan for k in at_risk}


def _run(job: tuple[str, dict, int]) -> tuple[str, int, dict]:
    arm, params, replicate = job
    seed = np.random.SeedSequence(MASTER_SEED, spawn_key=(replicate,))
    model = IndustryEducationModel(rng=seed, **{**params, **SIZE})
    model.run_years(YEARS)
    return arm, replicate, {**model.outcomes(), **_extras(model)}


@functools.cache
def runs() -> dict[str, list[dict]]:
    """Every arm's replicates (computed once per session), by arm name, in replicate order.

    With ``IESIM_PAIRED_RUNS`` set to a path, the runs are also written there as JSON, so the
    figures quoted in docs/ODD.md (1.2) can be read from the very runs the tests checked.
    """
    jobs = [(arm, params, r) for arm, params in arms().items() for r in range(REPLICATES)]
    with mp.get_context("fork").Pool(2) as pool:
        done = pool.map(_run, jobs, chunksize=4)
    out: dict[str, list[dict]] = {arm: [None] * REPLICATES for arm in arms()}
    for arm, r, result in done:
        out[arm][r] = result
    path = os.environ.get("IESIM_PAIRED_RUNS")
    if path:
        Path(path).write_text(json.dumps(out, default=float), encoding="utf-8")
    return out


def paired(arm: str, reference: str, outcome: str) -> np.ndarray:
    """Per-replicate differences ``arm - reference`` of ``outcome``."""
    data = runs()
    return np.array([a[outcome] - b[outcome]
                     for a, b in zip(data[arm], data[reference], strict=True)], dtype=float)


def interval(d: np.ndarray) -> tuple[float, float, float]:
    """Mean and two-sided 95% t interval of paired differences."""
    d = d[np.isfinite(d)]
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def mean(arm: str, outcome: str) -> float:
    """Mean of ``outcome`` over an arm's replicates (NaNs dropped)."""
    return float(np.nanmean([r[outcome] for r in runs()[arm]]))
