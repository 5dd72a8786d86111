"""IndustryEducationModel: universities, firms, students and a government.

One step is one month; an academic year is twelve steps.  ``step`` reads as
the model's narrative; each submodel lives in its own module and the ODD
document (docs/ODD.md) gives the same order with the equations.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simulation import cooperation, curriculum, entrepreneurship, labour_market, placements
from simulation.agents import Firm, Government, Student, University
from simulation.agents.university import SIZE_WEIGHT
from simulation.metrics import measure_cohort, model_reporters, summarise
from simulation.parameters import resolve
from simulation.partnerships import PartnershipNetwork
from simulation.policy import KINDS, Levers
from simulation.skills import FIELDS, drift_demand, learn
from simulation.student_table import (
    SEEKING,
    STUDYING,
    UNEMPLOYED,
    StudentTable,
)

STREAMS = ("population", "industry", "cooperation", "placements", "students", "labour")
GRADUATION_MONTH = 11
UNEMPLOYED_AFTER = 12  # months without work after which a seeker counts as unemployed


def random_streams(rng: Any) -> dict[str, np.random.Generator]:
    """Independent named random streams from one seed (common random numbers).

    Each process draws from its own stream, so a policy that changes how
    often one process draws leaves every other process's draws unchanged.
    """
    if isinstance(rng, np.random.SeedSequence):
        seq = rng
    elif isinstance(rng, np.random.Generator):
        seq = np.random.SeedSequence(int(rng.integers(2**63)))
    else:
        seq = np.random.SeedSequence(rng)
    return {n: np.random.default_rng(s) for n, s in zip(STREAMS, seq.spawn(len(STREAMS)),
                                                         strict=True)}


class IndustryEducationModel(mesa.Model):
    """The industry-education integration model.

    Args:
        rng: seed (int or ``numpy.random.SeedSequence``) of every random stream.
        **params: parameter overrides by keyword name; see
            :mod:`simulation.parameters` for names, defaults and ranges.
    """

    def __init__(self, rng: Any = None, **params: Any):
        super().__init__(rng=rng)
        self.p = resolve(**params)
        self.levers = Levers(self.p)
        self.streams = random_streams(rng if rng is not None else self.rng)
        self.government = Government(self, [self.p[f"fund_weight_{k}"] for k in KINDS])
        self._create_industry()
        self._create_universities()
        self.network = PartnershipNetwork(len(self.universities), len(self.firms))
        self.students = StudentTable(int(self.p["n_students"] * 1.6), self.p["skill_dims"])
        self.student_agents: dict[int, Student] = {}
        self.cohort_records: list[dict] = []
        self.accreditation_log: list[tuple] = []
        self.startups_founded = 0
        self.graduates_by_field = np.zeros(len(FIELDS))  # last graduation, for vacancies
        self._populate_students()
        self._seed_partnerships()
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters())
        self.datacollector.collect(self)

    @classmethod
    def from_scenario(cls, path, rng: Any = None) -> IndustryEducationModel:
        """Build a model from a scenario file (its seed unless ``rng`` is given)."""
        from simulation.scenarios import load_scenario

        scenario = load_scenario(path)
        return cls(rng=scenario.seed if rng is None else rng, **scenario.params)

    # ----------------------------------------------------------- set-up
    def _create_industry(self) -> None:
        p, rng = self.p, self.streams["population"]
        k = p["skill_dims"]
        self.sector_demand = rng.uniform(0.45, 0.75, size=(len(FIELDS), k))
        self.demand_history = [self.sector_demand.copy()]
        counts = (p["n_firms_tech"], p["n_firms_design"], p["n_firms_agri"])
        self.firms: list[Firm] = []
        self.firms_by_sector: list[list[Firm]] = [[] for _ in FIELDS]
        for sector, n in enumerate(counts):
            for _ in range(n):
                prior = [self.levers.gross_cost(kind) * p["prior_value_ratio"]
                         * rng.lognormal(0.0, p["prior_value_sd"]) for kind in range(len(KINDS))]
                firm = Firm(self, len(self.firms), sector, rng.random() < p["large_firm_share"],
                            rng.normal(0.0, p["firm_demand_spread"], size=k), prior)
                self.firms.append(firm)
                self.firms_by_sector[sector].append(firm)
        self.firm_sector = np.array([f.sector for f in self.firms], dtype=np.int64)
        self.firm_offsets = np.array([f.offset for f in self.firms]).reshape(len(self.firms), k)

    def _create_universities(self) -> None:
        p, rng = self.p, self.streams["population"]
        kinds = (["technical"] * p["n_technical_universities"] + ["art"] * p["n_art_schools"]
                 + ["comprehensive"] * p["n_comprehensive_universities"])
        if not kinds:
            raise ValueError("the model needs at least one university")
        k = p["skill_dims"]
        self.curricula = np.clip(
            self.sector_demand[None] + rng.normal(0.0, 0.12, size=(len(kinds), len(FIELDS), k)),
            0.0, 1.0)
        self.universities: list[University] = []
        for i, kind in enumerate(kinds):
            quality = float(np.clip(rng.normal(p["teaching_quality"], 0.1), 0.05, 1.0))
            uni = University(self, i, kind, self.curricula[i], quality,
                             p["coordination_capacity"])
            uni.review_offset = i % p["accreditation_interval"]
            self.universities.append(uni)
        self.teaching = [np.array([u.index for u in self.universities if f in u.fields],
                                  dtype=np.int64) for f in range(len(FIELDS))]
        weights = [(u.index, f, SIZE_WEIGHT[u.kind] / len(u.fields))
                   for u in self.universities for f in u.fields]
        total = sum(w for _, _, w in weights)
        self.programmes = [(u, f, w / total) for u, f, w in weights]
        self.teaching_quality = np.array([u.teaching_quality for u in self.universities])

    def _admit(self, year_of_study: int) -> np.ndarray:
        """Admit one intake cohort into ``year_of_study`` (1 for new students)."""
        p, rng = self.p, self.streams["population"]
        yearly = p["n_students"] / p["study_years"]
        sizes = [(u, f, yearly * share * self.universities[u].intake_factor[f])
                 for u, f, share in self.programmes]
        counts = [int(s) + (rng.random() < s - int(s)) for _, _, s in sizes]
        rows = self.students.add(sum(counts))
        st = self.students
        st.university[rows] = np.repeat([u for u, _, _ in sizes], counts)
        st.field[rows] = np.repeat([f for _, f, _ in sizes], counts)
        st.year[rows] = year_of_study
        st.status[rows] = STUDYING
        skills = np.clip(rng.normal(p["initial_skill_mean"], p["initial_skill_sd"],
                                    size=(len(rows), p["skill_dims"])), 0.0, 1.0)
        if year_of_study > 1:  # earlier years of curriculum learning, in closed form
            remain = (1.0 - self._learning_rate(st.university[rows])) ** (12 * (year_of_study - 1))
            target = self.curricula[st.university[rows], st.field[rows]]
            skills = target + remain[:, None] * (skills - target)
        st.skills[rows] = skills
        st.propensity[rows] = rng.beta(2.0, 8.0, size=len(rows))
        for r in rows.tolist():
            self.student_agents[r] = Student(self, r)
        return rows

    def _populate_students(self) -> None:
        for year_of_study in range(1, self.p["study_years"] + 1):
            self._admit(year_of_study)

    def _seed_partnerships(self) -> None:
        rng = self.streams["population"]
        for uni in self.universities:
            candidates = [f.index for s in uni.fields for f in self.firms_by_sector[s]]
            rng.shuffle(candidates)
            for i, j in enumerate(candidates[: self.p["seed_partnerships"]]):
                q = self.network.create(uni.index, j, i % len(KINDS), 0)
                self.network.activate(q, 0, count=False)
                q.trust = 0.6
                q.lecturer = bool(q.kind == 1 and rng.random() < self.p["firm_lecturer_share"])

    # ----------------------------------------------------------- helpers
    @property
    def month(self) -> int:
        """Month of the academic year of the current step (0 = first)."""
        return (self.steps - 1) % 12

    @property
    def year(self) -> int:
        """Academic year of the current step (0 = first)."""
        return (self.steps - 1) // 12

    def firm_demand(self) -> np.ndarray:
        """(n_firms, K) current demand of every firm."""
        return np.clip(self.sector_demand[self.firm_sector] + self.firm_offsets, 0.0, 1.0)

    def _learning_rate(self, universities: np.ndarray) -> np.ndarray:
        """Monthly curriculum learning rate of students of the given universities."""
        p = self.p
        return (p["curriculum_learning_rate"] * (1.0 + p["personalised_learning"])
                * self.teaching_quality[universities])

    # ----------------------------------------------------------- the step
    def step(self) -> None:
        """One month; see docs/ODD.md 'Process overview and scheduling'."""
        if self.month == 0:
            self._start_academic_year()
        self._drift_demand()
        cooperation.make_contacts(self)
        cooperation.progress_negotiations(self)
        if self.month == placements.PLACEMENT_START_MONTH:
            placements.assign_placements(self)
        self._students_learn()
        placements.credit_intern_months(self)
        placements.end_placements(self)
        self._record_hires(labour_market.match_graduates(self))
        entrepreneurship.fail_startups(self)
        cooperation.pay_monthly_costs(self)
        if self.month == GRADUATION_MONTH:
            self._end_academic_year()
        self._follow_graduates()
        self.datacollector.collect(self)

    def _start_academic_year(self) -> None:
        p, rng = self.p, self.streams["industry"]
        self.demand_history.append(self.sector_demand.copy())
        for firm in self.firms:
            firm.downturn = bool(rng.random() < p["downturn_probability"])
        if self.year > 0:  # vacancies for last year's graduates, after this year's downturns
            labour_market.open_vacancies(self, self.graduates_by_field)
        self.government.subsidies_this_year = 0.0
        self.government.pay("other", p["linkage_meetings"] * p["linkage_meeting_cost"])
        if self.year == 0:
            placements.assign_research_students(self)
            return
        if p["monitoring_interval"] > 0 and self.year % p["monitoring_interval"] == 0:
            self._evaluate_programme()
        curriculum.review_curricula(self)
        curriculum.run_accreditation_reviews(self, self.year)
        for uni in self.universities:
            uni.reputation += curriculum.INTAKE_RECOVERY * (0.5 - uni.reputation)
        st = self.students
        st.year[st.alive & (st.status == STUDYING)] += 1
        self._admit(1)
        placements.assign_research_students(self)

    def _drift_demand(self) -> None:
        p = self.p
        drift = np.array([p["demand_drift_tech"], p["demand_drift_design"],
                          p["demand_drift_agri"]]) * p["demand_drift_multiplier"]
        self.sector_demand[:] = drift_demand(self.sector_demand, drift, self.streams["industry"])

    def _students_learn(self) -> None:
        """Vectorised monthly learning of every student (no per-student loop)."""
        st, p = self.students, self.p
        rows = np.flatnonzero(st.alive & (st.status == STUDYING))
        if len(rows) == 0:
            return
        field, host, univ = st.field[rows], st.host[rows], st.university[rows]
        k = self.curricula.shape[-1]
        target = self.curricula.reshape(-1, k)[univ * len(FIELDS) + field]
        if p["flexible_pathways"] > 0:  # study steered by career goal
            target = ((1.0 - p["flexible_pathways"]) * target
                      + p["flexible_pathways"] * self.sector_demand[field])
        rate = self._learning_rate(univ)
        placed = np.flatnonzero(host >= 0)  # placement learning replaces the curriculum
        demand = self.firm_demand()
        target[placed] = demand[host[placed]]
        rate[placed] = p["placement_learning_rate"]
        skills = learn(st.skills[rows], target, rate)
        project = np.flatnonzero((st.research_host[rows] >= 0) & (host < 0))
        if len(project):
            prj = st.research_host[rows[project]]
            skills[project] = learn(skills[project], demand[prj], p["project_learning_rate"])
            st.experience[rows[project]] += 0.5
        st.skills[rows] = skills
        st.experience[rows[placed]] += 1.0

    def _record_hires(self, hires) -> None:
        """Credit hires to partnerships (value, hire subsidy) and to firms' satisfaction."""
        p, net, st = self.p, self.network, self.students
        for row, j, quality in hires:
            firm = self.firms[j]
            firm.satisfaction += 0.1 * (quality - firm.satisfaction)
            pid = net.pair[st.university[row], j]
            if pid < 0 or net.all[pid].state != "active":
                continue
            q = net.all[pid]
            q.realised += p["hire_value"] * quality
            if self.government.pay_subsidy(p["fund_hire_subsidy"], p["fund_budget"]):
                q.realised += p["fund_hire_subsidy"]

    def _end_academic_year(self) -> None:
        st = self.students
        finals = np.flatnonzero(st.alive & (st.status == STUDYING)
                                & (st.year >= self.p["study_years"]))
        st.status[finals] = SEEKING
        st.cohort[finals] = self.year
        st.months_since_grad[finals] = 0
        st.year[finals] = -1
        st.host[finals] = -1
        st.research_host[finals] = -1
        self.startups_founded += entrepreneurship.start_firms(self, finals)
        self.graduates_by_field = np.bincount(st.field[finals], minlength=len(FIELDS)).astype(float)
        cooperation.review_partnerships(self)

    def _follow_graduates(self) -> None:
        """Age graduates by a month, measure cohorts at 6 and 12 months, let old ones go."""
        st = self.students
        grads = st.alive & (st.months_since_grad >= 0)
        fresh = grads & (st.cohort == self.year) & (self.month == GRADUATION_MONTH)
        st.months_since_grad[grads & ~fresh] += 1
        long_out = grads & (st.status == SEEKING) & (st.months_since_grad > UNEMPLOYED_AFTER)
        st.status[long_out] = UNEMPLOYED
        for months in (6, 12):
            rows = np.flatnonzero(grads & (st.months_since_grad == months))
            if len(rows):
                for cohort in np.unique(st.cohort[rows]):
                    mine = rows[st.cohort[rows] == cohort]
                    rec = measure_cohort(self, mine, months)
                    rec.update(cohort=int(cohort), months=months, step=self.steps)
                    self.cohort_records.append(rec)
        leaving = np.flatnonzero(grads & (st.months_since_grad > self.p["tracking_months"]))
        if len(leaving):
            for r in leaving.tolist():
                self.student_agents.pop(r).remove()
            st.remove(leaving)

    # ----------------------------------------------------------- government
    def _evaluate_programme(self) -> None:
        """Monitoring: measure each partnership kind's value per cost, reallocate the fund.

        Grant weights per kind become the scenario's weights times the kind's
        mean realised benefit-cost ratio at the last reviews relative to the
        mean over kinds (clipped to [0.25, 2]), and
        grants to partnerships whose trust is near the dissolution threshold
        are stopped, freeing the fund for new partnerships.
        """
        gov, p = self.government, self.p
        gov.pay("other", p["monitoring_cost"])
        ratios = np.full(len(KINDS), np.nan)
        for k in range(len(KINDS)):
            rs = [q.history[-1][1] / self.levers.gross_cost(k)
                  for q in self.network.active() if q.kind == k and q.history]
            if rs:
                ratios[k] = np.mean(rs)
        if np.isfinite(ratios).any():
            filled = np.where(np.isfinite(ratios), ratios, np.nanmean(ratios))
            relative = np.clip(filled / max(filled.mean(), 1e-9), 0.25, 2.0)
            gov.kind_weights = gov.base_weights * relative  # a kind excluded stays excluded
        stopped = 0
        for q in self.network.active():
            if q.has_grant(self.steps) and q.trust < p["min_trust"] + 0.1:
                gov.stop_grant(q, self.steps)
                stopped += 1
        gov.evaluations.append({"step": self.steps, "ratios": ratios.tolist(),
                                "weights": gov.kind_weights.tolist(), "grants_stopped": stopped})

    # ----------------------------------------------------------- results
    def run_years(self, years: int) -> None:
        """Advance the model by whole years."""
        self.run_for(12 * years)

    def outcomes(self) -> dict[str, float]:
        """The run's summary outcomes (see :mod:`simulation.metrics`)."""
        return summarise(self)
