"""Sensitivity files (TOML) to validated studies.

A sensitivity file names the factors that vary, the outcomes, the method
and its size, replicates and seed, and the target::

    [sensitivity]
    name = "sobol_effect"
    method = "sobol"            # morris, sobol or pawn
    outcomes = ["employment_rate_6m", "partnership_survival_3y"]
    replicates = 2              # runs per sample point
    replicate_noise = "mean"    # their mean is analysed; the seed's variance share is reported
    seed = 20261127             # master seed: sampling and every run's random streams
    years = 12                  # simulated years of every run
    conf_width = 0.1            # a 95% interval narrower than this means the sample is enough

    [sensitivity.target]        # what is analysed at every sample point
    kind = "effect"             # "level": the outcome; "effect": policy minus reference,
    policy = "../full_package.toml"   # paired on common random numbers
    reference = "../baseline.toml"    # (kind = "level": scenario = "..." instead, optional)

    [sensitivity.size]          # morris: trajectories, levels; sobol: base_samples,
    base_samples = 256          # second_order, bootstrap; pawn: samples, slices, bootstrap
    [sensitivity.quick]         # --quick: smaller size, replicates, years, population
    base_samples = 8
    population = { n_students = 600 }

    [factors]
    all = true                  # every registry parameter with a plausible range
    exclude = ["discount_rate"] # (with all) parameters to leave fixed
    [factors.parameters]        # each: "plausible" or [low, high] inside the valid range
    labour_demand_multiplier = "plausible"
    demand_drift_multiplier = [0.75, 1.5]

    [population]                # any scenario-file section: fixed for every run
    n_students = 10000

Instead of the model, ``sensitivity.function = "module:function"`` names a
vectorised Python function (only with ``allow_function``, ``iesim sensitivity
--allow-function``: the file then runs code; the module is a file relative
to the study file, ``functions:ishigami`` for ``functions.py`` beside it or
``lib/f.py:g``, never one found on ``sys.path``) taking an ``(n, D)`` array of factor values (and
``rng=`` if it accepts it) and returning an array of one value per row, or a
dict of such arrays by outcome name; its factors need explicit ranges.  It
goes through the same sampling, replicate, target and analysis code.

Every error is an :class:`~simulation.errors.InputError` naming the file,
the key and what was expected; nothing runs on bad input.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.batch.designs import from_unit
from simulation.batch.study_checks import (
    check_factor_populations,
    check_measurable,
    corners,
    factor_keys,
    quick_population,
    quick_table,
)
from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, suggest
from simulation.scenarios import (
    SEED_RANGE,
    YEARS_RANGE,
    check_population,
    load_scenario,
    read_toml,
    scenario_from_dict,
)

METHODS = ("morris", "sobol", "pawn")
TARGETS = ("level", "effect")
SIZE_KEYS = {
    "morris": {"trajectories": (2, 10_000, 10), "levels": (2, 20, 4)},
    "sobol": {"base_samples": (2, 2**20, 256), "second_order": None, "bootstrap": (10, 100_000, 1000)},
    "pawn": {"samples": (20, 1_000_000, 1000), "slices": (3, 100, 10),
             "bootstrap": (10, 100_000, 100)},
}
STUDY_KEYS = {
    "name": "a non-empty string",
    "description": "a string",
    "method": f"one of {', '.join(METHODS)}",
    "outcomes": "a non-empty list of outcome names",
    "replicates": "an integer in [1, 1000]",
    "seed": f"an integer in [{SEED_RANGE[0]}, 2**63-1]",
    "years": f"an integer in [{YEARS_RANGE[0]}, {YEARS_RANGE[1]}]",
    "conf_width": "a number in (0, 10]",
    "replicate_noise": '"mean" (each point\'s mean over replicates is analysed, and the seed\'s '
                       'share of the variance is reported beside the indices)',
    "function": "'module:function', a vectorised Python function in a module file relative to "
                "this file (e.g. 'functions:ishigami' or 'lib/f.py:g')",
    "target": "a table",
    "size": "a table",
    "quick": "a table",
}
QUICK_EXTRA = ("replicates", "years", "population")
MAX_FACTORS = 1000
MAX_POINTS = 2_000_000


@dataclass(frozen=True)
class Factor:
    """One factor that varies: a model keyword (or function input) and its range.

    Attributes:
        name: model keyword name (or the function's input name).
        low: lowest value sampled.
        high: highest value sampled (an integer factor takes every integer in
            [low, high] with equal chance).
        kind: ``float`` or ``int``.
        lever: a policy-lever parameter; in an effect target it varies the
            policy scenario only, the reference keeps its own setting.
    """

    name: str
    low: float
    high: float
    kind: type = float
    lever: bool = False

    def value(self, u):
        """The factor's value at unit coordinate ``u`` in [0, 1] (a number or an array)."""
        return from_unit(u, self.low, self.high, self.kind is int)


@dataclass(frozen=True)
class Study:
    """A validated sensitivity study.

    Attributes:
        name: study name.
        method: ``morris``, ``sobol`` or ``pawn``.
        factors: the factors, in order.
        outcomes: outcome names analysed.
        replicates: runs per sample point (their mean is analysed).
        seed: master seed of the sample and of every run.
        years: simulated years per run (the model's steps are 12 a year).
        size: the method's size settings (see :data:`SIZE_KEYS`).
        target: ``level`` or ``effect``.
        reference: parameters of the scenario the factors vary around (the
            reference of an effect).
        policy: parameters of the policy scenario of an effect (else None).
        function: a vectorised function (a callable, or its ``module:function``
            importable name), or None for the model.
        conf_width: a 95% interval narrower than this means the sample is enough.
        description: free text.
        source: the file it came from.
    """

    name: str
    method: str
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    replicates: int = 2
    seed: int = 0
    years: int = 12
    size: dict[str, Any] = field(default_factory=dict)
    target: str = "level"
    reference: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] | None = None
    function: str | Callable | None = None
    conf_width: float = 0.1
    description: str = ""
    source: str = ""

    @property
    def steps(self) -> int:
        """Model steps (months) per run."""
        return 12 * self.years

    @property
    def names(self) -> list[str]:
        """Factor names, in order."""
        return [f.name for f in self.factors]

    def describe(self) -> dict[str, Any]:
        """JSON-able description (what the output directory's study.json holds)."""
        return {
            "name": self.name, "description": self.description, "source": self.source,
            "method": self.method, "size": dict(self.size), "outcomes": list(self.outcomes),
            "replicates": self.replicates, "seed": self.seed, "years": self.years,
            "target": self.target, "conf_width": self.conf_width,
            "function": function_name(self.function),
            "factors": [{"name": f.name, "low": f.low, "high": f.high,
                         "kind": f.kind.__name__, "lever": f.lever} for f in self.factors],
            "reference": dict(self.reference),
            "policy": None if self.policy is None else dict(self.policy),
        }


def load_study(path: str | Path, quick: bool = False, allow_function: bool = False,
               every_variant: bool = False) -> Study:
    """Read and validate a sensitivity file (see the module docstring).

    The ``[sensitivity.quick]`` table, when present, is checked (its keys and
    values) whether or not ``quick`` is asked for.  What its runs can do (the
    outcomes they can measure, the populations their factors reach) is
    checked for the variant asked for, and for both with ``every_variant``
    (``iesim validate``), so a file that validates also runs with ``--quick``.

    Args:
        path: the sensitivity file.
        quick: use the file's ``[sensitivity.quick]`` size (for CI).
        allow_function: allow ``sensitivity.function`` (it imports and runs
            Python code named by the file; ``iesim sensitivity --allow-function``).
        every_variant: check the runs of the full and the quick size alike.

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    source = str(path)
    data = read_toml(path)
    table = data.get("sensitivity")
    if not isinstance(table, dict):
        raise InputError(source, "sensitivity",
                         "missing table [sensitivity] (with name, method and outcomes)")
    function = _function(table, source, Path(path).parent, allow_function)
    full = _read_study(data, table, path, False, function, every_variant or not quick)
    if not quick and table.get("quick") is None:
        return full
    small = _read_study(data, table, path, True, function, every_variant or quick)
    return small if quick else full


def _read_study(data: dict, table: dict, path: str | Path, quick: bool, function,
                check: bool) -> Study:
    source = str(path)
    for key in ("scenario", "batch"):
        if key in data:
            raise InputError(source, key, f"a sensitivity file has [sensitivity], not [{key}]")
    for key in table:
        if key not in STUDY_KEYS:
            raise InputError(source, f"sensitivity.{key}",
                             f"unknown key sensitivity.{key}{suggest(key, STUDY_KEYS)}")
    name = _text(table, "name", source, required=True)
    if table.get("replicate_noise", "mean") != "mean":
        raise InputError(source, "sensitivity.replicate_noise", "sensitivity.replicate_noise must "
                         f"be {STUDY_KEYS['replicate_noise']}; got {table['replicate_noise']!r}")
    method = table.get("method")
    if method not in METHODS:
        raise InputError(source, "sensitivity.method",
                         f"sensitivity.method must be {STUDY_KEYS['method']}; got {method!r}")
    here = Path(path).parent
    common = {k: v for k, v in data.items() if k not in ("sensitivity", "factors")}
    if function and common:
        key = next(iter(common))
        raise InputError(source, key, f"[{key}] sets model parameters, but sensitivity.function "
                         "replaces the model; remove one of them")
    fixed = {} if function else scenario_from_dict(
        {"scenario": {"name": "fixed"}, **common}, source).params
    size = _size(table.get("size", {}), method, source)
    replicates = read_int(table, "replicates", 1, 1000, 2, source)
    years = read_int(table, "years", *YEARS_RANGE, 12, source)
    years_key = "sensitivity.years"
    quick_table(table, "sensitivity.quick", (*SIZE_KEYS[method], *QUICK_EXTRA), source, quick)
    if quick:
        size, replicates, years, fixed = _quick(table, method, size, replicates, years, fixed,
                                                source, function)
        if "years" in table["quick"]:
            years_key = "sensitivity.quick.years"
    target, reference, policy = _target(table, here, source, function)
    factors = read_factors(data.get("factors"), source, function)
    reference, policy = apply_fixed(fixed, reference, policy, factors, source)
    outcomes = _outcomes(table, source, function)
    seed = read_int(table, "seed", *SEED_RANGE, 0, source)
    width = table.get("conf_width", 0.1)
    if (isinstance(width, bool) or not isinstance(width, int | float)
            or not math.isfinite(width) or not 0 < width <= 10):
        raise InputError(source, "sensitivity.conf_width",
                         f"sensitivity.conf_width must be {STUDY_KEYS['conf_width']}; got {width!r}")
    study = Study(
        name=name, method=method, factors=factors, outcomes=outcomes, replicates=replicates,
        seed=seed, years=years, size=size, target=target, reference=reference, policy=policy,
        function=function, conf_width=float(width),
        description=_text(table, "description", source) or "", source=source,
    )
    if check and not function:
        check_runs(study, factor_keys((data.get("factors") or {}).get("parameters")),
                   "factors.parameters", [(o, "sensitivity.outcomes") for o in outcomes],
                   years_key)
    points = sample_points(study)
    if points > MAX_POINTS:
        raise InputError(source, "sensitivity.size",
                         f"the design has {points:,} sample points, more than {MAX_POINTS:,}; "
                         "choose a smaller size")
    return study


def check_runs(study: Study, keys: dict[str, str], where: str,
               outcomes: list[tuple[str, str]], years_key: str) -> None:
    """Refuse a model study whose runs cannot run or cannot measure its outcomes.

    Every arm's population must be one the model runs, for every factor value
    in range; and every outcome must be measurable in ``study.years``.
    """
    arms = [(arm, params) for arm, params in (("reference", study.reference),
                                              ("policy", study.policy)) if params is not None]
    for arm, params in arms:
        check_population(params, study.source, f"the {arm} scenario: ")
    check_factor_populations(study.factors, keys, where, arms, study.source)
    for _, params in arms:
        check_measurable(outcomes, study.years, years_key, corners(params, study.factors),
                         study.source)


def sample_points(study: Study) -> int:
    """The number of sample points the study's method and size give."""
    d, size = len(study.factors), study.size
    if study.method == "morris":
        return size["trajectories"] * (d + 1)
    if study.method == "sobol":
        return size["base_samples"] * ((2 * d + 2) if size["second_order"] else (d + 2))
    return size["samples"]


def runs(study: Study) -> int:
    """Model runs the study needs (points x replicates x arms)."""
    return sample_points(study) * study.replicates * (2 if study.target == "effect" else 1)


# --------------------------------------------------------------------------- parts


def _text(table, key, source, required=False):
    if key not in table:
        if required:
            raise InputError(source, f"sensitivity.{key}", f"missing key sensitivity.{key}")
        return None
    value = table[key]
    if not isinstance(value, str) or (key == "name" and not value.strip()):
        raise InputError(source, f"sensitivity.{key}",
                         f"sensitivity.{key} must be {STUDY_KEYS[key]}; got {value!r}")
    return value


def read_int(table, key, low, high, default, source, where="sensitivity"):
    """``table[key]`` (or ``default``) as an integer in [low, high], else an InputError at ``where.key``."""
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(source, f"{where}.{key}",
                         f"{where}.{key} must be an integer in [{low}, {high}]; got {value!r}")
    return value


def _function(table, source, here: Path, allow: bool):
    """The file's ``sensitivity.function``, loaded relative to the file (only when allowed)."""
    spec = table.get("function")
    if spec is None:
        return None
    where = "sensitivity.function"
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        raise InputError(source, where, f"{where} must be {STUDY_KEYS['function']}; got {spec!r}")
    if not allow:
        raise InputError(source, where, f"{where} = {spec!r} imports and runs Python code named "
                         "by the file; give --allow-function to run it (the module is looked up "
                         "relative to the study file)")
    try:
        return FileFunction(spec, *_load_file_function(spec, here))
    except InputError as exc:
        raise InputError(source, where, f"{where}: {exc.message}") from None
    except Exception as exc:  # the module's own code failed
        raise InputError(source, where, f"{where}: cannot load {spec!r} ({type(exc).__name__}: "
                         f"{exc})") from None


@dataclass(frozen=True)
class FileFunction:
    """A study file's function: its ``module:function`` text, where it was found, and itself."""

    spec: str
    path: str
    call: Callable = field(repr=False, compare=False)

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    @property
    def __signature__(self):
        return inspect.signature(self.call)


def _load_file_function(spec: str, here: Path) -> tuple[str, Callable]:
    """Import ``module:function`` from a file relative to ``here`` (never from ``sys.path``).

    ``module`` is a dotted name (``lib.models`` is ``here/lib/models.py`` or
    ``here/lib/models/__init__.py``) or a path ending in ``.py``.

    Raises:
        InputError: no such file, or no callable of that name in it.
        Exception: whatever the module's own code raises when it runs.
    """
    module, _, attr = spec.partition(":")
    if module.endswith(".py") or "/" in module:
        candidates = [here / module]
    else:
        parts = module.split(".")
        candidates = [here.joinpath(*parts).with_suffix(".py"),
                      here.joinpath(*parts, "__init__.py")]
    file = next((c for c in candidates if c.is_file()), None)
    if file is None:
        raise InputError("", None, f"no module file for {module!r} relative to the study file "
                         f"(looked for {', '.join(str(c) for c in candidates)})")
    name = "iesim_study_function_" + hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]
    loader_spec = importlib.util.spec_from_file_location(name, file)
    loaded = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(loaded)
    found = getattr(loaded, attr, None)
    if not callable(found):
        raise InputError("", None, f"{file} has no function {attr!r}")
    return str(file), found


def function_name(function) -> str | None:
    """A study's function as text: its ``module:function`` (for descriptions and hashes)."""
    if function is None or isinstance(function, str):
        return function
    if isinstance(function, FileFunction):
        return function.spec
    inner = getattr(function, "func", function)  # functools.partial
    return f"{getattr(inner, '__module__', '?')}:{getattr(inner, '__qualname__', repr(inner))}"


def load_function(spec):
    """The callable a study's ``function`` names: itself, or the ``module:function`` it imports.

    A string is imported from ``sys.path`` (a study built in Python is
    trusted; a file's function is loaded by :func:`load_study`, only with
    ``allow_function``).

    Raises:
        ImportError, AttributeError: it cannot be found.
        TypeError: it is not callable.
    """
    if callable(spec):
        return spec
    module, _, attr = spec.partition(":")
    found = getattr(importlib.import_module(module), attr)
    if not callable(found):
        raise TypeError(f"{spec} is not callable")
    return found


def _size(given, method, source, where="sensitivity.size", defaults=None):
    """The method's size settings from ``given`` (a table), over ``defaults``."""
    if not isinstance(given, dict):
        raise InputError(source, where, f"{where} must be a table")
    keys = SIZE_KEYS[method]
    size = dict(defaults) if defaults else {}
    for key in given:
        if key not in keys:
            if where == "sensitivity.quick" and key in QUICK_EXTRA:
                continue
            allowed = ", ".join(keys) + (", " + ", ".join(QUICK_EXTRA) if where.endswith("quick")
                                         else "")
            raise InputError(source, f"{where}.{key}",
                             f"unknown key {where}.{key} for method {method!r} (allowed: "
                             f"{allowed}){suggest(key, keys)}")
    for key, bounds in keys.items():
        if bounds is None:  # second_order
            value = given.get(key, size.get(key, False))
            if not isinstance(value, bool):
                raise InputError(source, f"{where}.{key}", f"{where}.{key} must be a boolean; "
                                 f"got {value!r}")
            size[key] = value
        else:
            size[key] = read_int(given, key, bounds[0], bounds[1], size.get(key, bounds[2]), source,
                             where)
    if method == "sobol" and size["base_samples"] & (size["base_samples"] - 1):
        raise InputError(source, f"{where}.base_samples",
                         f"{where}.base_samples must be a power of 2 (the Sobol' sequence is "
                         f"balanced at powers of 2); got {size['base_samples']}")
    return size


def _quick(table, method, size, replicates, years, fixed, source, function):
    quick = table["quick"]  # checked by quick_table
    size = _size(quick, method, source, "sensitivity.quick", size)
    replicates = read_int(quick, "replicates", 1, 1000, replicates, source, "sensitivity.quick")
    years = read_int(quick, "years", *YEARS_RANGE, years, source, "sensitivity.quick")
    if "population" in quick:
        if function:
            raise InputError(source, "sensitivity.quick.population",
                             "sensitivity.quick.population needs the model, not a function")
        fixed = {**fixed, **quick_population(quick, "sensitivity.quick", source)}
    return size, replicates, years, fixed


def read_scenario(table, key, here, source, where="sensitivity.target") -> dict[str, Any]:
    """The parameters of the scenario file ``table[key]`` names, relative to ``here``."""
    rel = table.get(key)
    where = f"{where}.{key}"
    if not isinstance(rel, str) or not rel.strip():
        raise InputError(source, where, f"{where} must be a scenario file path; got {rel!r}")
    if not (here / rel).is_file():
        raise InputError(source, where, f"{where}: scenario file {rel!r} not found "
                         f"(looked for {here / rel})")
    return dict(load_scenario(here / rel).params)


def _target(table, here, source, function):
    target = table.get("target", {"kind": "level"})
    if not isinstance(target, dict):
        raise InputError(source, "sensitivity.target", "sensitivity.target must be a table")
    kind = target.get("kind", "level")
    if kind not in TARGETS:
        raise InputError(source, "sensitivity.target.kind",
                         f"sensitivity.target.kind must be one of {', '.join(TARGETS)}; got {kind!r}")
    allowed = {"level": ("kind", "scenario"), "effect": ("kind", "policy", "reference")}[kind]
    for key in target:
        if key not in allowed:
            raise InputError(source, f"sensitivity.target.{key}",
                             f"unknown key sensitivity.target.{key} for kind {kind!r} "
                             f"(allowed: {', '.join(allowed)})")
    if function:
        if len(target) > 1:
            key = next(k for k in target if k != "kind")
            raise InputError(source, f"sensitivity.target.{key}",
                             "a function study has no scenario files; its effect target, if "
                             "any, is the function's own business")
        if kind == "effect":
            raise InputError(source, "sensitivity.target.kind",
                             "an effect target needs the model (policy and reference scenarios)")
        return kind, {}, None
    if kind == "level":
        reference = read_scenario(target, "scenario", here, source) if "scenario" in target else {}
        return kind, reference, None
    for key in ("policy", "reference"):
        if key not in target:
            raise InputError(source, f"sensitivity.target.{key}",
                             f"missing key sensitivity.target.{key} (a scenario file path)")
    return kind, read_scenario(target, "reference", here, source), read_scenario(target, "policy", here,
                                                                         source)


def read_factors(table, source, function) -> tuple[Factor, ...]:
    """The factors a ``[factors]`` table names (registry parameters, or a function's inputs)."""
    if not isinstance(table, dict) or not table:
        raise InputError(source, "factors", "missing table [factors] (all = true, or "
                         "[factors.parameters] with parameter = \"plausible\" or [low, high])")
    for key in table:
        if key not in ("all", "exclude", "parameters"):
            raise InputError(source, f"factors.{key}", f"unknown key factors.{key} (allowed: all, "
                             f"exclude, parameters){suggest(key, ('all', 'exclude', 'parameters'))}")
    every = table.get("all", False)
    if not isinstance(every, bool):
        raise InputError(source, "factors.all", f"factors.all must be a boolean; got {every!r}")
    if every and function:
        raise InputError(source, "factors.all", "factors.all needs the model's registry; a "
                         "function's factors are listed in [factors.parameters]")
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(e, str) for e in exclude):
        raise InputError(source, "factors.exclude", "factors.exclude must be a list of "
                         f"parameter names; got {exclude!r}")
    if exclude and not every:
        raise InputError(source, "factors.exclude", "factors.exclude applies with factors.all = true")
    ranges = table.get("parameters", {})
    if not isinstance(ranges, dict):
        raise InputError(source, "factors.parameters", "factors.parameters must be a table")
    factors: dict[str, Factor] = {}
    if every:
        dropped = {_registry(name, "factors.exclude", source).name for name in exclude}
        for p in PARAMETERS.values():
            if p.plausible is not None and p.name not in dropped:
                factors[p.name] = Factor(p.name, *p.plausible, kind=p.kind, lever=p.lever)
    for key, spec in ranges.items():
        where = f"factors.parameters.{key}"
        factor = (_function_factor(key, spec, where, source) if function
                  else registry_factor(key, spec, where, source))
        if factor.name in factors and not every:
            raise InputError(source, where, f"{where} names {factor.name} twice")
        factors[factor.name] = factor
    if not factors:
        raise InputError(source, "factors", "no factor varies; set factors.all = true or list "
                         "[factors.parameters]")
    if len(factors) > MAX_FACTORS:
        raise InputError(source, "factors", f"at most {MAX_FACTORS} factors")
    return tuple(factors.values())


def _registry(name: str, where: str, source: str):
    p = PARAMETERS.get(name) or BY_PATH.get(name)
    if p is None:
        raise InputError(source, where, f"{where}: unknown parameter {name!r}"
                         f"{suggest(name, list(PARAMETERS) + list(BY_PATH))}")
    return p


def registry_factor(key, spec, where, source) -> Factor:
    """A registry parameter as a factor: over its plausible range, or ``[low, high]``."""
    p = _registry(key, where, source)
    if p.kind is bool:
        raise InputError(source, where, f"{where} is a boolean; a factor needs a numeric range")
    if spec == "plausible":
        if p.plausible is None:
            raise InputError(source, where, f"{where}: {p.name} has no plausible range (it is "
                             "a structural setting or a definition); give [low, high]")
        return Factor(p.name, *p.plausible, kind=p.kind, lever=p.lever)
    low, high = _pair(spec, where, source, p.describe())
    for bound, value in (("low", low), ("high", high)):
        try:
            p.check(value)
        except ValueError as exc:
            raise InputError(source, where, f"{where} {bound}: {exc}") from None
    return Factor(p.name, p.kind(low), p.kind(high), kind=p.kind, lever=p.lever)


def _function_factor(key, spec, where, source) -> Factor:
    low, high = _pair(spec, where, source, "a number")
    return Factor(key, float(low), float(high))


def _pair(spec, where, source, each):
    ok = (isinstance(spec, list) and len(spec) == 2
          and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                  for v in spec))
    if not ok:
        raise InputError(source, where, f"{where} must be \"plausible\" or [low, high] "
                         f"({each} each); got {spec!r}")
    if not spec[0] < spec[1]:
        raise InputError(source, where, f"{where}: low must be below high; got {spec}")
    return spec


def apply_fixed(fixed, reference, policy, factors, source):
    """Add the settings fixed for every run to both arms; a fixed setting may not be a factor."""
    for f in factors:
        if f.name in fixed:
            path = PARAMETERS[f.name].path
            raise InputError(source, path, f"{path} is fixed for every run but is also a factor; "
                             "the fixed value would replace every sampled one, so remove one")
    reference = {**reference, **fixed}
    policy = None if policy is None else {**policy, **fixed}
    return reference, policy


def _outcomes(table, source, function) -> tuple[str, ...]:
    names = table.get("outcomes")
    where = "sensitivity.outcomes"
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) and n.strip() for n in names)):
        raise InputError(source, where, f"{where} must be {STUDY_KEYS['outcomes']}; got {names!r}")
    if len(set(names)) != len(names):
        raise InputError(source, where, f"{where} must not repeat outcomes")
    if not function:
        from simulation.model.metrics import OUTCOMES

        for name in names:
            if name not in OUTCOMES:
                raise InputError(source, where, f"{where}: unknown outcome {name!r}"
                                 f"{suggest(name, OUTCOMES)}")
    return tuple(names)
