"""The policy evaluation: the effect and cost definitions, and the paired evaluation table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.evaluation.figures import acceptability_figure
from simulation.evaluation.increments import acceptability, bootstrap_icer, evaluate, frontier, quadrant
from simulation.evaluation.report import format_evaluation
from simulation.model import IndustryEducationModel
from simulation.model.metrics import accumulate_evaluation, new_evaluation, reference_graduates
from simulation.model.student_table import EMPLOYED, SEEKING
from tests.small_world import SMALL


def small_model(seed=1, **params):
    return IndustryEducationModel(rng=seed, **{**SMALL, **params})


# ------------------------------------------------------------- the effect and costs
def graduates(model):
    st = model.students
    return np.flatnonzero(st.alive & (st.months_since_grad >= 0))


def test_a_smaller_cohort_with_a_higher_employment_rate_has_a_larger_effect():
    big, small = small_model(3), small_model(3)
    for m in (big, small):
        m.run_for(14)  # the first cohort has graduated
    # big: every graduate, 60% employed; small: half the graduates removed, 80% of the rest
    # employed -- fewer employed graduates in all, but a higher rate
    for m, keep, share in ((big, 1.0, 0.6), (small, 0.5, 0.8)):
        rows = graduates(m)
        gone = rows[int(keep * len(rows)):]
        for r in gone.tolist():
            m.student_agents.pop(r).remove()
        m.students.remove(gone)
        rows = graduates(m)
        st = m.students
        st.status[rows], st.employer[rows] = SEEKING, -1
        hired = rows[: int(share * len(rows))]
        st.status[hired], st.employer[hired], st.match[hired] = EMPLOYED, 0, 0.7
        m.evaluation = new_evaluation()
        m.steps = 1  # no discount this month
        accumulate_evaluation(m)
    employed = {id(m): (m.students.status[graduates(m)] == EMPLOYED).sum() for m in (big, small)}
    assert employed[id(small)] < employed[id(big)]
    assert small.evaluation["employment_months"] == pytest.approx(800.0, abs=2.0)
    assert big.evaluation["employment_months"] == pytest.approx(600.0, abs=2.0)
    assert small.evaluation["employment_months"] > big.evaluation["employment_months"]


def monthly_rates(model, months):
    """Step the model, returning (1000 x employment rate, 1000 x matched rate) each month."""
    out = []
    for _ in range(months):
        model.step()
        st = model.students
        rows = graduates(model)
        if len(rows) == 0:
            out.append((0.0, 0.0))
            continue
        status, employer = st.status[rows], st.employer[rows]
        working = np.isin(status, (EMPLOYED, 3))
        own = (status == EMPLOYED) & (employer >= 0) & (
            model.firm_sector[np.maximum(employer, 0)] == st.field[rows])
        out.append((1000 * working.mean(), 1000 * own.mean()))
    return np.array(out)


def test_without_discounting_the_measures_are_plain_sums():
    levers = dict(fund_budget=500.0, fund_placement_subsidy=2.0, tax_break_rate=0.3,
                  linkage_meetings=1, contact_rate=1.0)
    model = small_model(5, discount_rate=0.0, **levers)
    rates = monthly_rates(model, 40)
    ev, gov = model.evaluation, model.government
    assert ev["employment_months"] == pytest.approx(rates[:, 0].sum())
    assert ev["matched_employment_months"] == pytest.approx(rates[:, 1].sum())
    per = 1000.0 / reference_graduates(model.p)
    assert ev["cost_government"] == pytest.approx(gov.total_spending * per)
    transfers = gov.spending["grants"] + gov.spending["forgone_tax"]
    assert transfers > 0 and model.firm_costs > 0
    # societal = government + firms' partnership costs - transfers
    assert ev["cost_societal"] == pytest.approx(
        (gov.total_spending + model.firm_costs - transfers) * per)


def test_discounting_lowers_later_months_by_the_stated_rate():
    plain = small_model(6, discount_rate=0.0)
    discounted = small_model(6, discount_rate=0.05)
    rates = monthly_rates(plain, 30)
    monthly_rates(discounted, 30)
    factors = 1.05 ** (-np.arange(30) / 12.0)
    assert discounted.evaluation["employment_months"] == pytest.approx((rates[:, 0] * factors).sum())
    assert discounted.evaluation["employment_months"] < plain.evaluation["employment_months"]


# ------------------------------------------------------------------ the table
def synthetic_summary(seed=0, n=30):
    """Runs of a reference and three scenarios with known increments (cost, effect per pair)."""
    rng = np.random.default_rng(seed)
    base_e = rng.normal(100_000, 500, n)
    base_c = rng.normal(0, 1, n)
    rows = []
    spec = {"baseline": (0, 0), "cheap_good": (-50, 300), "costly_good": (2_000, 400),
            "costly_bad": (1_000, -300)}
    for name, (dc, de) in spec.items():
        for r in range(n):
            e = base_e[r] + de + (rng.normal(0, 60) if name != "baseline" else 0)
            c = base_c[r] + dc + (rng.normal(0, 30) if name != "baseline" else 0)
            rows.append({"scenario": name, "replicate": r, "employment_months": e,
                         "matched_employment_months": 0.8 * e,
                         "cost_government": c, "cost_societal": 1.2 * c})
    return pd.DataFrame(rows)


def test_evaluation_table_quadrants_nmb_and_acceptability():
    summary = synthetic_summary()
    table = evaluate(summary, "baseline", wtp=3.0)
    gov = table[table["perspective"] == "government"].set_index("scenario")
    assert gov.loc["cheap_good", "quadrant"] == "dominant"
    assert gov.loc["costly_bad", "quadrant"] == "dominated"
    assert gov.loc["costly_good", "quadrant"] == "more effective, more costly"
    row = gov.loc["costly_good"]
    assert row.d_cost == pytest.approx(2_000, rel=0.05)
    assert row.d_effect == pytest.approx(400, rel=0.1)
    assert row.icer == pytest.approx(row.d_cost / row.d_effect)
    assert row.icer_kind == "bounded" and row.fieller_low < row.icer < row.fieller_high
    assert row.nmb == pytest.approx(3.0 * row.d_effect - row.d_cost)
    assert row.nmb_low < row.nmb < row.nmb_high
    # NMB < 0 at 3 per month (ICER about 5): rarely cost-effective; dominant always is
    assert row.p_cost_effective < 0.05
    assert gov.loc["cheap_good", "p_cost_effective"] == 1.0
    assert set(table["perspective"]) == {"government", "societal"}
    curves = acceptability(summary, "baseline", np.linspace(0, 20, 21))
    mine = curves[curves["scenario"] == "costly_good"]["p_cost_effective"].to_numpy()
    assert (np.diff(mine) >= 0).all() and mine[0] == 0.0 and mine[-1] == 1.0


def test_frontier_keeps_the_dominant_option_and_drops_the_dominated():
    table = evaluate(synthetic_summary(), "baseline", wtp=3.0)
    front = frontier(table, "baseline").set_index("option")
    assert front.loc["baseline", "status"] == "dominated"  # cheap_good costs less, does more
    assert front.loc["cheap_good", "status"] == "frontier"
    assert front.loc["costly_bad", "status"] == "dominated"
    assert front.loc["costly_good", "status"] == "frontier"
    assert front.loc["costly_good", "compared_with"] == "cheap_good"


def test_printed_evaluation_never_shows_a_bare_infinity():
    summary = synthetic_summary()
    # an effect indistinguishable from zero: Fieller's set is unbounded or two half-lines
    flat = summary.copy()
    flat.loc[flat["scenario"] == "costly_good", "employment_months"] = \
        flat.loc[flat["scenario"] == "baseline", "employment_months"].to_numpy() + \
        np.random.default_rng(1).normal(0, 50, (flat["scenario"] == "costly_good").sum())
    text = format_evaluation(evaluate(flat, "baseline", wtp=3.0), "baseline")
    assert "inf" not in text.replace("info", "")
    assert "costly_good" in text and "incremental analysis" in text.lower()


def test_quadrant_words():
    assert quadrant(-1, 1) == "dominant"
    assert quadrant(1, -1) == "dominated"
    assert quadrant(1, 1) == "more effective, more costly"
    assert quadrant(-1, -1) == "less effective, less costly"
    assert quadrant(1, 0) == "no difference in effect"


# ------------------------------------------------- the bootstrap interval and its words
def normal_scores(n):
    """n values with mean 0 and (population) sd 1 shaped like a normal sample."""
    q = stats.norm.ppf((np.arange(n) + 0.5) / n)
    return (q - q.mean()) / q.std()


def paired_summary(spec, n):
    """A reference and scenarios given as (cost increments, effect increments) per pair."""
    base = np.random.default_rng(0).normal(100_000, 500, n)
    rows = []
    for name, (dc, de) in {"baseline": (np.zeros(n), np.zeros(n)), **spec}.items():
        for r in range(n):
            rows.append({"scenario": name, "replicate": r, "employment_months": base[r] + de[r],
                         "matched_employment_months": 0.8 * (base[r] + de[r]),
                         "cost_government": dc[r], "cost_societal": 1.2 * dc[r]})
    return pd.DataFrame(rows)


def test_a_marginal_effect_gives_an_unbounded_bootstrap_interval_not_a_narrow_one():
    # 40 pairs whose mean effect is 1.78 bootstrap standard errors above 0 (the bootstrap sd
    # of a mean is the plug-in sd / sqrt(n)): about 4% of resampled mean effects are
    # negative, between the 2.5% a 95% percentile interval may cut off and the 5% the
    # former rule tolerated.  Costs are always positive, so every such resample lies just
    # past the vertical axis, beyond the largest ratios.  Dropping those resamples, the
    # former code printed [33.9, 495]: narrow, where the ratio in fact runs to infinity.
    n = 40
    q = normal_scores(n)
    de = 1.78 * 100 / np.sqrt(n) + 100 * q
    dc = 2_000 + 50 * q[::-1]
    table = evaluate(paired_summary({"marginal": (dc, de)}, n), "baseline", wtp=3.0)
    row = table[table["perspective"] == "government"].iloc[0]
    assert 0.025 < row.bootstrap_other_sign < 0.05
    assert row.bootstrap_kind == "unbounded"
    assert row.bootstrap_low == -np.inf and row.bootstrap_high == np.inf
    text = format_evaluation(table, "baseline")
    assert "| unbounded (effect of the other sign in" in text
    assert "inf" not in text.replace("info", "")


def test_bootstrap_interval_orders_resamples_by_angle_on_the_plane():
    tail_share = 0.025
    e = np.linspace(5.0, 15.0, 1_000)
    c = 100.0 + 10 * np.sin(np.arange(1_000))
    # no resample crosses: the percentile interval of the ratios
    plain = bootstrap_icer(c, e, point=(c.mean(), e.mean()))
    assert plain.kind == "bounded" and plain.other_sign == 0.0
    np.testing.assert_allclose([plain.low, plain.high],
                               np.quantile(c / e, [tail_share, 1 - tail_share]), rtol=2e-3)

    def crossing(up, down):
        """`up` resamples past the axis with higher cost, `down` with lower cost."""
        ee, cc = e.copy(), c.copy()
        ee[:up + down] = -0.5
        cc[up:up + down] = -100.0
        return bootstrap_icer(cc, ee, point=(c.mean(), e.mean()))

    assert crossing(20, 0).kind == "bounded"      # 2% on one side: inside the cut tail
    assert crossing(30, 0).kind == "unbounded"    # 3% on one side: the wedge reaches the axis
    both = crossing(20, 20)                        # 4% in all, 2% on each side
    assert both.kind == "bounded" and both.other_sign == pytest.approx(0.04)
    assert 0 < both.low < both.high
    assert bootstrap_icer(c, np.zeros_like(c)).kind == "no difference in effect"


def test_too_few_pairs_print_not_estimable_and_a_warning():
    for n in (1, 2):
        de, dc = 50.0 + 10 * np.arange(n), 100.0 + 20 * np.arange(n)
        summary = paired_summary({"tax": (dc, de)}, n)
        table = evaluate(summary, "baseline", wtp=3.0)
        assert (table["bootstrap_kind"] == "not estimable").all()
        assert table["p_cost_effective"].isna().all() and table["bootstrap_low"].isna().all()
        curves = acceptability(summary, "baseline", np.linspace(0, 10, 5))
        assert curves["p_cost_effective"].isna().all()
        text = format_evaluation(table, "baseline")
        assert f"warning: fewer than 3 replicate pairs for tax ({n})" in text
        row = next(line for line in text.splitlines() if line.startswith("| tax |"))
        assert row.endswith("| not estimable |") and "not estimable (fewer than 3 pairs)" in row
        assert "1.00" not in row and "0.00" not in row and "[2, 2]" not in row
    three = evaluate(paired_summary({"tax": (100.0 + 20 * np.arange(3), 50.0 + 10 * np.arange(3))},
                                    3), "baseline", wtp=3.0)
    assert three["p_cost_effective"].notna().all()
    assert "warning:" not in format_evaluation(three, "baseline")


def test_an_exactly_zero_effect_is_no_difference_not_a_sign_change():
    n = 10
    summary = paired_summary({"cost_only": (np.full(n, 300.0), np.zeros(n))}, n)
    table = evaluate(summary, "baseline", wtp=3.0)
    assert (table["bootstrap_kind"] == "no difference in effect").all()
    assert (table["quadrant"] == "no difference in effect").all()
    assert table["icer"].isna().all()
    text = format_evaluation(table, "baseline")
    assert "changes sign" not in text and "other sign" not in text
    row = next(line for line in text.splitlines() if line.startswith("| cost_only |"))
    assert row.count("no difference in effect (zero effect: ICER undefined)") == 2  # both intervals


def test_acceptability_is_labelled_pairwise_against_the_reference():
    summary = synthetic_summary()
    table = evaluate(summary, "baseline", wtp=3.0)
    text = format_evaluation(table, "baseline")
    assert "| P(cost-effective vs baseline) |" in text and "| P(cost-effective) |" not in text
    assert (table["reference"] == "baseline").all()
    curves = acceptability(summary, "baseline", np.linspace(0, 20, 5))
    assert (curves["reference"] == "baseline").all()
    fig = acceptability_figure(curves)
    for ax, perspective in zip(fig.axes, ("government", "societal"), strict=True):
        assert ax.get_title() == f"acceptability vs baseline (pairwise), {perspective} perspective"
        assert ax.get_ylabel() == "P(cost-effective vs baseline)"
