"""Expected value of partial perfect information by regression (Strong, Oakley & Brennan 2014).

Strong, Oakley & Brennan, "Estimating multiparameter partial expected value of perfect
information from a probabilistic sensitivity analysis sample: a nonparametric regression
approach", *Med Decis Making* 34(3):311-326, 2014.  From one probabilistic sample (a draw
of every input and the net benefit of each option per draw), regress each option's
incremental net benefit ``NB_k - NB_0`` on the input(s) of interest ``x``; the fitted values
``g_k(x)`` estimate ``E[NB_k - NB_0 | x]`` (``g_0 = 0``) and

    EVPPI(x) = mean_n max_k g_k(x_n) - max_k mean_n g_k(x_n),

with no nested simulation.  The residual of the regression holds everything that does not
depend on ``x``: the other inputs and also the stochastic (seed) noise of a simulation
model's single run per draw.  Seed noise therefore does not inflate the EVPPI, as it
inflates an EVPI computed directly on noisy net benefit; the EVPPI of all inputs together
is the EVPI without the noise.  Heath, Manolopoulou & Baio (*Stat Med* 36:3844-3858, 2017)
review this and faster approximations for large groups.

One input is regressed with a penalised spline, a group with a Gaussian process
(:mod:`simulation.decisions.smoothers` states the choices).  The standard error combines the
regression's uncertainty, the standard deviation of the EVPPI over ``samples`` draws of the
fitted values from their posterior (Strong et al. 2014, appendix; options' fits are
sampled independently, although their residuals are correlated), and the Monte Carlo error
of the outer mean over the ``n`` draws of ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.decisions.smoothers import SUBSET, Fit, gp_fit, spline_fit

METHODS = ("spline", "gp")
SAMPLES = 200
MIN_DRAWS = 20


@dataclass(frozen=True)
class EvppiResult:
    """An EVPPI estimate.

    Attributes:
        value: the EVPPI, in the units of net benefit (one per lambda from
            :func:`evppi_curve`).
        se: its standard error (see the module docstring), same shape.
        method: "spline" or "gp".
        edf: effective degrees of freedom of each regression (one per option after the
            first; from :func:`evppi_curve`, the effects' then the costs').
        r2: share of each regressed target's variance explained by the input(s).
    """

    value: float | np.ndarray
    se: float | np.ndarray
    method: str
    edf: tuple[float, ...]
    r2: tuple[float, ...]


def evppi(nb: np.ndarray, inputs: np.ndarray, *, method: str | None = None, samples: int = SAMPLES,
          subset: int = SUBSET, seed: int = 0) -> EvppiResult:
    """EVPPI of one input or a group of inputs, by regression (Strong et al. 2014).

    Args:
        nb: net benefit, shape ``(n_draws, n_options)``, one willingness to pay; at least 2
            options and :data:`MIN_DRAWS` draws.
        inputs: the input(s) of interest per draw, shape ``(n_draws,)`` or ``(n_draws, p)``.
        method: "spline" (penalised regression spline; one input only) or "gp" (Gaussian
            process); by default "spline" for one input and "gp" for several.
        samples: posterior draws of the fitted values for the standard error (0: none,
            the standard error is then the Monte Carlo part only).
        subset: draws the Gaussian process's hyperparameters are estimated on.
        seed: seeds the subset and the posterior draws.

    Returns:
        :class:`EvppiResult` with float ``value`` and ``se``.

    Raises:
        ValueError: if the shapes do not agree, a value is not finite, or an argument is out
            of its range.
    """
    y, x = _check(nb, inputs)
    method = _method(method, x, samples, subset)
    inc = y[:, 1:] - y[:, :1]
    rng = np.random.default_rng(seed)
    fits = _fit(x, inc, method, rng, subset)
    g = np.stack([f.fitted for f in fits], axis=1)
    value = _evppi(g)
    dev = _deviations(fits, samples, rng)
    post = np.array([_evppi(g + dev[s]) for s in range(samples)])
    se = _se(post, g)
    return EvppiResult(value, se, method, tuple(f.edf for f in fits), tuple(f.r2 for f in fits))


def evppi_curve(costs: np.ndarray, effects: np.ndarray, lambdas: np.ndarray, inputs: np.ndarray, *,
                method: str | None = None, samples: int = SAMPLES, subset: int = SUBSET,
                seed: int = 0) -> EvppiResult:
    """EVPPI at every willingness to pay from one set of regressions.

    Incremental net benefit ``lambda dE_k - dC_k`` is linear in lambda, so the incremental
    effects and costs are regressed once each and the fitted values combined per lambda,
    instead of one regression per lambda.

    Args:
        costs: shape ``(n_draws, n_options)``.
        effects: same shape.
        lambdas: willingness-to-pay grid.
        inputs: as for :func:`evppi`.
        method: as for :func:`evppi`.
        samples: as for :func:`evppi`.
        subset: as for :func:`evppi`.
        seed: as for :func:`evppi`.

    Returns:
        :class:`EvppiResult` whose ``value`` and ``se`` have one entry per lambda.
    """
    from simulation.decisions.voi import net_benefit

    net_benefit(costs, effects, lambdas)  # checks the shapes
    c, e = np.asarray(costs, dtype=float), np.asarray(effects, dtype=float)
    lam = np.atleast_1d(np.asarray(lambdas, dtype=float))
    _, x = _check(e, inputs)
    method = _method(method, x, samples, subset)
    k = c.shape[1] - 1
    targets = np.concatenate([e[:, 1:] - e[:, :1], c[:, 1:] - c[:, :1]], axis=1)
    rng = np.random.default_rng(seed)
    fits = _fit(x, targets, method, rng, subset)
    g = np.stack([f.fitted for f in fits], axis=1)
    dev = _deviations(fits, samples, rng)
    value, se = np.empty(len(lam)), np.empty(len(lam))
    for i, w in enumerate(lam):
        gl = w * g[:, :k] - g[:, k:]
        value[i] = _evppi(gl)
        post = np.array([_evppi(gl + w * dev[s, :, :k] - dev[s, :, k:]) for s in range(samples)])
        se[i] = _se(post, gl)
    return EvppiResult(value, se, method, tuple(f.edf for f in fits), tuple(f.r2 for f in fits))


def _evppi(g: np.ndarray) -> float:
    """``mean max_k g_k - max_k mean g_k`` with ``g_0 = 0`` (``g`` holds options 1..K-1)."""
    best = np.maximum(g.max(axis=1), 0.0)
    return float(best.mean() - max(g.mean(axis=0).max(), 0.0))


def _se(post: np.ndarray, g: np.ndarray) -> float:
    """Posterior spread of the EVPPI and the Monte Carlo error of the outer mean, combined."""
    full = np.concatenate([np.zeros((len(g), 1)), g], axis=1)
    chosen = int(full.mean(axis=0).argmax())
    gain = full.max(axis=1) - full[:, chosen]
    mc = gain.var(ddof=1) / len(g)
    spread = post.var(ddof=1) if len(post) > 1 else 0.0
    return float(np.sqrt(spread + mc))


def _fit(x: np.ndarray, y: np.ndarray, method: str, rng: np.random.Generator, subset: int) -> list[Fit]:
    if method == "spline":
        return spline_fit(x[:, 0], y)
    return gp_fit(x, y, rng, subset)


def _deviations(fits: list[Fit], samples: int, rng: np.random.Generator) -> np.ndarray:
    """Posterior draws of the fitted values less the fitted values, ``(samples, n, targets)``."""
    n = len(fits[0].fitted)
    out = np.empty((samples, n, len(fits)))
    for j, f in enumerate(fits):
        z = rng.standard_normal((len(f.scale), samples))
        out[:, :, j] = (f.basis @ (f.scale[:, None] * z)).T
    return out


def _method(method: str | None, x: np.ndarray, samples: int, subset: int) -> str:
    if int(samples) != samples or samples < 0:
        raise ValueError(f"samples must be an int in the range [0, inf); got {samples}")
    if int(subset) != subset or subset < 10:
        raise ValueError(f"subset must be an int in the range [10, inf); got {subset}")
    if method is None:
        return "spline" if x.shape[1] == 1 else "gp"
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method == "spline" and x.shape[1] != 1:
        raise ValueError(f"method 'spline' takes one input; got {x.shape[1]} (use 'gp' for a group)")
    return method


def _check(nb: np.ndarray, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(nb, dtype=float)
    if y.ndim != 2 or y.shape[1] < 2 or y.shape[0] < MIN_DRAWS:
        raise ValueError(f"nb must have shape (n_draws >= {MIN_DRAWS}, n_options >= 2); got {y.shape}")
    x = np.asarray(inputs, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[1] < 1:
        raise ValueError(f"inputs must have shape ({y.shape[0]},) or ({y.shape[0]}, p); got "
                         f"{np.shape(inputs)}")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise ValueError("nb and inputs must be finite")
    return y, x
