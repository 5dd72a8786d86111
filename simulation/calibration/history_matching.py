"""History matching with Gaussian-process emulators (Andrianakis et al. 2015).

Each wave samples the space not yet ruled out, runs the model there, fits
one Gaussian-process emulator per target output (scikit-learn), and rules
out every point whose implausibility

    I(x) = max over targets |z - E[f(x)]| / sqrt(Var_obs + Var_disc + Var_emulator(x) + Var_run)

exceeds a cutoff (3, by Pukelsheim's three-sigma rule).  ``E[f(x)]`` is the
model's expected output (over its random streams) and ``Var_emulator`` the
emulator's uncertainty about it: the emulator's noise term absorbs the
run-to-run scatter of its training runs, and is left out of the prediction
(:func:`predict`).  ``Var_obs`` comes from the target's acceptable range (its
half-width taken as two standard deviations).  ``Var_disc`` is the model
discrepancy (Vernon et al. 2010; Brynjarsdottir & O'Hagan 2014): how far the
model's expected output at its best parameters may still lie from the
real-world quantity, because the model leaves things out.  ``Var_run`` is
extra model variance to allow for; zero when the targets are compared with
the model's expected output, as in iesim's calibration.  Later waves sample
only inside what earlier waves kept, so the emulators sharpen where it
matters.

On the last wave's emulators, an approximate posterior follows by importance
sampling over the kept space (:func:`log_likelihood`).  The likelihood is
centred on the target's range, not its point value: the real-world value is
taken to lie anywhere in ``[low, high]``, and the model's expected output
plus its discrepancy to be normal about ``E[f(x)]``, so

    L(x) = P(low <= E[f(x)] + d <= high),  d ~ N(0, Var_disc + Var_emulator(x) + Var_run),

flat inside the range and with Gaussian tails outside it (up to a constant).

This module knows nothing of iesim: the model is a function from an
``(n, D)`` array of parameter values in the unit cube to an ``(n, k)``
array of outputs (the caller maps units to parameter ranges and runs
replicates); :mod:`simulation.calibration.run` does that for iesim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

CUTOFF = 3.0


@dataclass(frozen=True)
class Observation:
    """A target output: its value, acceptable range and variances.

    A ``lower_bound`` observation only rules out outputs below ``value``
    (a pattern such as "field A above field B", emulated as A - B > 0);
    its range is ``[value, inf)``.

    Attributes:
        value: the published figure (or the bound).
        var_obs: the observation's variance (implausibility only).
        var_run: extra model variance to allow for.
        lower_bound: only outputs below ``value`` count against a point.
        var_disc: the model discrepancy's variance.
        low: the range's lower end, for the likelihood (default ``value``
            minus two observation sd).
        high: the range's upper end (default ``value`` plus two sd; a lower
            bound's is infinite).
    """

    value: float
    var_obs: float
    var_run: float = 0.0
    lower_bound: bool = False
    var_disc: float = 0.0
    low: float | None = None
    high: float | None = None

    @classmethod
    def from_range(cls, value: float, low: float, high: float, var_run: float = 0.0,
                   var_disc: float = 0.0):
        """An observation whose acceptable range is plus or minus two standard deviations."""
        return cls(value, ((high - low) / 4.0) ** 2, var_run, var_disc=var_disc, low=low,
                   high=high)

    def bounds(self) -> tuple[float, float]:
        """The range the likelihood is centred on."""
        if self.lower_bound:
            return self.value, np.inf
        half = 2.0 * np.sqrt(self.var_obs)
        return (self.value - half if self.low is None else self.low,
                self.value + half if self.high is None else self.high)

    def score(self, mean: np.ndarray, var_emulator: np.ndarray) -> np.ndarray:
        """Implausibility of emulated outputs: standardised distance from the observation."""
        gap = self.value - mean
        if self.lower_bound:
            gap = np.maximum(gap, 0.0)
        return np.abs(gap) / np.sqrt(var_emulator + self.var_obs + self.var_disc + self.var_run)

    def log_likelihood(self, mean: np.ndarray, var_emulator: np.ndarray) -> np.ndarray:
        """Log-likelihood of the observation's range given emulated outputs (up to a constant).

        The probability that the expected output plus discrepancy, emulator
        and run noise lies in the range (see the module docstring): about 0
        well inside it, Gaussian tails outside.
        """
        low, high = self.bounds()
        sd = np.sqrt(var_emulator + self.var_disc + self.var_run)
        return log_interval_probability(np.asarray(mean, float), sd, low, high)


def log_interval_probability(mean: np.ndarray, sd: np.ndarray, low: float,
                             high: float) -> np.ndarray:
    """``log P(low <= X <= high)`` for ``X ~ N(mean, sd**2)``, accurate far into either tail."""
    from scipy.special import log_ndtr

    a, b = (low - mean) / sd, (high - mean) / sd
    above = a > 0  # the mean below the range: take both ends from the upper tail
    near, far = np.where(above, -a, b), np.where(above, -b, a)
    log_near, log_far = log_ndtr(near), log_ndtr(far)
    with np.errstate(divide="ignore"):
        return log_near + np.log1p(-np.exp(np.minimum(log_far - log_near, 0.0)))


@dataclass
class Wave:
    """One wave: where it ran, what it saw, its emulators and what it kept."""

    x: np.ndarray
    y: np.ndarray
    emulators: list = field(default_factory=list)
    kept_share: float = float("nan")


def fit_emulators(x: np.ndarray, y: np.ndarray, seed: int = 0) -> list:
    """One Gaussian process per output column: Matern kernel with a noise term, normalised y."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    emulators = []
    for j in range(y.shape[1]):
        kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                  * Matern(length_scale=np.full(x.shape[1], 0.5), length_scale_bounds=(1e-2, 1e2),
                           nu=2.5)
                  + WhiteKernel(1e-3, (1e-8, 1.0)))
        gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                      random_state=seed)
        with warnings.catch_warnings():  # a noise term at its lower bound (noise-free
            warnings.simplefilter("ignore", ConvergenceWarning)  # outputs) is expected
            emulators.append(gp.fit(x, y[:, j]))
    return emulators


def predict(gp, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An emulator's mean and variance of the model's expected output at ``x``.

    scikit-learn's predictive standard deviation includes the fitted noise
    term (the run-to-run scatter of the outputs it was trained on); the
    expected output's uncertainty is that variance minus the noise.
    """
    mean, sd = gp.predict(x, return_std=True)
    noise = _noise_level(gp.kernel_) * float(np.square(getattr(gp, "_y_train_std", 1.0)))
    return mean, np.maximum(sd**2 - noise, 1e-12)


def noise_sd(gp) -> float:
    """The fitted run-to-run standard deviation of an emulator's training outputs."""
    return float(np.sqrt(_noise_level(gp.kernel_)) * getattr(gp, "_y_train_std", 1.0))


def _noise_level(kernel) -> float:
    from sklearn.gaussian_process.kernels import Sum, WhiteKernel

    if isinstance(kernel, WhiteKernel):
        return float(kernel.noise_level)
    if isinstance(kernel, Sum):
        return _noise_level(kernel.k1) + _noise_level(kernel.k2)
    return 0.0


def implausibility(emulators: list, observations: list[Observation], x: np.ndarray) -> np.ndarray:
    """The largest implausibility over outputs at each row of ``x``."""
    worst = np.zeros(len(x))
    for gp, obs in zip(emulators, observations, strict=True):
        worst = np.maximum(worst, obs.score(*predict(gp, x)))
    return worst


def log_likelihood(emulators: list, observations: list[Observation], x: np.ndarray) -> np.ndarray:
    """The emulators' log-likelihood of every observation at each row of ``x`` (summed).

    Under a uniform prior this is the log posterior density, up to a constant.
    """
    total = np.zeros(len(x))
    for gp, obs in zip(emulators, observations, strict=True):
        total += obs.log_likelihood(*predict(gp, x))
    return total


def plausible(waves: list[Wave], observations: list[Observation], x: np.ndarray,
              cutoff: float = CUTOFF) -> np.ndarray:
    """Rows of ``x`` that no wave's emulators rule out."""
    keep = np.ones(len(x), dtype=bool)
    for wave in waves:
        if keep.any():
            keep[keep] = implausibility(wave.emulators, observations, x[keep]) <= cutoff
    return keep


def sample_plausible(waves: list[Wave], observations: list[Observation], n: int, dims: int,
                     rng: np.random.Generator, cutoff: float = CUTOFF,
                     max_draws: int = 200_000) -> np.ndarray:
    """Up to ``n`` points drawn uniformly from the space no wave rules out (rejection sampling)."""
    kept, drawn = [], 0
    while sum(len(k) for k in kept) < n and drawn < max_draws:
        batch = rng.random((min(20_000, max_draws - drawn), dims))
        drawn += len(batch)
        kept.append(batch[plausible(waves, observations, batch, cutoff)])
    points = np.concatenate(kept) if kept else np.empty((0, dims))
    return points[:n]


def history_match(model: Callable[[np.ndarray], np.ndarray], observations: list[Observation],
                  dims: int, *, waves: int = 3, runs_per_wave: int = 60, seed: int = 0,
                  cutoff: float = CUTOFF) -> list[Wave]:
    """Run ``waves`` waves of history matching on ``model`` over the unit cube.

    Args:
        model: maps an ``(n, dims)`` array in [0, 1] to ``(n, len(observations))`` outputs.
        observations: one per output column.
        dims: number of parameters.
        waves: number of waves (fewer if the space is ruled out entirely).
        runs_per_wave: model evaluations per wave.
        seed: seeds sampling and the emulators' optimiser restarts.
        cutoff: implausibility above which a point is ruled out.

    Returns:
        The waves, each with its design, outputs, emulators and the share of
        a uniform test sample it keeps (cumulative over waves).
    """
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    done: list[Wave] = []
    probe = rng.random((20_000, dims))
    for k in range(waves):
        if k == 0:
            x = qmc.LatinHypercube(d=dims, rng=rng).random(runs_per_wave)
        else:
            x = sample_plausible(done, observations, runs_per_wave, dims, rng, cutoff)
            if len(x) < 2 * dims:
                break
        y = np.asarray(model(x), dtype=float).reshape(len(x), len(observations))
        wave = Wave(x, y, fit_emulators(x, y, seed + k))
        done.append(wave)
        wave.kept_share = float(plausible(done, observations, probe, cutoff).mean())
    return done
