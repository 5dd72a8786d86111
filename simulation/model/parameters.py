"""The parameter registry: every model parameter, declared once.

Each :class:`Parameter` carries its default, unit, valid range, one-line
meaning and source (a figure from the calibration sources, or the word
"assumption").  Scenario validation (:mod:`simulation.scenarios`), the
model's keyword constructor, sensitivity ranges and the ODD parameter table
all read this registry; nothing else declares a default.

Parameters are addressed two ways: by keyword name (``tax_break_rate``), as
the model constructor takes them, and by file path (``levers.tax_break.rate``),
as scenario files write them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Parameter:
    """One model parameter: its declaration is its documentation and its check.

    Attributes:
        name: keyword name taken by ``IndustryEducationModel``.
        section: dotted section of scenario files (``levers.tax_break``).
        key: key inside that section (``rate``).
        default: value in the no-policy baseline.
        low: smallest valid value (inclusive), or None for no bound.
        high: largest valid value (inclusive), or None for no bound.
        unit: unit of measurement ("share", "months", "kCNY per year", ...).
        meaning: one line saying what the parameter does.
        source: where the default comes from, or "assumption".
        lever: True for policy-lever parameters (off at their default).
        plausible: ``(low, high)`` the range a sensitivity analysis samples by
            default: the values the parameter can credibly take (for a lever,
            the settings worth considering), inside the valid range.  None
            for structural settings and definitions, which are not uncertain
            assumptions (population sizes, observation windows).
        plausible_source: why the plausible range is what it is.
        calibrated: the fitted targets the default was calibrated against
            (``calibration/calibrated.toml``); empty when not calibrated.
        uncalibrated: the declared default before calibration (the prior's
            reference value), or None when not calibrated.
    """

    name: str
    section: str
    key: str
    default: float | int | bool
    low: float | None
    high: float | None
    unit: str
    meaning: str
    source: str = ASSUMPTION
    lever: bool = False
    plausible: tuple[float, float] | None = None
    plausible_source: str = ""
    calibrated: tuple[str, ...] = ()
    uncalibrated: float | int | None = None

    @property
    def path(self) -> str:
        """The parameter's address in a scenario file."""
        return f"{self.section}.{self.key}"

    @property
    def kind(self) -> type:
        """The Python type of valid values (bool, int or float)."""
        return type(self.default)

    def describe(self) -> str:
        """The expectation, as error messages state it: 'a float in [0, 1]'."""
        kind = {bool: "a boolean", int: "an integer", float: "a float"}[self.kind]
        if self.kind is bool:
            return kind
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{kind} in [{lo}, {hi}]"

    def describe_plausible(self) -> str:
        """The plausible range and its basis ('[0.1, 0.3]: why'), or 'fixed'."""
        if self.plausible is None:
            return "fixed (a structural setting or a definition)"
        low, high = self.plausible
        return f"[{_fmt(low)}, {_fmt(high)}]: {self.plausible_source}"

    def check(self, value: Any) -> float | int | bool:
        """Return ``value`` coerced to the parameter's type, or raise ValueError.

        The error message is written from the declaration so that check and
        message cannot drift apart.
        """
        ok = True
        if self.kind is bool:
            ok = isinstance(value, bool | _np_bool())
        elif self.kind is int:
            ok = isinstance(value, int | _np_int()) and not isinstance(value, bool)
        else:
            ok = isinstance(value, int | float | _np_int() | _np_float()) and not isinstance(
                value, bool
            )
            try:
                ok = ok and math.isfinite(float(value))
            except OverflowError:
                ok = False
        if ok and self.kind is not bool:
            ok = (self.low is None or value >= self.low) and (
                self.high is None or value <= self.high
            )
        if not ok:
            raise ValueError(f"{self.path} must be {self.describe()}; got {value!r}")
        return self.kind(value)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _np_bool() -> type:
    import numpy as np

    return np.bool_


def _np_int() -> type:
    import numpy as np

    return np.integer


def _np_float() -> type:
    import numpy as np

    return np.floating


def _p(name, section, key, default, low, high, unit, meaning, source=ASSUMPTION, lever=False):
    return Parameter(name, section, key, default, low, high, unit, meaning, source, lever)


WEF = "WEF Future of Jobs 2023/2025: 39-57% of core skills change in 5 years (derived 0.09-0.11/yr)"
UIDP = "UIDP survey: 3-6 months most common time to sign a university contract"
DK = "Ostergaard & Drejer, Technovation 111 (2022): over 1/3 persist 3 years (derived hazard 0.25-0.30/yr)"
KTP = "UKRI KTP guidance 2024: GBP 80-100k a year, firm pays 25-50%, government the rest"
MOE = "China MoE co-education projects 2014-23: about 36k CNY a project, minimum 30k"
IWH = "Schwartz, IWH: about one third of incubated firms fail, higher risk up to 3 years"
EUROSTUDENT = "EUROSTUDENT VII: 43% of European students have an internship by graduation"
TAX = "China 2019: 30% of investment in vocational education offset against education surcharges"
HALFLIFE = "secondary reports: skills half-life about 5 years (0.5 ** (1/60) per month)"
MYCOS_LEAVE = "MyCOS 2019: 33% of the class of 2018 left their first job within 6 months"
CPB = "Cornet et al., CPB DP 58 (2006): 1 in 10 innovation vouchers was deadweight"
DISCOUNT = ("Sanders et al., JAMA 316 (2016), Second Panel on Cost-Effectiveness in Health and "
            "Medicine: 3% a year for costs and effects")
JOBFAIR = "Abebe et al., World Bank PRWP 8092: about 1 hire per 10 firms at a job fair"
MATCHING = ("Petrongolo & Pissarides, J. Econ. Literature 39(2) (2001): matching functions are "
            "close to Cobb-Douglas with an elasticity of 0.5-0.7 on job seekers")
SEASON = ("China Daily 2018-04-17 and CNTV 2010-10-26: campus recruitment peaks from September to "
          "December of the final year, and again in March-April (Zhaopin spring report 2023), for "
          "jobs that start after graduation; the share itself is an assumption")
VACANCY = ("Davis, Faberman & Haltiwanger, QJE 128(2) (2013) and the DHI-DFH mean vacancy duration "
           "(JOLTS concept): the longest sector average was 48 working days (health services, "
           "2016); that graduate vacancies the graduate market leaves unfilled stay posted about "
           "3 months is an assumption")

_DECLARATIONS = [
    # --- population -------------------------------------------------------
    _p("n_students", "population", "n_students", 20000, 60, 2_000_000, "students",
       "students enrolled at the start, over all years of study"),
    _p("study_years", "population", "study_years", 4, 2, 6, "years",
       "length of a degree programme; intake and graduation once a year"),
    _p("n_technical_universities", "population", "technical_universities", 4, 0, 500,
       "universities", "technical universities (teach tech)"),
    _p("n_art_schools", "population", "art_schools", 3, 0, 500, "universities",
       "art schools (teach design)"),
    _p("n_comprehensive_universities", "population", "comprehensive_universities", 5, 0, 500,
       "universities", "comprehensive universities (teach tech, design and agri)"),
    _p("n_firms_tech", "population", "firms_tech", 150, 0, 50_000, "firms",
       "firms in the tech sector (IT, software, data)"),
    _p("n_firms_design", "population", "firms_design", 80, 0, 50_000, "firms",
       "firms in the design sector"),
    _p("n_firms_agri", "population", "firms_agri", 70, 0, 50_000, "firms",
       "firms in modern agriculture"),
    _p("large_firm_share", "population", "large_firm_share", 0.1, 0.0, 1.0, "share",
       "share of firms that are large (``large_firm_size`` times a small firm's jobs and slots)"),
    _p("large_firm_size", "population", "large_firm_size", 5.0, 1.0, 100.0, "size units",
       "size of a large firm relative to a small one: graduate jobs, placement slots, partners"),
    _p("skill_dims", "population", "skill_dims", 6, 2, 20, "dimensions",
       "dimensions K of each field's skill space"),
    _p("tracking_months", "population", "tracking_months", 24, 13, 120, "months",
       "months a graduate is followed after graduation before leaving the model"),
    *[_p(f"university_size_{kind}", "population", f"university_size_{kind}", w, 0.01, 100.0,
         "relative intake", f"intake weight of a {kind} university, shared among its fields")
      for kind, w in (("technical", 1.0), ("art", 0.6), ("comprehensive", 1.5))],
    _p("seed_partnerships", "population", "seed_partnerships", 0, 0, 100, "per university",
       "partnerships each university already has at the start (the paper's cases)"),
    # --- skills and learning ----------------------------------------------
    _p("curriculum_learning_rate", "skills", "curriculum_learning_rate", 0.02, 0.0, 0.5,
       "share of gap per month", "how fast a student's skills approach the curriculum"),
    _p("placement_learning_rate", "skills", "placement_learning_rate", 0.08, 0.0, 0.5,
       "share of gap per month", "how fast a placement student's skills approach the host's demand"),
    _p("project_learning_rate", "skills", "project_learning_rate", 0.04, 0.0, 0.5,
       "share of gap per month", "how fast a joint-research student approaches the firm's demand"),
    _p("teaching_quality", "skills", "teaching_quality", 0.7, 0.05, 1.0, "index",
       "mean teaching quality; scales curriculum learning"),
    _p("teaching_quality_sd", "skills", "teaching_quality_sd", 0.1, 0.0, 1.0, "index",
       "spread of teaching quality across universities"),
    _p("curriculum_noise", "skills", "curriculum_noise", 0.12, 0.0, 1.0, "skill level",
       "spread of initial curricula around their field's initial demand"),
    _p("initial_skill_mean", "skills", "initial_skill_mean", 0.3, 0.0, 1.0, "skill level",
       "mean skill of entering students on every dimension"),
    _p("initial_skill_sd", "skills", "initial_skill_sd", 0.1, 0.0, 0.5, "skill level",
       "spread of entering students' skills"),
    _p("curriculum_review_rate", "skills", "curriculum_review_rate", 0.15, 0.0, 1.0,
       "share of gap per year", "how far a yearly review moves a curriculum without partners"),
    _p("review_lag_years", "skills", "review_lag_years", 2, 0, 10, "years",
       "how late a university without partners sees industry demand (academic inertia)"),
    _p("co_curriculum_rate", "skills", "co_curriculum_rate", 0.3, 0.0, 1.0,
       "share of gap per year", "extra review speed with co-curriculum partners (in full with "
       "partners_for_full_effect of them)"),
    _p("partners_for_full_effect", "skills", "partners_for_full_effect", 3.0, 1.0, 100.0,
       "partners", "co-curriculum partners a programme needs for the full extra review speed"),
    _p("job_learning_rate", "skills", "job_learning_rate", 0.02, 0.0, 0.5,
       "share of gap per month", "how fast an employed graduate's skills approach the employer's "
       "demand (learning on the job)"),
    _p("skill_depreciation", "skills", "skill_depreciation", 0.0115, 0.0, 0.5,
       "share per month", "how fast the skills of a graduate without graduate-level work decay "
       "toward the entry level", HALFLIFE),
    # --- industry -----------------------------------------------------------
    _p("demand_drift_tech", "industry", "demand_drift_tech", 0.15, 0.0, 1.0, "per year",
       "yearly drift of tech skill demand (faster: technical skills half-life ~2.5 y)", WEF),
    _p("demand_drift_design", "industry", "demand_drift_design", 0.10, 0.0, 1.0, "per year",
       "yearly drift of design skill demand", WEF),
    _p("demand_drift_agri", "industry", "demand_drift_agri", 0.07, 0.0, 1.0, "per year",
       "yearly drift of agricultural skill demand (slower sector)", WEF),
    _p("demand_initial_low", "industry", "demand_initial_low", 0.45, 0.0, 1.0, "skill level",
       "lowest initial demand on a dimension (each field draws its own profile)"),
    _p("demand_initial_high", "industry", "demand_initial_high", 0.75, 0.0, 1.0, "skill level",
       "highest initial demand on a dimension"),
    _p("demand_reversion", "industry", "demand_reversion", 0.1, 0.0, 12.0, "per year",
       "yearly mean reversion of a field's demand toward its own initial profile"),
    *[_p(f"graduate_jobs_{field}", "industry", f"graduate_jobs_{field}", jobs, 0.0, 100_000.0,
         "jobs per size unit", f"graduate-level positions of a small {field} firm: {why}")
      for field, jobs, why in (
          ("tech", 128.0, "yearly openings about 1.1 x tech graduates at default sizes "
           "(ICT graduates are in demand, OECD EAG)"),
          ("design", 123.0, "yearly openings about 0.85 x design graduates (arts graduates "
           "are oversupplied, MyCOS 2020)"),
          ("agri", 86.0, "yearly openings about 0.9 x agri graduates"))],
    *[_p(f"sector_growth_{field}", "industry", f"sector_growth_{field}", g, -0.5, 0.5,
         "per year", f"yearly growth of the {field} sector's graduate positions")
      for field, g in (("tech", 0.0), ("design", 0.0), ("agri", 0.0))],
    _p("job_replacement_rate", "industry", "job_replacement_rate", 0.10, 0.0, 1.0, "per year",
       "share of a firm's graduate positions that fall vacant each year as staff leave"),
    _p("labour_demand_multiplier", "industry", "labour_demand_multiplier", 1.0, 0.0, 10.0,
       "factor", "scales every firm's yearly hiring need (1: the default economy)"),
    _p("firm_demand_spread", "industry", "firm_demand_spread", 0.08, 0.0, 0.5, "skill level",
       "spread of a firm's own demand around its sector's demand"),
    _p("business_cycle_sd", "industry", "business_cycle_sd", 0.1, 0.0, 1.0, "log units",
       "spread of the yearly sector-wide shock to vacancies"),
    _p("downturn_probability", "industry", "downturn_probability", 0.05, 0.0, 1.0, "per year",
       "chance a firm is in a downturn in a year (fewer vacancies, may end partnerships)"),
    _p("downturn_vacancy_factor", "industry", "downturn_vacancy_factor", 0.5, 0.0, 1.0,
       "share", "share of its usual hiring need a firm in a downturn opens"),
    # --- partnerships -------------------------------------------------------
    _p("contact_rate", "partnerships", "contact_rate", 0.15, 0.0, 5.0, "per firm per year",
       "base rate at which a firm makes contact with a university"),
    _p("negotiation_months", "partnerships", "negotiation_months", 4, 0, 36, "months",
       "time from contact to signature", UIDP),
    _p("negotiation_dropout", "partnerships", "negotiation_dropout", 0.05, 0.0, 1.0,
       "per month", "chance a negotiation is abandoned in a month it is still open"),
    _p("admin_cost", "partnerships", "admin_cost", 10.0, 0.0, 1000.0, "kCNY",
       "one-off administrative cost to the firm of setting up a partnership"),
    _p("set_up_amortisation_years", "partnerships", "set_up_amortisation_years", 3.0, 0.1, 50.0,
       "years", "years over which a firm spreads the one-off set-up cost when deciding"),
    _p("cost_placement", "partnerships", "cost_placement", 30.0, 0.0, 10_000.0,
       "kCNY per year", "firm's yearly cost of an internship base", MOE),
    _p("cost_co_curriculum", "partnerships", "cost_co_curriculum", 36.0, 0.0, 10_000.0,
       "kCNY per year", "firm's yearly cost of a co-developed course", MOE),
    _p("cost_joint_research", "partnerships", "cost_joint_research", 100.0, 0.0, 10_000.0,
       "kCNY per year", "firm's yearly cost of a joint research project", KTP),
    _p("cultural_distance", "partnerships", "cultural_distance", 0.3, 0.0, 2.0, "cost share",
       "extra coordination cost from academia-industry cultural distance"),
    _p("intern_value", "partnerships", "intern_value", 1.5, 0.0, 100.0, "kCNY per month",
       "output one intern-month brings the host (before the intern's allowance and supervision)"),
    _p("intern_cost", "partnerships", "intern_cost", 2.0, 0.0, 100.0, "kCNY per month",
       "what one intern-month costs the host: the intern's allowance and the supervisor's time "
       "(hosts recoup the difference by hiring interns they have seen at work)"),
    _p("hire_value", "partnerships", "hire_value", 25.0, 0.0, 1000.0, "kCNY per hire",
       "value to a firm of a hire with perfect match (scaled by match quality)"),
    _p("co_curriculum_hire_value", "partnerships", "co_curriculum_hire_value", 15.0, 0.0,
       1000.0, "kCNY per hire", "training cost a firm saves per hire (scaled by match quality) "
       "from a university whose curriculum it co-develops"),
    _p("research_value", "partnerships", "research_value", 110.0, 0.0, 10_000.0,
       "kCNY per year", "mean yearly value to the firm of a joint research project"),
    _p("research_value_sd", "partnerships", "research_value_sd", 0.5, 0.0, 3.0, "log units",
       "year-to-year spread of a joint research project's value"),
    _p("prior_value_ratio", "partnerships", "prior_value_ratio", 0.75, 0.0, 10.0, "ratio",
       "a firm's initial expected value of a kind, over the kind's nominal value (7.3)"),
    _p("prior_value_sd", "partnerships", "prior_value_sd", 0.6, 0.0, 3.0, "log units",
       "spread across firms of the expected value of partnering before experience"),
    _p("kind_choice_scale", "partnerships", "kind_choice_scale", 10.0, 0.01, 1000.0, "kCNY",
       "logit scale of a firm's choice to propose each partnership kind (value 0: not partnering)"),
    _p("partner_fit_weight", "partnerships", "partner_fit_weight", 2.0, 0.0, 20.0, "exponent",
       "how strongly a firm favours universities whose curriculum fits its demand"),
    _p("satisfaction_contact_weight", "partnerships", "satisfaction_contact_weight", 1.0, 0.0,
       2.0, "factor", "how much a firm's satisfaction raises its contact rate "
       "(rate x (1 + w (satisfaction - 0.5)))"),
    _p("satisfaction_hire_weight", "partnerships", "satisfaction_hire_weight", 0.1, 0.0, 1.0,
       "share", "how far a firm's satisfaction, and the match it expects of a hire (its "
       "return-offer bar), move toward each hire's match quality"),
    _p("satisfaction_review_weight", "partnerships", "satisfaction_review_weight", 0.5, 0.0,
       1.0, "share", "how far a firm's satisfaction moves toward a partnership's trust at review"),
    _p("seeded_trust", "partnerships", "seeded_trust", 0.6, 0.0, 1.0, "index",
       "trust of partnerships that exist at the start"),
    _p("value_learning_rate", "partnerships", "value_learning_rate", 0.3, 0.0, 1.0, "share",
       "how far a firm's expected value of partnering moves toward each realised value"),
    _p("trust_learning_rate", "partnerships", "trust_learning_rate", 0.4, 0.0, 1.0, "share",
       "how far trust moves toward each year's benefit-cost ratio"),
    _p("min_trust", "partnerships", "min_trust", 0.35, 0.0, 1.0, "index",
       "trust below which a partnership dissolves at its yearly review"),
    _p("staff_turnover_hazard", "partnerships", "staff_turnover_hazard", 0.2, 0.0, 1.0,
       "per year", "yearly chance that a partnership's key contact leaves (a shock to its trust, "
       "absorbed when the institution carries enough of it)", DK),
    _p("turnover_trust_loss", "partnerships", "turnover_trust_loss", 0.3, 0.0, 1.0, "share",
       "share of a partnership's trust that leaves with its key contact (the rest is carried "
       "by the institution and passes to a successor)"),
    _p("institution_trust_rate", "partnerships", "institution_trust_rate", 0.5, 0.0, 10.0,
       "per year", "rate at which a partnership's trust passes from its key contact to the "
       "institution (agreements, routines, other staff): the share a departing contact takes "
       "is turnover_trust_loss x exp(-rate x years since signing); 0: the contact holds it all"),
    _p("coordination_capacity", "partnerships", "coordination_capacity", 12, 1, 10_000,
       "partnerships per university", "partnerships a university's staff can coordinate"),
    _p("placement_slots", "partnerships", "placement_slots", 6, 1, 500, "students per year",
       "interns a small firm hosts a year (a large firm large_firm_size times as many)"),
    _p("placement_months", "partnerships", "placement_months", 6, 1, 9, "months",
       "length of a placement (months 3-11 of the academic year at most)"),
    _p("research_students", "partnerships", "research_students", 3, 0, 100, "students",
       "students working on a joint research project at any time"),
    _p("firm_max_partners", "partnerships", "firm_max_partners", 1, 1, 50, "partnerships",
       "partner universities a small firm keeps at once (a large firm times its size); a pair "
       "may hold one partnership of each kind"),
    _p("base_placement_slots", "partnerships", "base_placement_slots", 6, 0, 500,
       "students per year", "interns an internship base (placement partnership) of a small firm "
       "takes from its partner university on top of the firm's ordinary slots (a large firm "
       "large_firm_size times as many); a placement subsidy raises them in proportion to the "
       "subsidy over an intern's value to the host"),
    _p("internship_programme_share", "partnerships", "internship_programme_share", 0.25, 0.0,
       1.0, "share of programmes", "programmes that make an internship part of the degree: "
       "their final-year students without a partnership placement find one themselves"),
    # --- labour market ------------------------------------------------------
    _p("applicants_per_vacancy", "labour_market", "applicants_per_vacancy", 4, 1, 100,
       "applicants", "seekers a firm considers per open vacancy each month (search friction)"),
    _p("reservation_match", "labour_market", "reservation_match", 0.55, 0.0, 1.0, "match",
       "match quality a fresh graduate requires to accept an offer"),
    _p("reservation_decay", "labour_market", "reservation_decay", 0.06, 0.0, 1.0, "per month",
       "relative fall of the reservation match per month since graduation without work"),
    _p("intern_bonus", "labour_market", "intern_bonus", 0.15, 0.0, 1.0, "match",
       "score bonus a firm gives its own former interns"),
    _p("return_offer_noise", "labour_market", "return_offer_noise", 0.05, 0.0, 1.0, "match",
       "spread of a host's assessment of its intern's match at the end of the placement (it "
       "offers a graduate job when the assessment clears firm_min_match)"),
    _p("hiring_season_share", "labour_market", "hiring_season_share", 0.5, 0.0, 1.0, "share",
       "share of a firm's yearly graduate openings posted in the recruitment season (the first "
       "hiring_season_months months after graduation); the rest spread evenly over the year",
       SEASON),
    _p("hiring_season_months", "labour_market", "hiring_season_months", 3, 1, 12, "months",
       "length of the graduate recruitment season, from the month after graduation"),
    _p("vacancy_withdrawal_rate", "labour_market", "vacancy_withdrawal_rate", 0.3, 0.0, 1.0,
       "per month", "chance an unfilled graduate vacancy is withdrawn in a month (filled from "
       "outside the graduate market or given up; 1 / rate months posted on average)", VACANCY),
    _p("matching_elasticity", "labour_market", "matching_elasticity", 0.5, 0.0, 1.0,
       "elasticity", "elasticity of wider-market hires to the number of seekers: each seeker's "
       "offer rate scales with (market tightness)^(1 - elasticity)", MATCHING),
    _p("outside_reference_unemployment", "labour_market", "outside_reference_unemployment",
       0.1, 0.01, 1.0, "share", "share of followed graduates without work at which the wider "
       "market makes offers at outside_offer_rate in an average year"),
    _p("matched_job_threshold", "labour_market", "matched_job_threshold", 0.6, 0.0, 1.0,
       "match", "match quality below which a job counts as a low match"),
    _p("match_scale", "labour_market", "match_scale", 1.8, 0.1, 10.0, "per unit gap",
       "how strongly the RMS skill gap lowers match quality (q = 1 - scale * gap)"),
    _p("partner_recruitment_share", "labour_market", "partner_recruitment_share", 0.3, 0.0, 1.0,
       "share", "share of a partner firm's sampled applicants drawn from its active partner "
       "universities' graduates of its field (partnerships as recruitment channels)"),
    _p("firm_min_match", "labour_market", "firm_min_match", 0.5, 0.0, 1.0, "match",
       "lowest match quality a firm accepts for a graduate-level job (else the vacancy stays open)"),
    _p("outside_offer_rate", "labour_market", "outside_offer_rate", 0.3, 0.0, 1.0,
       "per month", "chance a graduate without graduate-level work gets an offer from the wider "
       "labour market (a job outside the field or below graduate level) in a month"),
    _p("outside_job_match", "labour_market", "outside_job_match", 0.4, 0.0, 1.0, "match",
       "mean match quality of a wider-market job"),
    _p("outside_job_spread", "labour_market", "outside_job_spread", 0.15, 0.0, 0.5, "match",
       "half-width of the uniform spread of wider-market match quality"),
    *[_p(f"transfer_{a}_{b}", "labour_market", f"transfer_{a}_{b}", t, 0.0, 1.0, "share",
         f"transferability of {a} skills to {b} jobs: a {a} graduate's match in a {b} firm is "
         f"this times the match to {a} demand")
      # assumption: digital (tech) skills are general-purpose and carry furthest; design
      # carries to digital product work; agricultural skills are the most specific
      for a, b, t in (("tech", "design", 0.8), ("tech", "agri", 0.8),
                      ("design", "tech", 0.7), ("design", "agri", 0.5),
                      ("agri", "tech", 0.5), ("agri", "design", 0.4))],
    _p("job_separation_6m", "labour_market", "job_separation_6m", 0.33, 0.0, 1.0, "share",
       "graduates leaving a job within 6 months at match 0.5 (the hazard scales with "
       "2 x (1 - match))", MYCOS_LEAVE),
    _p("unemployed_after_months", "labour_market", "unemployed_after_months", 12, 1, 120,
       "months", "months without work after graduation from which a seeker counts as unemployed"),
    # --- entrepreneurship ---------------------------------------------------
    _p("base_startup_rate", "entrepreneurship", "base_startup_rate", 0.01, 0.0, 1.0,
       "share of graduates", "graduates who start a firm without an incubator"),
    _p("startup_failure_rate", "entrepreneurship", "startup_failure_rate", 0.13, 0.0, 1.0,
       "per year", "yearly failure hazard of a graduate start-up", IWH),
    _p("incubator_deadweight", "levers.incubator", "deadweight", 0.1, 0.0, 1.0, "share",
       "share of incubator places taken by graduates who would have founded anyway", CPB,
       lever=True),
    # --- trends (the paper's section 5.1) -----------------------------------
    _p("demand_drift_multiplier", "trends", "demand_drift_multiplier", 1.0, 0.0, 10.0,
       "factor", "technology-driven change: multiplies every sector's demand drift"),
    _p("personalised_learning", "trends", "personalised_learning", 0.0, 0.0, 2.0, "factor",
       "technology-driven teaching: relative gain in curriculum learning rate"),
    _p("flexible_pathways", "trends", "flexible_pathways", 0.0, 0.0, 1.0, "share",
       "share of study time students steer toward their field's current industry demand"),
    _p("cross_sector_networks", "trends", "cross_sector_networks", 0.0, 0.0, 1.0, "share",
       "share of contacts made with universities of any field (placements open to all fields)"),
    # --- universities -----------------------------------------------------------
    _p("reputation_rate", "universities", "reputation_rate", 0.2, 0.0, 1.0, "share per year",
       "how far a university's reputation moves each year toward its graduates' 6-month "
       "employment rate"),
    _p("reputation_intake_effect", "universities", "reputation_intake_effect", 0.5, 0.0, 5.0,
       "per unit reputation", "relative change of a programme's intake per unit of reputation "
       "above the mean"),
    _p("intake_recovery", "universities", "intake_recovery", 0.1, 0.0, 1.0, "share per year",
       "yearly recovery of a penalised programme's intake factor toward 1"),
    # --- observation ----------------------------------------------------------
    _p("summary_years", "observation", "summary_years", 5, 1, 50, "years",
       "final years over which a run's cohort and stock outcomes are averaged"),
    *[_p(f"satisfaction_{status}", "observation", f"satisfaction_{status}", v, 0.0, 1.0,
         "index", f"satisfaction of a graduate who is {label} when the cohort is measured")
      for status, v, label in (("self_employed", 0.7, "self-employed"),
                               ("seeking", 0.2, "not working"))],
    _p("satisfaction_placement_bonus", "observation", "satisfaction_placement_bonus", 0.1, 0.0,
       1.0, "index", "satisfaction added for graduates who had a placement"),
    # --- evaluation -----------------------------------------------------------
    _p("discount_rate", "evaluation", "discount_rate", 0.03, 0.0, 0.5, "per year",
       "yearly rate at which costs and effects are discounted from the first month", DISCOUNT),
    # --- levers ---------------------------------------------------------------
    _p("fund_budget", "levers.dedicated_fund", "budget", 0.0, 0.0, 1e9, "kCNY per year",
       "yearly budget of the dedicated fund (0: lever off)", lever=True),
    _p("fund_grant_share", "levers.dedicated_fund", "grant_share", 0.5, 0.0, 1.0, "share",
       "share of a new partnership's yearly cost the grant pays", KTP, lever=True),
    _p("fund_grant_years", "levers.dedicated_fund", "grant_years", 3, 1, 20, "years",
       "years a new partnership receives its grant", lever=True),
    *[_p(f"fund_weight_{kind}", "levers.dedicated_fund", f"weight_{kind}", 1.0, 0.0, 2.0,
         "factor", f"grant multiplier for new {kind} partnerships (0: the fund does not "
         "support this kind)", lever=True)
      for kind in ("placement", "co_curriculum", "joint_research")],
    _p("fund_placement_subsidy", "levers.dedicated_fund", "placement_subsidy", 0.0, 0.0,
       1000.0, "kCNY per placement", "subsidy to the host per student placement", lever=True),
    _p("fund_subsidy_share", "levers.dedicated_fund", "subsidy_share", 0.3, 0.0, 1.0, "share",
       "share of the yearly budget that placement and hire subsidies may use (the rest is kept "
       "for grants)", lever=True),
    _p("fund_hire_subsidy", "levers.dedicated_fund", "hire_subsidy", 0.0, 0.0, 1000.0,
       "kCNY per hire", "subsidy to a partner firm per graduate of its partner it hires",
       lever=True),
    _p("tax_break_rate", "levers.tax_break", "rate", 0.0, 0.0, 1.0, "share",
       "share of a firm's partnership cost offset against tax (0: lever off)", TAX, lever=True),
    _p("accreditation_weight", "levers.accreditation", "industry_weight", 0.0, 0.0, 1.0,
       "share", "weight of industry alignment in accreditation reviews (0: lever off)",
       lever=True),
    _p("accreditation_interval", "levers.accreditation", "interval_years", 5, 1, 20, "years",
       "years between accreditation reviews of a programme", lever=True),
    _p("accreditation_threshold", "levers.accreditation", "threshold", 0.65, 0.0, 1.0,
       "score", "review score a programme needs to pass", lever=True),
    _p("accreditation_penalty", "levers.accreditation", "penalty", 0.2, 0.0, 1.0, "share",
       "share of intake and reputation a failing programme loses", lever=True),
    _p("accreditation_effort", "levers.accreditation", "effort", 1.0, 0.0, 5.0, "factor",
       "extra curriculum-review speed per unit of industry weight (anticipation)", lever=True),
    _p("accreditation_review_cost", "levers.accreditation", "review_cost", 20.0, 0.0, 10_000.0,
       "kCNY per programme review", "government cost of reviewing one programme", lever=True),
    _p("accreditation_remediation", "levers.accreditation", "remediation", 0.5, 0.0, 1.0,
       "share", "share of its gap to current demand a failing programme must close at once",
       lever=True),
    _p("fast_track_cost_cut", "levers.fast_track", "cost_cut", 0.0, 0.0, 1.0, "share",
       "share of the administrative set-up cost removed (0: lever off)", lever=True),
    _p("fast_track_delay_cut", "levers.fast_track", "delay_cut", 0.0, 0.0, 1.0, "share",
       "share of the negotiation delay removed", lever=True),
    _p("fast_track_office_cost", "levers.fast_track", "office_cost", 200.0, 0.0, 100_000.0,
       "kCNY per year", "government's yearly cost of running the streamlined procedure", lever=True),
    _p("linkage_meetings", "levers.linkage_meetings", "per_year", 0, 0, 12, "meetings per year",
       "education-industry linkage meetings a year (0: lever off)", lever=True),
    _p("linkage_contact_boost", "levers.linkage_meetings", "contact_boost", 0.25, 0.0, 5.0,
       "relative", "relative rise of the contact rate per yearly meeting", JOBFAIR, lever=True),
    _p("linkage_meeting_cost", "levers.linkage_meetings", "cost", 50.0, 0.0, 10_000.0,
       "kCNY per meeting", "government cost of one meeting", lever=True),
    _p("firm_lecturer_share", "levers.firm_lecturers", "share", 0.0, 0.0, 1.0, "share",
       "share of co-curriculum partners that send a lecturer (0: lever off)", lever=True),
    _p("firm_lecturer_effect", "levers.firm_lecturers", "effect", 0.3, 0.0, 2.0, "per year",
       "extra curriculum update per lecturer, up to the whole gap", lever=True),
    _p("firm_lecturer_stipend", "levers.firm_lecturers", "stipend", 20.0, 0.0, 1000.0,
       "kCNY per lecturer-year", "government stipend per firm lecturer", lever=True),
    _p("incubator_places", "levers.incubator", "places", 0, 0, 10_000, "per university-year",
       "incubator places each university offers graduates a year (0: lever off)", lever=True),
    _p("incubator_cost", "levers.incubator", "cost_per_place", 50.0, 0.0, 10_000.0,
       "kCNY per place", "government cost of one incubator place", lever=True),
    _p("incubator_survival_gain", "levers.incubator", "survival_gain", 0.4, 0.0, 1.0, "share",
       "share of the start-up failure hazard an incubator removes", lever=True),
    _p("monitoring_interval", "levers.monitoring", "interval_years", 0, 0, 20, "years",
       "years between evaluations that reallocate the fund (0: lever off)", lever=True),
    _p("monitoring_cost", "levers.monitoring", "cost", 100.0, 0.0, 10_000.0,
       "kCNY per evaluation", "government cost of one evaluation", lever=True),
    _p("monitoring_weight_min", "levers.monitoring", "weight_min", 0.25, 0.0, 1.0, "factor",
       "lowest relative weight an evaluation gives a partnership kind", lever=True),
    _p("monitoring_weight_max", "levers.monitoring", "weight_max", 2.0, 1.0, 10.0, "factor",
       "highest relative weight an evaluation gives a partnership kind", lever=True),
    _p("monitoring_renew_share", "levers.monitoring", "renew_share", 0.2, 0.0, 1.0, "share",
       "share of funded partnerships, highest-scoring first, whose grants an evaluation renews",
       lever=True),
    _p("monitoring_stop_share", "levers.monitoring", "stop_share", 0.2, 0.0, 1.0, "share",
       "share of funded partnerships, lowest-scoring first, whose grants an evaluation stops",
       lever=True),
]

# Plausible ranges: what a sensitivity analysis samples by default (issue 10).
# HALF_TWICE: an assumption with no published spread, so the range runs from
# half to twice the default (or a similar factor where that leaves the valid
# range); a source is named where one bounds the range.  Parameters left out
# are structural settings or definitions (population sizes, observation
# windows, the low-match threshold), which a study fixes rather than samples.
HALF_TWICE = "assumption: about half to twice the default"
AROUND = "assumption: the default plus or minus a plausible margin"
POLICY = "assumption: from off (or a modest setting) to about twice the shipped scenario setting"
_PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    # population (only what is an assumption rather than a chosen size)
    "large_firm_share": (0.05, 0.2, HALF_TWICE),
    "large_firm_size": (3.0, 10.0, AROUND),
    # skills and learning
    "curriculum_learning_rate": (0.01, 0.04, HALF_TWICE),
    "placement_learning_rate": (0.04, 0.16, HALF_TWICE),
    "project_learning_rate": (0.02, 0.08, HALF_TWICE),
    "teaching_quality": (0.5, 0.9, AROUND),
    "teaching_quality_sd": (0.05, 0.2, HALF_TWICE),
    "curriculum_noise": (0.06, 0.24, HALF_TWICE),
    "initial_skill_mean": (0.2, 0.4, AROUND),
    "initial_skill_sd": (0.05, 0.2, HALF_TWICE),
    "curriculum_review_rate": (0.075, 0.3, HALF_TWICE),
    "review_lag_years": (1, 4, HALF_TWICE),
    "co_curriculum_rate": (0.15, 0.6, HALF_TWICE),
    "partners_for_full_effect": (1.5, 6.0, HALF_TWICE),
    "job_learning_rate": (0.01, 0.04, HALF_TWICE),
    "skill_depreciation": (0.0058, 0.019, "skills half-life 3 to 10 years around the reported "
                           "5 (secondary reports)"),
    # industry
    "demand_drift_tech": (0.10, 0.25, "WEF 2023/2025 0.09-0.11 a year for core skills; "
                          "technical skills faster (half-life about 2.5 years)"),
    "demand_drift_design": (0.07, 0.15, "WEF 2023/2025: 0.09-0.11 a year, widened"),
    "demand_drift_agri": (0.04, 0.11, "WEF 2023/2025: at most 0.11 a year; slower sector"),
    "demand_initial_low": (0.35, 0.5, AROUND),
    "demand_initial_high": (0.65, 0.85, AROUND),
    "demand_reversion": (0.05, 0.2, HALF_TWICE),
    "graduate_jobs_tech": (96.0, 160.0, "assumption: openings per graduate plus or minus 25%"),
    "graduate_jobs_design": (92.0, 154.0, "assumption: openings per graduate plus or minus 25%"),
    "graduate_jobs_agri": (65.0, 108.0, "assumption: openings per graduate plus or minus 25%"),
    "sector_growth_tech": (-0.03, 0.05, "assumption: mild decline to strong growth"),
    "sector_growth_design": (-0.03, 0.05, "assumption: mild decline to strong growth"),
    "sector_growth_agri": (-0.03, 0.05, "assumption: mild decline to strong growth"),
    "job_replacement_rate": (0.05, 0.15, AROUND),
    "labour_demand_multiplier": (0.7, 1.3, "assumption: a weak to a strong graduate labour "
                                 "market"),
    "firm_demand_spread": (0.04, 0.16, HALF_TWICE),
    "business_cycle_sd": (0.05, 0.2, HALF_TWICE),
    "downturn_probability": (0.02, 0.1, HALF_TWICE),
    "downturn_vacancy_factor": (0.25, 0.75, AROUND),
    # partnerships
    "contact_rate": (0.075, 0.3, HALF_TWICE),
    "negotiation_months": (3, 6, UIDP),
    "negotiation_dropout": (0.025, 0.1, HALF_TWICE),
    "admin_cost": (5.0, 20.0, HALF_TWICE),
    "set_up_amortisation_years": (2.0, 5.0, AROUND),
    "cost_placement": (24.0, 40.0, MOE + "; widened"),
    "cost_co_curriculum": (30.0, 45.0, MOE + "; widened"),
    "cost_joint_research": (60.0, 140.0, KTP + "; widened"),
    "cultural_distance": (0.15, 0.6, HALF_TWICE),
    "intern_value": (0.75, 3.0, HALF_TWICE),
    "intern_cost": (1.0, 3.0, "assumption: an allowance of about 1-2.5 kCNY a month (Chinese "
                    "rules ask 80% of a probation wage for vocational post internships) plus "
                    "supervision; apprenticeship studies find most employers carry a net cost "
                    "to the end of training ('Employers and apprenticeships in England', "
                    "Empirical Research in Vocational Education and Training, 2017)"),
    "hire_value": (12.5, 50.0, HALF_TWICE),
    "co_curriculum_hire_value": (7.5, 30.0, HALF_TWICE),
    "research_value": (80.0, 140.0, AROUND),
    "research_value_sd": (0.25, 1.0, HALF_TWICE),
    "prior_value_ratio": (0.5, 1.0, AROUND),
    "prior_value_sd": (0.3, 1.2, HALF_TWICE),
    "kind_choice_scale": (5.0, 20.0, HALF_TWICE),
    "partner_fit_weight": (1.0, 4.0, HALF_TWICE),
    "satisfaction_contact_weight": (0.5, 1.5, AROUND),
    "satisfaction_hire_weight": (0.05, 0.2, HALF_TWICE),
    "satisfaction_review_weight": (0.25, 0.75, AROUND),
    "seeded_trust": (0.45, 0.75, AROUND),
    "value_learning_rate": (0.15, 0.6, HALF_TWICE),
    "trust_learning_rate": (0.2, 0.6, AROUND),
    "min_trust": (0.25, 0.45, AROUND),
    "staff_turnover_hazard": (0.1, 0.3, DK + "; the turnover share of it is an assumption"),
    "coordination_capacity": (6, 24, HALF_TWICE),
    "placement_slots": (3, 12, HALF_TWICE),
    "placement_months": (3, 9, "assumption: a term to a full academic year"),
    "research_students": (1, 6, HALF_TWICE),
    "firm_max_partners": (1, 3, AROUND),
    "internship_programme_share": (0.1, 0.5, AROUND),
    "base_placement_slots": (3, 12, HALF_TWICE),
    "turnover_trust_loss": (0.1, 0.6, "assumption: from a relationship carried mostly by the "
                            "institution to one carried mostly by its contact person"),
    "institution_trust_rate": (0.0, 1.0, "assumption: from trust held by the contact alone to "
                               "trust mostly institutional after about a year of working "
                               "together"),
    # labour market
    "applicants_per_vacancy": (2, 8, HALF_TWICE),
    "reservation_match": (0.45, 0.65, AROUND),
    "reservation_decay": (0.03, 0.12, HALF_TWICE),
    "intern_bonus": (0.05, 0.3, AROUND),
    "return_offer_noise": (0.02, 0.15, AROUND),
    "hiring_season_share": (0.25, 0.75, "assumption: from no season (3 of 12 months, 0.25) to "
                            "three quarters of the year's openings"),
    "vacancy_withdrawal_rate": (0.15, 0.6, "assumption: unfilled vacancies posted 1.7 to 6.7 "
                                "months on average, around the vacancy durations of DHI-DFH"),
    "matching_elasticity": (0.3, 0.7, MATCHING + "; widened"),
    "outside_reference_unemployment": (0.05, 0.2, HALF_TWICE),
    "match_scale": (1.2, 2.7, AROUND),
    "partner_recruitment_share": (0.15, 0.6, HALF_TWICE),
    "firm_min_match": (0.4, 0.6, AROUND),
    "outside_offer_rate": (0.15, 0.5, AROUND),
    "outside_job_match": (0.3, 0.5, AROUND),
    "outside_job_spread": (0.075, 0.25, AROUND),
    "transfer_tech_design": (0.6, 1.0, AROUND),
    "transfer_tech_agri": (0.6, 1.0, AROUND),
    "transfer_design_tech": (0.5, 0.9, AROUND),
    "transfer_design_agri": (0.3, 0.7, AROUND),
    "transfer_agri_tech": (0.3, 0.7, AROUND),
    "transfer_agri_design": (0.2, 0.6, AROUND),
    "job_separation_6m": (0.25, 0.4, MYCOS_LEAVE + "; plus or minus definitional mismatch"),
    # entrepreneurship
    "base_startup_rate": (0.005, 0.02, HALF_TWICE),
    "startup_failure_rate": (0.08, 0.2, IWH + "; widened"),
    "incubator_deadweight": (0.05, 0.3, CPB + "; up to three in ten"),
    # trends
    "demand_drift_multiplier": (0.5, 2.0, HALF_TWICE),
    "personalised_learning": (0.0, 0.5, "assumption: none to a moderate gain"),
    "flexible_pathways": (0.0, 0.3, "assumption: none to a moderate share"),
    "cross_sector_networks": (0.0, 0.3, "assumption: none to a moderate share"),
    # universities
    "reputation_rate": (0.1, 0.4, HALF_TWICE),
    "reputation_intake_effect": (0.25, 1.0, HALF_TWICE),
    "intake_recovery": (0.05, 0.2, HALF_TWICE),
    # observation (measurement assumptions of graduate satisfaction)
    "satisfaction_self_employed": (0.5, 0.9, AROUND),
    "satisfaction_seeking": (0.1, 0.3, AROUND),
    "satisfaction_placement_bonus": (0.05, 0.2, HALF_TWICE),
    # evaluation
    "discount_rate": (0.0, 0.06, "assumption: 0 to twice the 3% reference case"),
    # levers
    "fund_budget": (0.0, 6000.0, POLICY),
    "fund_grant_share": (0.25, 0.75, KTP),
    "fund_grant_years": (1, 5, "UKRI KTP: 12-36 months, widened"),
    "fund_weight_placement": (0.5, 1.5, AROUND),
    "fund_weight_co_curriculum": (0.5, 1.5, AROUND),
    "fund_weight_joint_research": (0.5, 1.5, AROUND),
    "fund_placement_subsidy": (0.0, 4.0, POLICY),
    "fund_subsidy_share": (0.1, 0.5, AROUND),
    "fund_hire_subsidy": (0.0, 10.0, POLICY),
    "tax_break_rate": (0.0, 0.5, TAX + "; up to half"),
    "accreditation_weight": (0.0, 1.0, "the whole valid range: from off to industry-only reviews"),
    "accreditation_interval": (3, 8, AROUND),
    "accreditation_threshold": (0.55, 0.75, AROUND),
    "accreditation_penalty": (0.1, 0.4, HALF_TWICE),
    "accreditation_effort": (0.5, 2.0, HALF_TWICE),
    "accreditation_review_cost": (10.0, 40.0, HALF_TWICE),
    "accreditation_remediation": (0.25, 0.75, AROUND),
    "fast_track_cost_cut": (0.0, 1.0, "the whole valid range"),
    "fast_track_delay_cut": (0.0, 1.0, "the whole valid range"),
    "fast_track_office_cost": (100.0, 400.0, HALF_TWICE),
    "linkage_meetings": (0, 4, POLICY),
    "linkage_contact_boost": (0.1, 0.5, JOBFAIR + "; widened"),
    "linkage_meeting_cost": (25.0, 100.0, HALF_TWICE),
    "firm_lecturer_share": (0.0, 1.0, "the whole valid range"),
    "firm_lecturer_effect": (0.15, 0.6, HALF_TWICE),
    "firm_lecturer_stipend": (10.0, 40.0, HALF_TWICE),
    "incubator_places": (0, 6, POLICY),
    "incubator_cost": (25.0, 100.0, HALF_TWICE),
    "incubator_survival_gain": (0.2, 0.6, AROUND),
    "monitoring_interval": (0, 5, "assumption: off, or an evaluation every 1 to 5 years"),
    "monitoring_cost": (50.0, 200.0, HALF_TWICE),
    "monitoring_weight_min": (0.1, 0.5, AROUND),
    "monitoring_weight_max": (1.5, 3.0, AROUND),
    "monitoring_renew_share": (0.1, 0.3, AROUND),
    "monitoring_stop_share": (0.1, 0.3, AROUND),
}


def _with_plausible(p: Parameter) -> Parameter:
    if p.name not in _PLAUSIBLE:
        return p
    low, high, why = _PLAUSIBLE[p.name]
    return replace(p, plausible=(p.kind(low), p.kind(high)), plausible_source=why)


CALIBRATED_FILE = Path(__file__).resolve().parents[2] / "calibration" / "calibrated.toml"
"""Calibrated defaults written by ``iesim calibrate`` (see calibration/README.md)."""
POSTERIOR_FILE = CALIBRATED_FILE.with_name("posterior.parquet")
"""The calibration's joint posterior draws, installed beside calibrated.toml by ``make calibrate``."""


def read_calibrated(path: str | Path, declared: dict[str, Parameter]) -> dict[str, Parameter]:
    """Declarations with the defaults a calibrated.toml file sets (only those it names).

    Raises:
        InputError: an unknown table, key or parameter, or a value outside
            the parameter's plausible range, naming the file and the key.
    """
    import tomllib

    from simulation.errors import InputError

    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(source, None, f"cannot read calibrated defaults: {exc}") from None
    for key in data:
        if key not in ("calibration", "values"):
            raise InputError(source, key, f"unknown table [{key}] (expected [calibration] and "
                             "[values])")
    head, values = data.get("calibration"), data.get("values")
    if not isinstance(head, dict) or not isinstance(values, dict) or not values:
        raise InputError(source, "values", "expected a [calibration] table (with fitted) and a "
                         "non-empty [values] table")
    fitted = head.get("fitted")
    if (not isinstance(fitted, list) or not fitted
            or not all(isinstance(t, str) and t for t in fitted)):
        raise InputError(source, "calibration.fitted", "calibration.fitted must be a non-empty "
                         f"list of target names; got {fitted!r}")
    out = {}
    for name, value in values.items():
        p = declared.get(name)
        if p is None:
            raise InputError(source, f"values.{name}", f"values.{name}: unknown parameter"
                             f"{suggest(name, declared)}")
        try:
            value = p.check(value)
        except ValueError as exc:
            raise InputError(source, f"values.{name}", f"values.{name}: {exc}") from None
        if p.plausible is None or not p.plausible[0] <= value <= p.plausible[1]:
            raise InputError(source, f"values.{name}", f"values.{name} must lie in the "
                             f"plausible range {p.describe_plausible()}; got {value!r}")
        out[name] = replace(p, default=value, calibrated=tuple(fitted), uncalibrated=p.default,
                            source=f"calibrated (calibration/calibrated.toml) against "
                            f"{', '.join(fitted)}; uniform prior over the plausible range; "
                            f"before calibration {_fmt(p.default)}, {p.source}")
    return out


_DECLARATIONS = [_with_plausible(p) for p in _DECLARATIONS]
if CALIBRATED_FILE.is_file():
    _CALIBRATED = read_calibrated(CALIBRATED_FILE, {p.name: p for p in _DECLARATIONS})
    _DECLARATIONS = [_CALIBRATED.get(p.name, p) for p in _DECLARATIONS]
PARAMETERS: dict[str, Parameter] = {p.name: p for p in _DECLARATIONS}
BY_PATH: dict[str, Parameter] = {p.path: p for p in _DECLARATIONS}
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in _DECLARATIONS))


def defaults() -> dict[str, Any]:
    """Every parameter at its baseline default, by keyword name."""
    return {p.name: p.default for p in _DECLARATIONS}


def resolve(**overrides: Any) -> dict[str, Any]:
    """Defaults updated with ``overrides``, each checked against its declaration.

    Raises:
        TypeError: for an unknown keyword (with the closest known name).
        ValueError: for a value outside its declared type or range.
    """
    values = defaults()
    for name, value in overrides.items():
        if name not in PARAMETERS:
            raise TypeError(f"unknown parameter {name!r}{suggest(name, PARAMETERS)}")
        values[name] = PARAMETERS[name].check(value)
    return values


def suggest(word: str, known) -> str:
    """A ' (did you mean X?)' hint for a misspelt name, or ''."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def as_table() -> list[dict[str, Any]]:
    """The registry as rows, for the ODD parameter table and reports."""
    return [
        {
            "path": p.path,
            "name": p.name,
            "default": p.default,
            "range": p.describe(),
            "unit": p.unit,
            "meaning": p.meaning,
            "source": p.source,
            "plausible": p.describe_plausible(),
        }
        for p in _DECLARATIONS
    ]
