"""How the runner builds a model from a run's parameters and seed: keywords or a Mesa Scenario.

Two calling conventions are recognised from the factory's signature:

* keywords: ``factory(rng=SeedSequence, **params)`` -- a Mesa model class
  whose ``__init__`` takes ``rng`` (``ConwaysGameOfLife``, the iesim model),
  or any function taking ``rng`` and the parameters;
* scenario: ``factory(scenario=ScenarioClass(rng=SeedSequence, **fields),
  **model_keywords)`` -- a Mesa 3.5 model whose ``__init__`` takes
  ``scenario`` and no ``rng`` (``BoltzmannWealth``).  Parameters named in the
  factory's own signature (``width`` and ``height`` of
  ``EpsteinCivilViolence``) are passed as keywords, the rest go into the
  scenario.

The Scenario class is the one given to :class:`~simulation.batch.task.ModelTask`
as ``scenario_class``, else found from the ``scenario`` parameter's
annotation, the model's ``Model[SomeScenario]`` base, or the one Scenario
subclass defined in the model's module.

Parameter names are checked against the signature and the Scenario's fields
before anything runs, so a typo fails once, up front, with the names that
exist, instead of in every run.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

KEYWORDS = "keywords"
SCENARIO = "scenario"
RESERVED = ("rng",)


def scenario_base() -> type | None:
    """Mesa's ``Scenario`` class, or None when this Mesa has none."""
    try:
        from mesa.experimental.scenarios import Scenario
    except ImportError:
        return None
    return Scenario


def describe(factory: Any) -> str:
    """A short name of a factory for messages (``BoltzmannWealth``)."""
    inner = getattr(factory, "func", factory)
    return getattr(inner, "__qualname__", None) or repr(inner)


def _signature(factory: Callable[..., Any]) -> inspect.Signature | None:
    """The factory's signature (remembered: a study checks and completes many scenarios)."""
    try:
        return _remembered_signature(factory)
    except TypeError:  # an unhashable callable
        return _signature_of(factory)


@functools.lru_cache(maxsize=64)
def _remembered_signature(factory: Callable[..., Any]) -> inspect.Signature | None:
    return _signature_of(factory)


def _signature_of(factory: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(factory)
    except (TypeError, ValueError):  # builtins and other callables without one
        return None


def _takes(sig: inspect.Signature, name: str) -> bool:
    param = sig.parameters.get(name)
    return param is not None and param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)


def _has_var_keyword(sig: inspect.Signature) -> bool:
    return any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


@dataclass(frozen=True)
class Convention:
    """How a factory is called.

    Attributes:
        kind: :data:`KEYWORDS` or :data:`SCENARIO`.
        scenario_class: the Mesa Scenario class (scenario kind only).
        keywords: the factory's own keyword parameters besides ``scenario``
            (scenario kind only); these parameters are not put in the scenario.
    """

    kind: str = KEYWORDS
    scenario_class: type | None = None
    keywords: frozenset[str] = frozenset()


def calling_convention(factory: Callable[..., Any], scenario_class: type | None = None) -> Convention:
    """How ``factory`` is called (see the module docstring).

    Raises:
        TypeError: the factory takes neither ``rng`` nor ``scenario`` (the runner
            could not seed it), or its Scenario class cannot be found.
    """
    if not callable(factory):
        raise TypeError(f"ModelTask: factory must be callable; got {factory!r}")
    sig = _signature(factory)
    name = describe(factory)
    base = scenario_base()
    if scenario_class is not None:
        if base is None or not (isinstance(scenario_class, type) and issubclass(scenario_class, base)):
            raise TypeError(f"ModelTask: scenario_class must be a subclass of mesa's Scenario; "
                            f"got {scenario_class!r}")
        if sig is not None and not (_takes(sig, "scenario") or _has_var_keyword(sig)):
            raise TypeError(f"ModelTask: {name} takes no scenario argument, so scenario_class "
                            "cannot be used; leave it out")
        return Convention(SCENARIO, scenario_class, _model_keywords(sig))
    if sig is None:
        return Convention()
    if _takes(sig, "scenario") and not _takes(sig, "rng") and base is not None:
        found = _find_scenario_class(factory, base)
        if found is None:
            raise TypeError(f"ModelTask: {name} takes a Mesa scenario but its Scenario class "
                            "cannot be told from its signature or module; pass "
                            "ModelTask(..., scenario_class=TheScenario)")
        return Convention(SCENARIO, found, _model_keywords(sig))
    if _takes(sig, "rng") or _has_var_keyword(sig):
        return Convention()
    raise TypeError(f"ModelTask: {name} takes neither rng= nor scenario=, so the runner cannot "
                    "seed its runs; give its __init__ an rng argument passed on to "
                    "mesa.Model.__init__(rng=rng), or wrap it in a factory function "
                    "make(rng, **params)")


def _find_scenario_class(factory: Any, base: type) -> type | None:
    inner = getattr(factory, "func", factory)
    target = inner.__init__ if isinstance(inner, type) else inner
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolvable string annotations
        hints = {}
    for candidate in _flatten(hints.get("scenario")):
        if _is_strict_subclass(candidate, base):
            return candidate
    for origin in getattr(inner, "__orig_bases__", ()):  # class Model(mesa.Model[MyScenario])
        for candidate in typing.get_args(origin):
            if _is_strict_subclass(candidate, base):
                return candidate
    module = sys.modules.get(getattr(inner, "__module__", ""), None)
    local = [v for v in vars(module).values()
             if _is_strict_subclass(v, base) and v.__module__ == module.__name__] if module else []
    return local[0] if len(local) == 1 else None


def _flatten(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [hint] if not args else [a for arg in args for a in _flatten(arg)]


def _is_strict_subclass(obj: Any, base: type) -> bool:
    return isinstance(obj, type) and issubclass(obj, base) and obj is not base


def scenario_fields(scenario_class: type) -> tuple[dict[str, Any], set[str]]:
    """(fields with defaults, fields without) declared by a Scenario class and its bases."""
    defaults: dict[str, Any] = dict(getattr(scenario_class, "_scenario_defaults", {}))
    required: set[str] = set()
    for klass in scenario_class.__mro__:
        for key in inspect.get_annotations(klass):
            if not key.startswith("_") and key not in ("rng", "model") and key not in defaults:
                required.add(key)
    defaults.pop("rng", None)
    return defaults, required


def _model_keywords(sig: inspect.Signature | None) -> frozenset[str]:
    if sig is None:
        return frozenset()
    return frozenset(n for n in sig.parameters
                     if _takes(sig, n) and n not in ("scenario", "self", *RESERVED))


def check_parameters(factory: Callable[..., Any], convention: Convention,
                     params: Mapping[str, Any], scenario: str = "") -> None:
    """Check that ``factory`` can be called with a scenario's parameter names.

    Raises:
        TypeError: naming the unknown (or missing) parameter and the names that exist.
    """
    where = f"scenario {scenario!r}: " if scenario else ""
    name = describe(factory)
    if "rng" in params:
        raise TypeError(f"{where}parameter 'rng' is set by the runner from the batch's seed and "
                        "the replicate; leave it out")
    if convention.kind == SCENARIO:
        scenario_class = convention.scenario_class
        defaults, required = scenario_fields(scenario_class)
        known = set(defaults) | required | convention.keywords
        _check_seed(params, "seed" in known, where)
        missing = sorted(required - set(params) - convention.keywords)
        if missing:
            raise TypeError(f"{where}{scenario_class.__name__} needs {', '.join(missing)} "
                            "(no default)")
        if not defaults and not required:  # a bare Scenario takes anything
            return
        what = f"{name} (its {scenario_class.__name__} or its own keywords)"
    else:
        sig = _signature(factory)
        _check_seed(params, sig is not None and _takes(sig, "seed"), where)
        if sig is None or _has_var_keyword(sig):
            return
        known = {n for n in sig.parameters if _takes(sig, n) and n not in ("self", *RESERVED)}
        missing = sorted(n for n, p in sig.parameters.items()
                         if n in known and p.default is p.empty and n not in params)
        if missing:
            raise TypeError(f"{where}{name} needs {', '.join(missing)} (no default)")
        what = name
    for key in params:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{where}{what} takes no parameter {key!r}{hint} (it takes: "
                            f"{', '.join(sorted(known)) or 'none'})")


def _check_seed(params: Mapping[str, Any], named: bool, where: str) -> None:
    """A ``seed`` parameter is refused unless the factory names it (Mesa's old seed keyword)."""
    if "seed" in params and not named:
        raise TypeError(f"{where}parameter 'seed' would reach mesa.Model next to the runner's rng=; "
                        "every run is seeded from the batch's seed and its replicate, so leave it "
                        "out")


def default_parameters(factory: Callable[..., Any], convention: Convention) -> dict[str, Any]:
    """The parameters a run gets when a scenario leaves them out (the model's own defaults).

    Scenario fields' defaults and the factory's keyword defaults; ``rng``,
    ``seed`` and ``scenario`` are left out.
    """
    defaults: dict[str, Any] = {}
    if convention.kind == SCENARIO:
        defaults.update(scenario_fields(convention.scenario_class)[0])
    sig = _signature(factory)
    if sig is not None:
        for name, param in sig.parameters.items():
            if (_takes(sig, name) and param.default is not param.empty
                    and name not in ("scenario", "self", "seed", *RESERVED)):
                defaults.setdefault(name, param.default)
    return defaults


def build_model(factory: Callable[..., Any], convention: Convention, params: Mapping[str, Any],
                rng: Any) -> Any:
    """Call ``factory`` with one run's parameters and seed under its calling convention."""
    if convention.kind != SCENARIO:
        return factory(rng=rng, **params)
    own = {k: v for k, v in params.items() if k in convention.keywords}
    fields = {k: v for k, v in params.items() if k not in convention.keywords}
    return factory(scenario=convention.scenario_class(rng=rng, **fields), **own)
