"""The three figures of the policy evaluation (matplotlib, no pyplot).

The cost-effectiveness plane, the pairwise acceptability curves (each scenario
against the reference) and the efficient frontier.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.evaluation.increments import EFFECTS, PERSPECTIVES, paired

COST = "incremental cost (kCNY per 1,000 graduates)"


def _figure(ncols: int, width: float = 5.2, height: float = 4.4):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height))
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def _label(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def draw_plane(summary: pd.DataFrame, table: pd.DataFrame, reference: str, path: Path) -> Path:
    """Cost-effectiveness plane per perspective: replicate pairs as points, means with 95% bars.

    The dashed line is the willingness to pay: scenarios below it are cost-effective at it.
    """
    from matplotlib import colormaps

    effect, wtp = table["effect"].iloc[0], float(table["wtp"].iloc[0])
    fig, axes = _figure(len(PERSPECTIVES))
    names = list(dict.fromkeys(table["scenario"]))
    colours = colormaps["tab10"]
    for ax, (perspective, cost) in zip(axes, PERSPECTIVES.items(), strict=True):
        sub = table[table["perspective"] == perspective].set_index("scenario")
        for i, name in enumerate(names):
            if name not in sub.index:
                continue
            colour = colours(i % 10)
            ax.scatter(paired(summary, reference, name, effect),
                       paired(summary, reference, name, cost), s=8, alpha=0.35, color=colour)
            row = sub.loc[name]
            ax.errorbar(row.d_effect, row.d_cost,
                        xerr=[[row.d_effect - row.d_effect_low], [row.d_effect_high - row.d_effect]],
                        yerr=[[row.d_cost - row.d_cost_low], [row.d_cost_high - row.d_cost]],
                        fmt="o", color=colour, markersize=5, capsize=2, label=name)
        xmin, xmax = ax.get_xlim()
        xs = np.linspace(min(xmin, 0.0), max(xmax, 0.0), 2)
        ax.plot(xs, wtp * xs, "--", color="grey", linewidth=0.8, label=f"WTP {wtp:g}")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        _label(ax, f"incremental effect ({EFFECTS[effect]})", COST,
               f"{perspective} perspective, vs {reference}")
    axes[-1].legend(fontsize=6, loc="best")
    return _save(fig, path)


def acceptability_figure(curves: pd.DataFrame, reference: str | None = None):
    """Pairwise acceptability curves: P(NMB > 0 against the reference) by willingness to pay.

    Each curve compares one scenario with the reference alone (the probability that the
    scenario is cost-effective against it), not with the other scenarios; titles and axis
    say so.  The reference is ``reference`` or the curves' ``reference`` column.  A
    scenario with too few pairs has NaN probabilities and draws no line.
    """
    if reference is None:
        reference = str(curves["reference"].iloc[0]) if "reference" in curves and len(curves) \
            else "the reference"
    fig, axes = _figure(len(PERSPECTIVES))
    for ax, perspective in zip(axes, PERSPECTIVES, strict=True):
        sub = curves[curves["perspective"] == perspective]
        for name, rows in sub.groupby("scenario", sort=False):
            if rows["p_cost_effective"].notna().any():
                ax.plot(rows["wtp"], rows["p_cost_effective"], label=name, linewidth=1.2)
        ax.set_ylim(-0.02, 1.02)
        _label(ax, "willingness to pay (kCNY per employment-month)",
               f"P(cost-effective vs {reference})",
               f"acceptability vs {reference} (pairwise), {perspective} perspective")
    if axes[-1].get_legend_handles_labels()[0]:
        axes[-1].legend(fontsize=6, loc="best")
    return fig


def draw_acceptability(curves: pd.DataFrame, path: Path, reference: str | None = None) -> Path:
    """Save :func:`acceptability_figure` to ``path``."""
    return _save(acceptability_figure(curves, reference), path)


def draw_frontier(fronts: pd.DataFrame, path: Path) -> Path:
    """Mean incremental cost against effect per option, the efficient frontier joined up."""
    fig, axes = _figure(len(PERSPECTIVES))
    marks = {"frontier": ("o", "tab:blue"), "dominated": ("x", "tab:red"),
             "extendedly dominated": ("s", "tab:orange")}
    for ax, perspective in zip(axes, PERSPECTIVES, strict=True):
        sub = fronts[fronts["perspective"] == perspective]
        for status, (marker, colour) in marks.items():
            rows = sub[sub["status"] == status]
            ax.scatter(rows["effect"], rows["cost"], marker=marker, color=colour, label=status)
        line = sub[sub["status"] == "frontier"].sort_values("cost")
        ax.plot(line["effect"], line["cost"], color="tab:blue", linewidth=1)
        for row in sub.itertuples(index=False):
            ax.annotate(row.option, (row.effect, row.cost), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
        _label(ax, "incremental effect", COST, f"efficient frontier, {perspective} perspective")
        ax.legend(fontsize=6, loc="best")
    return _save(fig, path)


def draw_all(summary, table, curves, fronts, reference: str, root: Path) -> list[Path]:
    """The three figures in ``root``: ce_plane.png, acceptability.png, frontier.png."""
    root = Path(root)
    return [draw_plane(summary, table, reference, root / "ce_plane.png"),
            draw_acceptability(curves, root / "acceptability.png", reference),
            draw_frontier(fronts, root / "frontier.png")]
