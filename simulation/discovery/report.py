"""The report of a discovery study, in Markdown."""

from __future__ import annotations

import numpy as np

from simulation.batch.study_dir import minutes
from simulation.discovery import boxes


def report(result) -> str:
    """What was run and how long, the cases, the box table, the CART view and every warning."""
    d = result.discovery
    study = d.study
    points = result.points
    effect = points[f"effect_{d.outcome}"]
    known = effect.notna()
    case_share = float(points.loc[known, "case"].mean()) if known.any() else float("nan")
    seconds = result.seconds
    lines = [f"# Scenario discovery: {d.name}", "", study.description, "",
             f"- case of interest: {d.case_text()} (policy minus reference, mean over "
             "replicates, paired on common random numbers)",
             f"- factors: {len(study.factors)} ({', '.join(study.names)})",
             f"- sample: Latin hypercube of {d.samples:,} points x {study.replicates} "
             f"replicates x 2 arms = {d.runs:,} model runs of {study.years} years",
             f"- seed: {study.seed}; wall time {minutes(sum(seconds))}"
             + (f" over {len(seconds)} sessions ({', '.join(minutes(s) for s in seconds)}; a "
                "resumed session reuses the stored runs)" if len(seconds) > 1 else ""),
             f"- PRIM: alpha {d.alpha:g}, smallest box {d.mass_min:g} of the points, chosen box "
             f"has the best F-score of coverage and density (coverage weight {d.coverage_weight:g}), "
             f"restrictions with a quasi-p-value above {d.significance:g} lifted, up to "
             f"{d.boxes} boxes, each kept only if its permutation p-value (the whole search "
             f"rerun on {d.permutations} shuffles of the cases among the points it searched) is "
             f"at most {d.significance:g}, {d.resamples} bootstrap resamples", ""]
    if result.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    lines += ["## The paired effect over the sample", "",
              "| outcome | mean | sd over points | 5th percentile | 95th percentile | "
              "mean replicate sd |", "|---|---|---|---|---|---|"]
    for outcome in study.outcomes:
        e = points[f"effect_{outcome}"].dropna()
        sd = points[f"sd_{outcome}"].dropna()
        if e.empty:
            lines.append(f"| {outcome} | n/a | | | | |")
            continue
        lines.append(f"| {outcome} | {e.mean():+.4g} | {e.std(ddof=1):.3g} | "
                     f"{e.quantile(0.05):+.4g} | {e.quantile(0.95):+.4g} | "
                     f"{sd.mean() if len(sd) else float('nan'):.3g} |")
    lines += ["", f"Cases of interest: {int(points.loc[known, 'case'].sum())} of {int(known.sum())} "
              f"points ({case_share:.0%}).",
              "Points whose case could flip with the seed (within 1.96 standard errors of the "
              f"threshold): {_share(result.uncertain)}. They are marked `uncertain` in "
              "points.parquet, whose `case_probability` gives each the share of its replicates "
              "that are cases; PRIM reads the case on the mean.", "",
              "## PRIM boxes", "", boxes.markdown(result.table, case_share),
              "![peeling trajectory](figures/trajectory.png)", "",
              "![restricted factors in pairs](figures/pairs.png)", "",
              "## CART, a second view", "",
              f"A classification tree (scikit-learn, depth {d.tree_depth}, leaves of at least "
              f"{d.mass_min:g} of the points). Its densest leaves:", "",
              "| leaf | mass | density | restricted factors |", "|---|---|---|---|"]
    names = study.names
    low = {f.name: f.low for f in study.factors}
    high = {f.name: f.high for f in study.factors}
    for row in result.leaves.head(3).to_dict("records"):
        limits = [f"{n} {row[f'{n}_low']:.4g} to {row[f'{n}_high']:.4g}" for n in names
                  if row[f"{n}_low"] > low[n] or row[f"{n}_high"] < high[n]]
        lines.append(f"| {row['leaf']} | {row['mass']:.0%} | {row['density']:.0%} | "
                     f"{'; '.join(limits) or 'none'} |")
    lines += ["", "```", result.rules.rstrip(), "```", ""]
    return "\n".join(lines)


def _share(value: float) -> str:
    return "n/a (one replicate)" if not np.isfinite(value) else f"{value:.0%}"
