"""IndustryEducationModel: universities, firms, students and a government.

One step is one month; an academic year is twelve steps.  ``step`` reads as
the model's narrative; each submodel lives in its own module and the ODD
document (docs/ODD.md) gives the same order with the equations.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from simulation.model import (
    cooperation,
    curriculum,
    entrepreneurship,
    graduates,
    labour_market,
    monitoring,
    placements,
)
from simulation.model.agents import Firm, Government, Student, University
from simulation.model.agents.student import StudentsOnDemand, enrol, settle
from simulation.model.agents.university import FIELDS_TAUGHT
from simulation.model.allocator import keep_freed_memory
from simulation.model.graduates import GRADUATION_MONTH
from simulation.model.metrics import accumulate_evaluation, model_reporters, new_evaluation, summarise
from simulation.model.parameters import resolve
from simulation.model.partnerships import PartnershipNetwork
from simulation.model.policy import CO_CURRICULUM, JOINT_RESEARCH, KINDS, PLACEMENT, Levers
from simulation.model.skills import FIELDS, drift_demand, learn, put_rows, transfer_matrix
from simulation.model.student_table import (
    SEEKING,
    STUDYING,
    StudentTable,
)

KEEPS_FREED_MEMORY = keep_freed_memory()  # once per process; see simulation.model.allocator

STREAMS = ("population", "industry", "cooperation", "placements", "students", "labour")


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
            :mod:`simulation.model.parameters` for names, defaults and ranges.
    """

    def __init__(self, rng: Any = None, **params: Any):
        super().__init__(rng=rng)
        # Mesa's set of all agents, whose students are made when it is read (agents/student.py)
        self._all_agents = StudentsOnDemand([], random=self.random, model=self)
        self.p = resolve(**params)
        self.levers = Levers(self.p)
        self.streams = random_streams(rng if rng is not None else self.rng)
        self.transfer = transfer_matrix(self.p)
        self._create_industry()
        self._create_universities()
        self.government = Government(self, [self.p[f"fund_weight_{k}"] for k in KINDS])
        self.network = PartnershipNetwork(len(self.universities), len(self.firms))
        self.students = StudentTable(int(self.p["n_students"] * 1.6), self.p["skill_dims"])
        self._student_agents: dict[int, Student] = {}  # row -> agent, made on demand
        self.cohort_records: list[dict] = []
        self.accreditation_log: list[tuple] = []
        self.vacancy_log: list[tuple[int, int, int]] = []  # (year, opened, withdrawn or lapsed)
        self.vacancy_plan: np.ndarray | None = None  # (n_firms, 12) postings still to come
        self.vacancies_withdrawn = 0  # this hiring year
        self.cycle = 1.0  # this year's labour demand relative to a normal year
        # the student accounts: admitted = graduated + enrolled + left_early, every month
        self.admitted = 0
        self.graduated = 0
        self.left_early = 0  # leave higher education before graduating (no such process yet)
        self.not_admitted = 0  # applicants no programme of their field could take
        self.field_hires: list[int] = []  # graduate-level hires in own field, by month
        self.startups_founded = 0
        self.startups = entrepreneurship.Startups()
        self.firm_costs = 0.0  # firms' gross partnership and set-up costs so far, kCNY
        self.evaluation = new_evaluation()  # discounted sums for the policy evaluation
        self._enrolment: np.ndarray | None = None  # programme enrolment, counted on demand
        n_u = len(self.universities)
        self.university_employment = np.full(n_u, np.nan)  # last 6-month rate, all programmes
        self.programme_employment = np.full((n_u, len(FIELDS)), np.nan)
        self._populate_students()
        self._seed_partnerships()
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters())
        self.datacollector.collect(self)

    @classmethod
    def from_scenario(cls, path, rng: Any = None) -> IndustryEducationModel:
        """Build a model from a scenario file (its seed unless ``rng`` is given).

        The file's seed gives the streams of replicate 0 of a batch with that
        master seed (:func:`simulation.scenarios.run_seed`), as ``iesim run`` does.
        """
        from simulation.scenarios import load_scenario, run_seed

        scenario = load_scenario(path)
        return cls(rng=run_seed(scenario.seed) if rng is None else rng, **scenario.params)

    # ------------------------------------------------- Mesa's agents, students made on demand
    @property
    def student_agents(self) -> dict[int, Student]:
        """Every enrolled student's agent by row (made now for students who have none)."""
        settle(self)
        return self._student_agents

    # ----------------------------------------------------------- set-up
    def _create_industry(self) -> None:
        p, rng = self.p, self.streams["population"]
        k = p["skill_dims"]
        low, high = sorted((p["demand_initial_low"], p["demand_initial_high"]))
        self.sector_demand = rng.uniform(low, high, size=(len(FIELDS), k))
        self.demand_profile = self.sector_demand.copy()  # each field's own long-run profile
        self.demand_history = [self.sector_demand.copy()]
        counts = (p["n_firms_tech"], p["n_firms_design"], p["n_firms_agri"])
        self.firm_satisfaction = np.full(sum(counts), 0.5)  # Firm.satisfaction reads this
        # the match a firm has come to expect of a hire (moving average; Firm.hire_match)
        self.firm_hire_match = np.full(sum(counts), p["firm_min_match"])
        self.firm_vacancies = np.zeros(sum(counts), dtype=np.int64)  # Firm.vacancies
        self.firm_opened = np.zeros(sum(counts), dtype=np.int64)  # Firm.opened
        self.firm_planned = np.zeros(sum(counts), dtype=np.int64)  # Firm.planned
        self.firms: list[Firm] = []
        self.firms_by_sector: list[list[Firm]] = [[] for _ in FIELDS]
        for sector, n in enumerate(counts):
            jobs = p[f"graduate_jobs_{FIELDS[sector]}"]
            for _ in range(n):
                large = rng.random() < p["large_firm_share"]
                size = p["large_firm_size"] if large else 1.0
                offset = rng.normal(0.0, p["firm_demand_spread"], size=k)
                noise = rng.lognormal(0.0, p["prior_value_sd"], size=len(KINDS))
                firm = Firm(self, len(self.firms), sector, large, size, jobs * size, offset,
                            np.zeros(len(KINDS)))
                firm.expected_value = self._nominal_values(firm) * p["prior_value_ratio"] * noise
                self.firms.append(firm)
                self.firms_by_sector[sector].append(firm)
        if not self.firms:
            raise ValueError("the model needs at least one firm")
        self.firm_sector = np.array([f.sector for f in self.firms], dtype=np.int64)
        self.firm_size = np.array([f.size for f in self.firms], dtype=float)
        self.firm_offsets = np.array([f.offset for f in self.firms]).reshape(len(self.firms), k)

    def _nominal_values(self, firm: Firm) -> np.ndarray:
        """The yearly value each partnership kind is meant to bring a firm (before experience).

        Placement: its interns' net value, ``(intern_value - intern_cost) x
        placement_months x`` the base's slots (``base_placement_slots`` times the
        firm's size), plus ``hire_value`` for each intern it expects to hire: as
        many as it has slots, at most its yearly openings.
        Co-curriculum: the training saved on hires from one partner university,
        ``co_curriculum_hire_value x`` the firm's yearly openings shared among
        the universities teaching its field.  Joint research: ``research_value``.
        """
        p = self.p
        field = FIELDS[firm.sector]
        teaching = (p["n_technical_universities"] * (firm.sector in FIELDS_TAUGHT["technical"])
                    + p["n_art_schools"] * (firm.sector in FIELDS_TAUGHT["art"])
                    + p["n_comprehensive_universities"]
                    * (firm.sector in FIELDS_TAUGHT["comprehensive"]))
        openings = firm.positions * max(0.0, p["job_replacement_rate"] + p[f"sector_growth_{field}"])
        values = np.zeros(len(KINDS))
        slots = placements.slot_count(p["base_placement_slots"], firm.size)
        values[PLACEMENT] = ((p["intern_value"] - p["intern_cost"]) * p["placement_months"] * slots
                             + p["hire_value"] * min(slots, openings))
        values[CO_CURRICULUM] = p["co_curriculum_hire_value"] * openings / max(teaching, 1)
        values[JOINT_RESEARCH] = p["research_value"]
        return values

    def _create_universities(self) -> None:
        p, rng = self.p, self.streams["population"]
        kinds = (["technical"] * p["n_technical_universities"] + ["art"] * p["n_art_schools"]
                 + ["comprehensive"] * p["n_comprehensive_universities"])
        if not kinds:
            raise ValueError("the model needs at least one university")
        k = p["skill_dims"]
        noise = rng.normal(0.0, p["curriculum_noise"], size=(len(kinds), len(FIELDS), k))
        self.curricula = np.clip(self.sector_demand[None] + noise, 0.0, 1.0)
        self.universities: list[University] = []
        for i, kind in enumerate(kinds):
            quality = float(np.clip(rng.normal(p["teaching_quality"], p["teaching_quality_sd"]),
                                    0.05, 1.0))
            uni = University(self, i, kind, self.curricula[i], quality,
                             p["coordination_capacity"])
            uni.review_offset = i % p["accreditation_interval"]
            self.universities.append(uni)
        self.teaching = [np.array([u.index for u in self.universities if f in u.fields],
                                  dtype=np.int64) for f in range(len(FIELDS))]
        weights = [(u.index, f, p[f"university_size_{u.kind}"] / len(u.fields))
                   for u in self.universities for f in u.fields]
        total = sum(w for _, _, w in weights)
        self.programmes = [(u, f, w / total) for u, f, w in weights]
        self.teaching_quality = np.array([u.teaching_quality for u in self.universities])
        self.serving_field = curriculum.serving_fields(self.universities, self.transfer)
        # programmes (university x field) that make an internship part of the degree
        self.internship_required = np.zeros((len(kinds), len(FIELDS)), dtype=bool)
        for u, f, _ in self.programmes:
            self.internship_required[u, f] = rng.random() < p["internship_programme_share"]

    def intake_sizes(self) -> tuple[list[tuple[int, int, float]], float]:
        """Expected intake of each programme this year, and the applicants no programme takes.

        Each field's applicants (``n_students / study_years`` times the
        field's share of programme weights) are fixed; they divide among the
        field's programmes by attractiveness: programme weight x intake
        factor (cut by a failed accreditation review) x reputation pull.
        Applicants a penalised programme turns away go to the field's other
        programmes; only when no programme of the field takes students do
        they stay out of higher education (``not_admitted``).
        """
        p = self.p
        yearly = p["n_students"] / p["study_years"]
        rep = np.array([u.reputation for u in self.universities])
        pull = np.maximum(0.0, 1.0 + p["reputation_intake_effect"] * (rep - rep.mean()))
        pulls = [share * self.universities[u].intake_factor[f] * pull[u]
                 for u, f, share in self.programmes]
        sizes, out = [], 0.0
        for field in range(len(FIELDS)):
            mine = [i for i, (_, f, _) in enumerate(self.programmes) if f == field]
            applicants = yearly * sum(self.programmes[i][2] for i in mine)
            total = sum(pulls[i] for i in mine)
            if total <= 0:
                out += applicants
            for i in mine:
                u, f, _ = self.programmes[i]
                sizes.append((u, f, applicants * pulls[i] / total if total > 0 else 0.0))
        return sizes, out

    def _admit(self, year_of_study: int) -> np.ndarray:
        """Admit one intake cohort into ``year_of_study`` (1 for new students)."""
        p, rng = self.p, self.streams["population"]
        sizes, out = self.intake_sizes()
        counts = [int(s) + (rng.random() < s - int(s)) for _, _, s in sizes]
        self.not_admitted += int(round(out))
        self.admitted += int(sum(counts))
        rows = self.students.add(sum(counts))
        self._enrolment = None
        st = self.students
        st.university[rows] = np.repeat([u for u, _, _ in sizes], counts)
        st.field[rows] = np.repeat([f for _, f, _ in sizes], counts)
        st.year[rows] = year_of_study
        st.status[rows] = STUDYING
        skills = np.clip(rng.normal(p["initial_skill_mean"], p["initial_skill_sd"],
                                    size=(len(rows), p["skill_dims"])), 0.0, 1.0)
        if year_of_study > 1:  # earlier years of curriculum learning, in closed form
            rate = np.take(self._learning_rates(), st.university[rows])
            remain = (1.0 - rate) ** (12 * (year_of_study - 1))
            target = np.take(self._study_targets(), st.university[rows] * len(FIELDS)
                             + st.field[rows], axis=0)
            skills = target + remain[:, None] * (skills - target)
        st.set_skill_rows(rows, skills)
        st.propensity[rows] = rng.beta(2.0, 8.0, size=len(rows))
        enrol(self, rows)
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
                q.trust = self.p["seeded_trust"]
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
        """(n_firms, K) current demand of every firm (read-only).

        Sector demand changes once a month (:meth:`_drift_demand`), so this is
        computed once after each change and kept.
        """
        if getattr(self, "_firm_demand", None) is None:
            demand = np.clip(self.sector_demand[self.firm_sector] + self.firm_offsets, 0.0, 1.0)
            demand.flags.writeable = False
            self._firm_demand = demand
        return self._firm_demand

    def enrolment(self) -> np.ndarray:
        """(n_universities x n_fields,) students enrolled per programme, flattened.

        Enrolment changes only at admission and graduation, so it is counted
        once after each and kept.
        """
        if self._enrolment is None:
            st = self.students
            rows = np.flatnonzero(st.alive & (st.year >= 1))
            self._enrolment = np.bincount(st.university[rows] * len(FIELDS) + st.field[rows],
                                          minlength=len(self.universities) * len(FIELDS))
        return self._enrolment

    def _study_targets(self) -> np.ndarray:
        """(n_universities x n_fields, K) what each programme's students learn toward, flattened.

        The curriculum, steered by flexible pathways toward the field's current
        demand.  Computed per programme and then given to each student: the
        same numbers as computing it per student.
        """
        k = self.curricula.shape[-1]
        target = self.curricula.reshape(-1, k)
        fp = self.p["flexible_pathways"]
        if fp > 0:  # study steered by career goal: the field's current demand
            demand = np.tile(self.sector_demand, (len(self.universities), 1))
            target = target * (1.0 - fp)
            demand *= fp
            target += demand
        return target

    def _learning_rates(self) -> np.ndarray:
        """(n_universities,) monthly curriculum learning rate of each university's students."""
        p = self.p
        return (p["curriculum_learning_rate"] * (1.0 + p["personalised_learning"])
                * self.teaching_quality)

    # ----------------------------------------------------------- the step
    def step(self) -> None:
        """One month; see docs/ODD.md 'Process overview and scheduling'."""
        if self.month == 0:
            self._start_academic_year()
        self._drift_demand()
        labour_market.post_vacancies(self)
        cooperation.make_contacts(self)
        cooperation.progress_negotiations(self)
        if self.month == placements.PLACEMENT_START_MONTH:
            placements.assign_placements(self)
        self._students_learn()
        graduates.learn_after_graduation(self)
        placements.credit_intern_months(self)
        placements.end_placements(self)
        labour_market.separate(self)
        cooperation.credit_hires(self, labour_market.match_graduates(self))
        labour_market.take_outside_jobs(self)
        labour_market.withdraw_vacancies(self)
        entrepreneurship.fail_startups(self)
        cooperation.pay_monthly_costs(self)
        if self.month == GRADUATION_MONTH:
            self._end_academic_year()
        graduates.follow(self)
        accumulate_evaluation(self)
        self.datacollector.collect(self)

    def _start_academic_year(self) -> None:
        p, rng = self.p, self.streams["industry"]
        gov = self.government
        self.demand_history.append(self.sector_demand.copy())
        for firm in self.firms:
            firm.downturn = bool(rng.random() < p["downturn_probability"])
        if self.year > 0:  # the first graduates seek from year 1; after this year's downturns
            labour_market.open_vacancies(self)
        gov.start_fund_year()
        gov.pay("other", p["linkage_meetings"] * p["linkage_meeting_cost"])
        if self.levers.active()["fast_track"]:
            gov.pay("other", p["fast_track_office_cost"])
        if self.year == 0:
            placements.assign_research_students(self)
            return
        if p["monitoring_interval"] > 0 and self.year % p["monitoring_interval"] == 0:
            monitoring.evaluate(self)
        curriculum.review_curricula(self)
        curriculum.update_reputations(self)
        curriculum.run_accreditation_reviews(self, self.year)
        st = self.students
        st.year[st.alive & (st.status == STUDYING)] += 1
        self._admit(1)
        placements.assign_research_students(self)

    def _drift_demand(self) -> None:
        p = self.p
        drift = np.array([p["demand_drift_tech"], p["demand_drift_design"],
                          p["demand_drift_agri"]]) * p["demand_drift_multiplier"]
        self._firm_demand = None  # firm demand follows its sector's
        self.sector_demand[:] = drift_demand(self.sector_demand, drift, self.streams["industry"],
                                             self.demand_profile, p["demand_reversion"])

    def _students_learn(self) -> None:
        """Vectorised monthly learning of every student (no per-student loop)."""
        st, p = self.students, self.p
        rows = np.flatnonzero(st.alive & (st.status == STUDYING))
        if len(rows) == 0:
            return
        field, host, univ = st.field[rows], st.host[rows], st.university[rows]
        # np.take: the same rows as fancy indexing, several times faster on 2-D arrays
        target = np.take(self._study_targets(), univ * len(FIELDS) + field, axis=0)
        rate = np.take(self._learning_rates(), univ)
        placed = np.flatnonzero(host >= 0)  # placement learning replaces the curriculum
        if len(placed):
            practice, rate[placed] = self._practice(field[placed], host[placed],
                                                    p["placement_learning_rate"])
            put_rows(target, placed, practice)
        skills = learn(st.skill_rows(rows), target, rate, out=target)
        project = np.flatnonzero((st.research_host[rows] >= 0) & (host < 0))
        if len(project):
            prj_target, prj_rate = self._practice(field[project], st.research_host[rows[project]],
                                                  p["project_learning_rate"])
            skills[project] = learn(skills[project], prj_target, prj_rate)
            st.experience[rows[project]] += 0.5
        st.set_skill_rows(rows, skills)
        st.experience[rows[placed]] += 1.0

    def _practice(self, fields: np.ndarray, firms: np.ndarray, rate: float):
        """Target and rate of learning by practice (placement, project) at ``firms``.

        At a firm of the student's own field: its demand, at ``rate``.  At a
        firm of another field (cross-sector networks): the student's own
        field's current demand, at ``rate`` times the transferability of the
        host's field to the student's (skills stay in the student's own field).
        """
        sector = self.firm_sector[firms]
        own = sector == fields
        if own.all():
            return self.firm_demand()[firms], np.full(len(firms), rate)
        target = np.where(own[:, None], self.firm_demand()[firms], self.sector_demand[fields])
        return target, np.where(own, rate, rate * self.transfer[sector, fields])

    def _end_academic_year(self) -> None:
        st = self.students
        finals = np.flatnonzero(st.alive & (st.status == STUDYING)
                                & (st.year >= self.p["study_years"]))
        st.status[finals] = SEEKING
        self.graduated += int(len(finals))
        self._enrolment = None
        st.cohort[finals] = self.year
        st.months_since_grad[finals] = 0
        st.year[finals] = -1
        st.host[finals] = -1
        st.research_host[finals] = -1
        self.startups_founded += entrepreneurship.start_firms(self, finals)
        cooperation.review_partnerships(self)

    # ----------------------------------------------------------- results
    def student_accounts(self) -> dict[str, int]:
        """Where every student admitted so far is: ``admitted = graduated + enrolled + left_early``.

        ``not_admitted`` counts applicants no programme of their field could
        take (they never enter the model).
        """
        return {"admitted": self.admitted, "graduated": self.graduated,
                "enrolled": self.students.count(STUDYING), "left_early": self.left_early,
                "not_admitted": self.not_admitted}

    def run_years(self, years: int) -> None:
        """Advance the model by whole years."""
        self.run_for(12 * years)

    def outcomes(self) -> dict[str, float]:
        """The run's summary outcomes (see :mod:`simulation.model.metrics`)."""
        return summarise(self)


# The class's public path: pickles and spawned workers find it there, and a batch's
# or study's hash names the model by it (ModelTask.identity), so stores written before
# the model became a package keep their hashes and resume.
IndustryEducationModel.__module__ = "simulation.model"
