"""Run a discovery study into an output directory, resumably.

``DIR`` receives, as the study goes:

* ``discovery.json``: the validated study (its hash guards ``--resume``);
* ``samples.parquet``: the Latin hypercube, unit coordinates and factor values;
* ``runs/``: the batch runner's results store (both arms of every point);
* ``results.parquet``: the paired effect of every point and replicate;
* ``points.parquet``: the sample and its outcomes: each point's factor values,
  mean paired effect and its replicate sd per outcome, whether it is a case,
  whether that could flip with the seed (``uncertain``), the case as a
  probability (``case_probability``), and the PRIM box holding it (0: none);
* ``boxes.csv`` and ``boxes.md``: the box table; ``trajectory.csv``: every peeling step;
* ``cart.txt`` (the tree's rules) and ``cart_leaves.csv`` (its leaves as boxes);
* ``figures/trajectory.png`` and ``figures/pairs.png``;
* ``sessions.json`` (the wall time of every session) and ``report.md``.

An interrupted study continues with ``resume=True``: finished runs are kept,
the design is regenerated from the seed and checked against the stored one,
and the analysis, which is deterministic in the seed, is redone on all runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.batch.specs import stable_hash
from simulation.batch.store import write_atomically
from simulation.batch.study_checks import nan_reason
from simulation.batch.study_dir import claim, record_session, settle
from simulation.discovery import boxes, cart, figures
from simulation.discovery.report import report
from simulation.discovery.study import Discovery, unit_design
from simulation.sensitivity.run import write_samples
from simulation.sensitivity.runs import evaluate
from simulation.sensitivity.sampling import value_matrix

MIN_KNOWN = 10
"""Fewest points with a value of the case's outcome that the analysis goes on with."""


@dataclass
class DiscoveryResult:
    """What a finished discovery produced (also written to its directory)."""

    discovery: Discovery
    points: pd.DataFrame
    found: list[boxes.Found]
    table: pd.DataFrame
    leaves: pd.DataFrame
    rules: str
    uncertain: float
    seconds: list[float]
    warnings: list[str]
    out: Path


def discovery_hash(discovery: Discovery) -> str:
    """Hash of what determines a discovery's numbers (not its name, description or source)."""
    described = discovery.describe()
    for key in ("description", "source", "name"):
        described.pop(key)
    return stable_hash(described)


def run_discovery(discovery: Discovery, out: str | Path, *, resume: bool = False,
                  replan: bool = False, figures_too: bool = True, **runner) -> DiscoveryResult:
    """Sample, run, and find the boxes of a discovery study in ``out``.

    Args:
        discovery: a validated study (:func:`~simulation.discovery.study.load_discovery`).
        out: the output directory: new or empty, or this study's with ``resume``.
        resume: continue the study already in ``out`` (also after its settings
            changed, when the change leaves its stored runs as they were).
        replan: with ``resume``, keep the stored runs changed settings leave as
            they were and run the others anew.
        figures_too: also draw the figures.
        **runner: how and where runs execute, passed to
            :func:`~simulation.sensitivity.runs.evaluate` (``task``, ``backend``,
            ``workers``, ``scheduler``, ``chunk_size``, ``progress``).

    Raises:
        InputError: ``out`` holds something else, or another study.
        RuntimeError: some runs failed (rerun with ``resume``).
    """
    started = time.perf_counter()
    out = Path(out)
    study = discovery.study
    changed = claim(out, "discovery.json", discovery_hash(discovery),
                    {"discovery": discovery.describe()}, resume, "discovery", changeable=True)
    unit = unit_design(discovery)
    if not changed:
        write_samples(study, unit, out)
    values = evaluate(study, unit, out, replan=replan, **runner)
    if changed:  # the runs store took the change: the study is now this one
        write_samples(study, unit, out, replace=True)
        settle(out, "discovery.json", discovery_hash(discovery),
               {"discovery": discovery.describe()}, "discovery", changed=True)
    write_atomically(out / "results.parquet", lambda p: values.to_parquet(p, index=False))

    x = value_matrix(study, unit)
    points = _points(discovery, x, values)
    known = points[f"effect_{discovery.outcome}"].notna().to_numpy()
    if known.sum() < MIN_KNOWN:
        raise RuntimeError(f"the case's outcome {discovery.outcome} has a paired effect at "
                           f"{int(known.sum())} of {len(known)} points, too few to find where the "
                           f"case concentrates ({nan_reason(discovery.outcome)}); the runs are "
                           "kept in the output directory")
    found, known = find_boxes(discovery, points)
    y = points["case"].to_numpy(bool)
    low, high = ranges(discovery)
    held = np.zeros(len(points), dtype=int)
    for f in found:
        held[np.flatnonzero(known)[f.inside]] = f.number
    points["box"] = held
    table = boxes.table(found, study.names, low, high)
    tree = cart.fit(x[known], y[known], study.names, max_depth=discovery.tree_depth,
                    min_leaf=discovery.mass_min, seed=study.seed % 2**32)
    leaves = _leaves(tree, study.names, low, high)
    rules = cart.describe(tree)
    uncertain = _uncertain(discovery, points)
    case_share = float(y[known].mean()) if known.any() else float("nan")

    write_atomically(out / "points.parquet", lambda p: points.to_parquet(p, index=False))
    write_atomically(out / "boxes.csv", lambda p: table.to_csv(p, index=False))
    write_atomically(out / "boxes.md", lambda p: Path(p).write_text(
        boxes.markdown(table, case_share), encoding="utf-8"))
    trajectory = boxes.trajectory_table(found)
    write_atomically(out / "trajectory.csv", lambda p: trajectory.to_csv(p, index=False))
    write_atomically(out / "cart.txt", lambda p: Path(p).write_text(rules, encoding="utf-8"))
    write_atomically(out / "cart_leaves.csv", lambda p: leaves.to_csv(p, index=False))
    if figures_too:
        folder = out / "figures"
        folder.mkdir(exist_ok=True)
        figures.trajectory(found, folder / "trajectory.png")
        figures.pairs(found, x[known], y[known], study.names, low, high, folder / "pairs.png",
                      points.loc[known, f"effect_{discovery.outcome}"].to_numpy(),
                      discovery.threshold)
    warnings = _warnings(discovery, points, known, found, uncertain)
    seconds = record_session(out, time.perf_counter() - started)
    result = DiscoveryResult(discovery, points, found, table, leaves, rules, uncertain, seconds,
                             warnings, out)
    write_atomically(out / "report.md", lambda p: Path(p).write_text(report(result),
                                                                     encoding="utf-8"))
    return result


def find_boxes(discovery: Discovery, points: pd.DataFrame) -> tuple[list[boxes.Found], np.ndarray]:
    """PRIM's boxes over the points with a value (deterministic in the study's seed).

    Args:
        discovery: the study.
        points: its points (``points.parquet``): factor values and ``case``.

    Returns:
        (the boxes, which points have a value of the case's outcome); each
        box's ``inside`` refers to the points with a value. Points stored
        without ``uncertain`` (before it was written) leave the boxes'
        uncertain share and replicate density NaN.
    """
    study = discovery.study
    known = points[f"effect_{discovery.outcome}"].notna().to_numpy()
    x = points[study.names].to_numpy(float)[known]
    y = points["case"].to_numpy(bool)[known]
    found = boxes.find(x, y, boxes=discovery.boxes, alpha=discovery.alpha,
                       mass_min=discovery.mass_min, coverage_weight=discovery.coverage_weight,
                       level=discovery.significance, permutations=discovery.permutations,
                       resamples=discovery.resamples, seed=study.seed,
                       **({"uncertain": points["uncertain"].to_numpy(bool)[known],
                           "probability": points["case_probability"].to_numpy(float)[known]}
                          if "uncertain" in points else {}))
    return found, known


def ranges(discovery: Discovery) -> tuple[np.ndarray, np.ndarray]:
    """The factors' sampled ranges: (lows, highs)."""
    factors = discovery.study.factors
    return (np.array([f.low for f in factors], dtype=float),
            np.array([f.high for f in factors], dtype=float))


def _points(discovery: Discovery, x: np.ndarray, values: pd.DataFrame) -> pd.DataFrame:
    """Each point's factor values, mean paired effect and replicate sd, and its case.

    ``case`` is read on the mean over replicates. A point is ``uncertain``
    when that mean lies within 1.96 standard errors (replicate sd over the
    root of its replicates with a value) of the threshold, so its case could
    flip with the seed (never with one replicate, which gives no standard
    error). ``case_probability`` is the share of an uncertain point's
    replicates that are cases on their own, and 1 or 0 (its case) for the
    others; NaN without a value.
    """
    study = discovery.study
    frame = pd.DataFrame(x, columns=study.names)
    frame.insert(0, "point", np.arange(len(x)))
    grouped = values.groupby("point")[list(study.outcomes)]
    means, sds = grouped.mean().sort_index(), grouped.std(ddof=1).sort_index()
    for outcome in study.outcomes:
        frame[f"effect_{outcome}"] = means[outcome].reindex(frame["point"]).to_numpy()
        frame[f"sd_{outcome}"] = sds[outcome].reindex(frame["point"]).to_numpy()
    effect = frame[f"effect_{discovery.outcome}"].to_numpy(float)
    frame["case"] = discovery.is_case(effect)
    each = values[discovery.outcome]
    by_point = pd.DataFrame({"point": values["point"], "n": each.notna(),
                             "cases": discovery.is_case(each.to_numpy(float))}) \
        .groupby("point").sum().reindex(frame["point"])
    counted = by_point["n"].to_numpy(float)
    se = frame[f"sd_{discovery.outcome}"].to_numpy(float) / np.sqrt(np.maximum(counted, 1))
    with np.errstate(invalid="ignore"):
        frame["uncertain"] = np.abs(effect - discovery.threshold) < 1.96 * se
        share = by_point["cases"].to_numpy(float) / counted
    probability = np.where(frame["uncertain"], share, frame["case"].astype(float))
    frame["case_probability"] = np.where(np.isfinite(effect), probability, np.nan)
    return frame


def _uncertain(discovery: Discovery, points: pd.DataFrame) -> float:
    """Share of points whose case could flip with the seed (``uncertain``, see :func:`_points`).

    Over the points with a standard error; NaN with one replicate (none has one).
    """
    if discovery.study.replicates < 2:
        return float("nan")
    ok = points[f"sd_{discovery.outcome}"].notna().to_numpy()
    return float(points["uncertain"].to_numpy(bool)[ok].mean()) if ok.any() else float("nan")


def _leaves(tree, names: list[str], low: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    """The CART leaves as boxes (limits clipped to the sampled ranges), densest first."""
    rows = []
    for k, leaf in enumerate(cart.leaves(tree, len(names)), 1):
        row = {"leaf": k, "mass": leaf["mass"], "density": leaf["density"]}
        for j, name in enumerate(names):
            row[f"{name}_low"] = float(max(leaf["low"][j], low[j]))
            row[f"{name}_high"] = float(min(leaf["high"][j], high[j]))
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(["density", "mass"], ascending=False, kind="stable") \
        .reset_index(drop=True)


def _warnings(discovery, points, known, found, uncertain) -> list[str]:
    out = []
    missing = int((~known).sum())
    if missing:
        out.append(f"{missing} points have no value of {discovery.outcome} (NaN: "
                   f"{nan_reason(discovery.outcome)}); they are left out of PRIM and CART")
    for outcome in discovery.study.outcomes[1:]:
        none = int(points[f"effect_{outcome}"].isna().sum())
        if none:
            out.append(f"{outcome}: {none} points have no paired effect (NaN: "
                       f"{nan_reason(outcome)})")
    y = points["case"].to_numpy(bool)[known]
    if known.any() and (y.all() or not y.any()):
        out.append(f"{'every' if y.all() else 'no'} point is a case of interest, so there is "
                   "nothing to discover; move the threshold or widen the ranges")
    elif not found:
        out.append("PRIM found no box where the cases concentrate")
    if np.isfinite(uncertain) and uncertain > 0.2:
        out.append(f"{uncertain:.0%} of the points lie within 1.96 standard errors of the "
                   "threshold, so their case could flip with the seed; add replicates")
    if discovery.study.replicates == 1:
        out.append("one replicate per point: how far the seed moves each point's case is not "
                   "known")
    for f in found:
        weak = [discovery.study.names[j] for j, p in f.quasi_p_values.items() if p > 0.05]
        if weak:
            out.append(f"box {f.number}: the restriction on {', '.join(weak)} has a quasi-p-value "
                       "above 0.05; it may be noise")
        if np.isfinite(f.stability) and f.stability < 0.5:
            out.append(f"box {f.number} is unstable: its bootstrap boxes overlap it by "
                       f"{f.stability:.2f} on average")
    return out
