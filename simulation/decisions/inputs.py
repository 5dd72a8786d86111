"""The uncertain inputs of a decision study: the calibration posterior and named distributions.

A decision file's ``[uncertain]`` table names what is not known::

    [uncertain]
    posterior = "calibration"   # joint draws of the calibrated parameters
                                # (calibration/posterior.parquet), or a .parquet file of
                                # the same form relative to the decision file, or "none"

    [uncertain.parameters]      # other assumptions, each a registry parameter:
    demand_drift_multiplier = "plausible"        # uniform over its plausible range
    firm_min_match = [0.45, 0.55]                 # uniform over [low, high]
    contact_rate = { distribution = "triangular", low = 0.075, mode = 0.15, high = 0.3 }
    cultural_distance = { distribution = "uniform" }   # low and high default to the
                                                       # plausible range, mode to the default

    [uncertain.groups]          # named groups for the EVPPI of several inputs at once
    labour_market = ["reservation_match", "outside_job_match", "demand_drift_multiplier"]
    calibrated = "posterior"    # every parameter the posterior draws

Each draw takes one whole row of the posterior (its correlations kept,
:func:`simulation.model.posterior.joint_draws`) and, independently, one value of every other
input from its distribution.  An integer parameter takes integers: uniform gives each
integer in [low, high] the same chance, triangular rounds its value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.batch.designs import from_unit
from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, POSTERIOR_FILE, suggest

POSTERIOR = "posterior"
DISTRIBUTIONS = ("uniform", "triangular")
DRAW_STREAM = 0x64726177
"""Spawn-key word (ASCII ``draw``) of the stream the inputs are drawn from (runs use others)."""


@dataclass(frozen=True)
class Input:
    """One uncertain input: a model parameter and the distribution its draws come from.

    Attributes:
        name: the parameter's keyword name.
        distribution: ``posterior`` (a column of the joint posterior), ``uniform`` or
            ``triangular``.
        low: lowest value (the posterior's smallest draw for a posterior input).
        high: highest value (the posterior's largest).
        mode: the triangular distribution's mode (else None).
        kind: ``float`` or ``int``.
    """

    name: str
    distribution: str
    low: float
    high: float
    mode: float | None = None
    kind: type = float

    def describe(self) -> str:
        """The distribution in words: 'uniform on [0.5, 2]'."""
        if self.distribution == POSTERIOR:
            return f"joint posterior (draws from {self.low:g} to {self.high:g})"
        if self.distribution == "triangular":
            return f"triangular on [{self.low:g}, {self.high:g}], mode {self.mode:g}"
        return f"uniform on [{self.low:g}, {self.high:g}]" + (" (integers)" if self.kind is int
                                                             else "")

    def value(self, u: np.ndarray) -> np.ndarray:
        """Values at uniform draws ``u`` in [0, 1) (the inverse of the distribution function)."""
        u = np.asarray(u, dtype=float)
        if self.distribution == "uniform":
            return from_unit(u, self.low, self.high, self.kind is int)
        a, b, c = self.low, self.high, self.mode
        cut = (c - a) / (b - a)
        x = np.where(u < cut, a + np.sqrt(u * (b - a) * (c - a)),
                     b - np.sqrt((1 - u) * (b - a) * (b - c)))
        return np.clip(np.rint(x), a, b).astype(int) if self.kind is int else x


@dataclass(frozen=True)
class Uncertainty:
    """What a decision study draws: the posterior (if any), the other inputs and the groups.

    Attributes:
        posterior: the posterior as the file names it (``calibration`` or a path relative
            to the decision file), or None.
        posterior_table: its draws in model units (None without a posterior).
        inputs: every input, the posterior's first (in the file's column order).
        groups: group name to the names of its inputs.
    """

    posterior: str | None
    posterior_table: pd.DataFrame | None
    inputs: tuple[Input, ...]
    groups: dict[str, tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.inputs]

    def draw(self, n: int, seed: int) -> pd.DataFrame:
        """``n`` draws of every input, deterministic in ``seed``.

        Columns ``draw``, ``posterior_row`` (with a posterior) and one per input.  The
        draws come from their own stream of the seed (:data:`DRAW_STREAM`), apart from
        the runs' streams.
        """
        from simulation.model.posterior import joint_draws

        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(DRAW_STREAM,)))
        frame = pd.DataFrame({"draw": np.arange(n)})
        if self.posterior_table is not None:
            rows = joint_draws(n, rng, posterior=self.posterior_table)
            frame["posterior_row"] = rows.index.to_numpy()
            for column in rows.columns:
                frame[column] = rows[column].to_numpy()
        others = [i for i in self.inputs if i.distribution != POSTERIOR]
        u = rng.random((n, len(others)))
        for j, item in enumerate(others):
            frame[item.name] = item.value(u[:, j])
        return frame

    def describe(self) -> dict[str, Any]:
        """JSON-able description (with a hash of the posterior's draws)."""
        from simulation.batch.specs import stable_hash

        table = self.posterior_table
        return {"posterior": self.posterior,
                "posterior_hash": None if table is None else stable_hash(
                    {c: table[c].tolist() for c in table.columns}),
                "inputs": [{"name": i.name, "distribution": i.distribution, "low": i.low,
                            "high": i.high, "mode": i.mode, "kind": i.kind.__name__}
                           for i in self.inputs],
                "groups": {k: list(v) for k, v in self.groups.items()}}


def read_uncertainty(table: Any, here: Path, source: str) -> Uncertainty:
    """The ``[uncertain]`` table of a decision file, checked against the registry.

    Raises:
        InputError: an unknown key, parameter, distribution or group member; a bad
            range; a parameter both in the posterior and listed; no input at all.
    """
    if not isinstance(table, dict):
        raise InputError(source, "uncertain", "missing table [uncertain] (posterior = "
                         "\"calibration\" and/or [uncertain.parameters])" if table is None
                         else "uncertain must be a table")
    allowed = ("posterior", "parameters", "groups")
    for key in table:
        if key not in allowed:
            raise InputError(source, f"uncertain.{key}", f"unknown key uncertain.{key} (allowed: "
                             f"{', '.join(allowed)}){suggest(key, allowed)}")
    spec = table.get("posterior", "none")
    posterior = _posterior(spec, here, source)
    inputs: dict[str, Input] = {}
    if posterior is not None:
        for name in posterior.columns:
            column = posterior[name]
            inputs[name] = Input(name, POSTERIOR, PARAMETERS[name].kind(column.min()),
                                 PARAMETERS[name].kind(column.max()), kind=PARAMETERS[name].kind)
    listed = table.get("parameters", {})
    if not isinstance(listed, dict):
        raise InputError(source, "uncertain.parameters", "uncertain.parameters must be a table")
    for key, spec in listed.items():
        where = f"uncertain.parameters.{key}"
        item = _input(key, spec, where, source)
        if item.name in inputs:
            why = ("the posterior draws it" if inputs[item.name].distribution == POSTERIOR
                   else "it is listed twice")
            raise InputError(source, where, f"{where}: {item.name} is already uncertain ({why})")
        inputs[item.name] = item
    if not inputs:
        raise InputError(source, "uncertain", "nothing is uncertain: set uncertain.posterior = "
                         "\"calibration\" or list [uncertain.parameters]")
    groups = _groups(table.get("groups", {}), inputs, source)
    return Uncertainty(None if posterior is None else spec, posterior, tuple(inputs.values()),
                       groups)


def _posterior(spec: Any, here: Path, source: str) -> pd.DataFrame | None:
    from simulation.model.posterior import read_posterior

    where = "uncertain.posterior"
    if spec == "none":
        return None
    if spec == "calibration":
        path = POSTERIOR_FILE
    elif isinstance(spec, str) and spec.endswith(".parquet"):
        path = here / spec
    else:
        raise InputError(source, where, f"{where} must be \"calibration\" (the shipped "
                         "calibration/posterior.parquet), a .parquet file relative to this file, "
                         f"or \"none\"; got {spec!r}")
    if not Path(path).is_file():
        raise InputError(source, where, f"{where}: no posterior file at {path} (make calibrate "
                         "installs calibration/posterior.parquet)")
    try:
        return read_posterior(path)
    except InputError as exc:
        raise InputError(source, where, f"{where}: {exc.message}") from None


def _input(key: str, spec: Any, where: str, source: str) -> Input:
    p = PARAMETERS.get(key) or BY_PATH.get(key)
    if p is None:
        raise InputError(source, where, f"{where}: unknown parameter {key!r}"
                         f"{suggest(key, list(PARAMETERS) + list(BY_PATH))}")
    if p.kind is bool:
        raise InputError(source, where, f"{where} is a boolean; an uncertain input needs a "
                         "numeric range")
    if spec == "plausible":
        spec = {"distribution": "uniform"}
    elif isinstance(spec, list):
        if len(spec) != 2:
            raise InputError(source, where, f"{where} must be \"plausible\", [low, high] or a "
                             f"table with distribution; got a list of {len(spec)}")
        spec = {"distribution": "uniform", "low": spec[0], "high": spec[1]}
    if not isinstance(spec, dict):
        raise InputError(source, where, f"{where} must be \"plausible\", [low, high] or a table "
                         f"(distribution, low, high, mode); got {spec!r}")
    for k in spec:
        if k not in ("distribution", "low", "high", "mode"):
            raise InputError(source, f"{where}.{k}", f"unknown key {where}.{k} (allowed: "
                             "distribution, low, high, mode)")
    kind = spec.get("distribution")
    if kind not in DISTRIBUTIONS:
        raise InputError(source, f"{where}.distribution", f"{where}.distribution must be one of "
                         f"{', '.join(DISTRIBUTIONS)}; got {kind!r}")
    if p.plausible is None and not {"low", "high"} <= set(spec):
        raise InputError(source, where, f"{where}: {p.name} has no plausible range (a structural "
                         "setting or a definition); give low and high")
    low, high = (spec.get(k, p.plausible[i] if p.plausible else None)
                 for i, k in enumerate(("low", "high")))
    mode = spec.get("mode", p.default) if kind == "triangular" else None
    if "mode" in spec and kind != "triangular":
        raise InputError(source, f"{where}.mode", f"{where}.mode applies to a triangular "
                         "distribution only")
    for name, value in (("low", low), ("high", high), ("mode", mode)):
        if name == "mode" and mode is None:
            continue
        _value(p, value, f"{where}.{name}" if name in spec else where, source, name)
    if not low < high:
        raise InputError(source, where, f"{where}: low must be below high; got [{low}, {high}]")
    if mode is not None and not low <= mode <= high:
        raise InputError(source, f"{where}.mode", f"{where}.mode must lie in [low, high] = "
                         f"[{low}, {high}]; got {mode}")
    cast = p.kind
    return Input(p.name, kind, cast(low), cast(high), None if mode is None else float(mode),
                 kind=cast)


def _value(p, value, key: str, source: str, name: str) -> None:
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value)):
        raise InputError(source, key, f"{key}: {name} must be a number; got {value!r}")
    try:
        p.check(p.kind(value) if p.kind is int and float(value).is_integer() else value)
    except ValueError as exc:
        raise InputError(source, key, f"{key} ({name}): {exc}") from None


def _groups(table: Any, inputs: dict[str, Input], source: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict):
        raise InputError(source, "uncertain.groups", "uncertain.groups must be a table of name "
                         "= [inputs] or \"posterior\"")
    out = {}
    for name, members in table.items():
        where = f"uncertain.groups.{name}"
        if members == POSTERIOR:
            members = [i.name for i in inputs.values() if i.distribution == POSTERIOR]
            if not members:
                raise InputError(source, where, f"{where} = \"posterior\", but no posterior is "
                                 "drawn (uncertain.posterior)")
        if (not isinstance(members, list) or len(members) < 2
                or not all(isinstance(m, str) for m in members)):
            raise InputError(source, where, f"{where} must be a list of at least two uncertain "
                             f"inputs, or \"posterior\"; got {members!r}")
        resolved = []
        for member in members:
            p = PARAMETERS.get(member) or BY_PATH.get(member)
            if p is None or p.name not in inputs:
                raise InputError(source, where, f"{where}: {member!r} is not an uncertain input"
                                 f"{suggest(member, inputs)}")
            resolved.append(p.name)
        if len(set(resolved)) != len(resolved):
            raise InputError(source, where, f"{where} names an input twice")
        out[str(name)] = tuple(resolved)
    return out
