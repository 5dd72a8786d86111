"""Run a sensitivity study into an output directory, resumably.

``DIR`` receives, as the study goes:

* ``study.json``: the validated study (its hash guards ``--resume``);
* ``samples.parquet``: the design, unit coordinates and factor values;
* ``runs/``: the batch runner's results store (model studies);
* ``results.parquet``: the target value of every point and replicate;
* ``indices.csv`` (outcome, parameter, index, value, conf), and
  ``indices_flagged.csv`` with a ``distinguishable`` column;
* ``noise.csv``: the seed's share of each outcome's variance; ``spread.csv``: the
  analysed value over the sample points;
* ``convergence.csv``: indices at nested sample sizes;
* ``figures/``: ``morris.png`` or ``sobol.png`` / ``pawn.png``, ``convergence.png``;
* ``report.md``: what was run, how long, the leading factors and every warning.

An interrupted study continues with ``resume=True``: finished runs are kept,
the design is regenerated from the seed and checked against the stored one.
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
from simulation.batch.study_dir import claim, settle
from simulation.errors import InputError
from simulation.sensitivity import figures, indices
from simulation.sensitivity.runs import evaluate, point_means
from simulation.sensitivity.sampling import unit_sample, value_matrix
from simulation.sensitivity.study import Study, function_name, runs, sample_points


@dataclass
class StudyResult:
    """What a finished study produced (also written to its directory)."""

    study: Study
    indices: pd.DataFrame
    flagged: pd.DataFrame
    noise: pd.DataFrame
    spread: pd.DataFrame
    convergence: pd.DataFrame
    enough: bool
    widest: float
    seconds: float
    warnings: list[str]
    out: Path


def study_hash(study: Study) -> str:
    """Hash of what determines a study's numbers (not its description or source)."""
    described = study.describe()
    for key in ("description", "source", "name"):
        described.pop(key)
    return stable_hash(described)


def run_study(study: Study, out: str | Path, *, resume: bool = False, replan: bool = False,
              task=None, backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None, chunk_size: int | None = None,
              progress: bool = True, figures_too: bool = True) -> StudyResult:
    """Sample, evaluate, analyse and report a study into ``out``.

    Args:
        study: a validated study (:func:`~simulation.sensitivity.study.load_study`).
        out: the output directory: new or empty, or this study's with ``resume``.
        resume: continue the study already in ``out``; a model study also after
            its settings changed, when the change leaves its stored runs as they were.
        replan: with ``resume``, keep the stored runs changed settings leave as
            they were and run the others anew.
        task: a :class:`~simulation.batch.ModelTask` for a model other than iesim.
        backend: ``serial``, ``processes`` or ``dask`` (as for
            :func:`simulation.batch.run_scenarios`).
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (None: a LocalCluster).
        chunk_size: runs per task (default: guided).
        progress: show progress on standard error.
        figures_too: also draw the figures.

    Raises:
        InputError: ``out`` holds something else, or another study.
    """
    started = time.perf_counter()
    out = Path(out)
    changed = _prepare(study, out, resume)
    unit = unit_sample(study)
    if not changed:
        write_samples(study, unit, out)
    values = evaluate(study, unit, out, task=task, backend=backend, workers=workers,
                      scheduler=scheduler, chunk_size=chunk_size, progress=progress,
                      replan=replan)
    if changed:  # the runs store took the change: the study is now this one
        write_samples(study, unit, out, replace=True)
        settle(out, "study.json", study_hash(study), {"study": study.describe()},
               "sensitivity study", changed=True)
    write_atomically(out / "results.parquet", lambda p: values.to_parquet(p, index=False))
    y = point_means(study, values)
    table = indices.analyse(study, unit, y)
    if table.empty:
        raise RuntimeError(_nothing_to_analyse(study, y))
    noise = indices.seed_noise(study, values)
    spread = indices.spread(study, y)
    floor = indices.morris_noise(study, unit, values) if study.method == "morris" else None
    flagged = indices.flag_noise(study, table, noise, floor)
    conv = indices.convergence(study, unit, y)
    ok, widest = indices.enough(study, table)
    for name, frame in (("indices", table), ("indices_flagged", flagged), ("noise", noise),
                        ("spread", spread), ("convergence", conv)):
        write_atomically(out / f"{name}.csv", lambda p, f=frame: f.to_csv(p, index=False))
    if floor is not None:
        write_atomically(out / "morris_noise.csv", lambda p: floor.to_csv(p, index=False))
    warnings = _warnings(study, table, flagged, noise, ok, widest,
                         indices.missing_points(study, y))
    seconds = time.perf_counter() - started
    result = StudyResult(study, table, flagged, noise, spread, conv, ok, widest, seconds, warnings,
                         out)
    if figures_too:
        draw(result)
    write_atomically(out / "report.md", lambda p: Path(p).write_text(report(result), encoding="utf-8"))
    return result


def _nothing_to_analyse(study: Study, y: np.ndarray) -> str:
    """Why no outcome has indices: each outcome's points without a value, and why they have none."""
    parts = []
    for j, outcome in enumerate(study.outcomes):
        missing = int((~np.isfinite(y[:, j])).sum())
        why = "" if study.function else f"; {nan_reason(outcome)}"
        parts.append(f"{outcome}: {missing} of {len(y)} sample points have no value{why}")
    return ("no outcome has enough sample points with a value to analyse ("
            + "; ".join(parts) + "); the runs are kept in the output directory")


def _prepare(study: Study, out: Path, resume: bool) -> bool:
    """Claim ``out`` for the study; True when resuming it with changed settings."""
    return claim(out, "study.json", study_hash(study), {"study": study.describe()}, resume,
                 "sensitivity study", changeable=not study.function)


def write_samples(study: Study, unit: np.ndarray, out: Path, replace: bool = False) -> None:
    """Write the design to ``out/samples.parquet``; on resume, check it against the stored one.

    With ``replace`` (a study resumed with changed settings) the stored design
    is replaced instead.
    """
    frame = pd.concat([
        pd.DataFrame({"point": np.arange(len(unit))}),
        pd.DataFrame(unit, columns=[f"u_{i}" for i in range(unit.shape[1])]),
        pd.DataFrame(value_matrix(study, unit), columns=study.names),
    ], axis=1)
    path = out / "samples.parquet"
    if path.exists() and not replace:
        stored = pd.read_parquet(path)
        if not (stored.shape == frame.shape
                and np.allclose(stored.to_numpy(float), frame.to_numpy(float), equal_nan=True)):
            raise InputError(str(path), "--resume", "the stored design differs from the one this "
                             "study's seed gives (another SALib version?); start a new --out")
        return
    write_atomically(path, lambda p: frame.to_parquet(p, index=False))


def _warnings(study, table, flagged, noise, ok, widest, missing) -> list[str]:
    out = []
    dropped = {"morris": "their trajectories are left out",
               "pawn": "they are left out", "sobol": "a Sobol' design needs every point"}
    for outcome, count in missing.items():
        why = "" if study.function else f" ({nan_reason(outcome)})"
        out.append(f"{outcome}: {count} sample points have no value (NaN){why}; "
                   f"{dropped[study.method]}")
    if not ok:
        out.append(f"sample size not enough: the widest 95% interval of "
                   f"{indices.headline(study.method)} is {widest:.3g}, not below conf_width "
                   f"{study.conf_width:g}; increase the size")
    for outcome in study.outcomes:
        if outcome not in set(table["outcome"]):
            out.append(f"{outcome}: no indices (too few sample points with a value)")
    for row in noise.itertuples():
        if np.isfinite(row.seed_share_of_mean) and row.seed_share_of_mean > indices.NOISE_WARNING:
            out.append(f"{row.outcome}: {row.seed_share_of_mean:.0%} of the analysed mean's "
                       f"variance is seed noise; indices below it are not distinguishable from "
                       "noise (add replicates)")
        if study.replicates == 1 and not study.function:
            out.append(f"{row.outcome}: one replicate per point, so the seed's share cannot be "
                       "estimated")
    head = flagged[(flagged["index"] == indices.headline(study.method))
                   & (flagged["parameter"] != "(dummy)")]
    for outcome, rows in head.groupby("outcome", sort=False):
        if not rows["distinguishable"].any():
            out.append(f"{outcome}: no factor's {indices.headline(study.method)} is "
                       "distinguishable from noise")
    return out


def draw(result: StudyResult) -> list[Path]:
    """Write the study's figures into ``out/figures``."""
    folder = result.out / "figures"
    folder.mkdir(exist_ok=True)
    study, label = result.study, (" (effect)" if result.study.target == "effect" else "")
    paths = []
    if study.method == "morris":
        paths.append(figures.morris_plot(result.flagged, folder / "morris.png", label))
    elif study.method == "sobol":
        paths.append(figures.bars(result.indices, folder / "sobol.png", ("ST", "S1"), label))
    else:
        paths.append(figures.bars(result.indices, folder / "pawn.png", ("pawn_median",), label))
    paths.append(figures.convergence_plot(result.convergence, study.method,
                                          folder / "convergence.png", label))
    return paths


def report(result: StudyResult) -> str:
    """The study's report, in Markdown."""
    study = result.study
    head = indices.headline(study.method)
    lines = [f"# Sensitivity study: {study.name}", "", study.description, "",
             f"- method: {study.method}, size {study.size}",
             f"- factors: {len(study.factors)}; sample points: {sample_points(study):,}; "
             f"replicates per point: {study.replicates}; model runs: "
             f"{0 if study.function else runs(study):,}",
             f"- target: {study.target}" + (" (policy minus reference, paired on common random "
                                             "numbers)" if study.target == "effect" else ""),
             f"- {f'function {function_name(study.function)}' if study.function
                  else f'years per run: {study.years}'}",
             f"- seed: {study.seed}; wall time of this session: {result.seconds:.0f} s",
             f"- sample size {'enough' if result.enough else 'NOT enough'}: widest 95% "
             f"interval of {head} {result.widest:.3g} (conf_width {study.conf_width:g})", ""]
    if result.warnings:
        lines += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    what = "paired effect (policy minus reference)" if study.target == "effect" else "outcome"
    lines += [f"## The {what} over the sample", "",
              "| outcome | mean | sd | 5th percentile | 95th percentile | share of points > 0 |",
              "|---|---|---|---|---|---|"]
    for row in result.spread.itertuples():
        lines.append(f"| {row.outcome} | {row.mean:.4g} | {row.sd:.3g} | {row.p05:.4g} | "
                     f"{row.p95:.4g} | {row.share_positive:.0%} |")
    lines += ["", "## Seed noise", "", "| outcome | seed share (single run) | seed share (mean) |",
              "|---|---|---|"]
    for row in result.noise.itertuples():
        lines.append(f"| {row.outcome} | {row.seed_share:.3f} | {row.seed_share_of_mean:.3f} |")
    lines += ["", f"## Leading factors by {head}", ""]
    flagged = result.flagged
    for outcome in study.outcomes:
        rows = flagged[(flagged["outcome"] == outcome) & (flagged["index"] == head)]
        if rows.empty:
            continue
        lines += [f"### {outcome}", "", f"| rank | parameter | {head} | 95% half-width | above noise |",
                  "|---|---|---|---|---|"]
        for rank, row in enumerate(rows.nlargest(10, "value").itertuples(), 1):
            lines.append(f"| {rank} | {row.parameter} | {row.value:.4g} | {row.conf:.3g} | "
                         f"{'yes' if row.distinguishable else 'no'} |")
        lines.append("")
    return "\n".join(lines) + "\n"
