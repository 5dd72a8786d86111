"""Graduate start-ups: a small base rate, and incubator places when funded.

At graduation a share ``base_startup_rate`` of graduates (those with the
highest entrepreneurial propensity) start a firm.  With the incubator
lever each university also gives ``incubator_places`` places: a share
``incubator_deadweight`` of them (rounded without bias) go to its graduates
who start a firm anyway, the rest to its most entrepreneurial remaining
graduates, weighted by skill; incubated start-ups fail less often.  A
start-up that fails sends its founder back to search.  Founders are not job
seekers, and labour demand does not depend on how many graduates there are.
"""

from __future__ import annotations

import numpy as np

from simulation.student_table import SEEKING, SELF_EMPLOYED


def start_firms(model, graduates: np.ndarray) -> int:
    """Turn some new graduates into founders; return how many start-ups began."""
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
        for u in np.unique(st.university[graduates]):
            n_dead = int(anyway) + int(rng.random() < anyway - int(anyway))
            base_u = founders[0][st.university[founders[0]] == u]
            dead = base_u[np.argsort(-st.propensity[base_u], kind="stable")[:n_dead]]
            st.incubated[dead] = True
            rest = np.setdiff1d(graduates[st.university[graduates] == u], founders[0])
            score = st.propensity[rest] * st.skills[rest].mean(axis=1)
            chosen = rest[np.argsort(-score, kind="stable")[: places - len(dead)]]
            st.incubated[chosen] = True
            gov.pay("other", p["incubator_cost"] * (len(dead) + len(chosen)))
            founders.append(chosen)
    founders = np.concatenate(founders)
    st.status[founders] = SELF_EMPLOYED
    st.first_job_month[founders] = 0
    return len(founders)


def fail_startups(model) -> int:
    """Monthly failures of graduate start-ups; founders return to search."""
    st, p = model.students, model.p
    rows = np.flatnonzero(st.alive & (st.status == SELF_EMPLOYED))
    if len(rows) == 0:
        return 0
    yearly = np.where(st.incubated[rows],
                      p["startup_failure_rate"] * (1.0 - p["incubator_survival_gain"]),
                      p["startup_failure_rate"])
    monthly = 1.0 - (1.0 - yearly) ** (1.0 / 12.0)
    failed = rows[model.streams["students"].random(len(rows)) < monthly]
    st.status[failed] = SEEKING
    st.match[failed] = 0.0
    return len(failed)
