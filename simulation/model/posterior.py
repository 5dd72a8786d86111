"""The calibration's joint posterior: draws of the calibrated parameters, handed out whole.

``iesim calibrate`` writes its posterior draws to ``posterior.parquet`` in its output
directory and ``make calibrate`` installs the file beside ``calibrated.toml``, as
:data:`simulation.model.parameters.POSTERIOR_FILE`.  The file has one row per draw: for each
calibrated parameter ``<name>`` its value in model units and ``u_<name>`` its unit
coordinate over the plausible range, and ``log_likelihood``.  The rows are
equal-weight draws (importance resampled, so a row may repeat).

The calibrated parameters are correlated in the posterior (parameters that trade off
against each other to meet the same targets), so a study that varies them draws whole
rows (:func:`joint_draws`), never each parameter from its own marginal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import InputError
from simulation.model.parameters import PARAMETERS, POSTERIOR_FILE, suggest

OTHER_COLUMNS = ("log_likelihood",)


def read_posterior(path: str | Path = POSTERIOR_FILE) -> pd.DataFrame:
    """The posterior draws in model units: one column per calibrated parameter, one row a draw.

    Every column is checked against the registry: a parameter's values must be valid
    (:meth:`~simulation.model.parameters.Parameter.check`), an integer parameter's whole numbers;
    they come back in the parameter's type.  Unit coordinates (``u_<name>``) and
    ``log_likelihood`` are left out.

    Raises:
        InputError: the file cannot be read, has no draws, names no parameter or an
            unknown one, or holds a value the parameter cannot take (naming the file and
            the column).
    """
    source = str(path)
    try:
        raw = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(source, None, f"cannot read the posterior draws: {exc}") from None
    names = [c for c in raw.columns if not c.startswith("u_") and c not in OTHER_COLUMNS]
    for column in raw.columns:
        name = column[2:] if column.startswith("u_") else column
        if column not in OTHER_COLUMNS and name not in PARAMETERS:
            raise InputError(source, column, f"column {column!r} names no registry parameter"
                             f"{suggest(name, PARAMETERS)}")
    if not names or len(raw) == 0:
        raise InputError(source, None, "the posterior has no draws of any parameter (an empty "
                         "posterior: the calibration ruled out every point)")
    out = {}
    for name in names:
        out[name] = _column(raw[name], PARAMETERS[name], source)
    return pd.DataFrame(out)


def _column(values: pd.Series, parameter, source: str) -> pd.Series:
    x = values.to_numpy()
    if parameter.kind is bool or not np.issubdtype(x.dtype, np.number):
        raise InputError(source, parameter.name, f"column {parameter.name!r} must hold numbers "
                         f"({parameter.describe()}); got {x.dtype}")
    if parameter.kind is int:
        if not (np.isfinite(x).all() and (np.round(x) == x).all()):
            raise InputError(source, parameter.name, f"column {parameter.name!r} must hold "
                             f"whole numbers ({parameter.describe()})")
        x = x.astype(np.int64)
    else:
        x = x.astype(float)
    for value in (x.min(), x.max()):
        try:
            parameter.check(value)
        except ValueError as exc:
            raise InputError(source, parameter.name, f"column {parameter.name!r}: {exc}") from None
    return pd.Series(x, name=parameter.name)


def posterior_names(path: str | Path = POSTERIOR_FILE) -> tuple[str, ...]:
    """The parameters the posterior draws, in the file's order."""
    return tuple(read_posterior(path).columns)


def posterior_draws(n: int, rng) -> pd.DataFrame:
    """``n`` joint draws of the calibrated parameters (whole posterior rows; a DataFrame).

    See :func:`joint_draws`: the posterior's correlations are kept, never independent
    marginals; ``rng`` is a NumPy Generator.
    """
    return joint_draws(n, rng)


def joint_draws(n: int, rng: np.random.Generator, path: str | Path = POSTERIOR_FILE,
                posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """``n`` joint draws of the calibrated parameters: whole rows of the posterior.

    Rows are chosen with ``rng`` without replacement when the file has at least ``n``
    rows (the file's own repeats remain), with replacement otherwise.  Each draw keeps
    every parameter of one posterior draw together, so the posterior's correlations are
    kept; integer parameters stay integers.

    Args:
        n: number of draws (>= 1).
        rng: a NumPy Generator (the caller's stream: the same state gives the same draws).
        path: the posterior file (default: the installed one).
        posterior: the draws already read (:func:`read_posterior`); ``path`` is then unused.

    Returns:
        A DataFrame of ``n`` rows, one column per calibrated parameter; its index, named
        ``posterior_row``, is the row of the posterior each draw is.

    Raises:
        ValueError: ``n`` is not a whole number >= 1, or ``rng`` is not a Generator.
        InputError: the file is unreadable or malformed (see :func:`read_posterior`).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}")
    table = read_posterior(path) if posterior is None else posterior
    rows = rng.choice(len(table), size=int(n), replace=int(n) > len(table))
    out = table.iloc[rows].copy()
    out.index = pd.Index(rows, name="posterior_row")
    return out
