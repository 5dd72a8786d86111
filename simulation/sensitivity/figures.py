"""Figures of a sensitivity study: Morris mu*-sigma, index bars with intervals, convergence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.sensitivity.indices import headline

TOP = 12  # factors shown per outcome in bars and convergence plots


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int):
    plt = _pyplot()
    cols = min(n, 2)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 4.6 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return plt, fig, axes.ravel()


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def morris_plot(table: pd.DataFrame, path: Path, label: str = "") -> Path:
    """mu* against sigma per outcome, the top factors named; noise-level factors in grey."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes, outcomes, strict=False):
        rows = table[table["outcome"] == outcome]
        wide = rows.pivot(index="parameter", columns="index", values="value")
        ok = rows[rows["index"] == "mu_star"].set_index("parameter")["distinguishable"]
        colours = np.where(ok.reindex(wide.index).fillna(False).to_numpy(bool), "tab:blue",
                           "0.7")
        ax.scatter(wide["mu_star"], wide["sigma"], s=18, c=colours)
        top = wide["mu_star"].nlargest(8)
        for name, value in top.items():
            ax.annotate(name, (value, wide.loc[name, "sigma"]), fontsize=7,
                        xytext=(3, 2), textcoords="offset points")
        lim = float(np.nanmax(wide[["mu_star", "sigma"]].to_numpy())) * 1.05 or 1.0
        ax.plot([0, lim], [0, lim], ls=":", c="0.5", lw=0.8)
        ax.set(xlabel="mu* (effect over the whole range)", ylabel="sigma (interactions, "
               "non-linearity)", title=f"{outcome}{label}")
    return _save(plt, fig, path)


def bars(table: pd.DataFrame, path: Path, indices: tuple[str, ...], label: str = "") -> Path:
    """Index bars with 95% intervals, top factors by the first index, per outcome."""
    outcomes = list(dict.fromkeys(table["outcome"]))
    plt, fig, axes = _grid(len(outcomes))
    for ax, outcome in zip(axes, outcomes, strict=False):
        rows = table[(table["outcome"] == outcome) & table["index"].isin(indices)]
        value = rows.pivot(index="parameter", columns="index", values="value")
        conf = rows.pivot(index="parameter", columns="index", values="conf")
        order = value[indices[0]].sort_values(ascending=False).index[:TOP][::-1]
        pos = np.arange(len(order))
        height = 0.8 / len(indices)
        for k, index in enumerate(indices):
            ax.barh(pos + k * height, value.loc[order, index], height,
                    xerr=conf.loc[order, index].fillna(0.0), label=index, capsize=2)
        ax.set_yticks(pos + height * (len(indices) - 1) / 2, order, fontsize=7)
        ax.axvline(0, c="0.3", lw=0.8)
        ax.set(title=f"{outcome}{label}", xlabel="index (95% bootstrap interval)")
        ax.legend(fontsize=7)
    return _save(plt, fig, path)


def convergence_plot(conv: pd.DataFrame, method: str, path: Path, label: str = "") -> Path:
    """The headline index of the top factors against sample size, with 95% bands."""
    index = headline(method)
    rows = conv[conv["index"] == index]
    outcomes = list(dict.fromkeys(rows["outcome"]))
    plt, fig, axes = _grid(max(1, len(outcomes)))
    unit = {"morris": "trajectories", "sobol": "base samples N", "pawn": "sample points"}[method]
    for ax, outcome in zip(axes, outcomes, strict=False):
        mine = rows[rows["outcome"] == outcome]
        last = mine[mine["n"] == mine["n"].max()]
        top = last.nlargest(6, "value")["parameter"]
        for name in top:
            line = mine[mine["parameter"] == name].sort_values("n")
            ax.plot(line["n"], line["value"], marker="o", ms=3, label=name)
            ax.fill_between(line["n"], line["value"] - line["conf"].fillna(0),
                            line["value"] + line["conf"].fillna(0), alpha=0.15)
        ax.set_xscale("log", base=2)
        ax.set(xlabel=unit, ylabel=index, title=f"{outcome}{label}")
        ax.legend(fontsize=7)
    return _save(plt, fig, path)
