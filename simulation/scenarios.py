"""Scenario files (TOML) to validated runs.

A scenario file has a ``[scenario]`` table (name, description, years, seed,
replicates) and any of the registry's sections (``[population]``,
``[levers.tax_break]``, ...).  Every key is checked against the parameter
registry; unknown keys and bad values raise :class:`InputError` naming the
file, the key and what was expected.  Nothing runs on bad input.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulation.errors import InputError
from simulation.parameters import BY_PATH, PARAMETERS, SECTIONS, suggest


class ScenarioMeta(BaseModel):
    """The ``[scenario]`` table of a scenario file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    description: str = ""
    years: int = Field(15, ge=1, le=200)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    replicates: int = Field(1, ge=1, le=100_000)


_META_EXPECT = {
    "name": "a non-empty string",
    "description": "a string",
    "years": "an integer in [1, 200]",
    "seed": "an integer in [0, 2**63-1]",
    "replicates": "an integer in [1, 100000]",
}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: metadata plus parameter overrides by keyword name."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    years: int = 15
    seed: int = 0
    replicates: int = 1
    source: str = ""


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every way it can fail into an InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), None, "file not found")
    if path.is_dir():
        raise InputError(str(path), None, "is a directory, expected a TOML file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot be read as UTF-8 text ({exc})") from None
    if not text.strip():
        raise InputError(str(path), None, "file is empty, expected a TOML table")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), None, f"is not valid TOML ({exc})") from None
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    return scenario_from_dict(read_toml(path), source=str(path))


def scenario_from_dict(data: dict[str, Any], source: str = "") -> Scenario:
    """Validate a parsed scenario document (see module docstring)."""
    if "scenario" not in data:
        raise InputError(source, "scenario", "missing table [scenario] (with at least name)")
    meta = _validate_meta(data["scenario"], source)
    params = _collect_params({k: v for k, v in data.items() if k != "scenario"}, "", source)
    return Scenario(
        name=meta.name,
        params=params,
        description=meta.description,
        years=meta.years,
        seed=meta.seed,
        replicates=meta.replicates,
        source=source,
    )


def _validate_meta(table: Any, source: str) -> ScenarioMeta:
    if not isinstance(table, dict):
        raise InputError(source, "scenario", "scenario must be a table")
    for key, value in table.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(source, f"scenario.{key}", f"scenario.{key} must be finite; got {value}")
    try:
        return ScenarioMeta(**table)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else "?"
        if err["type"] == "extra_forbidden":
            hint = suggest(key, ScenarioMeta.model_fields)
            raise InputError(
                source, f"scenario.{key}", f"unknown key scenario.{key}{hint}"
            ) from None
        if err["type"] == "missing":
            raise InputError(source, f"scenario.{key}", f"missing key scenario.{key}") from None
        got = table.get(key)
        raise InputError(
            source, f"scenario.{key}", f"scenario.{key} must be {_META_EXPECT[key]}; got {got!r}"
        ) from None


def _collect_params(tree: dict[str, Any], prefix: str, source: str) -> dict[str, Any]:
    """Walk nested tables, checking every leaf against the registry."""
    params: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if path not in SECTIONS and not any(s.startswith(path + ".") for s in SECTIONS):
                parents = {".".join(s.split(".")[: i + 1]) for s in SECTIONS
                           for i in range(s.count(".") + 1)}
                known = sorted(parents) + ["scenario"]
                raise InputError(source, path, f"unknown section [{path}]{suggest(path, known)}")
            params.update(_collect_params(value, path + ".", source))
            continue
        parameter = BY_PATH.get(path)
        if parameter is None and not prefix and key in ScenarioMeta.model_fields:
            raise InputError(source, path, f"unknown key {path} (did you mean 'scenario.{key}'?)")
        if parameter is None:
            section_keys = [p for p in BY_PATH if p.startswith(prefix)] or list(BY_PATH)
            raise InputError(source, path, f"unknown key {path}{suggest(path, section_keys)}")
        try:
            params[parameter.name] = parameter.check(value)
        except ValueError as exc:
            raise InputError(source, path, str(exc)) from None
    return params


def check_params(params: dict[str, Any], source: str = "") -> dict[str, Any]:
    """Check keyword-named overrides (e.g. from a batch design) against the registry."""
    checked = {}
    for name, value in params.items():
        if name not in PARAMETERS:
            raise InputError(source, name, f"unknown parameter {name}{suggest(name, PARAMETERS)}")
        try:
            checked[name] = PARAMETERS[name].check(value)
        except ValueError as exc:
            raise InputError(source, PARAMETERS[name].path, str(exc)) from None
    return checked
