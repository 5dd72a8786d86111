"""A whole calibration: history-matching waves, posterior, confirmation on the model, check.

1. **Waves.**  Wave 1 runs a Latin hypercube over the calibrated parameters'
   ranges; each later wave runs points drawn uniformly from the space no
   earlier wave ruled out.  After each wave one Gaussian-process emulator per
   fitted target is trained on the runs inside the space still kept, and
   points whose implausibility exceeds 3 are ruled out
   (:mod:`simulation.calibration.history_matching`).
2. **Posterior.**  On the last wave's emulators, points drawn from the kept
   space are weighted by the targets' likelihood (each target's range taken
   as plus or minus two standard deviations, plus the emulator's and the
   runs' variance) and resampled: an approximate Bayesian posterior over the
   uniform prior.
3. **Confirmation.**  Posterior points (and the best points the waves ran)
   run on the model; their outputs are the posterior predictive check.  The
   chosen point is, among the confirmed points meeting every fitted target
   (or the most of them), the one the emulators find most likely.
4. **Check.**  The chosen values, rounded to 4 significant digits, run
   ``check_replicates`` times on fresh seeds; every target, fitted or held
   out, is compared with that mean and interval.

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

from simulation.batch.specs import stable_hash
from simulation.batch.store import write_atomically
from simulation.batch.study_checks import nan_reason
from simulation.batch.study_dir import claim, record_session, settle
from simulation.calibration import history_matching as hm
from simulation.calibration.runs import evaluate, parameter_values, point_means, run_variance
from simulation.calibration.targets import Target, TargetSet
from simulation.errors import InputError

POSTERIOR_DRAWS = 2000
CANDIDATES = 20_000
MAX_DRAWS = 2_000_000
WAVE_BEST = 4
NOT_IDENTIFIED = 0.8  # posterior sd over prior sd at or above which a parameter is not identified
SIGNIFICANT = 4
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


def calibration_hash(targets: TargetSet) -> str:
    """Hash of what determines a calibration's numbers: fitted targets, plan, scenario."""
    fit = [[t.name, t.kind, t.outcome, t.value, t.low, t.high, t.greater, t.lesser]
           for t in targets.used("fit")]
    return stable_hash({"fit": fit, "plan": targets.plan.describe()})


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
    fit = targets.used("fit")
    names = [t.name for t in fit]
    runner = dict(task=task, backend=backend, workers=workers, scheduler=scheduler,
                  chunk_size=chunk_size, progress=progress, replan=replan)
    rng = np.random.default_rng(plan.seed)
    dims = len(plan.factors)
    waves: list[hm.Wave] = []
    rows, diagnostics, warnings = [], [], []
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
        diagnostics.append(_diagnose(k + 1, names, frame, waves, x, y, plan.replicates))
        all_x, all_y = np.concatenate([all_x, x]), np.concatenate([all_y, y])
        # train on every run so far that no earlier wave rules out
        inside = hm.plausible(waves, observations, all_x) & np.isfinite(all_y).all(axis=1)
        waves.append(hm.Wave(all_x[inside], all_y[inside],
                             hm.fit_emulators(all_x[inside], all_y[inside], plan.seed + k)))
        waves[-1].kept_share = float(hm.plausible(waves, observations, probe).mean())
        diagnostics[-1]["emulator_noise_sd"] = [hm.noise_sd(gp) for gp in waves[-1].emulators]
        _write(out / "waves.parquet", pd.concat(rows, ignore_index=True))
    emulators = pd.concat(diagnostics, ignore_index=True)
    write_atomically(out / "emulators.csv", lambda p: emulators.to_csv(p, index=False))
    design = pd.concat(rows, ignore_index=True)
    design["kept_share"] = design["wave"].map({i + 1: w.kept_share for i, w in enumerate(waves)})
    posterior, ess = _posterior(plan, waves, observations, rng, warnings)
    _write(out / "posterior.parquet", posterior)
    _write(out / "waves.parquet", design)
    confirm_x = _confirmation_points(plan, posterior, design, fit, waves)
    confirm = evaluate(plan, targets.targets, parameter_values(plan, confirm_x), "confirm", out,
                       plan.confirm_replicates, seed=plan.seed + CONFIRM_SEED, **runner)
    confirmation = _confirmation_table(plan, targets, confirm_x, confirm, fit)
    confirmation["log_likelihood"] = hm.log_likelihood(waves[-1].emulators, observations,
                                                       confirm_x)
    _write(out / "confirmation.parquet", confirmation)
    chosen = _choose(plan, fit, confirmation, warnings)
    check = evaluate(plan, targets.targets, [chosen["values"]], "check", out,
                     plan.check_replicates, seed=plan.seed + CHECK_SEED, **runner)
    if changed:  # every batch of runs took the change: the calibration is now this one
        settle(out, "calibration.json", calibration_hash(targets),
               {"targets": targets.source, "plan": targets.plan.describe()}, "calibration", changed=True)
    table = check_table(targets, check)
    write_atomically(out / "check.csv", lambda p: table.to_csv(p, index=False))
    ident = identification(plan, posterior)
    write_atomically(out / "identification.csv", lambda p: ident.to_csv(p, index=False))
    missed = table[(table["use"] == "fit") & ~table["met"]]
    for _, row in missed.iterrows():
        warnings.append(f"fitted target {row['target']} is not met at the chosen values "
                        f"(model {row['mean']:.3g}, range {row['low']:.3g} to {row['high']:.3g})")
    result = CalibrationResult(targets, design, posterior, confirmation, chosen, table, ident,
                               record_session(out, time.perf_counter() - started), out, ess, warnings)
    from simulation.calibration.report import draw, report, write_calibrated

    write_atomically(out / "calibrated.toml",
            lambda p: Path(p).write_text(write_calibrated(result), encoding="utf-8"))
    if figures_too:
        draw(result)
    write_atomically(out / "report.md", lambda p: Path(p).write_text(report(result), encoding="utf-8"))
    return result


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
    only through the emulators' uncertainty about that expectation.
    """
    return [hm.Observation.from_range(t.value, t.low, t.high) if t.kind == "level"
            else hm.Observation(0.0, 0.0, lower_bound=True) for t in fit]


def _diagnose(wave, names, frame, waves, x, y, replicates) -> pd.DataFrame:
    """Per fitted target: the runs' scatter, and how well the last emulators predicted this wave.

    ``validated`` is the share of this wave's points whose mean lies within
    three standard deviations of the previous wave's emulator (its variance
    plus the scatter of a mean of ``replicates`` runs): the emulators are
    checked on runs they were not trained on.
    """
    run_var = run_variance(frame, names)
    table = pd.DataFrame({"wave": wave, "target": names, "run_sd": np.sqrt(run_var)})
    if waves:
        share = []
        for j, gp in enumerate(waves[-1].emulators):
            mean, var = hm.predict(gp, x)
            ok = np.isfinite(y[:, j])
            z = np.abs(y[ok, j] - mean[ok]) / np.sqrt(var[ok] + run_var[j] / replicates)
            share.append(float((z <= 3).mean()) if ok.any() else float("nan"))
        table["validated"] = share
    else:
        table["validated"] = float("nan")
    return table


def _wave_table(plan, wave: int, x: np.ndarray, y: np.ndarray, names: list[str]) -> pd.DataFrame:
    values = pd.DataFrame(parameter_values(plan, x))
    return pd.concat([pd.DataFrame({"wave": wave, "point": np.arange(len(x))}),
                      pd.DataFrame(x, columns=[f"u_{n}" for n in plan.names]), values,
                      pd.DataFrame(y, columns=names)], axis=1)


def _posterior(plan, waves, observations, rng, warnings) -> tuple[pd.DataFrame, float]:
    """Importance-resampled posterior on the last wave's emulators, over the kept space."""
    dims = len(plan.factors)
    kept = hm.sample_plausible(waves, observations, CANDIDATES, dims, rng, max_draws=MAX_DRAWS)
    columns = [f"u_{n}" for n in plan.names] + plan.names + ["log_likelihood"]
    if len(kept) == 0:
        warnings.append("no point of the parameter space is consistent with every fitted target "
                        "(all ruled out), so there is no posterior; the chosen values are the "
                        "best the waves ran")
        return pd.DataFrame(columns=columns), 0.0
    loglik = hm.log_likelihood(waves[-1].emulators, observations, kept)
    weight = np.exp(loglik - loglik.max())
    weight /= weight.sum()
    ess = float(1.0 / np.sum(weight**2))
    pick = rng.choice(len(kept), size=POSTERIOR_DRAWS, replace=True, p=weight)
    x = kept[pick]
    frame = pd.concat([pd.DataFrame(x, columns=columns[:dims]),
                       pd.DataFrame(parameter_values(plan, x)),
                       pd.DataFrame({"log_likelihood": loglik[pick]})], axis=1)
    return frame, ess


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


def _met(target: Target, value: float) -> bool:
    if not np.isfinite(value):
        return False
    if target.kind == "level":
        return bool(target.low <= value <= target.high)
    return bool(value > 0)


def _confirmation_table(plan, targets: TargetSet, x: np.ndarray, runs: pd.DataFrame,
                        fit: tuple[Target, ...]):
    names = [t.name for t in targets.targets]
    means = pd.DataFrame(point_means(runs, names), columns=names)
    table = pd.concat([pd.DataFrame({"point": np.arange(len(x))}),
                       pd.DataFrame(x, columns=[f"u_{n}" for n in plan.names]),
                       pd.DataFrame(parameter_values(plan, x)), means], axis=1)
    table["fit_met"] = [sum(_met(t, row[t.name]) for t in fit) for _, row in means.iterrows()]
    table["distance"] = [distance(fit, row.to_dict()) for _, row in means.iterrows()]
    table["source"] = ["posterior"] * (len(x) - min(WAVE_BEST, len(x))) + \
        ["wave best"] * min(WAVE_BEST, len(x))
    return table


def _choose(plan, fit: tuple[Target, ...], confirmation: pd.DataFrame, warnings) -> dict:
    """Among confirmed points meeting most fitted targets, the emulators' most likely; rounded.

    The confirmed means decide which points qualify; among those, the last
    wave's emulators (which pool every run) rank them, so that the choice
    does not chase one point's lucky replicates.
    """
    n_fit = len(fit)
    best = confirmation.sort_values(["fit_met", "log_likelihood"],
                                    ascending=[False, False]).iloc[0]
    if best["fit_met"] < n_fit:
        warnings.append(f"no confirmed point meets every fitted target; the chosen one meets "
                        f"{int(best['fit_met'])} of {n_fit}")
    values = {f.name: _round(best[f.name], f.kind) for f in plan.factors}
    return {"point": int(best["point"]), "source": best["source"], "values": values,
            "fit_met": int(best["fit_met"]), "distance": float(best["distance"])}


def _round(value, kind):
    if kind is int:
        return int(round(float(value)))
    return float(f"{float(value):.{SIGNIFICANT}g}")


def check_table(targets: TargetSet, runs: pd.DataFrame) -> pd.DataFrame:
    """Every target against the check runs: mean, 95% interval of the mean, 5-95% of runs, met."""
    from scipy import stats

    rows = []
    for t in targets.targets:
        v = runs[t.name].to_numpy(float)
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if len(v) else float("nan")
        half = (float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
                if len(v) > 1 else float("nan"))
        rows.append({"target": t.name, "use": t.use, "kind": t.kind,
                     "outcome": t.outcome or f"{t.greater} - {t.lesser}",
                     "value": t.value if t.kind == "level" else 0.0,
                     "low": t.low if t.kind == "level" else 0.0,
                     "high": t.high if t.kind == "level" else float("inf"),
                     "mean": mean, "ci_low": mean - half, "ci_high": mean + half,
                     "runs_p5": float(np.percentile(v, 5)) if len(v) else float("nan"),
                     "runs_p95": float(np.percentile(v, 95)) if len(v) else float("nan"),
                     "runs": len(v), "met": _met(t, mean)})
    return pd.DataFrame(rows)


def identification(plan, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: posterior median and 90% interval, and its sd over the prior's.

    A uniform prior on [0, 1] has sd 1/sqrt(12); a ratio at or above
    :data:`NOT_IDENTIFIED` means the targets barely narrow the parameter.
    """
    rows = []
    for f in plan.factors:
        u = posterior[f"u_{f.name}"].to_numpy(float) if len(posterior) else np.array([])
        v = posterior[f.name].to_numpy(float) if len(posterior) else np.array([])
        ratio = float(u.std() * np.sqrt(12)) if len(u) else float("nan")
        rows.append({"parameter": f.name, "prior_low": f.low, "prior_high": f.high,
                     "median": float(np.median(v)) if len(v) else float("nan"),
                     "q05": float(np.quantile(v, 0.05)) if len(v) else float("nan"),
                     "q95": float(np.quantile(v, 0.95)) if len(v) else float("nan"),
                     "sd_ratio": ratio,
                     "identified": bool(ratio < NOT_IDENTIFIED) if len(u) else False})
    return pd.DataFrame(rows)


def _prepare(targets: TargetSet, out: Path, resume: bool) -> bool:
    """Claim ``out`` for the calibration; True when resuming it with changed settings."""
    return claim(out, "calibration.json", calibration_hash(targets),
                 {"targets": targets.source, "plan": targets.plan.describe()}, resume,
                 "calibration", changeable=True)


def _write(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda p: frame.to_parquet(p, index=False))
