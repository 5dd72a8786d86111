"""Emulator validation on runs held back from the emulators (Bastos & O'Hagan 2009).

Each wave's emulators are checked on design points they were not trained on:
wave k's on wave k+1's points (drawn from the space wave k kept), the last
wave's, which define the posterior and the choice, on the confirmation runs
of posterior points. For each held-back point and fitted target the
standardised error is

    z = (mean of the point's runs - E_emulator) / sqrt(Var_emulator + Var_run / r)

with ``r`` the point's runs and ``Var_run`` the run-to-run variance (pooled
over the held-back points when they have two runs or more, else the
emulator's fitted noise times its training runs per point). An emulator
**validates** when at least :data:`VALID_SHARE` of its held-back points have
``|z| <= 3``: by Pukelsheim's three-sigma rule at most 5% of any unimodal
distribution lies beyond 3 sd. A wave whose emulators fail still rules out
space (its rule-out happened before the next wave's runs could check it);
the report says so in a warning line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.calibration import history_matching as hm

VALID_SHARE = 0.95
WITHIN = 3.0


def held_back(wave: int, label: str, names: list[str], emulators: list, x: np.ndarray,
              y: np.ndarray, run_var: np.ndarray, runs: int) -> pd.DataFrame:
    """One row per held-back point and target: prediction, its sd, the runs' mean, z.

    Args:
        wave: the wave whose emulators are checked.
        label: what the held-back points are (e.g. "wave 3 runs").
        names: the fitted targets, in the emulators' order.
        emulators: that wave's emulators.
        x: held-back points in the unit cube.
        y: their mean outputs, ``(len(x), len(names))``.
        run_var: run-to-run variance per target.
        runs: runs per held-back point.
    """
    rows = []
    for j, (name, gp) in enumerate(zip(names, emulators, strict=True)):
        mean, var = hm.predict(gp, x)
        sd = np.sqrt(var + run_var[j] / runs)
        rows.append(pd.DataFrame({"wave": wave, "held_back": label, "target": name,
                                  "point": np.arange(len(x)), "predicted": mean, "sd": sd,
                                  "run_mean": y[:, j], "z": (y[:, j] - mean) / sd}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def run_variance_or_noise(frame: pd.DataFrame, names: list[str], emulators: list,
                          trained_on: int) -> np.ndarray:
    """Run variance of held-back runs: pooled over their points, or from the emulators' noise.

    With one run per point the held-back runs cannot show their own scatter;
    an emulator's fitted noise is the scatter of its training outputs (means
    of ``trained_on`` runs), so ``noise_sd**2 * trained_on`` stands in.
    """
    from simulation.calibration.runs import run_variance

    if frame["replicate"].nunique() >= 2:
        return run_variance(frame, names)
    return np.array([hm.noise_sd(gp) ** 2 * trained_on for gp in emulators])


def summary(points: pd.DataFrame) -> pd.DataFrame:
    """Per wave and target: held-back points, share within 3 sd, RMSE, validated or not."""
    columns = ["wave", "held_back", "target", "points", "within_3sd", "rmse", "validated"]
    if points.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (wave, label, target), group in points.groupby(["wave", "held_back", "target"],
                                                       sort=False):
        ok = group[np.isfinite(group["run_mean"])]
        share = float((ok["z"].abs() <= WITHIN).mean()) if len(ok) else float("nan")
        rmse = (float(np.sqrt(np.mean((ok["run_mean"] - ok["predicted"]) ** 2)))
                if len(ok) else float("nan"))
        rows.append({"wave": wave, "held_back": label, "target": target, "points": len(ok),
                     "within_3sd": share, "rmse": rmse,
                     "validated": bool(len(ok) and share >= VALID_SHARE)})
    return pd.DataFrame(rows, columns=columns)


def warnings(table: pd.DataFrame, last_wave: int) -> list[str]:
    """One line per wave whose emulators failed, naming the targets."""
    lines = []
    for wave, group in table.groupby("wave", sort=True):
        failed = group[~group["validated"].astype(bool)]
        if failed.empty:
            continue
        which = "; ".join(f"{r.target}: {r.within_3sd:.0%} of {r.points} within 3 sd"
                          for r in failed.itertuples())
        use = ("they define the posterior and the choice of the calibrated values"
               if wave == last_wave else "the space they ruled out stays ruled out")
        lines.append(f"wave {wave}'s emulators failed validation on the {group['held_back'].iloc[0]}"
                     f" ({which}; at least {VALID_SHARE:.0%} needed): {use}")
    return lines
