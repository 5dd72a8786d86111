"""Figures of a decision study: the CE plane as clouds of draws, acceptability, EVPI and EVPPI.

Each ``*_figure`` function returns a Matplotlib figure (the notebook saves it as PNG and
PDF); :func:`draw_all` writes the four into a folder as PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.decisions.analysis import ALL, Analysis
from simulation.decisions.study import Decision
from simulation.evaluation.increments import EFFECTS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _unit(decision: Decision) -> str:
    return EFFECTS[decision.effect].split(" per ")[0]


def plane_figure(decision: Decision, analysis: Analysis):
    """Incremental cost against incremental effect per draw, each option against no policy."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 5.4))
    per = analysis.per_draw
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(decision.names):
        if k == 0:
            continue  # the no-policy option, at the origin; its colour is kept for it
        rows = per[per["option"] == name]
        ax.scatter(rows["d_effect"], rows["d_cost"], s=7, alpha=0.35, color=colours(k % 10),
                   label=name)
        ax.scatter(rows["d_effect"].mean(), rows["d_cost"].mean(), s=70, marker="X",
                   color=colours(k % 10), edgecolor="black", linewidth=0.6)
    lim = np.nanmax(np.abs(per["d_effect"].to_numpy())) or 1.0
    xs = np.array([-lim, lim])
    ax.plot(xs, decision.willingness_to_pay * xs, ls="--", c="0.4", lw=0.9,
            label=f"WTP {decision.willingness_to_pay:g}")
    ax.axhline(0, c="0.7", lw=0.6)
    ax.axvline(0, c="0.7", lw=0.6)
    ax.set(xlabel=f"incremental {_unit(decision)} per 1,000 graduates",
           ylabel=f"incremental {decision.perspective} cost, kCNY per 1,000 graduates",
           title=f"Each option against {decision.no_policy}: one point per draw (X: the mean)")
    ax.legend(fontsize=7, markerscale=2, ncol=2)
    fig.tight_layout()
    return fig


def acceptability_figure(decision: Decision, analysis: Analysis):
    """Multi-option acceptability curves with the frontier, and expected loss curves."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.0, 4.8))
    curves, front = analysis.acceptability, analysis.frontier
    colours = plt.get_cmap("tab10")
    for k, name in enumerate(decision.names):
        rows = curves[curves["option"] == name]
        left.plot(rows["wtp"], rows["probability_best"], color=colours(k % 10), lw=1.2,
                  label=name)
        right.plot(rows["wtp"], rows["expected_loss"], color=colours(k % 10), lw=1.2, label=name)
    left.plot(front["wtp"], front["probability_best"], ls="none", marker="o", ms=6, mfc="none",
              mec="black", label="frontier (highest expected net benefit)")
    right.plot(analysis.evpi["wtp"], analysis.evpi["evpi"], c="black", ls=":", lw=1.5,
               label="EVPI (loss of the chosen option)")
    for ax in (left, right):
        ax.axvline(decision.willingness_to_pay, c="0.6", ls="--", lw=0.8)
        ax.set_xlabel(f"willingness to pay, kCNY per {_unit(decision)[:-1]}")
    left.set(ylabel="probability of the highest net benefit", ylim=(-0.02, 1.02),
             title="Acceptability over all options, and the frontier")
    right.set(ylabel="expected loss, kCNY per 1,000 graduates", title="Expected loss")
    left.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def evpi_figure(decision: Decision, analysis: Analysis):
    """EVPI per 1,000 graduates against willingness to pay, with the population on a second axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 4.6))
    table = analysis.evpi
    ax.plot(table["wtp"], table["evpi"], c="0.5", ls="--", label="from draw means (with seed noise)")
    reg, se = table["evpi_regression"], table["evpi_regression_se"]
    ax.plot(table["wtp"], reg, c="tab:blue", label="by regression (seed noise removed)")
    ax.fill_between(table["wtp"], reg - 1.96 * se, reg + 1.96 * se, color="tab:blue", alpha=0.2,
                    lw=0)
    ax.axvline(decision.willingness_to_pay, c="0.6", ls=":", lw=0.8)
    ax.set(xlabel=f"willingness to pay, kCNY per {_unit(decision)[:-1]}",
           ylabel="EVPI, kCNY per 1,000 graduates", title="Expected value of perfect information")
    factor = decision.followed_graduates() / 1000.0 * 1e3 / 1e9  # kCNY per 1,000 -> CNY bn
    second = ax.secondary_yaxis("right", functions=(lambda y: y * factor, lambda y: y / factor))
    second.set_ylabel(f"CNY billion, {decision.scale.label} ({decision.scale.year})", fontsize=8)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def evppi_figure(decision: Decision, analysis: Analysis):
    """EVPPI of each input and group at the stated willingness to pay, with 95% error bars."""
    plt = _pyplot()
    ev = analysis.evppi
    rows = ev[np.isclose(ev["wtp"], decision.willingness_to_pay)]
    rows = rows.sort_values(["kind", "evppi"], ascending=[False, True])
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * len(rows) + 1.6))
    colour = rows["kind"].map({"input": "tab:blue", "group": "tab:orange", "all": "0.4"})
    y = np.arange(len(rows))
    ax.barh(y, rows["evppi"], xerr=1.96 * rows["se"], color=colour, capsize=2,
            error_kw={"lw": 0.8})
    ax.set_yticks(y, [r if r != ALL else f"{ALL} (EVPI)" for r in rows["input"]], fontsize=7)
    ax.axvline(0, c="0.5", lw=0.6)
    ax.set(xlabel="EVPPI, kCNY per 1,000 graduates",
           title=f"Partial perfect information at WTP {decision.willingness_to_pay:g} "
                 "(blue: inputs, orange: groups)")
    fig.tight_layout()
    return fig


FIGURES = {"ce_plane": plane_figure, "acceptability": acceptability_figure,
           "evpi": evpi_figure, "evppi": evppi_figure}


def draw_all(decision: Decision, analysis: Analysis, folder: Path) -> list[Path]:
    """Write every figure as PNG into ``folder``; their paths."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        fig = make(decision, analysis)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
