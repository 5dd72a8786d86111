"""A calibration's written outputs: calibrated.toml, figures and report.md."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from simulation.batch.study_dir import minutes
from simulation.calibration.targets import calibration_hash
from simulation.calibration.validation import VALID_SHARE, WITHIN
from simulation.calibration.verdicts import counts

FIGURES = ("targets.png", "posterior.png", "predictive.png", "validation.png")


def write_calibrated(result) -> str:
    """The calibrated values as a TOML file the registry reads (``calibration/calibrated.toml``)."""
    targets, plan = result.targets, result.targets.plan
    fitted = ", ".join(f'"{t.name}"' for t in targets.used("fit"))
    lines = [
        "# Calibrated defaults of the no-policy baseline. The registry",
        "# (simulation/model/parameters.py) reads [values] as these parameters' defaults.",
        f"# Written by `iesim calibrate {targets.source} --out {result.out}`",
        f"# on {dt.date.today().isoformat()}; its report is report.md beside this file.",
        "",
        "[calibration]",
        f'targets = "{Path(targets.source).name}"',
        f'hash = "{calibration_hash(result.targets)}"',
        f"fitted = [{fitted}]",
        f'method = "history matching with Gaussian-process emulators ({len(set(result.waves["wave"]))} '
        f'waves), emulator posterior, confirmed on the model"',
        *[f"fitted_{verdict} = {n}" for verdict, n in counts(result.check).items()],
        f'choice = "{result.chosen["source"]} point: highest pooled likelihood (within a factor '
        f'10**0.5), nearest the posterior centre"',
        "",
        "[values]",
    ]
    for f in plan.factors:
        value = result.chosen["values"][f.name]
        lines.append(f"{f.name} = {value!r}")
    return "\n".join(lines) + "\n"


def draw(result) -> list[Path]:
    """Write the figures into ``out/figures``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = result.out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    painters = (targets_figure, posterior_figure, predictive_figure, validation_figure)
    for name, painter in zip(FIGURES, painters, strict=True):
        fig = painter(result, plt)
        path = folder / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def grid(n, plt, width=3.2, height=2.1):
    """A figure with ``n`` panels, three a row; returns the figure and a list of axes."""
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _band(ax, row):
    if row["kind"] == "level":
        ax.axvspan(row["low"], row["high"], color="0.88", label="acceptable range")
        ax.axvline(row["value"], color="k", lw=1, label="published figure")
    else:
        ax.axvspan(0, max(abs(row["runs_p95"]), abs(row["ci_high"]), 1e-3) * 1.5, color="0.88",
                   label="pattern holds (> 0)")
        ax.axvline(0, color="k", lw=1)


def targets_figure(result, plt):
    """Each target's range against the calibrated model's mean, interval and runs."""
    table = result.check
    fig, axes = grid(len(table), plt)
    for ax, (_, row) in zip(axes, table.iterrows(), strict=False):
        colour = "tab:blue" if row["use"] == "fit" else "tab:orange"
        _band(ax, row)
        ax.plot([row["runs_p5"], row["runs_p95"]], [0, 0], color=colour, lw=1, alpha=0.6)
        ax.errorbar(row["mean"], 0, xerr=[[row["mean"] - row["ci_low"]],
                                          [row["ci_high"] - row["mean"]]],
                    fmt="o", color=colour, capsize=3)
        ax.set_yticks([])
        ax.set_title(f"{row['target']} ({row['use']})", fontsize=8, color=colour)
        ax.tick_params(labelsize=7)
    fig.suptitle("Targets (grey: acceptable range) against the calibrated model: mean, 95% "
                 "interval (dot) and 5-95% of runs (line); blue fitted, orange held out",
                 fontsize=8)
    fig.tight_layout()
    return fig


def posterior_figure(result, plt):
    """The posterior of each calibrated parameter over its prior range."""
    plan = result.targets.plan
    fig, axes = grid(len(plan.factors), plt)
    ident = result.identification.set_index("parameter")
    for ax, f in zip(axes, plan.factors, strict=False):
        if len(result.posterior):
            ax.hist(result.posterior[f.name], bins=25, range=(f.low, f.high), color="tab:blue",
                    alpha=0.7)
        ax.axvline(result.chosen["values"][f.name], color="k", lw=1)
        ax.set_xlim(f.low, f.high)
        status = ident.loc[f.name, "status"]
        ax.set_title(f.name + ("" if status == "identified" else f" ({status})"), fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior of the calibrated parameters over their prior (plausible) range; "
                 "black: the chosen values", fontsize=8)
    fig.tight_layout()
    return fig


def predictive_figure(result, plt):
    """The posterior predictive check: confirmed points' means against each target."""
    table, confirm = result.check, result.confirmation
    fig, axes = grid(len(table), plt)
    rng = np.random.default_rng(0)
    for ax, (_, row) in zip(axes, table.iterrows(), strict=False):
        _band(ax, row)
        values = confirm[row["target"]].to_numpy(float)
        colour = "tab:blue" if row["use"] == "fit" else "tab:orange"
        ax.scatter(values, rng.uniform(-0.3, 0.3, len(values)), s=9, color=colour, alpha=0.7)
        ax.set_ylim(-1, 1)
        ax.set_yticks([])
        ax.set_title(f"{row['target']} ({row['use']})", fontsize=8, color=colour)
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior predictive check: each dot is one confirmed posterior point's mean "
                 "on the model (the report gives the share of single runs meeting each target)",
                 fontsize=8)
    fig.tight_layout()
    return fig


def report(result) -> str:
    """The calibration's report as Markdown."""
    lines = [*_head(result), *_targets_section(result), *_posterior_section(result),
             *_predictive_section(result), *_validation_section(result)]
    if result.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    return "\n".join(lines)


def _head(result) -> list[str]:
    targets, plan = result.targets, result.targets.plan
    waves = result.waves.groupby("wave").agg(points=("point", "size"),
                                             kept=("kept_share", "first"))
    runs = (len(result.waves) * plan.replicates + len(result.confirmation) * plan.confirm_replicates
            + plan.check_replicates)
    discrepancy = ", ".join(f"{t.name} {t.discrepancy:.3g}" for t in targets.used("fit"))
    return [
        f"# Calibration: {targets.name}",
        "",
        targets.description,
        "",
        f"Targets: `{targets.source}`. {len(targets.used('fit'))} fitted, "
        f"{len(targets.used('holdout'))} held out (never fitted). Calibrated parameters: "
        f"{len(plan.factors)}, each with a uniform prior over its range. "
        f"{'Quick size (a smoke test, not a calibration). ' if plan.quick else ''}"
        f"{runs:,} model runs of {plan.years} years in {minutes(sum(result.seconds))}"
        f"{_sessions(result.seconds)}.",
        "",
        "## Method",
        "",
        "History matching with Gaussian-process emulators (scikit-learn), then an approximate "
        "posterior on the last wave's emulators (importance resampling of the kept space), "
        "confirmed on the model; see `calibration/README.md`. A point is ruled out when a "
        "fitted target's implausibility exceeds 3: its distance from the published figure "
        "over the square root of the observation's variance (the range's half-width taken as "
        "two standard deviations), the model discrepancy's and the emulator's. The likelihood "
        "is centred on each target's range: flat inside it, with Gaussian tails of the "
        "discrepancy's and the emulator's sd outside.",
        "",
        f"Model discrepancy (sd, the target's units; `targets.toml` says why): {discrepancy}.",
        "",
        "| wave | design points | share of the prior space still kept |",
        "|---|---|---|",
        *[f"| {w} | {int(r.points)} | {r.kept:.4g} |" for w, r in waves.iterrows()],
        "",
        f"Posterior: {len(result.posterior):,} draws, effective sample size "
        f"{result.ess:,.0f} before resampling.",
        "",
    ]


def _targets_section(result) -> list[str]:
    plan, chosen = result.targets.plan, result.chosen
    fitted = counts(result.check)
    lines = [
        "## Targets against the calibrated model",
        "",
        f"The chosen values are the {chosen['source']} point with the highest likelihood on "
        "emulators refitted to every run (the confirmation runs pooled with the waves'), "
        f"nearest the posterior's centre among the {chosen['candidates']} confirmed points "
        "within a factor 10^0.5 of that likelihood. They run "
        f"{plan.check_replicates} times on seeds the calibration never used. Mean, its 95% "
        "interval, and the 5-95% range of single runs; an order target's value is greater "
        "minus lesser. A target is **met** when the 95% interval lies within its range (an "
        "order target: the interval excludes 0 on the right side), **consistent** when it "
        "overlaps the range, **missed** otherwise.",
        "",
        f"Fitted targets: {fitted['met']} met, {fitted['consistent']} consistent, "
        f"{fitted['missed']} missed.",
        "",
        "| target | use | outcome | published | range | model mean | 95% interval | "
        "runs 5-95% | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in result.check.iterrows():
        published = f"{r['value']:.3g}" if r["kind"] == "level" else "> 0"
        span = f"{r['low']:.3g} to {r['high']:.3g}" if r["kind"] == "level" else "> 0"
        word = r["verdict"] if r["verdict"] == "met" else f"**{r['verdict']}**"
        lines.append(f"| {r['target']} | {r['use']} | `{r['outcome']}` | {published} | {span} | "
                     f"{r['mean']:.3g} | {r['ci_low']:.3g} to {r['ci_high']:.3g} | "
                     f"{r['runs_p5']:.3g} to {r['runs_p95']:.3g} | {word} |")
    return lines + ["", "![targets](figures/targets.png)", ""]


def _posterior_section(result) -> list[str]:
    from simulation.calibration.posterior import (
        EDGE_MASS,
        EDGE_RISING,
        EDGE_ZONE,
        NOT_IDENTIFIED,
        edge_statements,
    )

    ident = result.identification
    lines = ["## Calibrated values and the posterior", "",
             "| parameter | prior range | chosen | posterior median | posterior 90% | "
             f"90% width / prior's | mass in outer {EDGE_ZONE:.0%} (low, high) | status |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in ident.iterrows():
        status = r["status"] if r["status"] == "identified" else f"**{r['status']}**"
        lines.append(f"| `{r['parameter']}` | {r['prior_low']:.4g} to {r['prior_high']:.4g} | "
                     f"{result.chosen['values'][r['parameter']]:.4g} | {r['median']:.4g} | "
                     f"{r['q05']:.4g} to {r['q95']:.4g} | {r['width_ratio']:.2f} | "
                     f"{r['mass_low']:.0%}, {r['mass_high']:.0%} | {status} |")
    lines += ["", f"A parameter is against a bound when {EDGE_MASS:.0%} or more of the posterior "
              f"lies in the outer {EDGE_ZONE:.0%} of its range at that end (a uniform prior puts "
              f"{EDGE_ZONE:.0%} there), or {EDGE_RISING[0]:.0%} or more while that slice is "
              f"nearly the densest ({EDGE_RISING[1]:.0%} of the densest slice or more): the "
              f"posterior rises to the bound. It is identified when its 90% interval is narrower "
              f"than {NOT_IDENTIFIED:.0%} of the prior's, it is not against a bound, and the "
              "interval touches neither bound: truncation at a bound never makes a parameter "
              "identified."]
    edges = edge_statements(ident)
    if edges:
        lines += ["", *edges]
    loose = ident.loc[ident["status"] == "not identified", "parameter"]
    lines += ["", "Not identified by the targets: "
              + (", ".join(f"`{p}`" for p in loose) if len(loose) else "none")
              + ". Their chosen values are one draw of many the targets allow; a study that "
              "depends on them should vary them over the posterior.", "",
              "![posterior](figures/posterior.png)", ""]
    return lines


def _predictive_section(result) -> list[str]:
    plan = result.targets.plan
    post = result.confirmation[result.confirmation["source"] == "posterior"]
    lines = ["## Posterior predictive check", "",
             f"{len(post)} posterior points run on the model ({plan.confirm_replicates} "
             f"run{'s' if plan.confirm_replicates > 1 else ''} each). The probability of "
             "meeting a target is the share of these single runs whose value lies in its "
             "range.", "",
             "| target | use | runs | probability a run meets it |", "|---|---|---|---|"]
    for r in result.check.itertuples():
        share = f"{r.p_meet:.0%}" if r.predictive_runs else "no runs"
        lines.append(f"| {r.target} | {r.use} | {r.predictive_runs} | {share} |")
    return lines + ["", "![predictive](figures/predictive.png)", ""]


def _sessions(seconds: list[float]) -> str:
    if len(seconds) < 2:
        return ""
    return (f" over {len(seconds)} sessions ({', '.join(minutes(s) for s in seconds)}; "
            "a resumed session reuses the stored runs)")


def _validation_section(result) -> list[str]:
    """The report's emulator-validation section."""
    table = result.validation
    lines = ["## Emulator validation", "",
             "Each wave's emulators against design points they were not trained on: the next "
             "wave's runs, and for the last wave the confirmation runs of posterior points. "
             "A point's standardised error is its runs' mean minus the emulator's mean, over "
             "the emulator's sd and the sd of that mean; the emulators validate when at least "
             f"{VALID_SHARE:.0%} of the points lie within 3 sd (Pukelsheim's three-sigma rule). "
             "A wave whose emulators fail still rules out space; the warnings below say so.",
             ""]
    if table.empty:
        return lines + ["No held-back runs: one wave and no confirmation runs of posterior "
                        "points, so no emulator was validated.", ""]
    lines += ["| wave | held back | target | points | within 3 sd | RMSE | validated |",
              "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.wave} | {r.held_back} | {r.target} | {r.points} | "
                     f"{r.within_3sd:.0%} | {r.rmse:.3g} | "
                     f"{'yes' if r.validated else '**no**'} |")
    return lines + ["", "![validation](figures/validation.png)", ""]


def validation_figure(result, plt):
    """Emulated against run values of every held-back point, per target and wave."""
    points = result.validation_points
    names = list(dict.fromkeys(points["target"])) if len(points) else ["(none)"]
    fig, axes = grid(len(names), plt, height=2.6)
    colours = plt.get_cmap("viridis")
    waves = sorted(set(points["wave"])) if len(points) else []
    for ax, name in zip(axes, names, strict=False):
        mine = points[points["target"] == name] if len(points) else points
        for i, wave in enumerate(waves):
            w = mine[mine["wave"] == wave]
            ax.errorbar(w["run_mean"], w["predicted"], yerr=WITHIN * w["sd"], fmt="o", ms=2.5,
                        lw=0.5, alpha=0.7, color=colours(i / max(1, len(waves) - 1)),
                        label=f"wave {wave}: {w['held_back'].iloc[0]}" if len(w) else None)
        if len(mine):
            values = np.concatenate([mine["run_mean"], mine["predicted"]])
            values = values[np.isfinite(values)]
            if len(values):
                ax.plot([values.min(), values.max()], [values.min(), values.max()], "k-", lw=0.7)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("runs' mean", fontsize=7)
        ax.set_ylabel("emulated (3 sd bars)", fontsize=7)
        ax.tick_params(labelsize=7)
    if waves:
        axes[0].legend(fontsize=6)
    fig.suptitle("Emulator validation: each held-back point's emulated value (bars: 3 sd) "
                 "against its runs' mean; black: equality", fontsize=8)
    fig.tight_layout()
    return fig
