"""The policy evaluation of a batch as text: one table per perspective, and the frontier.

Money is in kCNY per 1,000 graduates; effects in employment-months per 1,000
graduates; ratios in kCNY per employment-month; probabilities in percent; every
number by the policy of :mod:`simulation.number_format`.
An interval that does not exist is said in words, never printed as ``inf``: a
bootstrap interval is "unbounded" when the effect changes sign in too many
resamples, "not estimable" below the minimum number of pairs (with a warning
line), and the ICER "undefined" when no pair differs in effect.  Every
probability of cost-effectiveness is pairwise, against the reference.
"""

from __future__ import annotations

import pandas as pd

from simulation import number_format as nf
from simulation.evaluation.fieller import UNBOUNDED, FiellerResult, describe
from simulation.evaluation.increments import (
    EFFECTS,
    MIN_BOOTSTRAP_PAIRS,
    NOT_ESTIMABLE,
    PERSPECTIVES,
    ZERO_EFFECT,
    frontier,
)

UNDEFINED = "no difference in effect (zero effect: ICER undefined)"


def probability(p: float) -> str:
    """A probability as a percentage, or 'not estimable' for NaN."""
    return nf.percent(p, missing=NOT_ESTIMABLE)


def p_ce_label(reference: str) -> str:
    """The column heading of the pairwise probability of cost-effectiveness."""
    return f"P(cost-effective vs {reference})"


def _bootstrap_cell(row) -> str:
    kind = row.bootstrap_kind
    if kind == ZERO_EFFECT:
        return UNDEFINED
    if kind == NOT_ESTIMABLE:
        return f"{NOT_ESTIMABLE} (fewer than {MIN_BOOTSTRAP_PAIRS} pairs)"
    if kind == UNBOUNDED:
        return (f"unbounded (effect of the other sign in {nf.percent(row.bootstrap_other_sign)} "
                "of resamples)")
    return nf.interval(row.bootstrap_low, row.bootstrap_high, nf.number)


def _icer_cells(row) -> list[str]:
    zero = row.bootstrap_kind == ZERO_EFFECT
    if row.quadrant in ("dominant", "dominated"):
        point = f"{row.quadrant} (ratio not informative)"
    elif row.quadrant == ZERO_EFFECT:
        point = "undefined (no difference in effect)"
    else:
        point = nf.number(row.icer)
    fieller = UNDEFINED if zero else describe(
        FiellerResult(row.icer, row.fieller_low, row.fieller_high, row.icer_kind))
    return [point, fieller, _bootstrap_cell(row)]


def few_pairs_warning(table: pd.DataFrame) -> list[str]:
    """A ``warning:`` line naming the scenarios with too few pairs to bootstrap ([] if none)."""
    few = table[table["pairs"] < MIN_BOOTSTRAP_PAIRS].drop_duplicates("scenario")
    if few.empty:
        return []
    names = ", ".join(f"{r.scenario} ({r.pairs})" for r in few.itertuples(index=False))
    return [f"warning: fewer than {MIN_BOOTSTRAP_PAIRS} replicate pairs for {names}: their "
            "bootstrap ICER interval and P(cost-effective) are not estimable (they would be "
            "a zero-width or two-point interval and a probability of 0 or 1); run more "
            "replicates.", ""]


def format_evaluation(table: pd.DataFrame, reference: str) -> str:
    """The evaluation in Markdown ('' when there is nothing to show).

    Per perspective: the scenarios' increments, ICER, NMB and P(cost-effective vs the
    reference), then the efficient frontier.
    """
    if table.empty:
        return ""
    effect = table["effect"].iloc[0]
    wtp = table["wtp"].iloc[0]
    lines = [f"### policy evaluation against {reference}", "",
             f"Effect: discounted {EFFECTS[effect]} over the run; costs: discounted kCNY per 1,000 "
             f"graduates of the reference population; willingness to pay {wtp:g} kCNY per "
             "employment-month; paired replicates, 95% intervals. "
             f"{p_ce_label(reference)} is the probability that the scenario's net monetary "
             f"benefit against {reference} is positive (bootstrap over pairs): each scenario "
             "against the reference alone, not the probability of being the best of all.", ""]
    lines += few_pairs_warning(table)
    for perspective in PERSPECTIVES:
        sub = table[table["perspective"] == perspective]
        if sub.empty:
            continue
        lines += [f"#### {perspective} perspective", "",
                  "| scenario | pairs | incremental cost | incremental effect | plane | ICER "
                  "(kCNY per employment-month) | Fieller 95% | bootstrap 95% | NMB at "
                  f"{wtp:g} | {p_ce_label(reference)} |",
                  "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
        for row in sub.itertuples(index=False):
            cells = [row.scenario, nf.count(row.pairs),
                     nf.estimate(row.d_cost, row.d_cost_low, row.d_cost_high),
                     nf.estimate(row.d_effect, row.d_effect_low, row.d_effect_high),
                     row.quadrant, *_icer_cells(row),
                     nf.estimate(row.nmb, row.nmb_low, row.nmb_high),
                     probability(row.p_cost_effective)]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", format_frontier(frontier(table, reference, perspective)), ""]
    return "\n".join(lines) + "\n"


def format_alternative(table: pd.DataFrame) -> str:
    """A short table of the evaluation with the other effect measure ('' if empty)."""
    if table.empty:
        return ""
    effect, wtp = table["effect"].iloc[0], table["wtp"].iloc[0]
    reference = table["reference"].iloc[0]
    lines = [f"#### with {EFFECTS[effect]} as the effect", "",
             "| scenario | perspective | incremental effect | ICER | NMB at "
             f"{wtp:g} | {p_ce_label(reference)} |", "|---|---|---:|---:|---:|---:|"]
    for row in table.itertuples(index=False):
        if row.quadrant in ("dominant", "dominated"):
            point = row.quadrant
        elif row.quadrant == ZERO_EFFECT:
            point = "undefined (no difference in effect)"
        else:
            point = nf.number(row.icer)
        cells = [row.scenario, row.perspective,
                 nf.estimate(row.d_effect, row.d_effect_low, row.d_effect_high), point,
                 nf.estimate(row.nmb, row.nmb_low, row.nmb_high),
                 probability(row.p_cost_effective)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n"


def format_frontier(front: pd.DataFrame) -> str:
    """Markdown table of the incremental analysis (mean increments against the reference)."""
    lines = ["Incremental analysis (sorted by cost; ICER against the previous option on the "
             "efficient frontier):", "",
             "| option | incremental cost | incremental effect | status | ICER | compared with |",
             "|---|---:|---:|---|---:|---|"]
    for row in front.itertuples(index=False):
        status = row.status + (f" by {row.dominated_by}" if row.dominated_by else "")
        icer = nf.number(row.icer) if row.compared_with else ""
        lines.append(f"| {row.option} | {nf.signed(row.cost)} | {nf.signed(row.effect)} | "
                     f"{status} | {icer} | {row.compared_with} |")
    return "\n".join(lines)
