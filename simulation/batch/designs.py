"""Parameter designs for batch files: full factorial and Latin hypercube.

Parameters are named by keyword (``tax_break_rate``) or by scenario-file path
(``levers.tax_break.rate``); every level and range is checked against the
parameter registry, so a design cannot leave a parameter's valid range.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, Parameter, suggest
from simulation.scenarios import load_scenario

METHODS = ("full_factorial", "latin_hypercube")
DESIGN_KEYS = ("method", "base", "include_base", "samples", "seed", "parameters")
MAX_POINTS = 10_000


def from_unit(u, low: float, high: float, integer: bool = False):
    """The value at unit coordinate ``u`` (a number or an array) of the range [low, high].

    An integer range gives each integer in [low, high] the same share of [0, 1].
    """
    if integer:
        value = np.minimum(high, np.floor(low + np.asarray(u) * (high - low + 1))).astype(int)
        return int(value) if value.ndim == 0 else value
    value = low + np.asarray(u, dtype=float) * (high - low)
    return float(value) if value.ndim == 0 else value


def _parameter(name: str, source: str) -> Parameter:
    parameter = PARAMETERS.get(name) or BY_PATH.get(name)
    if parameter is None:
        hint = suggest(name, list(PARAMETERS) + list(BY_PATH))
        raise InputError(source, f"design.parameters.{name}",
                         f"design.parameters: unknown parameter {name!r}{hint}")
    return parameter


def _check(parameter: Parameter, value: Any, key: str, source: str):
    try:
        return parameter.check(value)
    except ValueError as exc:
        raise InputError(source, key, f"{key}: {exc}") from None


def _int_in(table: dict, key: str, low: int, high: int, source: str, default=None):
    value = table.get(key, default)
    if value is None:
        raise InputError(source, f"design.{key}",
                         f"missing key design.{key} (an integer in [{low}, {high}])")
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InputError(source, f"design.{key}",
                         f"design.{key} must be an integer in [{low}, {high}]; got {value!r}")
    return value


def parse_design(table: Any, here: Path, source: str, batch_seed: int):
    """Design points of a ``[design]`` table.

    Args:
        table: the parsed ``[design]`` table.
        here: folder of the batch file (``base`` is relative to it).
        source: the batch file, for error messages.
        batch_seed: default Latin hypercube sampling seed.

    Returns:
        ``(scenarios, sources)``: scenario name to parameter keywords, and
        scenario name to the file it came from.
    """
    if not isinstance(table, dict):
        raise InputError(source, "design", "design must be a table")
    for key in table:
        if key not in DESIGN_KEYS:
            raise InputError(source, f"design.{key}",
                             f"unknown key design.{key}{suggest(key, DESIGN_KEYS)}")
    method = table.get("method")
    if method not in METHODS:
        raise InputError(source, "design.method",
                         f"design.method must be one of {', '.join(METHODS)}; got {method!r}")
    base_name, base_params, base_source = "base", {}, ""
    if "base" in table:
        rel = table["base"]
        if not isinstance(rel, str) or not rel.strip():
            raise InputError(source, "design.base",
                             f"design.base must be a scenario file path; got {rel!r}")
        if not (here / rel).is_file():
            raise InputError(source, "design.base",
                             f"design.base: scenario file {rel!r} not found (looked for {here / rel})")
        base = load_scenario(here / rel)
        base_name, base_params, base_source = base.name, dict(base.params), str(here / rel)
    include_base = table.get("include_base", False)
    if not isinstance(include_base, bool):
        raise InputError(source, "design.include_base",
                         f"design.include_base must be a boolean; got {include_base!r}")
    factors = table.get("parameters")
    if not isinstance(factors, dict) or not factors:
        raise InputError(source, "design.parameters",
                         "design.parameters must be a non-empty table of parameter = levels")
    if method == "full_factorial":
        if "samples" in table:
            raise InputError(source, "design.samples",
                             "design.samples applies to latin_hypercube only")
        points = _factorial(factors, source)
    else:
        samples = _int_in(table, "samples", 2, MAX_POINTS, source)
        seed = _int_in(table, "seed", 0, 2**63 - 1, source, default=batch_seed)
        points = _latin_hypercube(factors, samples, seed, source)
    scenarios: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    if include_base:
        scenarios[base_name] = base_params
        sources[base_name] = base_source
    for name, params in points:
        if name in scenarios:
            raise InputError(source, "design", f"design point {name!r} repeats a scenario name")
        scenarios[name] = {**base_params, **params}
        sources[name] = source
    return scenarios, sources


def design_factors(table: dict[str, Any], source: str = "") -> dict[str, str]:
    """The parameters a ``[design]`` table varies: keyword name to its key in design.parameters.

    Args:
        table: a ``[design]`` table that :func:`parse_design` accepted.
        source: the batch file, for error messages.
    """
    return {_parameter(key, source).name: key for key in table["parameters"]}


def _factorial(factors: dict[str, Any], source: str):
    names, levels = [], []
    for key, values in factors.items():
        parameter = _parameter(key, source)
        where = f"design.parameters.{key}"
        if not isinstance(values, list) or not values:
            raise InputError(source, where,
                             f"{where} must be a non-empty list of levels "
                             f"({parameter.describe()} each); got {values!r}")
        checked = [_check(parameter, v, where, source) for v in values]
        if len(set(checked)) != len(checked):
            raise InputError(source, where, f"{where} must not repeat a level; got {values!r}")
        if parameter.name in names:
            raise InputError(source, where, f"{where} names {parameter.name} twice")
        names.append(parameter.name)
        levels.append(checked)
    if math.prod(len(v) for v in levels) > MAX_POINTS:
        raise InputError(source, "design.parameters",
                         f"design.parameters: full factorial has more than {MAX_POINTS} points")
    return [
        (" ".join(f"{n}={v}" for n, v in zip(names, combo, strict=True)),
         dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*levels)
    ]


def _latin_hypercube(factors: dict[str, Any], samples: int, seed: int, source: str):
    from scipy.stats import qmc

    ranges = []
    for key, spec in factors.items():
        parameter = _parameter(key, source)
        where = f"design.parameters.{key}"
        if parameter.kind is bool:
            raise InputError(source, where, f"{where} is a boolean; a Latin hypercube needs "
                             "a numeric range")
        if isinstance(spec, dict) and set(spec) == {"low", "high"}:
            low, high = spec["low"], spec["high"]
        elif isinstance(spec, list) and len(spec) == 2:
            low, high = spec
        else:
            raise InputError(source, where, f"{where} must be a range {{low = ..., high = ...}} "
                             f"({parameter.describe()}); got {spec!r}")
        low = _check(parameter, low, f"{where}.low", source)
        high = _check(parameter, high, f"{where}.high", source)
        if not low < high:
            raise InputError(source, where, f"{where}: low must be below high; got {low}, {high}")
        if any(parameter.name == r[0].name for r in ranges):
            raise InputError(source, where, f"{where} names {parameter.name} twice")
        ranges.append((parameter, low, high))
    unit = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed)).random(samples)
    points = []
    width = len(str(samples - 1))
    for i, row in enumerate(unit):
        params = {}
        for (parameter, low, high), u in zip(ranges, row, strict=True):
            params[parameter.name] = from_unit(u, low, high, parameter.kind is int)
        points.append((f"lhs-{i:0{width}d}", params))
    return points
