"""Shared figure code for the notebooks (``notebooks/``): data in, figures out.

The notebooks hold no model logic: they run batches through the batch
runner (:func:`run_batch`, which reuses a complete stored batch), read the
results, and call these functions.  Effects with intervals come from
:func:`simulation.batch.stats.comparison`, the same code ``iesim report``
prints; the evaluation figures from :mod:`simulation.evaluation.figures`.
Every figure is saved as PNG and PDF under a fixed name (:func:`save`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
"""FULL size, and every run's seed, are the baseline scenario file's."""
QUICK = {"replicates": 3, "years": 4,
         "population": {"n_students": 2000, "n_technical_universities": 1,
                        "n_art_schools": 1, "n_comprehensive_universities": 1,
                        "n_firms_tech": 20, "n_firms_design": 10, "n_firms_agri": 10}}
SIZES = ("QUICK", "FULL")
LABELS = {
    "employment_rate_6m": "employed at 6 months",
    "employment_rate_12m": "employed at 12 months",
    "matched_employment_share": "matched employment",
    "placement_coverage": "placement coverage",
    "curriculum_gap": "curriculum gap",
    "active_partnerships": "active partnerships",
    "partnership_survival_3y": "3-year partnership survival",
}


def size(name: str) -> dict[str, Any]:
    """The settings of a size: ``QUICK``, or ``FULL`` (the baseline file's replicates and years)."""
    if name not in SIZES:
        raise ValueError(f"SIZE must be one of {', '.join(SIZES)}; got {name!r}")
    if name == "QUICK":
        return QUICK
    from simulation.scenarios import load_scenario

    base = load_scenario(BASELINE)
    return {"replicates": base.replicates, "years": base.years, "population": {}}


def seed() -> int:
    """The master seed of every notebook batch: the scenario files' (the baseline's)."""
    from simulation.scenarios import load_scenario

    return load_scenario(BASELINE).seed


def scenario(file: str | Path, size_name: str, **extra) -> dict[str, Any]:
    """A scenario file's model keywords at a size (the QUICK population replaces the file's)."""
    from simulation.scenarios import load_scenario

    params = dict(load_scenario(file).params)
    small = size(size_name)["population"]
    if small and "n_students" not in params:  # a case keeps its own (small) population
        params = {k: v for k, v in params.items() if not k.startswith("n_")} | small
    return {**params, **extra}


def run_batch(scenarios: dict[str, dict], out: str | Path, size_name: str,
              timeseries: bool = False, outcomes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Run (or reuse the complete stored) batch of ``scenarios`` at a size; its summary.

    Replicate r of every scenario shares its random streams (common random
    numbers), as in ``iesim batch``.
    """
    from simulation.batch import run_scenarios
    from simulation.batch.iesim_task import iesim_task

    s = size(size_name)
    return run_scenarios(iesim_task(outcomes=outcomes, keep_timeseries=timeseries), scenarios,
                         replicates=s["replicates"], seed=seed(), steps=12 * s["years"],
                         out=Path(out), progress=False)


def timeseries(summary: pd.DataFrame, out: str | Path, scenario_name: str) -> pd.DataFrame:
    """Monthly outcomes of every replicate of one scenario (long: replicate, month, outcomes)."""
    rows = summary[summary["scenario"] == scenario_name]
    frames = [pd.read_parquet(Path(out) / "timeseries" / f"run-{run_id}.parquet")
              for run_id in rows["run_id"]]
    return pd.concat(frames, ignore_index=True).rename(columns={"step": "month"})


def bands(ax, series: pd.DataFrame, outcome: str, colour: str = "tab:blue",
          label: str | None = None) -> None:
    """Mean over replicates by month with its 95% t interval as a band."""
    from scipy import stats

    grouped = series.groupby("month")[outcome]
    mean, sd, n = grouped.mean(), grouped.std(ddof=1), grouped.count()
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    years = mean.index.to_numpy() / 12.0
    ax.plot(years, mean.to_numpy(), color=colour, lw=1.5, label=label)
    ax.fill_between(years, (mean - half).to_numpy(), (mean + half).to_numpy(), color=colour,
                    alpha=0.25, lw=0)
    ax.set_xlabel("years")


def effects(summary: pd.DataFrame, outcomes: tuple[str, ...], reference: str) -> pd.DataFrame:
    """Each scenario's paired difference from ``reference`` with its 95% interval.

    The table ``iesim report`` prints (:func:`simulation.batch.stats.comparison`),
    without the reference's own rows.
    """
    from simulation.batch.stats import comparison

    table = comparison(summary, list(outcomes), reference)
    return table[table["scenario"] != reference].reset_index(drop=True)


def effect_bars(ax, table: pd.DataFrame, outcome: str, title: str | None = None) -> None:
    """Horizontal bars of one outcome's paired differences, with 95% intervals."""
    rows = table[table["outcome"] == outcome]
    y = np.arange(len(rows))
    ax.barh(y, rows["diff"], color="tab:blue", alpha=0.7)
    ax.errorbar(rows["diff"], y, xerr=[rows["diff"] - rows["diff_low"],
                                       rows["diff_high"] - rows["diff"]],
                fmt="none", ecolor="k", capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [s.replace("lever_", "").replace("_", " ") for s in rows["scenario"]])
    ax.invert_yaxis()
    ax.set_title(title or LABELS.get(outcome, outcome), fontsize=10)


def level_points(ax, table: pd.DataFrame, outcome: str, title: str | None = None) -> None:
    """Each scenario's mean of one outcome with its 95% interval (levels, not differences)."""
    rows = table[table["outcome"] == outcome]
    y = np.arange(len(rows))
    ax.errorbar(rows["mean"], y, xerr=[rows["mean"] - rows["ci_low"],
                                       rows["ci_high"] - rows["mean"]], fmt="o", capsize=3)
    ax.set_yticks(y, [s.replace("_", " ") for s in rows["scenario"]])
    ax.invert_yaxis()
    ax.set_title(title or LABELS.get(outcome, outcome), fontsize=10)


def run_models(arms: dict[str, dict], size_name: str) -> dict[str, list]:
    """Each arm's replicate models, run to the size's years on common random numbers."""
    from simulation.model import IndustryEducationModel

    s, master = size(size_name), seed()
    out = {}
    for arm, params in arms.items():
        runs = []
        for r in range(s["replicates"]):
            model = IndustryEducationModel(rng=np.random.SeedSequence(master, spawn_key=(r,)),
                                           **params)
            model.run_years(s["years"])
            runs.append(model)
        out[arm] = runs
    return out


def evaluation(summary: pd.DataFrame, reference: str):
    """The policy evaluation ``iesim report`` writes: (table, acceptability curves, frontiers).

    The acceptability curves are pairwise, each scenario against ``reference``.
    """
    from simulation.evaluation.increments import curves_and_fronts, evaluate

    table = evaluate(summary, reference)
    curves, fronts = curves_and_fronts(summary, table, reference)
    return table, curves, fronts


def lifetimes(models: dict[str, list]) -> pd.DataFrame:
    """Every signed partnership of each arm's models: kind, months active, ended or censored."""
    from simulation.model.policy import KINDS

    rows = []
    for arm, runs in models.items():
        for replicate, model in enumerate(runs):
            for p in model.network.all:
                if p.start_step < 0:
                    continue
                rows.append({"arm": arm, "replicate": replicate, "kind": KINDS[p.kind],
                             "months": p.duration(model.steps), "ended": p.state == "ended",
                             "granted": p.grant > 0})
    return pd.DataFrame(rows)


def survival(ax, frame: pd.DataFrame, label: str, colour: str) -> None:
    """Kaplan-Meier survival with its 95% band (``scipy.stats.ecdf`` on right-censored data)."""
    from scipy import stats

    if not len(frame):
        return
    data = stats.CensoredData(uncensored=frame.loc[frame["ended"], "months"].to_numpy(float),
                              right=frame.loc[~frame["ended"], "months"].to_numpy(float))
    result = stats.ecdf(data)
    sf = result.sf
    grid = np.linspace(0, max(frame["months"].max(), 1), 200)
    band = sf.confidence_interval(0.95)
    ax.step(grid, sf.evaluate(grid), where="post", color=colour, label=label)
    ax.fill_between(grid, band.low.evaluate(grid), band.high.evaluate(grid), step="post",
                    color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("months since signing")
    ax.set_ylim(0, 1.02)


def yearly_hazard(frame: pd.DataFrame, age: int) -> tuple[float, int]:
    """Share of the lifetimes alive at ``age`` months that end within the next 12, and how many.

    Lifetimes censored before ``age + 12`` without ending are left out (not followed
    through the year).
    """
    months, ended = frame["months"].to_numpy(float), frame["ended"].to_numpy(bool)
    at_risk = (months >= age) & (ended | (months >= age + 12))
    n = int(at_risk.sum())
    if n == 0:
        return float("nan"), 0
    return float((at_risk & ended & (months < age + 12)).sum() / n), n


def logrank(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """The log-rank test's p-value for two groups of lifetimes (``scipy.stats.logrank``)."""
    from scipy import stats

    def censored(f):
        return stats.CensoredData(uncensored=f.loc[f["ended"], "months"].to_numpy(float),
                                  right=f.loc[~f["ended"], "months"].to_numpy(float))

    return float(stats.logrank(censored(a), censored(b)).pvalue)


def save(fig, name: str, folder: str | Path = "figures") -> list[Path]:
    """Write ``name.png`` and ``name.pdf`` into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png", folder / f"{name}.pdf"]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    return paths
