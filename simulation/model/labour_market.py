"""The graduate labour market: firms' hiring need and calendar, matching, the wider market.

Labour demand comes from firms, never from the number of graduates: each
firm has graduate-level positions (its size times its sector's jobs per size
unit) that grow with its sector, and each year it plans vacancies for the
positions that fall vacant as staff leave and for growth, scaled by the
business cycle, downturns and ``labour_demand_multiplier``.  The year's
vacancies are posted over the year by a hiring calendar: a share
``hiring_season_share`` in the recruitment season (the first
``hiring_season_months`` months after graduation), the rest evenly over the
other months.  An unfilled vacancy is withdrawn at a monthly rate
``vacancy_withdrawal_rate``; what is still open at the end of the hiring
year lapses.  A position left by a graduate of the model is posted again at
once.

Each month every firm with vacancies considers a sample of job searchers
(search friction): ``applicants_per_vacancy`` per vacancy, drawn with
weights equal to the transferability of each searcher's field to the firm's
sector.  A graduate's match in a job of their own field compares their
skills with the firm's demand; in another field it is the transferability
times the match to their own field's demand.  Firms rank applicants by match
plus the intern bonus (applied once, on the firm's side) and leave a vacancy
open rather than hire below ``firm_min_match``.  A graduate takes the offer
with the best match if it reaches a reservation level that falls with
months since graduation.

Return offers: when a placement ends, the host assesses its intern (the
intern's match at the host, seen with noise ``return_offer_noise``) and
offers a graduate job when the assessment clears its bar (the match it has
come to expect of a hire, at least ``firm_min_match``) and the host expects
a position for them (its expected yearly openings, best interns first).  In
the first month of search the graduate compares the offer with any other
offer that month and with the reservation match, and accepts the best; the
offer lapses after that month.

Graduates without a graduate-level job get offers from the wider labour
market (a job outside the field or below graduate level); each seeker's
monthly offer rate is ``outside_offer_rate`` times the wider market's
tightness to the power ``1 - matching_elasticity`` (a Cobb-Douglas matching
function): tightness rises with the year's business cycle and falls as more
of the followed graduates are without work than
``outside_reference_unemployment``.  A graduate takes an offer when its
match reaches their reservation, and keeps searching for a graduate-level
job while in it.  Employed graduates leave their job at a hazard that rises
as the match falls.  Work is proportional to vacancies and searchers, never
searchers x firms.
"""

from __future__ import annotations

import numpy as np

from simulation.model.skills import FIELDS, match_quality
from simulation.model.student_table import EMPLOYED, NONE, OUTSIDE, SEEKING, UNEMPLOYED

_NO_HIRES = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def growth_rates(p) -> np.ndarray:
    """(n_fields,) yearly growth of each sector's graduate positions."""
    return np.array([p[f"sector_growth_{f}"] for f in FIELDS])


def hiring_need(model, shocks: np.ndarray) -> np.ndarray:
    """(n_firms,) expected vacancies of each firm this year.

    ``max(0, (positions - held) x replacement + positions x growth) x
    multiplier x shock``, times ``downturn_vacancy_factor`` for a firm in a
    downturn; ``held`` counts the positions held by graduates of the model,
    whose leaving re-opens their position explicitly (:func:`separate`).
    """
    p, st = model.p, model.students
    at_firm = st.alive & (st.status == EMPLOYED) & (st.employer >= 0)
    held = np.bincount(st.employer[at_firm], minlength=len(model.firms))
    positions = np.array([f.positions for f in model.firms])
    growth = growth_rates(p)[model.firm_sector]
    need = np.maximum(0.0, np.maximum(positions - held, 0.0) * p["job_replacement_rate"]
                      + positions * growth)
    downturn = np.array([p["downturn_vacancy_factor"] if f.downturn else 1.0 for f in model.firms])
    return need * p["labour_demand_multiplier"] * shocks[model.firm_sector] * downturn


def season_profile(p) -> np.ndarray:
    """(12,) share of a year's openings posted in each month of the academic year.

    Month 0 is the first month after graduation: the season's months share
    ``hiring_season_share`` evenly, the other months the rest.
    """
    n = p["hiring_season_months"]
    if n >= 12:
        return np.full(12, 1.0 / 12.0)
    profile = np.full(12, (1.0 - p["hiring_season_share"]) / (12 - n))
    profile[:n] = p["hiring_season_share"] / n
    return profile


def open_vacancies(model) -> None:
    """Start a hiring year: last year's open vacancies lapse, this year's are planned.

    Each sector draws a log-normal business-cycle shock; a firm's vacancies
    are its hiring need rounded without bias, each assigned a posting month
    by :func:`season_profile`; then positions grow by the sector's growth
    rate.  Last year's openings and the vacancies withdrawn or lapsed
    unfilled are logged.  The year's cycle index (mean demand relative to a
    normal year, downturns included) sets the wider market's tightness.
    """
    p, rng = model.p, model.streams["industry"]
    opened = int(model.firm_opened.sum())
    if opened > 0:
        unfilled = model.vacancies_withdrawn + int(model.firm_vacancies.sum())
        model.vacancy_log.append((model.year, opened, unfilled))
    shocks = np.exp(rng.normal(0.0, p["business_cycle_sd"], size=len(FIELDS)))
    expected = hiring_need(model, shocks)
    counts = np.floor(expected).astype(int)
    counts += rng.random(len(counts)) < (expected - counts)  # unbiased rounding
    # posting months from the labour stream: their number depends on policy, and the
    # industry stream's draws (demand drift, shocks, downturns) must not
    months = model.streams["labour"].choice(12, size=int(counts.sum()), p=season_profile(p))
    firms = np.repeat(np.arange(len(model.firms)), counts)
    model.firm_planned[:] = counts
    model.vacancy_plan = np.bincount(firms * 12 + months, minlength=12 * len(model.firms)
                                     ).reshape(len(model.firms), 12)
    model.firm_vacancies[:] = 0
    model.firm_opened[:] = 0
    model.vacancies_withdrawn = 0
    downturn = np.array([p["downturn_vacancy_factor"] if f.downturn else 1.0 for f in model.firms])
    model.cycle = float(np.mean(shocks[model.firm_sector] * downturn))
    growth = growth_rates(p)
    for firm in model.firms:
        firm.positions *= 1.0 + growth[firm.sector]


def post_vacancies(model) -> None:
    """Post this month's planned vacancies (see :func:`open_vacancies`)."""
    if model.vacancy_plan is None:
        return
    month = model.vacancy_plan[:, model.month]
    model.firm_vacancies += month
    model.firm_opened += month
    month[:] = 0


def withdraw_vacancies(model) -> int:
    """Unfilled vacancies are withdrawn at the monthly rate ``vacancy_withdrawal_rate``."""
    rate = model.p["vacancy_withdrawal_rate"]
    if rate <= 0 or not model.firm_vacancies.any():
        return 0
    gone = np.zeros_like(model.firm_vacancies)
    open_at = np.flatnonzero(model.firm_vacancies)  # a binomial of 0 trials draws nothing
    gone[open_at] = model.streams["labour"].binomial(model.firm_vacancies[open_at], rate)
    model.firm_vacancies -= gone
    withdrawn = int(gone.sum())
    model.vacancies_withdrawn += withdrawn
    return withdrawn


def reservation(model, months_since_graduation: np.ndarray) -> np.ndarray:
    """Match a seeker requires: falls by ``reservation_decay`` per month since graduation."""
    p = model.p
    months = np.asarray(months_since_graduation)
    key, powers = getattr(model, "_reservation_powers", (None, np.zeros(0)))
    if key != p["reservation_decay"] or len(powers) <= months.max(initial=0):
        # (1 - decay)^m for every month m so far: the same numbers, each power taken once
        powers = (1.0 - p["reservation_decay"]) ** np.arange(max(64, 2 * months.max(initial=0)))
        model._reservation_powers = (p["reservation_decay"], powers)
    return p["reservation_match"] * powers[months]


def graduate_match(model, rows: np.ndarray, firms: np.ndarray) -> np.ndarray:
    """Match quality of graduates ``rows`` in graduate-level jobs at ``firms`` (pairwise).

    Own field: skills against the firm's demand.  Another field: the
    transferability of the graduate's field to the firm's sector times the
    match of the skills to the graduate's own field's demand.
    """
    st, p = model.students, model.p
    field = st.field[rows]
    sector = model.firm_sector[firms]
    own = field == sector
    # one pass over all pairs (the same numbers as the two groups computed apart)
    demand = np.take(model.firm_demand(), firms, axis=0)
    other = np.flatnonzero(~own)
    if len(other):
        demand[other] = np.take(model.sector_demand, field[other], axis=0)
    q = match_quality(st.skill_rows(rows), demand, p["match_scale"])
    if len(other):
        q[other] = model.transfer[field[other], sector[other]] * q[other]
    return q


def searchers(model) -> np.ndarray:
    """Rows searching for a graduate-level job: seekers and graduates in wider-market jobs."""
    st = model.students
    return np.flatnonzero(st.alive & ((st.status == SEEKING) | (st.status == UNEMPLOYED)
                                      | ((st.status == EMPLOYED) & (st.employer == OUTSIDE))))


def separate(model) -> int:
    """Monthly job leaving: employed graduates leave at a hazard that rises as the match falls.

    The monthly hazard is ``h0 x 2 (1 - match)``, with ``h0`` the monthly rate
    that gives ``job_separation_6m`` over six months.  A leaver searches again;
    a graduate-level position left opens again at once.
    """
    st, p, rng = model.students, model.p, model.streams["labour"]
    rows = np.flatnonzero(st.alive & (st.status == EMPLOYED))
    if len(rows) == 0 or p["job_separation_6m"] <= 0:
        return 0
    h0 = 1.0 - (1.0 - p["job_separation_6m"]) ** (1.0 / 6.0)
    hazard = np.clip(h0 * 2.0 * (1.0 - st.match[rows]), 0.0, 1.0)
    leave = rows[rng.random(len(rows)) < hazard]
    if len(leave) == 0:
        return 0
    employers = st.employer[leave]
    at_firm = employers[employers >= 0]
    if len(at_firm):
        reopened = np.bincount(at_firm, minlength=len(model.firms))
        model.firm_vacancies += reopened
        model.firm_opened += reopened
    long_out = st.months_since_grad[leave] > p["unemployed_after_months"]
    st.status[leave] = np.where(long_out, UNEMPLOYED, SEEKING)
    st.employer[leave] = NONE
    st.match[leave] = 0.0
    return len(leave)


def match_graduates(model) -> list[tuple[int, int, float]]:
    """One month of search for graduate-level jobs: sample applicants, score, offer, accept.

    Returns:
        The hires as arrays: student rows, firm indices, match qualities.
    """
    st, p, rng = model.students, model.p, model.streams["labour"]
    pool = searchers(model)
    firm_ids = np.flatnonzero(model.firm_vacancies > 0)
    if len(pool) == 0 or len(firm_ids) == 0:
        return _return_offers_only(model, pool, *_NO_HIRES)
    vacancies = model.firm_vacancies[firm_ids]
    pair_firm, pair_row = _sample_applicants(model, rng, pool, firm_ids, vacancies)
    q = graduate_match(model, pair_row, pair_firm)
    intern = st.last_host[pair_row] == pair_firm
    score = q + p["intern_bonus"] * intern  # the firm's ranking
    months = np.maximum(st.months_since_grad[pair_row], 0)
    current = np.where(st.status[pair_row] == EMPLOYED, st.match[pair_row], -1.0)
    acceptable = ((q >= p["firm_min_match"]) & (q >= reservation(model, months))
                  & (q > current))
    pair_firm, pair_row, q, score = (a[acceptable] for a in (pair_firm, pair_row, q, score))
    rows, firms, quality = _resolve_offers(model, pair_firm, pair_row, q, score)
    return _return_offers_only(model, pool, rows, firms, quality)


def _return_offers_only(model, pool, rows, firms, quality):
    """Settle the month: return offers against the market's offers, then employ and fill.

    A graduate holding a return offer in their first month of search takes
    it when its match reaches their reservation and is at least the match
    of the market's offer to them this month (if any); the market offer is
    then declined and its vacancy stays open.  Offers lapse after the month.
    """
    st = model.students
    holders = pool[(st.return_offer[pool] >= 0)] if len(pool) else pool
    if len(holders):
        hosts = st.return_offer[holders].astype(np.int64)
        q_ret = graduate_match(model, holders, hosts)
        other = np.full(len(holders), -1.0)
        where = {int(r): i for i, r in enumerate(rows.tolist())}
        idx = np.array([where.get(int(r), -1) for r in holders.tolist()], dtype=np.int64)
        other[idx >= 0] = quality[idx[idx >= 0]]
        fresh = np.maximum(st.months_since_grad[holders], 0)
        take = (q_ret >= reservation(model, fresh)) & (q_ret >= other)
        declined = idx[take & (idx >= 0)]
        keep = np.ones(len(rows), dtype=bool)
        keep[declined] = False
        rows, firms, quality = rows[keep], firms[keep], quality[keep]
        _employ(model, rows, firms, quality)
        model.firm_vacancies -= np.bincount(firms, minlength=len(model.firms))
        _fill_return_hires(model, hosts[take])
        _employ(model, holders[take], hosts[take], q_ret[take])
        st.return_offer[holders] = NONE
        _lapse_return_offers(model)
        return (np.concatenate([rows, holders[take]]), np.concatenate([firms, hosts[take]]),
                np.concatenate([quality, q_ret[take]]))
    _employ(model, rows, firms, quality)
    model.firm_vacancies -= np.bincount(firms, minlength=len(model.firms))
    _lapse_return_offers(model)
    return rows, firms, quality


def _lapse_return_offers(model) -> None:
    """Return offers last for the graduate's first month of search only."""
    if model.month == 0:  # the first search month of the year's graduates
        st = model.students
        st.return_offer[(st.return_offer >= 0) & (st.months_since_grad >= 0)] = NONE


def _fill_return_hires(model, hosts: np.ndarray) -> None:
    """Positions for accepted return offers: an open vacancy, else a later planned one, else new."""
    need = np.bincount(hosts, minlength=len(model.firms))
    use = np.minimum(need, model.firm_vacancies)
    model.firm_vacancies -= use
    need -= use
    if model.vacancy_plan is not None:
        for m in range(model.month + 1, 12):  # the year's later postings, earliest first
            take = np.minimum(need, model.vacancy_plan[:, m])
            model.vacancy_plan[:, m] -= take
            model.firm_opened += take
            need -= take
    model.firm_opened += need  # a position created for the intern


def make_return_offers(model, rows: np.ndarray, hosts: np.ndarray) -> int:
    """Hosts assess interns whose placement ends and offer graduate jobs (see module docstring).

    The bar is ``max(firm_min_match, hire_match)``: the intern must look at
    least as good as the hires the host has come to expect from the market
    (``model.firm_hire_match``).  A host offers at most its expected yearly
    openings (hiring need at a normal cycle, halves rounded up) minus the
    offers it already holds out, best-assessed interns first; it offers to
    final-year students only.
    """
    st, p = model.students, model.p
    final = st.year[rows] >= p["study_years"]
    rows, hosts = rows[final], hosts[final]
    if len(rows) == 0:
        return 0
    seen = graduate_match(model, rows, hosts)
    seen = seen + model.streams["placements"].normal(0.0, p["return_offer_noise"], len(rows))
    good = seen >= np.maximum(p["firm_min_match"], model.firm_hire_match[hosts])
    rows, hosts, seen = rows[good], hosts[good], seen[good]
    budget = np.floor(hiring_need(model, np.ones(len(FIELDS))) + 0.5).astype(np.int64)
    held = st.alive & (st.return_offer >= 0)
    budget -= np.bincount(st.return_offer[held], minlength=len(model.firms))
    order = np.lexsort((-seen, hosts))  # by host, best assessment first
    rows, hosts = rows[order], hosts[order]
    offer = rank_in_runs(hosts) < budget[hosts]
    st.return_offer[rows[offer]] = hosts[offer]
    return int(offer.sum())


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Whether each element of ``keys`` (grouped: equal values adjacent) starts a run of equal values."""
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return first


def rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Each element's position (0, 1, ...) within its run of equal values of grouped ``keys``."""
    position = np.arange(len(keys))
    start = np.where(_run_starts(keys), position, 0)  # each run's first position, else 0
    np.maximum.accumulate(start, out=start)  # ... carried along the run
    position -= start
    return position


def _employ(model, rows: np.ndarray, employers, quality: np.ndarray) -> None:
    st = model.students
    st.status[rows] = EMPLOYED
    st.employer[rows] = employers
    st.match[rows] = quality
    first = rows[st.first_job_month[rows] < 0]
    st.first_job_month[first] = np.maximum(st.months_since_grad[first], 0)


def take_outside_jobs(model) -> int:
    """Wider-market offers to graduates without work; taken when they reach the reservation.

    Each seeker gets an offer with probability :func:`outside_offer_chance`;
    its match is uniform on ``outside_job_match`` +- ``outside_job_spread``.
    """
    st, p, rng = model.students, model.p, model.streams["labour"]
    rows = np.flatnonzero(st.alive & ((st.status == SEEKING) | (st.status == UNEMPLOYED)))
    if len(rows) == 0:
        return 0
    draws = rng.random((len(rows), 2))
    followed = int(np.count_nonzero(st.alive & (st.months_since_grad >= 0)))
    offered = draws[:, 0] < outside_offer_chance(p, model.cycle, len(rows) / max(followed, 1))
    q = p["outside_job_match"] + p["outside_job_spread"] * (2.0 * draws[:, 1] - 1.0)
    q = np.clip(q, 0.0, 1.0)
    take = offered & (q >= reservation(model, np.maximum(st.months_since_grad[rows], 0)))
    _employ(model, rows[take], OUTSIDE, q[take])
    return int(np.count_nonzero(take))


def outside_offer_chance(p, cycle: float, without_work: float) -> float:
    """A seeker's monthly chance of a wider-market offer.

    ``outside_offer_rate x (cycle x u_ref / u)^(1 - matching_elasticity)``,
    at most 1: ``u`` is the share of followed graduates without work and
    ``u_ref`` is ``outside_reference_unemployment``.  With a Cobb-Douglas
    matching function ``M = A S^a V^(1-a)`` each of S seekers is offered a
    job at ``A (V / S)^(1-a)``; the wider market's openings V move with the
    business cycle.
    """
    if without_work <= 0:
        return float(min(1.0, p["outside_offer_rate"]))
    tight = cycle * p["outside_reference_unemployment"] / without_work
    return float(min(1.0, p["outside_offer_rate"] * tight ** (1.0 - p["matching_elasticity"])))


def _sample_applicants(model, rng, pool, firm_ids, vacancies):
    """Draw applicants for each firm, weighting searchers by transferability to its sector.

    For a firm of sector g, a draw comes from field f with probability
    proportional to ``T[f, g]`` times the number of field-f searchers, then
    uniformly among them.  A firm with active partners draws a share
    ``partner_recruitment_share`` of its applicants instead from the
    searchers of its field who graduated from a partner university (one
    partner at random per draw), when there are any.
    """
    st, p = model.students, model.p
    n_each = vacancies * p["applicants_per_vacancy"]
    pair_firm = np.repeat(firm_ids, n_each)
    pair_sector = model.firm_sector[pair_firm]
    pair_row = np.empty(len(pair_firm), dtype=np.int64)
    n_fields = len(FIELDS)
    pool = pool[np.argsort(st.field[pool], kind="stable")]
    counts = np.bincount(st.field[pool], minlength=n_fields)
    starts = np.cumsum(counts) - counts
    for g in range(n_fields):
        want = np.flatnonzero(pair_sector == g)
        if len(want) == 0:
            continue
        w = model.transfer[:, g] * counts
        if w.sum() <= 0:
            w = counts.astype(float)
        cum = np.cumsum(w)
        field = np.minimum(np.searchsorted(cum, rng.random(len(want)) * cum[-1], side="right"),
                           n_fields - 1)
        offset = (rng.random(len(want)) * counts[field]).astype(np.int64)
        pair_row[want] = pool[starts[field] + offset]
    _recruit_at_partners(model, rng, pool, pair_firm, pair_row)
    return pair_firm, pair_row


def _recruit_at_partners(model, rng, pool, pair_firm, pair_row) -> None:
    """Replace a share of partner firms' draws by graduates of their partner universities."""
    st, net, share = model.students, model.network, model.p["partner_recruitment_share"]
    if share <= 0 or net.count_active() == 0:
        return
    n_firms, n_u, n_f = len(model.firms), len(model.universities), len(FIELDS)
    pids = np.flatnonzero(net.is_active[: len(net.all)])
    seen = np.zeros(n_firms * n_u, dtype=bool)
    seen[net.firm_of[pids] * n_u + net.university_of[pids]] = True
    pairs = np.flatnonzero(seen)  # distinct (firm, university) pairs, sorted by firm
    edges = np.stack([pairs // n_u, pairs % n_u], axis=1)
    n_edges = np.bincount(edges[:, 0], minlength=n_firms)
    first_edge = np.cumsum(n_edges) - n_edges
    draw = np.flatnonzero((n_edges[pair_firm] > 0) & (rng.random(len(pair_firm)) < share))
    if len(draw) == 0:
        return
    firm = pair_firm[draw]
    edge = first_edge[firm] + (rng.random(len(draw)) * n_edges[firm]).astype(np.int64)
    group = edges[edge, 1] * n_f + model.firm_sector[firm]  # (partner university, firm's field)
    key = st.university[pool] * n_f + st.field[pool]
    order = np.argsort(key, kind="stable")
    size = np.bincount(key, minlength=n_u * n_f)
    start = np.cumsum(size) - size
    ok = size[group] > 0
    offset = (rng.random(len(draw)) * size[group]).astype(np.int64)
    pair_row[draw[ok]] = pool[order[start[group[ok]] + offset[ok]]]


def _resolve_offers(model, pair_firm, pair_row, q, score):
    """Each searcher goes for the best-matched job; each firm fills its vacancies best-scored first.

    The intern bonus enters only the firm's ranking (``score``); the graduate
    compares jobs by match quality ``q``.
    """
    if len(pair_row) == 0:
        return _NO_HIRES
    # one float key sorts by searcher, then best match first (q in [0, 1]); ties keep input order
    order = np.argsort(pair_row + 0.5 * (1.0 - q), kind="stable")
    best = order[_run_starts(pair_row[order])]
    f, r, qq, s = pair_firm[best], pair_row[best], q[best], score[best]
    # by firm, then best score first (score = q + bonus, in [0, 2])
    order = np.argsort(f + 0.25 * (2.0 - np.clip(s, 0.0, 2.0)), kind="stable")
    f, r, qq = f[order], r[order], qq[order]
    take = rank_in_runs(f) < model.firm_vacancies[f]
    return r[take], f[take], qq[take]
