"""The two regressions behind the EVPPI: a penalised spline for one input, a Gaussian process for several.

Both are penalised regressions on a basis with an unpenalised linear part, the penalty
chosen by cross-validation: the spline's by generalised cross-validation (GCV; Craven &
Wahba, *Numer Math* 31:377-403, 1979), an approximation to leave-one-out cross-validation
computed on every draw, the GP's by leave-one-out on held-out draws (below).  Both have a
Gaussian posterior on their coefficients, returned in one form (:class:`Fit`): fitted
values, an orthonormal basis ``Phi`` and per-coefficient posterior standard deviations
``scale``, so that ``fitted + Phi @ (scale * z)`` with ``z ~ N(0, I)`` is a draw of the
regression function at the data's inputs from its posterior (the sampling of Strong,
Oakley & Brennan 2014, appendix).

* :func:`spline_fit`: a cubic P-spline (Eilers & Marx, *Stat Sci* 11:89-121, 1996), as a GAM
  with one smooth term: B-spline basis from scikit-learn's ``SplineTransformer`` on knots at
  quantiles of the input, second-difference penalty (straight lines are not penalised), the
  number of knots (:data:`KNOTS`) and the penalty chosen together by GCV.
* :func:`gp_fit`: Gaussian-process regression with a linear mean, the regression Strong et
  al. recommend for groups of inputs.  The kernel is squared-exponential with one length
  scale per input (ARD) plus white noise (scikit-learn's ``ConstantKernel * RBF +
  WhiteKernel``); its length scales maximise the marginal likelihood of the residuals of a
  linear fit on a random subset of at most ``subset`` draws, which also serve as inducing
  points of a subset-of-regressors approximation on every draw (Rasmussen & Williams,
  *Gaussian Processes for Machine Learning*, 2006, section 8.3.1).  The ratio of noise to
  signal variance, the GP's penalty, is then chosen by leave-one-out error on the draws
  outside the subset rather than taken from the subset: with the subset's own ratio a
  group of irrelevant inputs picks up spurious structure and biases the EVPPI upwards.
  When there are fewer than ``2 * subset`` draws the subset is half of them, so that draws
  the length scales never saw remain to judge the penalty.  (Judged on the subset's own
  draws, by GCV on every draw, length scales fitted to noise in many inputs at once make
  the kernel nearly diagonal and the fit interpolates: at 100 draws and 11 irrelevant
  inputs the group's EVPPI came out as the EVPI of the noise itself.)  Of penalties whose
  error is within a tenth of a standard error of the smallest, the largest is taken, so
  that ties go to the smoother fit.  A full GP costs O(n^3) per likelihood evaluation;
  this costs O(subset^3) per evaluation and O(n subset^2) once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

KNOTS = (6, 11, 21)
"""Numbers of knots tried by :func:`spline_fit` (the basis has two more functions)."""
PENALTIES = np.logspace(-6, 8, 57)
"""Penalty grid of :func:`spline_fit`, relative to the basis's scale (see the code)."""
SUBSET = 300
"""Draws the Gaussian process's length scales are estimated on (and its inducing points)."""
TIE = 0.1
"""Penalties within this many standard errors of the smallest held-out error count as tied."""
LENGTH_BOUNDS = (0.05, 1e3)
"""Bounds of the GP's length scales, for standardised inputs."""


class Fit(NamedTuple):
    """A fitted linear smoother with a Gaussian posterior on its coefficients.

    Attributes:
        fitted: fitted values at the data, shape ``(n,)``.
        basis: ``Phi``, shape ``(n, r)``.
        scale: posterior standard deviation of each coefficient, shape ``(r,)``.
        edf: effective degrees of freedom (trace of the smoother matrix).
        r2: share of the target's variance in the fitted values.
    """

    fitted: np.ndarray
    basis: np.ndarray
    scale: np.ndarray
    edf: float
    r2: float


def constant_fit(y: np.ndarray) -> Fit:
    """The mean, with no uncertainty: the fit on an input that never varies."""
    n = len(y)
    return Fit(np.full(n, y.mean()), np.zeros((n, 1)), np.zeros(1), 1.0, 0.0)


def spline_fit(x: np.ndarray, y: np.ndarray) -> list[Fit]:
    """P-spline regression of each column of ``y`` on one input ``x``.

    Args:
        x: the input, shape ``(n,)``.
        y: targets, shape ``(n, t)``; each gets its own knots and penalty.

    Returns:
        One :class:`Fit` per column of ``y``.
    """
    n, t = y.shape
    if np.ptp(x) == 0:
        return [constant_fit(y[:, j]) for j in range(t)]
    best: list[tuple[float, Fit]] = [(np.inf, constant_fit(y[:, j])) for j in range(t)]
    for knots in KNOTS:
        for j, (score, fit) in enumerate(_spline_candidates(x, y, knots)):
            if score < best[j][0]:
                best[j] = (score, fit)
    return [fit for _, fit in best]


def _spline_candidates(x: np.ndarray, y: np.ndarray, knots: int) -> list[tuple[float, Fit]]:
    """For one number of knots: each target's smallest GCV score and its fit."""
    from sklearn.preprocessing import SplineTransformer

    where = np.unique(np.quantile(x, np.linspace(0.0, 1.0, knots)))
    b = SplineTransformer(knots=where[:, None], degree=3).fit_transform(x[:, None])
    d = np.diff(np.eye(b.shape[1]), n=2, axis=0)
    # An orthonormal basis of the columns' span (dropping directions no data reach), then
    # the penalty diagonalised in it: Phi' Phi = I, penalty sum(s_i c_i^2).
    g, w = np.linalg.eigh(b.T @ b)
    keep = g > 1e-10 * g.max()
    root = w[:, keep] / np.sqrt(g[keep])
    s, u = np.linalg.eigh(root.T @ (d.T @ d) @ root)
    s = np.clip(s, 0.0, None)
    phi = b @ root @ u
    return _penalised(phi, np.clip(s, 0.0, None), y)


def _penalised(phi: np.ndarray, s: np.ndarray, y: np.ndarray) -> list[tuple[float, Fit]]:
    """Penalised least squares on an orthonormal basis, the penalty chosen by GCV.

    Minimises ``|y - Phi c|^2 + alpha sum_i s_i c_i^2`` for each target (column of ``y``)
    over the grid :data:`PENALTIES` (relative to the median positive ``s``), so
    ``c_i = z_i / (1 + alpha s_i)`` with ``z = Phi' y``.  The constant must lie in the span
    of the columns with ``s_i = 0``.

    Returns:
        Each target's GCV score and fit.
    """
    n = phi.shape[0]
    mean = y.mean(axis=0)
    yc = y - mean
    z = phi.T @ yc
    positive = s[s > 1e-12 * s.max()] if s.max() > 0 else s[:0]
    alphas = PENALTIES / np.median(positive) if len(positive) else PENALTIES[:1]
    shrink = 1.0 / (1.0 + alphas[:, None] * s[None, :])
    trace = shrink.sum(axis=1)
    left = (yc * yc).sum(axis=0) - (z * z).sum(axis=0)
    rss = np.maximum(left[None, :] + ((1 - shrink) ** 2) @ (z * z), 0.0)
    gcv = n * rss / np.maximum(n - trace, 1e-9)[:, None] ** 2
    out = []
    for j in range(y.shape[1]):
        a = int(np.argmin(gcv[:, j]))
        fitted = mean[j] + phi @ (shrink[a] * z[:, j])
        sigma2 = float(((y[:, j] - fitted) ** 2).sum()) / max(n - trace[a], 1.0)
        out.append((float(gcv[a, j]), Fit(fitted, phi, np.sqrt(sigma2 * shrink[a]),
                                          float(trace[a]), _r2(fitted, y[:, j]))))
    return out


def gp_fit(x: np.ndarray, y: np.ndarray, rng: np.random.Generator,
           subset: int = SUBSET) -> list[Fit]:
    """Gaussian-process regression (subset of regressors) of each column of ``y`` on inputs ``x``.

    Args:
        x: inputs, shape ``(n, p)``.
        y: targets, shape ``(n, t)``; each gets its own hyperparameters.
        rng: chooses the subset.
        subset: draws used to estimate the hyperparameters and as inducing points.

    Returns:
        One :class:`Fit` per column of ``y``.
    """
    from threadpoolctl import threadpool_limits

    n, t = y.shape
    sd = x.std(axis=0)
    if not (sd > 0).any():
        return [constant_fit(y[:, j]) for j in range(t)]
    xs = (x[:, sd > 0] - x[:, sd > 0].mean(axis=0)) / sd[sd > 0]
    pick = np.sort(rng.choice(n, size=min(n, subset), replace=False))
    # one BLAS thread: at these sizes (a few hundred) threads cost more than they give, many
    # times more on a busy machine
    with threadpool_limits(1, user_api="blas"):
        return [_gp_one(xs, y[:, j], pick) for j in range(t)]


def _gp_one(xs: np.ndarray, y: np.ndarray, pick: np.ndarray) -> Fit:
    if y.std() == 0:
        return constant_fit(y)
    n, p = xs.shape
    if len(pick) > n // 2:  # keep draws the length scales do not see, to judge the penalty
        pick = np.sort(pick[: n // 2])
    rest = np.setdiff1d(np.arange(n), pick)
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), xs]))
    sub = q[pick]
    resid = y[pick] - sub @ np.linalg.lstsq(sub, y[pick], rcond=None)[0]
    if resid.std() == 0:
        lengths = np.full(p, LENGTH_BOUNDS[1])
    else:
        lengths = gp_hyperparameters(xs[pick], (resid - resid.mean()) / resid.std())[0]
    z = xs / lengths
    lam, vec = np.linalg.eigh(_rbf(z[pick], z[pick]))
    keep = lam > 1e-8 * lam.max()
    features = _rbf(z, z[pick]) @ (vec[:, keep] / np.sqrt(lam[keep]))
    # f = linear + features @ gamma with gamma ~ N(0, I / alpha): the features' part
    # orthogonal to the linear space, diagonalised: a ridge penalty 1 / d_i per direction.
    features -= q @ (q.T @ features)
    d, w = np.linalg.eigh(features.T @ features)
    big = d > 1e-10 * max(d.max(), 1e-300)
    phi = np.column_stack([q, features @ (w[:, big] / np.sqrt(d[big]))])
    s = np.concatenate([np.zeros(q.shape[1]), 1.0 / d[big]])
    return _held_out(phi, s, y, rest)


def _held_out(phi: np.ndarray, s: np.ndarray, y: np.ndarray, rows: np.ndarray) -> Fit:
    """Penalised least squares as :func:`_penalised`, the penalty by leave-one-out on ``rows``.

    The leave-one-out residual of draw ``i`` is ``(y_i - f_i) / (1 - h_ii)`` with ``h_ii``
    the smoother's diagonal; its mean square over ``rows`` (draws the hyperparameters were
    not fitted to) is the score.  The largest penalty within :data:`TIE` standard errors
    of the smallest score is chosen.
    """
    n = phi.shape[0]
    mean = y.mean()
    yc = y - mean
    z = phi.T @ yc
    positive = s[s > 1e-12 * s.max()] if s.max() > 0 else s[:0]
    alphas = PENALTIES / np.median(positive) if len(positive) else PENALTIES[:1]
    shrink = 1.0 / (1.0 + alphas[:, None] * s[None, :])
    trace = shrink.sum(axis=1)
    sub = phi[rows]
    leverage = np.minimum((sub * sub) @ shrink.T, 1.0 - 1e-9)
    loo = ((yc[rows, None] - sub @ (shrink.T * z[:, None])) / (1.0 - leverage)) ** 2
    score = loo.mean(axis=0)
    best = int(np.argmin(score))
    se = loo[:, best].std(ddof=1) / np.sqrt(len(rows)) if len(rows) > 1 else 0.0
    a = int(np.flatnonzero(score <= score[best] + TIE * se).max())
    fitted = mean + phi @ (shrink[a] * z)
    sigma2 = float(((y - fitted) ** 2).sum()) / max(n - trace[a], 1.0)
    return Fit(fitted, phi, np.sqrt(sigma2 * shrink[a]), float(trace[a]), _r2(fitted, y))


def gp_hyperparameters(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Length scales, signal and noise variance maximising the GP's marginal likelihood.

    The kernel is ``signal * exp(-0.5 sum_d ((x_d - x'_d) / length_d)^2) + noise * [x = x']``
    (scikit-learn's ``ConstantKernel * RBF + WhiteKernel`` with one length scale per input),
    for standardised ``x`` and ``y``; L-BFGS-B on the log parameters with the analytic
    gradient ``0.5 tr((a a' - K^-1) dK)``, which costs O(n^2 p) per step where
    scikit-learn's costs O(n^3 p).  Bounds: length scales in [0.05, 1000] (an input that
    does not matter goes to the upper bound), signal in [1e-4, 100], noise in [1e-6, 10].

    Args:
        x: standardised inputs, shape ``(m, p)``.
        y: standardised target, shape ``(m,)``.

    Returns:
        ``(lengths, signal, noise)``.
    """
    from scipy.linalg import cho_factor, cho_solve
    from scipy.optimize import minimize

    m, p = x.shape
    sq = (x[:, None, :] - x[None, :, :]) ** 2  # (m, m, p)
    design = np.column_stack([np.ones(m), x])
    linear = np.linalg.lstsq(design, y, rcond=None)[0]
    start_noise = float(np.clip(np.var(y - design @ linear), 1e-3, 1.0))
    start = np.log(np.r_[np.ones(p), max(1.0 - start_noise, 1e-2), start_noise])
    bounds = [tuple(np.log(LENGTH_BOUNDS))] * p + [(np.log(1e-4), np.log(1e2)),
                                                   (np.log(1e-6), np.log(10.0))]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lengths, signal, noise = np.exp(theta[:p]), np.exp(theta[p]), np.exp(theta[p + 1])
        kern = signal * _exp_neg(0.5 * (sq / lengths**2).sum(axis=2))
        try:
            factor = cho_factor(kern + noise * np.eye(m), lower=True)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        a = cho_solve(factor, y)
        inv = cho_solve(factor, np.eye(m))
        nll = 0.5 * y @ a + np.log(np.diag(factor[0])).sum() + 0.5 * m * np.log(2 * np.pi)
        w = np.outer(a, a) - inv
        grad = np.empty_like(theta)
        grad[:p] = -0.5 * np.einsum("ij,ijd->d", w * kern, sq) / lengths**2
        grad[p] = -0.5 * (w * kern).sum()
        grad[p + 1] = -0.5 * noise * np.trace(w)
        return float(nll), grad

    best = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    theta = best.x
    return np.exp(theta[:p]), float(np.exp(theta[p])), float(np.exp(theta[p + 1]))


def _rbf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``exp(-0.5 |a_i - b_j|^2)`` for rows already divided by their length scales."""
    d2 = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * a @ b.T
    return _exp_neg(0.5 * np.maximum(d2, 0.0))


def _exp_neg(a: np.ndarray) -> np.ndarray:
    """``exp(-a)``, exactly 0 below 1e-130: subnormal numbers slow linear algebra a hundredfold."""
    return np.where(a > 300.0, 0.0, np.exp(-np.minimum(a, 300.0)))


def _r2(fitted: np.ndarray, y: np.ndarray) -> float:
    v = y.var()
    return float(fitted.var() / v) if v > 0 else 0.0
