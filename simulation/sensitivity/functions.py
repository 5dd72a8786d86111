"""Test functions with known sensitivity indices, vectorised over sample rows.

They check the analysis through the same code path as the model
(``sensitivity.function = "simulation.sensitivity.functions:ishigami"``).
"""

from __future__ import annotations

import numpy as np


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami & Homma (1990) on [-pi, pi]^3.

    With a = 7, b = 0.1: S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
    """
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def linear_with_inert(x: np.ndarray) -> np.ndarray:
    """4 x1 + 2 x2 + x3 + 0 x4 (with an interaction x1 x2): x4 is inert."""
    return 4 * x[:, 0] + 2 * x[:, 1] + x[:, 2] + x[:, 0] * x[:, 1] + 0.0 * x[:, 3]


def noisy_linear(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """2 x1 + x2 plus unit normal noise: a stochastic model's seed share."""
    return 2 * x[:, 0] + x[:, 1] + rng.normal(0.0, 1.0, len(x))
