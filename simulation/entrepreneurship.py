"""Graduate start-ups: a small base rate, and incubator places when funded.

At graduation a share ``base_startup_rate`` of graduates (those with the
highest entrepreneurial propensity) start a firm.  With the incubator
lever each university also gives ``incubator_places`` places to its most
entrepreneurial remaining graduates, weighted by skill; incubated start-ups
fail less often.  A start-up that fails sends its founder back to search.
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
    n_base = int(round(p["base_startup_rate"] * len(graduates)))
    founders = [graduates[np.argsort(-propensity, kind="stable")[:n_base]]]
    if p["incubator_places"] > 0:
        rest = np.setdiff1d(graduates, founders[0])
        score = st.propensity[rest] * st.skills[rest].mean(axis=1)
        ranked = rest[np.lexsort((-score, st.university[rest]))]  # by university, best first
        unis = st.university[ranked]
        rank = np.arange(len(ranked)) - np.searchsorted(unis, unis, side="left")
        chosen = ranked[rank < p["incubator_places"]]
        st.incubated[chosen] = True
        gov.pay("other", p["incubator_cost"] * len(chosen))
        founders.append(chosen)
    founders = np.concatenate(founders)
    st.status[founders] = SELF_EMPLOYED
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
