"""A whole calibration: history-matching waves, posterior, confirmation on the model, check.

1. **Waves.**  Wave 1 runs a Latin hypercube over the calibrated parameters'
   ranges; each later wave runs points drawn uniformly from the space no
   earlier wave ruled out.  After each wave one Gaussian-process emulator per
   fitted target is trained on the runs inside the space still kept, and
   points whose implausibility exceeds 3 are ruled out
   (:mod:`simulation.calibration.history_matching`).
2. **Posterior.**  On the last wave's emulators, points drawn from the kept
   space are weighted by the targets' likelihood (the probability that the
   model's expected output, give or take its discrepancy and the emulator's
   uncertainty, lies in the target's range) and resampled: an approximate
   Bayesian posterior over the uniform prior
   (:mod:`simulation.calibration.posterior`).
3. **Confirmation.**  Posterior points (and the best points the waves ran)
   run on the model; their runs are the posterior predictive check, and they
   validate the last wave's emulators (every earlier wave's are validated on
   the next wave's runs: :mod:`simulation.calibration.validation`).  Then
   the emulators are refitted on every run, the confirmation runs pooled with
   the waves', and the chosen point is, among the confirmed points whose
   pooled likelihood is within a factor 10**0.5 of the best, the one nearest
   the posterior's centre (:func:`~simulation.calibration.posterior.choose`).
   How many targets a point's few runs met plays no part.
4. **Check.**  The chosen values, rounded to 4 significant digits, run
   ``check_replicates`` times on fresh seeds; every target, fitted or held
   out, is met, consistent or missed by the 95% interval of that mean
   (:mod:`simulation.calibration.verdicts`).

Runs never share random streams across points (see
:mod:`simulation.calibration.runs`); each batch (wave, confirmation, check)
has its own master seed, derived from the plan's.

Everything is written as it goes into the output directory; a rerun with
``resume`` recomputes the same designs (they depend only on the seed and on
stored results) and reuses every stored run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.batch.store import write_atomically
from simulation.batch.study_checks import nan_reason
from simulation.batch.study_dir import claim, record_session, settle
from simulation.calibration import history_matching as hm
from simulation.calibration import validation
from simulation.calibration.posterior import (
    CANDIDATES,
    MAX_DRAWS,
    choose,
    draw_posterior,
    identification,
    pooled_log_likelihood,
)
from simulation.calibration.runs import evaluate, parameter_values, point_means, run_variance
from simulation.calibration.targets import Target, TargetSet, calibration_hash
from simulation.calibration.verdicts import MISSED, check_table
from simulation.errors import InputError

WAVE_BEST = 4
CONFIRM_SEED, CHECK_SEED = 1001, 1002  # offsets of the master seed; wave k uses seed + k


@dataclass
class CalibrationResult:
    """What a calibration found (also written to its output directory)."""

    targets: TargetSet
    waves: pd.DataFrame
    posterior: pd.DataFrame
    confirmation: pd.DataFrame
    chosen: dict
    check: pd.DataFrame
    identification: pd.DataFrame
    seconds: list[float]
    out: Path
    ess: float = float("nan")
    warnings: list[str] = field(default_factory=list)
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)
    validation_points: pd.DataFrame = field(default_factory=pd.DataFrame)


def calibrate(targets: TargetSet, out: str | Path, *, resume: bool = False, replan: bool = False,
              task=None, backend: str = "processes", workers: int | None = None,
              scheduler: str | None = None, chunk_size: int | None = None,
              progress: bool = True, figures_too: bool = True) -> CalibrationResult:
    """Calibrate the model to a target file's fitted targets (see the module docstring).

    Args:
        targets: a target file with a plan (:func:`~simulation.calibration.targets.load_targets`).
        out: the output directory: new or empty, or this calibration's with ``resume``.
        resume: continue the calibration already in ``out`` (also after its
            settings changed: each batch of runs keeps its stored runs when the
            change leaves them as they were).
        replan: with ``resume``, keep the stored runs changed settings leave as
            they were and run the others anew.
        task: a :class:`~simulation.batch.ModelTask` for a model other than iesim.
        backend: ``serial``, ``processes`` or ``dask``.
        workers: worker processes (default: the CPUs available).
        scheduler: Dask scheduler address (None: a LocalCluster).
        chunk_size: runs per task (default: guided).
        progress: show progress on standard error.
        figures_too: also draw the figures.

    Raises:
        InputError: ``out`` holds something else, or the file has no plan.
        RuntimeError: model runs failed (rerun with ``resume``).
    """
    plan = targets.plan
    if plan is None:
        raise InputError(targets.source, "calibration.parameters", "the file names no "
                         "parameters to calibrate; add a [calibration.parameters] table")
    started = time.perf_counter()
    out = Path(out)
    changed = _prepare(targets, out, resume)
    runner = dict(task=task, backend=backend, workers=workers, scheduler=scheduler,
                  chunk_size=chunk_size, progress=progress, replan=replan)
    rng = np.random.default_rng(plan.seed)
    warnings: list[str] = []
    matched = _history_match(plan, targets.used("fit"), out, runner, rng, warnings)
    waves = matched.waves
    posterior, ess = draw_posterior(plan, waves, matched.observations, rng, warnings)
    _write(out / "posterior.parquet", posterior)
    confirmation, predictive = _confirm(plan, targets, matched, posterior, out, runner)
    points = pd.concat(matched.checks, ignore_index=True) if matched.checks else pd.DataFrame()
    checked = validation.summary(points)
    warnings += validation.warnings(checked, len(waves))
    write_atomically(out / "validation.csv", lambda p: checked.to_csv(p, index=False))
    chosen = choose(plan, confirmation, posterior)
    check = evaluate(plan, targets.targets, [chosen["values"]], "check", out,
                     plan.check_replicates, seed=plan.seed + CHECK_SEED, **runner)
    if changed:  # every batch of runs took the change: the calibration is now this one
        settle(out, "calibration.json", calibration_hash(targets),
               {"targets": targets.source, "plan": targets.plan.describe()}, "calibration", changed=True)
    table = check_table(targets, check, predictive)
    write_atomically(out / "check.csv", lambda p: table.to_csv(p, index=False))
    ident = identification(plan, posterior)
    write_atomically(out / "identification.csv", lambda p: ident.to_csv(p, index=False))
    warnings += _verdict_warnings(table)
    result = CalibrationResult(targets, matched.design, posterior, confirmation, chosen, table, ident,
                               record_session(out, time.perf_counter() - started), out, ess,
                               warnings, checked, points)
    from simulation.calibration.report import draw, report, write_calibrated

    write_atomically(out / "calibrated.toml",
            lambda p: Path(p).write_text(write_calibrated(result), encoding="utf-8"))
    if figures_too:
        draw(result)
    write_atomically(out / "report.md", lambda p: Path(p).write_text(report(result), encoding="utf-8"))
    return result


@dataclass
class _Matched:
    """What the waves leave: emulators, the targets fitted, the design, held-back checks."""

    waves: list[hm.Wave]
    fit: tuple[Target, ...]
    observations: list[hm.Observation]
    design: pd.DataFrame
    checks: list[pd.DataFrame]

    @property
    def names(self) -> list[str]:
        """The fitted targets' names, in the emulators' order."""
        return [t.name for t in self.fit]


def _history_match(plan, fit, out: Path, runner: dict, rng, warnings: list[str]) -> _Matched:
    """Run the waves; each wave's emulators are validated on the next wave's points."""
    dims = len(plan.factors)
    names = [t.name for t in fit]
    waves: list[hm.Wave] = []
    rows, diagnostics, checks = [], [], []
    observations = _observations(fit)
    probe = rng.random((CANDIDATES, dims))
    all_x, all_y = np.empty((0, dims)), np.empty((0, len(names)))
    for k in range(plan.waves):
        if k == 0:
            from scipy.stats import qmc

            x = qmc.LatinHypercube(d=dims, rng=rng).random(plan.runs_per_wave)
        else:
            x = hm.sample_plausible(waves, observations, plan.runs_per_wave, dims, rng,
                                    max_draws=MAX_DRAWS)
            if len(x) < dims + 2:
                warnings.append(f"wave {k + 1}: only {len(x)} points of the kept space found in "
                                f"{MAX_DRAWS:,} draws, so the waves stopped at {k}")
                break
        frame = evaluate(plan, fit, parameter_values(plan, x), f"wave{k + 1}", out,
                         plan.replicates, seed=plan.seed + 1 + k, **runner)
        if k == 0:  # targets the runs leave without a value cannot be emulated: fit the others
            fit = _measured(fit, frame, warnings)
            names = [t.name for t in fit]
            observations = _observations(fit)
            frame = frame[["point", "replicate", *names]]
            all_y = np.empty((0, len(names)))
        frame.insert(0, "wave", k + 1)
        y = point_means(frame, names)
        rows.append(_wave_table(plan, k + 1, x, y, names))
        diagnostics.append(pd.DataFrame({"wave": k + 1, "target": names,
                                         "run_sd": np.sqrt(run_variance(frame, names))}))
        if waves:  # the previous wave's emulators on this wave's points, held back from them
            emulators = waves[-1].emulators
            checks.append(validation.held_back(
                k, f"wave {k + 1} runs", names, emulators, x, y,
                validation.run_variance_or_noise(frame, names, emulators, plan.replicates),
                plan.replicates))
        all_x, all_y = np.concatenate([all_x, x]), np.concatenate([all_y, y])
        # train on every run so far that no earlier wave rules out
        inside = hm.plausible(waves, observations, all_x) & np.isfinite(all_y).all(axis=1)
        waves.append(hm.Wave(all_x[inside], all_y[inside],
                             hm.fit_emulators(all_x[inside], all_y[inside], plan.seed + k)))
        waves[-1].kept_share = float(hm.plausible(waves, observations, probe).mean())
        diagnostics[-1]["emulator_noise_sd"] = [hm.noise_sd(gp) for gp in waves[-1].emulators]
        _write(out / "waves.parquet", pd.concat(rows, ignore_index=True))
    noise = pd.concat(diagnostics, ignore_index=True)
    write_atomically(out / "emulators.csv", lambda p: noise.to_csv(p, index=False))
    design = pd.concat(rows, ignore_index=True)
    design["kept_share"] = design["wave"].map({i + 1: w.kept_share for i, w in enumerate(waves)})
    _write(out / "waves.parquet", design)
    return _Matched(waves, fit, observations, design, checks)


def _confirm(plan, targets: TargetSet, matched: _Matched, posterior: pd.DataFrame, out: Path,
             runner: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the confirmation points; validate the last emulators; pool the evidence.

    Returns the confirmation table (with each point's log-likelihood on the
    last wave's emulators and on the pooled ones) and the confirmation runs
    of posterior points (the posterior predictive runs). Appends the last
    wave's validation to ``matched.checks``.
    """
    waves, names, fit = matched.waves, matched.names, matched.fit
    x = _confirmation_points(plan, posterior, matched.design, fit, waves)
    runs = evaluate(plan, targets.targets, parameter_values(plan, x), "confirm", out,
                    plan.confirm_replicates, seed=plan.seed + CONFIRM_SEED, **runner)
    table = _confirmation_table(plan, targets, x, runs, fit)
    drawn = (table["source"] == "posterior").to_numpy()
    predictive = runs[runs["point"].isin(np.flatnonzero(drawn))]
    means = table.loc[drawn, names].to_numpy(float)
    if drawn.any():  # the last wave's emulators on runs held back from them
        emulators = waves[-1].emulators
        matched.checks.append(validation.held_back(
            len(waves), "confirmation runs", names, emulators, x[drawn], means,
            validation.run_variance_or_noise(predictive, names, emulators, plan.replicates),
            plan.confirm_replicates))
    table["log_likelihood"] = hm.log_likelihood(waves[-1].emulators, matched.observations, x)
    table["pooled_log_likelihood"] = pooled_log_likelihood(
        matched.observations, waves[-1].x, waves[-1].y, x[drawn], means, x,
        plan.seed + len(waves))
    _write(out / "confirmation.parquet", table)
    return table, predictive


def _verdict_warnings(table: pd.DataFrame) -> list[str]:
    """A line for each fitted target not met at the chosen values."""
    lines = []
    for row in table[(table["use"] == "fit") & (table["verdict"] != "met")].itertuples():
        how = ("missed: its 95% interval lies outside the range" if row.verdict == MISSED
               else "only consistent: its 95% interval overlaps the range but is not within it")
        lines.append(f"fitted target {row.target} is {how} at the chosen values (model "
                     f"{row.mean:.3g}, interval {row.ci_low:.3g} to {row.ci_high:.3g}, "
                     f"range {row.low:.3g} to {row.high:.3g})")
    return lines


MEASURED_SHARE = 0.5
"""A fitted target with a value at fewer of the first wave's points than this share is not fitted."""


def _measured(fit: tuple[Target, ...], frame: pd.DataFrame, warnings: list[str]):
    """The fitted targets the first wave's runs measure; each one left out is named, and why.

    Raises:
        RuntimeError: no fitted target is measured.
    """
    kept, dropped = [], []
    for target in fit:
        means = frame.groupby("point")[target.name].mean()
        share = float(np.isfinite(means.to_numpy(float)).mean()) if len(means) else 0.0
        if share >= MEASURED_SHARE:
            kept.append(target)
            continue
        why = "; ".join(f"{o}: {nan_reason(o)}" for o in target.outcomes)
        dropped.append(f"fitted target {target.name} has a value at {share:.0%} of the first "
                       f"wave's points ({why})")
    if not kept:
        raise RuntimeError("no fitted target can be emulated: " + "; ".join(dropped)
                           + "; the runs are kept in the output directory")
    warnings += [f"{d}, so it is left out of the fit (its check still runs)" for d in dropped]
    return tuple(kept)


def _observations(fit: tuple[Target, ...]):
    """Each fitted target as an observation of the model's expected output.

    A target's range is what its figure allows (sampling error, definitional
    mismatch), and the calibrated model's mean must fall in it; so the model's
    expected output is compared with it, and the run-to-run scatter enters
    only through the emulators' uncertainty about that expectation. The
    target's discrepancy (a standard deviation) adds its variance.
    """
    return [hm.Observation.from_range(t.value, t.low, t.high, var_disc=t.discrepancy**2)
            if t.kind == "level"
            else hm.Observation(0.0, 0.0, lower_bound=True, var_disc=t.discrepancy**2)
            for t in fit]


def _wave_table(plan, wave: int, x: np.ndarray, y: np.ndarray, names: list[str]) -> pd.DataFrame:
    values = pd.DataFrame(parameter_values(plan, x))
    return pd.concat([pd.DataFrame({"wave": wave, "point": np.arange(len(x))}),
                      pd.DataFrame(x, columns=[f"u_{n}" for n in plan.names]), values,
                      pd.DataFrame(y, columns=names)], axis=1)


def _confirmation_points(plan, posterior, design, fit, waves) -> np.ndarray:
    """Distinct posterior draws (in draw order), then the waves' best points."""
    units = [f"u_{n}" for n in plan.names]
    chosen = posterior[units].drop_duplicates().to_numpy()[: plan.confirm]
    distance = design[[t.name for t in fit]].pipe(_distance_frame, fit)
    best = design.assign(_d=distance).sort_values("_d").head(WAVE_BEST)[units].to_numpy()
    points = np.concatenate([chosen, best]) if len(chosen) else best
    return points


def distance(targets: tuple[Target, ...], means: dict[str, float]) -> float:
    """Largest distance of model means from the fitted values, in half-ranges (orders: 0 or inf)."""
    worst = 0.0
    for t in targets:
        if t.kind == "level":
            worst = max(worst, abs(means[t.name] - t.value) / ((t.high - t.low) / 2))
        elif not means[t.name] > 0:
            worst = float("inf")
    return worst


def _distance_frame(frame: pd.DataFrame, fit) -> pd.Series:
    return frame.apply(lambda row: distance(fit, row.to_dict()), axis=1)


def _confirmation_table(plan, targets: TargetSet, x: np.ndarray, runs: pd.DataFrame,
                        fit: tuple[Target, ...]):
    names = [t.name for t in targets.targets]
    means = pd.DataFrame(point_means(runs, names), columns=names)
    table = pd.concat([pd.DataFrame({"point": np.arange(len(x))}),
                       pd.DataFrame(x, columns=[f"u_{n}" for n in plan.names]),
                       pd.DataFrame(parameter_values(plan, x)), means], axis=1)
    table["distance"] = [distance(fit, row.to_dict()) for _, row in means.iterrows()]
    table["source"] = ["posterior"] * (len(x) - min(WAVE_BEST, len(x))) + \
        ["wave best"] * min(WAVE_BEST, len(x))
    return table


def _prepare(targets: TargetSet, out: Path, resume: bool) -> bool:
    """Claim ``out`` for the calibration; True when resuming it with changed settings."""
    return claim(out, "calibration.json", calibration_hash(targets),
                 {"targets": targets.source, "plan": targets.plan.describe()}, resume,
                 "calibration", changeable=True)


def _write(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda p: frame.to_parquet(p, index=False))
