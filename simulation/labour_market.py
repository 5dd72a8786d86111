"""The graduate labour market: yearly vacancies and monthly matching.

Each firm with open vacancies considers a sample of seekers (search
friction): ``applicants_per_vacancy`` per vacancy, mostly from its own
field, plus all its own former interns who are seeking.  Applicants are
scored by match quality, with a bonus for former interns; a seeker accepts
an offer whose match reaches a reservation level that falls with each month
since graduation without work.  Work is proportional to vacancies, never seekers x firms.
"""

from __future__ import annotations

import numpy as np

from simulation.skills import match_quality
from simulation.student_table import EMPLOYED, SEEKING, UNEMPLOYED


def open_vacancies(model, graduates_by_field: np.ndarray) -> None:
    """Set each firm's vacancies for the year.

    A sector's vacancies are ``vacancy_ratio`` times this year's graduates
    of its field, times a log-normal business-cycle shock; they are shared
    among the sector's firms by size; a firm in a downturn opens half its share.
    """
    p, rng = model.p, model.streams["industry"]
    shocks = np.exp(rng.normal(0.0, p["business_cycle_sd"], size=len(graduates_by_field)))
    for sector, firms in enumerate(model.firms_by_sector):
        if not firms:
            continue
        total = p["vacancy_ratio"] * graduates_by_field[sector] * shocks[sector]
        sizes = np.array([f.size for f in firms])
        halved = np.array([0.5 if f.downturn else 1.0 for f in firms])
        expected = total * sizes / sizes.sum() * halved
        counts = np.floor(expected).astype(int)
        counts += rng.random(len(firms)) < (expected - counts)  # unbiased rounding
        for firm, n in zip(firms, counts, strict=True):
            firm.vacancies = int(n)


def reservation(model, months_since_graduation: np.ndarray) -> np.ndarray:
    """Match a seeker requires: falls by ``reservation_decay`` per month since graduation."""
    p = model.p
    return p["reservation_match"] * (1.0 - p["reservation_decay"]) ** months_since_graduation


def match_graduates(model) -> list[tuple[int, int, float]]:
    """One month of search: sample applicants, score, offer, accept.

    Returns:
        The hires as (student row, firm index, match quality).
    """
    st, p, rng = model.students, model.p, model.streams["labour"]
    seekers = np.flatnonzero(st.alive & ((st.status == SEEKING) | (st.status == UNEMPLOYED)))
    firm_ids = np.array([f.index for f in model.firms if f.vacancies > 0], dtype=np.int64)
    if len(seekers) == 0 or len(firm_ids) == 0:
        return []
    vacancies = np.array([model.firms[j].vacancies for j in firm_ids])
    sectors = np.array([model.firms[j].sector for j in firm_ids])
    pair_firm, pair_row = _sample_applicants(model, rng, seekers, firm_ids, vacancies, sectors)
    pair_firm, pair_row = _add_former_interns(model, seekers, firm_ids, pair_firm, pair_row)
    if len(pair_row) == 0:
        return []
    demand = model.firm_demand()[pair_firm]
    q = match_quality(st.skills[pair_row], demand, p["match_scale"])
    cross = st.field[pair_row] != model.firm_sector[pair_firm]
    q = np.clip(q - p["cross_field_penalty"] * cross, 0.0, 1.0)
    intern = st.last_host[pair_row] == pair_firm
    score = q + p["intern_bonus"] * intern
    acceptable = q >= reservation(model, np.maximum(st.months_since_grad[pair_row], 0))
    pair_firm, pair_row, q, score = (a[acceptable] for a in (pair_firm, pair_row, q, score))
    hires = _resolve_offers(model, pair_firm, pair_row, q, score)
    for row, j, quality in hires:
        st.status[row] = EMPLOYED
        st.employer[row] = j
        st.match[row] = quality
        model.firms[j].vacancies -= 1
    return hires


def _sample_applicants(model, rng, seekers, firm_ids, vacancies, sectors):
    st, p = model.students, model.p
    n_each = vacancies * p["applicants_per_vacancy"]
    pair_firm = np.repeat(firm_ids, n_each)
    pair_sector = np.repeat(sectors, n_each)
    pair_row = np.empty(len(pair_firm), dtype=np.int64)
    cross = rng.random(len(pair_firm)) < p["cross_field_search"]
    pools = [seekers[st.field[seekers] == f] for f in range(len(model.firms_by_sector))]
    for f, pool in enumerate(pools):
        want = (pair_sector == f) & ~cross
        if len(pool) == 0:
            cross |= want  # nobody of the field is seeking: draw from all
            continue
        pair_row[want] = pool[rng.integers(0, len(pool), size=int(want.sum()))]
    pair_row[cross] = seekers[rng.integers(0, len(seekers), size=int(cross.sum()))]
    return pair_firm, pair_row


def _add_former_interns(model, seekers, firm_ids, pair_firm, pair_row):
    st = model.students
    hosts = st.last_host[seekers]
    has_open = np.zeros(len(model.firms), dtype=bool)
    has_open[firm_ids] = True
    mine = (hosts >= 0) & has_open[np.maximum(hosts, 0)]
    pair_firm = np.concatenate([pair_firm, hosts[mine].astype(np.int64)])
    pair_row = np.concatenate([pair_row, seekers[mine]])
    # a seeker sampled twice by one firm counts once
    key = pair_firm * (st.capacity + 1) + pair_row
    _, first = np.unique(key, return_index=True)
    first.sort()
    return pair_firm[first], pair_row[first]


def _resolve_offers(model, pair_firm, pair_row, q, score):
    """Each seeker takes the best-scored offer; each firm fills its vacancies best first."""
    if len(pair_row) == 0:
        return []
    order = np.lexsort((-score, pair_row))  # by seeker, best first
    best = order[np.r_[True, pair_row[order][1:] != pair_row[order][:-1]]]
    f, r, qq, s = pair_firm[best], pair_row[best], q[best], score[best]
    order = np.lexsort((-s, f))  # by firm, best first
    f, r, qq = f[order], r[order], qq[order]
    starts = np.r_[0, np.flatnonzero(f[1:] != f[:-1]) + 1]
    rank = np.arange(len(f)) - np.repeat(starts, np.diff(np.r_[starts, len(f)]))
    vacancies = np.array([firm.vacancies for firm in model.firms])
    take = rank < vacancies[f]
    return list(zip(r[take].tolist(), f[take].tolist(), qq[take].tolist(), strict=True))
