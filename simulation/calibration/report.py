"""A calibration's written outputs: calibrated.toml, figures and report.md."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from simulation.batch.study_dir import minutes

FIGURES = ("targets.png", "posterior.png", "predictive.png")


def write_calibrated(result) -> str:
    """The calibrated values as a TOML file the registry reads (``calibration/calibrated.toml``)."""
    targets, plan = result.targets, result.targets.plan
    fitted = ", ".join(f'"{t.name}"' for t in targets.used("fit"))
    lines = [
        "# Calibrated defaults of the no-policy baseline. The registry",
        "# (simulation/parameters.py) reads [values] as these parameters' defaults.",
        f"# Written by `iesim calibrate {targets.source} --out {result.out}`",
        f"# on {dt.date.today().isoformat()}; its report is report.md beside this file.",
        "",
        "[calibration]",
        f'targets = "{Path(targets.source).name}"',
        f'hash = "{_hash(result)}"',
        f"fitted = [{fitted}]",
        f'method = "history matching with Gaussian-process emulators ({len(set(result.waves["wave"]))} '
        f'waves), emulator posterior, confirmed on the model"',
        f"fit_met = {result.chosen['fit_met']}",
        "",
        "[values]",
    ]
    for f in plan.factors:
        value = result.chosen["values"][f.name]
        lines.append(f"{f.name} = {value!r}")
    return "\n".join(lines) + "\n"


def _hash(result) -> str:
    from simulation.calibration.run import calibration_hash

    return calibration_hash(result.targets)


def draw(result) -> list[Path]:
    """Write the figures into ``out/figures``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = result.out / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, painter in zip(FIGURES, (targets_figure, posterior_figure, predictive_figure), strict=True):
        fig = painter(result, plt)
        path = folder / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def _grid(n, plt, width=3.2, height=2.1):
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


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
    fig, axes = _grid(len(table), plt)
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
    fig, axes = _grid(len(plan.factors), plt)
    ident = result.identification.set_index("parameter")
    for ax, f in zip(axes, plan.factors, strict=False):
        if len(result.posterior):
            ax.hist(result.posterior[f.name], bins=25, range=(f.low, f.high), color="tab:blue",
                    alpha=0.7)
        ax.axvline(result.chosen["values"][f.name], color="k", lw=1)
        ax.set_xlim(f.low, f.high)
        flag = "" if ident.loc[f.name, "identified"] else " (not identified)"
        ax.set_title(f.name + flag, fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    fig.suptitle("Posterior of the calibrated parameters over their prior (plausible) range; "
                 "black: the chosen values", fontsize=8)
    fig.tight_layout()
    return fig


def predictive_figure(result, plt):
    """The posterior predictive check: confirmed points' means against each target."""
    table, confirm = result.check, result.confirmation
    fig, axes = _grid(len(table), plt)
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
                 "on the model", fontsize=8)
    fig.tight_layout()
    return fig


def report(result) -> str:
    """The calibration's report as Markdown."""
    targets, plan = result.targets, result.targets.plan
    waves = result.waves.groupby("wave").agg(points=("point", "size"),
                                             kept=("kept_share", "first"))
    runs = (len(result.waves) * plan.replicates + len(result.confirmation) * plan.confirm_replicates
            + plan.check_replicates)
    fit_table = result.check
    confirm = result.confirmation
    post = confirm[confirm["source"] == "posterior"]
    lines = [
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
        "fitted target's implausibility exceeds 3 (range half-width taken as two standard "
        "deviations, plus the emulator's variance about the model's expected output).",
        "",
        "| wave | design points | share of the prior space still kept |",
        "|---|---|---|",
        *[f"| {w} | {int(r.points)} | {r.kept:.4g} |" for w, r in waves.iterrows()],
        "",
        f"Posterior: {len(result.posterior):,} draws, effective sample size "
        f"{result.ess:,.0f} before resampling.",
        "",
        "## Targets against the calibrated model",
        "",
        f"The chosen values ({result.chosen['source']} point) run {plan.check_replicates} "
        "times on seeds the calibration never used. Mean, its 95% interval, and the 5-95% "
        "range of single runs; an order target's value is greater minus lesser.",
        "",
        "| target | use | outcome | published | range | model mean | 95% interval | "
        "runs 5-95% | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in fit_table.iterrows():
        published = f"{r['value']:.3g}" if r["kind"] == "level" else "> 0"
        rng = f"{r['low']:.3g} to {r['high']:.3g}" if r["kind"] == "level" else "> 0"
        lines.append(f"| {r['target']} | {r['use']} | `{r['outcome']}` | {published} | {rng} | "
                     f"{r['mean']:.3g} | {r['ci_low']:.3g} to {r['ci_high']:.3g} | "
                     f"{r['runs_p5']:.3g} to {r['runs_p95']:.3g} | "
                     f"{'yes' if r['met'] else '**no**'} |")
    lines += ["", "![targets](figures/targets.png)", "",
              "## Calibrated values and the posterior", "",
              "| parameter | prior range | chosen | posterior median | posterior 90% | "
              "sd / prior sd | identified |",
              "|---|---|---|---|---|---|---|"]
    for _, r in result.identification.iterrows():
        lines.append(f"| `{r['parameter']}` | {r['prior_low']:.4g} to {r['prior_high']:.4g} | "
                     f"{result.chosen['values'][r['parameter']]:.4g} | {r['median']:.4g} | "
                     f"{r['q05']:.4g} to {r['q95']:.4g} | {r['sd_ratio']:.2f} | "
                     f"{'yes' if r['identified'] else '**no**'} |")
    unidentified = result.identification.loc[~result.identification["identified"], "parameter"]
    lines += ["", "Not identified by the targets (posterior sd at least "
              f"{_not_identified():.0%} of the prior's): "
              + (", ".join(f"`{p}`" for p in unidentified) if len(unidentified) else "none")
              + ". Their chosen values are one draw of many the targets allow; a study that "
              "depends on them should vary them over the posterior.", "",
              "![posterior](figures/posterior.png)", "",
              "## Posterior predictive check", "",
              f"{len(post)} posterior points run on the model "
              f"({plan.confirm_replicates} replicates each); share of them whose mean meets "
              "each target:", "",
              "| target | use | share of posterior points meeting it |", "|---|---|---|"]
    from simulation.calibration.run import _met

    for t in targets.targets:
        share = (np.mean([_met(t, v) for v in post[t.name]]) if len(post) else float("nan"))
        lines.append(f"| {t.name} | {t.use} | {share:.0%} |")
    lines += ["", "![predictive](figures/predictive.png)", ""]
    if result.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    return "\n".join(lines)


def _sessions(seconds: list[float]) -> str:
    if len(seconds) < 2:
        return ""
    return (f" over {len(seconds)} sessions ({', '.join(minutes(s) for s in seconds)}; "
            "a resumed session reuses the stored runs)")


def _not_identified() -> float:
    from simulation.calibration.run import NOT_IDENTIFIED

    return NOT_IDENTIFIED
