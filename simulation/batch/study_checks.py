"""Checks every study file shares: its quick table, what its runs can measure, what its factors reach.

Sensitivity, discovery and calibration files (and batch files, for outcomes)
are validated by their own loaders, which call these checks, so that
``iesim validate`` and the command that runs a file refuse the same files:

* :func:`quick_table`: the ``quick`` section that ``--quick`` uses is checked
  whether or not ``--quick`` is given (unknown keys, values out of range);
* :func:`check_measurable`: an outcome the runs are too short to measure
  (:func:`simulation.model.metrics.minimum_years`) is refused up front;
* :func:`check_factor_populations`: a factor whose range reaches a population
  the model cannot run (no university, no firm) is refused up front, as a
  batch design point is (:func:`simulation.scenarios.check_population`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, suggest
from simulation.scenarios import POPULATION_GROUPS, scenario_from_dict


def quick_table(table: Mapping[str, Any], where: str, allowed: Iterable[str], source: str,
                required: bool) -> dict[str, Any] | None:
    """The ``quick`` table of a study's main table, its keys checked; None when absent.

    Args:
        table: the study's main table (``[sensitivity]``, ``[discovery]``, ``[calibration]``).
        where: the quick table's key (``sensitivity.quick``).
        allowed: the keys it may hold.
        source: the file, for error messages.
        required: ``--quick`` was given, so the table must exist.

    Raises:
        InputError: it is missing (when required), not a table, or holds an unknown key.
    """
    quick = table.get("quick")
    if quick is None:
        if required:
            raise InputError(source, where, f"--quick needs a [{where}] table (a small size "
                             "for CI)")
        return None
    if not isinstance(quick, dict):
        raise InputError(source, where, f"{where} must be a table; got {quick!r}")
    allowed = tuple(allowed)
    for key in quick:
        if key not in allowed:
            raise InputError(source, f"{where}.{key}", f"unknown key {where}.{key} (allowed: "
                             f"{', '.join(allowed)}){suggest(key, allowed)}")
    return quick


def quick_population(quick: Mapping[str, Any], where: str, source: str) -> dict[str, Any]:
    """The model keywords of a quick table's ``population`` (empty when it has none)."""
    if "population" not in quick:
        return {}
    if not isinstance(quick["population"], dict):
        raise InputError(source, f"{where}.population", f"{where}.population must be a table")
    return scenario_from_dict({"scenario": {"name": "quick"},
                               "population": quick["population"]}, source).params


def horizon_reason(name: str) -> str:
    """Why outcome ``name`` needs more than a year of simulated time, in words."""
    from simulation.model.metrics import COHORT, OUTCOMES

    outcome = OUTCOMES[name]
    if outcome.kind == COHORT:
        return (f"it is measured on graduates {outcome.months} months after graduation, and the "
                "first cohort graduates at the end of year 1")
    return {"partnership_survival_3y": "it follows partnerships for 36 months after they are "
                                       "signed",
            "unfilled_vacancy_rate": "it reads the last finished hiring year, and hiring starts "
                                     "in year 2",
            "startups_surviving_3y": "it counts start-ups founded at graduation that lasted 36 "
                                     "months"}.get(name, "")


def check_measurable(outcomes: Iterable[tuple[str, str]], years: int, years_key: str,
                     params: Iterable[Mapping[str, Any]], source: str) -> None:
    """Refuse an outcome the runs are too short to measure at any of their settings.

    An outcome some settings measure and others do not (a factor's low end
    seeds no partnership) is not refused: the study reports its missing
    values and carries on.

    Args:
        outcomes: ``(outcome name, the key naming it in the file)`` pairs.
        years: simulated years of every run.
        years_key: the key that sets ``years`` (named in the message).
        params: model keywords of the runs: every arm at both ends of the
            factors' ranges (:func:`corners`).
        source: the file, for error messages.

    Raises:
        InputError: naming the outcome's key, the years it needs and why.
    """
    from simulation.model.metrics import minimum_years

    params = list(params)
    for name, key in outcomes:
        need = min(minimum_years(name, dict(p)) for p in params)
        if years < need:
            raise InputError(source, key, f"{key}: {name} cannot be measured in runs of {years} "
                             f"year{'s' if years != 1 else ''} ({years_key}); it needs at least "
                             f"{need} ({horizon_reason(name)}); run longer or choose another "
                             "outcome")


def factor_keys(table: Any) -> dict[str, str]:
    """Factor name to the key naming it in a ``parameters`` table (keyword or section path)."""
    keys = {}
    for key in table if isinstance(table, dict) else ():
        parameter = PARAMETERS.get(key) or BY_PATH.get(key)
        if parameter is not None:
            keys[parameter.name] = key
    return keys


def corners(params: Mapping[str, Any], factors) -> list[dict[str, Any]]:
    """An arm's keywords with every factor at the low end of its range, and at the high end."""
    return [{**params, **{f.name: getattr(f, end) for f in factors}} for end in ("low", "high")]


def check_factor_populations(factors, keys: Mapping[str, str], where: str,
                             arms: Iterable[tuple[str, Mapping[str, Any]]], source: str) -> None:
    """Refuse factors whose ranges reach a population the model cannot run.

    Args:
        factors: the study's factors (name, low, high).
        keys: factor name to its key in the file's parameters table.
        where: that table's key (``factors.parameters``).
        arms: ``(arm name, its keywords)`` pairs the factors vary.
        source: the file, for error messages.

    Raises:
        InputError: naming the first factor of a group (universities, firms)
            whose every member can be 0 at once.
    """
    by_name = {f.name: f for f in factors}
    for names, need in POPULATION_GROUPS:
        varied = [n for n in names if n in by_name]
        if not varied:
            continue  # the arms themselves are checked with check_population
        for arm, params in arms:
            lows = [by_name[n].low if n in by_name else params.get(n, PARAMETERS[n].default)
                    for n in names]
            if all(v <= 0 for v in lows):
                factor = by_name[varied[0]]
                key = f"{where}.{keys.get(factor.name, factor.name)}"
                paths = ", ".join(PARAMETERS[n].path for n in names)
                raise InputError(source, key, f"{key} reaches {factor.low:g}, and {paths} can "
                                 f"then all be 0 in the {arm} scenario: {need}; raise the low "
                                 "end of its range to 1")


def nan_reason(name: str) -> str:
    """Why outcome ``name`` can come out without a value (NaN) in a run long enough for it."""
    from simulation.model.metrics import OUTCOMES

    outcome = OUTCOMES.get(name)
    if outcome is None:
        return "the model gave no value"
    if outcome.per:
        return f"it has no value in a run with none of {outcome.per}"
    return f"it has no value when a run has nothing to measure it on ({outcome.meaning})"
