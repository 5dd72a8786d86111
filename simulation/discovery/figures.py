"""Figures of a discovery study: the peeling trajectory, and the restricted factors in pairs."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from simulation.discovery.boxes import Found

MOST_PAIRS = 6  # pairs drawn at most (the boxes' restricted factors, box by box, by quasi-p-value)
COLOURS = ("tab:red", "tab:purple", "tab:orange", "tab:brown", "tab:pink")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def trajectory(found: list[Found], path: Path) -> Path:
    """Coverage against density along each box's peeling, coloured by restricted factors."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    n = max(len(found), 1)
    fig, axes = plt.subplots(1, n, figsize=(5.6 * n, 4.4), squeeze=False)
    if not found:
        axes[0, 0].text(0.5, 0.5, "PRIM found no box", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, f in zip(axes.ravel(), found, strict=False):
        cov = [b.coverage for b in f.trajectory]
        den = [b.density for b in f.trajectory]
        dims = [len(b.restricted) for b in f.trajectory]
        ax.plot(cov, den, color="0.75", lw=1, zorder=1)
        points = ax.scatter(cov, den, c=dims, cmap="viridis", s=22, zorder=2,
                            vmin=0, vmax=max(max(dims), 1))
        ax.scatter([f.box.coverage], [f.box.density], s=140, facecolors="none",
                   edgecolors="tab:red", lw=1.8, zorder=3, label="chosen box (pasted, pruned)")
        ax.set_xlabel("coverage (share of the cases searched)")
        ax.set_ylabel("density (share of cases in the box)")
        ax.set_title(f"Box {f.number}: peeling trajectory")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.legend(loc="lower left", fontsize=8)
        bar = fig.colorbar(points, ax=ax, label="restricted factors")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def pairs(found: list[Found], x: np.ndarray, y: np.ndarray, names: list[str], low: np.ndarray,
          high: np.ndarray, path: Path, effect: np.ndarray | None = None,
          threshold: float | None = None) -> Path:
    """Scatter of the boxes' restricted factors in pairs, cases marked, the boxes drawn.

    A panel draws each box that restricts one of its two factors.  With one
    restricted factor in all, the scatter is that factor against the paired
    effect (``effect``), with the threshold and the box's limits.
    """
    plt = _pyplot()
    dims = _dims(found)
    if len(dims) >= 2:
        chosen = list(combinations(dims, 2))[:MOST_PAIRS]
    elif len(dims) == 1:
        chosen = [(dims[0], None)]
    else:
        chosen = [(0, 1 if x.shape[1] > 1 else None)]
    cols = min(len(chosen), 3)
    rows = -(-len(chosen) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 4.4 * rows), squeeze=False)
    for ax in axes.ravel()[len(chosen):]:
        ax.set_visible(False)
    for ax, (i, j) in zip(axes.ravel(), chosen, strict=False):
        vertical = x[:, j] if j is not None else effect
        ax.scatter(x[~y, i], vertical[~y], s=9, color="0.7", label="other points")
        ax.scatter(x[y, i], vertical[y], s=11, color="tab:blue", label="case of interest")
        for f in found:
            if i not in f.box.restricted and (j is None or j not in f.box.restricted):
                continue
            colour = COLOURS[(f.number - 1) % len(COLOURS)]
            label = f"box {f.number}" + (" (points outside earlier boxes)" if f.number > 1 else "")
            x0, x1 = max(f.box.low[i], low[i]), min(f.box.high[i], high[i])
            if j is None:
                ax.axvspan(x0, x1, color=colour, alpha=0.12, label=label)
            else:
                y0, y1 = max(f.box.low[j], low[j]), min(f.box.high[j], high[j])
                ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2,
                                           edgecolor=colour, label=label))
        if j is None and threshold is not None:
            ax.axhline(threshold, color="k", lw=1, ls="--", label="threshold")
        ax.set_xlabel(names[i])
        ax.set_ylabel(names[j] if j is not None else "paired effect (mean over replicates)")
        ax.set_xlim(low[i], high[i])
        if j is not None:
            ax.set_ylim(low[j], high[j])
    axes.ravel()[0].legend(loc="best", fontsize=7)
    if not found:
        fig.suptitle("PRIM found no box")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _dims(found: list[Found]) -> list[int]:
    """Restricted factors, box by box and by quasi-p-value within a box, each once."""
    dims: list[int] = []
    for f in found:
        for j in sorted(f.box.restricted, key=lambda j: f.quasi_p_values.get(j, 1.0)):
            if j not in dims:
                dims.append(j)
    return dims
