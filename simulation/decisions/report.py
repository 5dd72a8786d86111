"""The report of a decision study, in Markdown and plain words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.batch.study_dir import minutes
from simulation.decisions.analysis import ALL
from simulation.evaluation.increments import EFFECTS

NOISY_MEAN = 0.25
"""Seed noise above this share of the per-draw means' variance gets a warning."""
ROUGH_DRAWS = 100
"""Fewer draws than this get a warning that the EVPPI regressions are rough."""


def _at(table: pd.DataFrame, wtp: float) -> pd.DataFrame:
    return table[np.isclose(table["wtp"], wtp)]


def money(kcny: float) -> str:
    """A sum in kCNY in words: 'CNY 1.23 billion', 'CNY 45.6 million', '12.3 kCNY'."""
    cny = kcny * 1e3
    if cny == 0:
        return "CNY 0"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(cny) >= size:
            return f"CNY {cny / size:.3g} {word}"
    return f"{kcny:,.4g} kCNY"


def warnings(result) -> list[str]:
    """What a reader of the numbers should know first."""
    d, a = result.decision, result.analysis
    out = []
    table = d.uncertainty.posterior_table
    if table is not None:
        distinct = len(table.drop_duplicates())
        if d.draws > distinct:
            out.append(f"{d.draws} draws from a posterior of {distinct} distinct rows: draws "
                       "repeat posterior rows (the file's own resampling), so the calibrated "
                       "parameters take at most that many joint values")
    noise = _at(a.variance, d.willingness_to_pay)
    loud = noise[noise["noise_share_mean"] > NOISY_MEAN]
    if len(loud):
        out.append(f"at the stated willingness to pay, seed noise is more than "
                   f"{NOISY_MEAN:.0%} of the variance of the per-draw mean incremental net "
                   f"benefit for {', '.join(loud['option'])}: the EVPI from draw means counts "
                   "that noise as value; read the EVPI by regression (add replicates to shrink it)")
    ev = _at(a.evppi, d.willingness_to_pay)
    vague = ev[(ev["kind"] != "all") & (ev["evppi"] > 0) & (ev["se"] > ev["evppi"])]
    if len(vague):
        out.append(f"{len(vague)} EVPPI values at the stated willingness to pay have a standard "
                   "error larger than themselves (more draws would tell them apart from 0)")
    every = ev[ev["kind"] == "all"]["evppi"]
    above = ev[(ev["kind"] != "all") & (ev["evppi"] > every.max() + 1e-9)] if len(every) else []
    if len(above):
        out.append(f"{len(above)} EVPPI values at the stated willingness to pay exceed the EVPPI "
                   "of all inputs together, which bounds them in theory: the regressions are "
                   f"rough at {d.draws} draws (fitted to noise, or the group's fit too smooth); "
                   "compare them only within their standard errors")
    if d.draws < ROUGH_DRAWS:
        out.append(f"{d.draws} draws: the EVPPI regressions are rough below about "
                   f"{ROUGH_DRAWS} draws (Strong et al. 2014 used 1,000 or more)")
    return out


def report(result) -> str:
    """What was run, the decision at the stated willingness to pay, and every table behind it."""
    d, a = result.decision, result.analysis
    unit = EFFECTS[d.effect].split(" per ")[0]
    lines = [f"# Decision under parameter uncertainty: {d.name}", "", d.description, "",
             *_setting(result, unit), ""]
    if result.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    lines += ["## The decision", "", *_verdict(d, a, unit), "",
              "## Expected costs and effects, and the incremental analysis", "",
              *_expected(d, a), "",
              "![cost-effectiveness plane](figures/ce_plane.png)", "",
              "## Acceptability and expected loss", "", *_acceptability(d, a), "",
              "![acceptability curves and frontier](figures/acceptability.png)", "",
              "## Value of information", "", *_evpi(d, a), "",
              "![EVPI against willingness to pay](figures/evpi.png)", "",
              *_evppi(d, a), "", "![EVPPI](figures/evppi.png)", "",
              "## Seed noise, kept out of the value of information", "", *_noise(d, a), ""]
    return "\n".join(lines)


def _setting(result, unit: str) -> list[str]:
    d, seconds = result.decision, result.seconds
    inputs = d.uncertainty.inputs
    post = [i.name for i in inputs if i.distribution == "posterior"]
    others = [f"{i.name} ({i.describe()})" for i in inputs if i.distribution != "posterior"]
    lines = [f"- options: {', '.join(d.names)}; the no-policy option is {d.no_policy}",
             f"- uncertain inputs: {len(inputs)}"]
    if post:
        where = ("calibration/posterior.parquet" if d.uncertainty.posterior == "calibration"
                 else d.uncertainty.posterior)
        lines.append(f"  - the calibration's joint posterior ({where}): "
                     f"{', '.join(post)}; each draw is one whole posterior row, so their "
                     "correlations are kept")
    if others:
        lines.append(f"  - other assumptions, drawn independently: {'; '.join(others)}")
    groups = [f"{k} ({', '.join(v)})" for k, v in d.uncertainty.groups.items()]
    if groups:
        lines.append(f"  - groups: {'; '.join(groups)}")
    lines += [
        f"- sample: {d.draws:,} draws x {d.replicates} replicates x {len(d.options)} options = "
        f"{d.runs:,} model runs of {d.years} years; every option runs on the same random "
        "streams at a draw (common random numbers), the draws on independent ones",
        f"- measures: {d.perspective} cost (kCNY per 1,000 graduates) and {unit} per 1,000 "
        f"graduates, discounted at {d.discount_rate:.1%} a year over the run's {d.years} years",
        f"- willingness to pay: the decision is stated at {d.willingness_to_pay:g} kCNY per "
        f"{_singular(unit)}; curves from {d.wtp_grid[0]:g} to {d.wtp_grid[-1]:g}",
        f"- seed: {d.seed}; wall time {minutes(sum(seconds))}"
        + (f" over {len(seconds)} sessions" if len(seconds) > 1 else "")]
    return lines


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit


def _verdict(d, a, unit: str) -> list[str]:
    w = d.willingness_to_pay
    front = _at(a.frontier, w).iloc[0]
    curves = _at(a.acceptability, w).set_index("option")
    gain = curves["expected_net_benefit"] - curves.loc[d.no_policy, "expected_net_benefit"]
    best = front["option"]
    text = f"At a willingness to pay of {w:g} kCNY per {_singular(unit)}, "
    if best == d.no_policy:
        runner = gain.drop(d.no_policy).idxmax()
        text += (f"**no policy ({best})** has the highest expected net benefit: the best of the "
                 f"other options, {runner}, has {-gain[runner]:,.1f} kCNY per 1,000 graduates "
                 "less")
    else:
        text += (f"**{best}** has the highest expected net benefit: {gain[best]:+,.1f} kCNY per "
                 f"1,000 graduates against no policy ({d.no_policy})")
    text += (f". It has the highest net benefit in {front['probability_best']:.0%} of the "
             "parameter draws")
    if front["most_likely_best"] != best:
        other = front["most_likely_best"]
        text += (f"; {other} is best in more draws ({curves.loc[other, 'probability_best']:.0%}) "
                 "but has the lower expected net benefit, because its gains and losses are "
                 "skewed")
    text += "."
    evpi = _at(a.evpi, w).iloc[0]
    value = evpi["evpi_regression"] if np.isfinite(evpi["evpi_regression"]) else evpi["evpi"]
    pop = (evpi["evpi_regression_population_kcny"] if np.isfinite(evpi["evpi_regression"])
           else evpi["evpi_population_kcny"])
    info = (f"Perfect information about every uncertain input would be worth "
            f"{value:,.1f} kCNY per 1,000 graduates for this decision (the EVPI: the expected "
            f"loss of choosing on what is known now; by regression, without seed noise; "
            f"{evpi['evpi']:,.1f} from the draw means, which count the noise left in them as "
            f"value), or about {money(pop)} for {d.scale.label} "
            f"({d.scale.graduates:,.0f} graduates a year, {d.scale.source}, {d.scale.year}).")
    lines = [text, "", info]
    singles = _at(a.evppi, w)
    top = singles[singles["kind"] == "input"].sort_values("evppi", ascending=False)
    if len(top):
        row = top.iloc[0]
        share = row["evppi"] / value if value > 0 else float("nan")
        lines += ["", f"Of the single unknowns, **{row['input']}** carries the most: knowing it "
                  f"would be worth {row['evppi']:,.1f} kCNY per 1,000 graduates (standard error "
                  f"{row['se']:,.1f}; {_pct(share)} of the EVPI)."
                  + _second(top, value)]
    groups = singles[singles["kind"] == "group"].sort_values("evppi", ascending=False)
    if len(groups):
        row = groups.iloc[0]
        lines += ["", f"Of the named groups, **{row['input']}** ({row['members']}) carries the "
                  f"most: {row['evppi']:,.1f} kCNY per 1,000 graduates (standard error "
                  f"{row['se']:,.1f})."]
    return lines


def _second(top: pd.DataFrame, value: float) -> str:
    if len(top) < 2:
        return ""
    row = top.iloc[1]
    return (f" Next is {row['input']} ({row['evppi']:,.1f}, standard error {row['se']:,.1f}; "
            f"{_pct(row['evppi'] / value if value > 0 else float('nan'))}).")


def _pct(share: float) -> str:
    return f"{share:.0%}" if np.isfinite(share) else "n/a"


def _expected(d, a) -> list[str]:
    lines = ["Means over the draws (each draw the mean of its replicates), per 1,000 graduates; "
             "increments against the no-policy option with the 2.5th and 97.5th percentiles "
             "over the draws; the incremental analysis (dominance, extended dominance, ICERs "
             "along the frontier) on the expected costs and effects.", "",
             "| option | cost | effect | increment in cost | increment in effect | more "
             "effective in | status | ICER (against) |", "|---|---|---|---|---|---|---|---|"]
    for row in a.expected.sort_values("cost").itertuples():
        icer = (f"{row.icer:,.3g} ({row.compared_with})" if np.isfinite(row.icer)
                else (f"dominated by {row.dominated_by}" if row.dominated_by else ""))
        lines.append(
            f"| {row.option} | {row.cost:,.1f} | {row.effect:,.1f} | {row.d_cost:+,.1f} "
            f"[{row.d_cost_p025:+,.1f}, {row.d_cost_p975:+,.1f}] | {row.d_effect:+,.1f} "
            f"[{row.d_effect_p025:+,.1f}, {row.d_effect_p975:+,.1f}] | "
            f"{'' if row.no_policy else f'{row.share_more_effective:.0%}'} | {row.status} | "
            f"{icer} |")
    return lines


def _picks(d, grid: np.ndarray, count: int = 6) -> list[float]:
    """A few willingness-to-pay values of the grid, the stated one among them."""
    idx = np.unique(np.linspace(0, len(grid) - 1, count).round().astype(int))
    return sorted(set(grid[idx].tolist()) | {d.willingness_to_pay})


def _acceptability(d, a) -> list[str]:
    picks = _picks(d, np.asarray(d.wtp_grid))
    lines = ["The probability that each option has the highest net benefit of all the options "
             "(not each against the no-policy option alone; every column sums to 1), and, "
             "on the frontier row, the option with the highest expected net benefit. Full "
             "curves in acceptability.csv, with each option's expected net benefit and "
             "expected loss.", "",
             "| option | " + " | ".join(f"WTP {w:g}" for w in picks) + " |",
             "|---|" + "---|" * len(picks)]
    table = a.acceptability
    for name in d.names:
        cells = [f"{_at(table, w).set_index('option').loc[name, 'probability_best']:.2f}"
                 for w in picks]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    front = [_at(a.frontier, w).iloc[0] for w in picks]
    lines.append("| **frontier** | " + " | ".join(f"{r['option']} ({r['probability_best']:.2f})"
                                                   for r in front) + " |")
    loss = [_at(table, w).set_index("option")["expected_loss"] for w in picks]
    lines.append("| expected loss of the choice | " + " | ".join(
        f"{ls.loc[r['option']]:,.1f}" for ls, r in zip(loss, front, strict=True)) + " |")
    return lines


def _evpi(d, a) -> list[str]:
    picks = _picks(d, np.asarray(d.wtp_grid))
    people = d.followed_graduates()
    lines = ["The expected value of perfect information (EVPI) is what resolving every "
             "uncertain input before choosing would add to the expected net benefit: the "
             "expected loss of the chosen option. It is per 1,000 graduates of the model's "
             "reference population (the graduates followed at a steady state), for one decision "
             f"over the run's {d.years} years. Scaled to {d.scale.label}, the same population "
             f"is {people:,.0f} graduates ({d.scale.graduates:,.0f} a year, {d.scale.source}, "
             f"{d.scale.year}, times the cohorts the measures follow).", "",
             "| WTP | EVPI from draw means | EVPI by regression (se) | population EVPI "
             "(by regression) |", "|---|---|---|---|"]
    for w in picks:
        row = _at(a.evpi, w).iloc[0]
        lines.append(f"| {w:g} | {row['evpi']:,.1f} | {row['evpi_regression']:,.1f} "
                     f"({row['evpi_regression_se']:,.1f}) | "
                     f"{money(row['evpi_regression_population_kcny'])} |")
    return lines


def _evppi(d, a) -> list[str]:
    w = d.willingness_to_pay
    ev = _at(a.evppi, w).sort_values(["kind", "evppi"], ascending=[True, False])
    total = _at(a.evpi, w).iloc[0]["evpi_regression"]
    lines = [f"### Partial perfect information (EVPPI) at WTP {w:g}", "",
             "The EVPPI of an input is what knowing it alone would be worth, by regression of "
             "each option's incremental net benefit on the input over the draws (Strong, Oakley "
             "& Brennan 2014: a penalised spline for one input, a Gaussian process for a group). "
             "Its standard error combines the regression's uncertainty and the Monte Carlo "
             f"error. The row '{ALL}' is the EVPI without seed noise.", "",
             "| input | kind | EVPPI | se | share of the EVPI | method |",
             "|---|---|---|---|---|---|"]
    for row in ev.itertuples():
        share = row.evppi / total if total > 0 else float("nan")
        name = row.input if row.kind != "group" else f"{row.input} ({row.members})"
        lines.append(f"| {name} | {row.kind} | {row.evppi:,.1f} | {row.se:,.1f} | {_pct(share)} "
                     f"| {row.method} |")
    return lines


def _noise(d, a) -> list[str]:
    w = d.willingness_to_pay
    rows = _at(a.variance, w)
    lines = [f"Each option's net benefit at a draw is the mean of its {d.replicates} replicate "
             "runs, on the same random streams for every option, so seed noise in the "
             f"comparison is averaged down by {d.replicates} and cancelled in part by the "
             "common streams. What remains is kept out of the value of information in two "
             "ways: the EVPPI regressions leave it in their residual, and the EVPI by "
             f"regression (the EVPPI of '{ALL}') is the EVPI with it removed; the EVPI from "
             "draw means counts it as value and is shown beside it for comparison. The split "
             "below is a one-way analysis of variance of each option's incremental net benefit "
             f"against {d.no_policy} (at WTP {w:g}): the parameter part is the variance between "
             "draws less the noise left in a draw's mean, the stochastic part the variance "
             "between replicates of a draw.", "",
             "| option | parameter variance | stochastic variance (one run) | noise share of "
             "one run | noise share of a draw's mean |", "|---|---|---|---|---|"]
    for row in rows.itertuples():
        lines.append(f"| {row.option} | {row.parameter:,.4g} | {row.stochastic:,.4g} | "
                     f"{_pct(row.noise_share_run)} | {_pct(row.noise_share_mean)} |")
    return lines
