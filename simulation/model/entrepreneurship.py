"""Graduate start-ups: a small base rate, and incubator places when funded.

At graduation a share ``base_startup_rate`` of graduates (those with the
highest entrepreneurial propensity) start a firm.  With the incubator
lever each university also gives ``incubator_places`` places: a share
``incubator_deadweight`` of them (rounded without bias) go to its graduates
who start a firm anyway, the rest to its most entrepreneurial remaining
graduates, weighted by skill; incubated start-ups fail less often.  Each
start-up is followed as a firm of its own (:class:`Startups`), also after its
founder has left the model's graduate follow-up, so its 3-year survival can
be measured.  A start-up that fails sends its founder (if still followed)
back to search.  Founders are not job seekers, and labour demand does not
depend on how many graduates there are.
"""

from __future__ import annotations

import numpy as np

from simulation.model.student_table import NONE, SEEKING, SELF_EMPLOYED


class Startups:
    """Every graduate start-up: founding step, failure step (-1 while alive), incubated, founder.

    ``founder`` is the founder's student row while the model follows them,
    -1 after (rows are recycled).
    """

    def __init__(self):
        self.founded = np.zeros(0, dtype=np.int64)
        self.failed = np.zeros(0, dtype=np.int64)
        self.incubated = np.zeros(0, dtype=bool)
        self.founder = np.zeros(0, dtype=np.int64)

    def add(self, rows: np.ndarray, step: int, incubated: np.ndarray) -> None:
        n = len(rows)
        self.founded = np.concatenate([self.founded, np.full(n, step, dtype=np.int64)])
        self.failed = np.concatenate([self.failed, np.full(n, -1, dtype=np.int64)])
        self.incubated = np.concatenate([self.incubated, np.asarray(incubated, dtype=bool)])
        self.founder = np.concatenate([self.founder, np.asarray(rows, dtype=np.int64)])

    def forget_founders(self, rows: np.ndarray) -> None:
        """The founders in ``rows`` leave the follow-up; their start-ups go on."""
        if len(self.founder) and len(rows):
            self.founder[np.isin(self.founder, rows)] = -1

    def surviving(self, now: int, months: int) -> int:
        """Start-ups founded at least ``months`` ago that lasted ``months``."""
        old = self.founded <= now - months
        lasted = (self.failed < 0) | (self.failed - self.founded >= months)
        return int((old & lasted).sum())


def start_firms(model, graduates: np.ndarray) -> int:
    """Turn some new graduates (rows, ascending) into founders; return how many start-ups began."""
    st, p, gov = model.students, model.p, model.government
    if len(graduates) == 0:
        return 0
    propensity = st.propensity[graduates]
    n_base = int(np.floor(p["base_startup_rate"] * len(graduates) + 0.5))  # halves round up
    founders = [graduates[np.argsort(-propensity, kind="stable")[:n_base]]]
    if p["incubator_places"] > 0:
        rng = model.streams["students"]
        places = p["incubator_places"]
        anyway = places * p["incubator_deadweight"]
        # graduates (ascending rows, from np.flatnonzero) who are not base founders, in order:
        # per university the same rows np.setdiff1d gives
        not_founder = np.ones(len(graduates), dtype=bool)
        not_founder[np.searchsorted(graduates, founders[0])] = False
        for u in np.unique(st.university[graduates]):
            n_dead = int(anyway) + int(rng.random() < anyway - int(anyway))
            base_u = founders[0][st.university[founders[0]] == u]
            dead = base_u[np.argsort(-st.propensity[base_u], kind="stable")[:n_dead]]
            st.incubated[dead] = True
            rest = graduates[(st.university[graduates] == u) & not_founder]
            score = st.propensity[rest] * st.skills[rest].mean(axis=1)
            chosen = rest[np.argsort(-score, kind="stable")[: places - len(dead)]]
            st.incubated[chosen] = True
            gov.pay("other", p["incubator_cost"] * (len(dead) + len(chosen)))
            founders.append(chosen)
    founders = np.concatenate(founders)
    st.status[founders] = SELF_EMPLOYED
    st.first_job_month[founders] = 0
    model.startups.add(founders, model.steps, st.incubated[founders])
    return len(founders)


def fail_startups(model) -> int:
    """Monthly failures of graduate start-ups; founders still followed return to search."""
    p, firms = model.p, model.startups
    alive = np.flatnonzero(firms.failed < 0)
    if len(alive) == 0:
        return 0
    yearly = np.where(firms.incubated[alive],
                      p["startup_failure_rate"] * (1.0 - p["incubator_survival_gain"]),
                      p["startup_failure_rate"])
    monthly = 1.0 - (1.0 - yearly) ** (1.0 / 12.0)
    failed = alive[model.streams["students"].random(len(alive)) < monthly]
    firms.failed[failed] = model.steps
    st = model.students
    founders = firms.founder[failed]
    founders = founders[founders >= 0]
    founders = founders[st.status[founders] == SELF_EMPLOYED]
    st.status[founders] = SEEKING
    st.match[founders] = 0.0
    firms.founder[failed] = NONE
    return len(failed)
