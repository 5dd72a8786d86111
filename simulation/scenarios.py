"""Scenario files (TOML) to validated runs.

A scenario file has a ``[scenario]`` table (name, description, years, seed,
replicates) and any of the registry's sections (``[population]``,
``[levers.tax_break]``, ...).  Every key is checked against the parameter
registry; unknown keys, bad values, a parameter given at two addresses
(``[levers.tax_break] rate`` and ``"levers.tax_break.rate"``) and a
population with no university or no firm raise :class:`InputError` naming
the file, the key and what was expected.  Nothing runs on bad input.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulation.errors import InputError
from simulation.model.parameters import BY_PATH, PARAMETERS, SECTIONS, suggest

YEARS_RANGE = (1, 200)
"""Smallest and largest number of simulated years (files and ``iesim run --years``)."""

SEED_RANGE = (0, 2**63 - 1)
"""Smallest and largest seed (files and ``iesim run --seed``)."""


def run_seed(seed: int) -> np.random.SeedSequence:
    """The random streams of a single run with a scenario file's ``seed``.

    A single run (``iesim run``, :meth:`IndustryEducationModel.from_scenario`,
    the dashboard) is replicate 0 of a batch whose master seed is ``seed``:
    ``SeedSequence(seed, spawn_key=(0,))``, as :func:`simulation.batch.seeds.replicate_seed`
    gives it.  So ``iesim batch`` with that seed reproduces the run as its replicate 0.
    """
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(0,))


NESTED_TOO_DEEPLY = ("is nested too deeply (tables or arrays inside one another); "
                     "expected a scenario file a few tables deep")

# a population needs at least one of each group (the model cannot run without)
POPULATION_GROUPS = (
    (("n_technical_universities", "n_art_schools", "n_comprehensive_universities"),
     "at least one university is needed"),
    (("n_firms_tech", "n_firms_design", "n_firms_agri"),
     "at least one firm (in any sector) is needed"),
)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ScenarioMeta(BaseModel):
    """The ``[scenario]`` table of a scenario file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1)
    description: str = ""
    years: int = Field(15, ge=YEARS_RANGE[0], le=YEARS_RANGE[1])
    seed: int = Field(0, ge=SEED_RANGE[0], le=SEED_RANGE[1])
    replicates: int = Field(1, ge=1, le=100_000)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("blank name")
        return value


_META_EXPECT = {
    "name": "a non-empty string (not only spaces)",
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
    text = _read_regular_file(path)
    if not text.strip():
        raise InputError(str(path), None, "file is empty, expected a TOML table")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), None, f"is not valid TOML ({exc})") from None
    except RecursionError:
        raise InputError(str(path), None, NESTED_TOO_DEEPLY) from None
    except ValueError:  # an integer too long for Python to read (over 4300 digits)
        raise InputError(str(path), None, _long_integer(text)) from None
    _refuse_huge_integers(data, str(path))
    return data


MAX_INTEGER_BITS = 1000
"""Integers in files longer than this (about 300 digits) are refused: no setting needs them."""

MAX_DEPTH = 100
"""Tables or arrays nested deeper than this are refused: no input file needs them."""


def _long_integer(text: str) -> str:
    """The error message for a file holding an integer too long to read, naming its line."""
    found = re.search(r"[0-9][0-9_]{300,}", text)
    where = f" on line {text.count(chr(10), 0, found.start()) + 1}" if found else ""
    length = len(found.group().replace("_", "")) if found else 0
    digits = f" of {length:,} digits" if length else ""
    return (f"holds an integer{digits}{where}, too long to read; expected a number of at most "
            "300 digits")


def _refuse_huge_integers(data: Any, source: str) -> None:
    """Refuse an integer no setting could hold (a hexadecimal one reads without a length limit).

    The walk is iterative and stops at :data:`MAX_DEPTH` levels: a file nested
    deeper is refused as such.
    """
    stack: list[tuple[Any, tuple[str, ...], str]] = [(data, (), "")]
    while stack:
        value, keys, index = stack.pop()
        if isinstance(value, dict | list) and len(keys) + index.count("[") > MAX_DEPTH:
            raise InputError(source, None, NESTED_TOO_DEEPLY)
        if isinstance(value, dict):
            stack.extend((item, (*keys, str(key)), "") for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, keys, f"{index}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) \
                and value.bit_length() > MAX_INTEGER_BITS:
            key = (_address(keys) if keys else "?") + index
            digits = int(value.bit_length() * 0.30103)
            raise InputError(source, key, f"{key} is an integer of about {digits:,} digits; "
                             "expected a number of at most 300 digits")


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "a special file"


def _check_mode(mode: int, source: str) -> None:
    if stat.S_ISDIR(mode):
        raise InputError(source, None, "is a directory, expected a TOML file")
    if not stat.S_ISREG(mode):
        raise InputError(source, None, f"is {_file_kind(mode)}, not a regular file; expected a TOML file")


def _read_regular_file(path: Path) -> str:
    """The text of ``path``, refusing anything but a regular file before reading it.

    A named pipe or a device would block or never end: the file is opened
    without blocking and checked again on the open descriptor, so it cannot
    be swapped for one between the check and the read.
    """
    source = str(path)
    try:
        _check_mode(path.stat().st_mode, source)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(source, None, "file not found") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise InputError(source, None, f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        _check_mode(os.fstat(fd).st_mode, source)
        with os.fdopen(fd, encoding="utf-8-sig") as file:  # the file object closes fd
            fd = -1
            return file.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, None, f"cannot be read as UTF-8 text ({exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    return scenario_from_dict(read_toml(path), source=str(path))


def scenario_from_dict(data: dict[str, Any], source: str = "") -> Scenario:
    """Validate a parsed scenario document (see module docstring)."""
    try:
        return _scenario_from_dict(data, source)
    except RecursionError:
        raise InputError(source, None, NESTED_TOO_DEEPLY) from None


def _scenario_from_dict(data: dict[str, Any], source: str) -> Scenario:
    if "scenario" not in data:
        raise InputError(source, "scenario", "missing table [scenario] (with at least name)")
    meta = _validate_meta(data["scenario"], source)
    params = _collect_params({k: v for k, v in data.items() if k != "scenario"}, (), source, {})
    check_population(params, source)
    return Scenario(
        name=meta.name,
        params=params,
        description=meta.description,
        years=meta.years,
        seed=meta.seed,
        replicates=meta.replicates,
        source=source,
    )


def check_population(params: dict[str, Any], source: str, where: str = "") -> None:
    """Refuse a population the model cannot run: no university, or no firm at all.

    ``where`` names the run in the message (e.g. a batch's scenario or design point).
    """
    for names, need in POPULATION_GROUPS:
        if all(params.get(n, PARAMETERS[n].default) == 0 for n in names):
            paths = [PARAMETERS[n].path for n in names]
            listed = ", ".join(paths[:-1]) + f" and {paths[-1]}"
            raise InputError(source, paths[0], f"{where}{listed} are all 0; {need}")


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
            hint = _suggest(key, ScenarioMeta.model_fields)
            raise InputError(
                source, f"scenario.{key}", f"unknown key scenario.{key}{hint}"
            ) from None
        if err["type"] == "missing":
            raise InputError(source, f"scenario.{key}", f"missing key scenario.{key}") from None
        got = table.get(key)
        raise InputError(
            source, f"scenario.{key}", f"scenario.{key} must be {_META_EXPECT[key]}; got {got!r}"
        ) from None


def _collect_params(tree: dict[str, Any], parts: tuple[str, ...], source: str,
                    seen: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """Walk nested tables, checking every leaf against the registry.

    ``parts`` are the TOML keys leading to ``tree``; ``seen`` maps each
    parameter found so far to the keys that gave it, so that one parameter
    given at two addresses is refused.
    """
    prefix = "".join(f"{p}." for p in parts)
    params: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if path not in SECTIONS and not any(s.startswith(path + ".") for s in SECTIONS):
                parents = {".".join(s.split(".")[: i + 1]) for s in SECTIONS
                           for i in range(s.count(".") + 1)}
                known = sorted(parents) + ["scenario"]
                raise InputError(source, path, f"unknown section [{path}]{_suggest(path, known)}")
            params.update(_collect_params(value, (*parts, key), source, seen))
            continue
        parameter = BY_PATH.get(path)
        if parameter is None and not prefix and key in ScenarioMeta.model_fields:
            raise InputError(source, path, f"unknown key {path} (did you mean 'scenario.{key}'?)")
        if parameter is None:
            section_keys = [p for p in BY_PATH if p.startswith(prefix)] or list(BY_PATH)
            raise InputError(source, path, f"unknown key {path}{_suggest(path, section_keys)}")
        if parameter.name in seen:
            first, second = _address(seen[parameter.name]), _address((*parts, key))
            raise InputError(source, parameter.path,
                             f"{parameter.path} is given twice, as {first} and as {second}; "
                             "give each parameter once")
        seen[parameter.name] = (*parts, key)
        try:
            params[parameter.name] = parameter.check(value)
        except ValueError as exc:
            raise InputError(source, path, str(exc)) from None
    return params


def _address(keys: tuple[str, ...]) -> str:
    """TOML keys as written in a file: ``levers.tax_break.rate`` or ``"levers.tax_break.rate"``."""
    return ".".join(k if _BARE_KEY.fullmatch(k) else json.dumps(k, ensure_ascii=False) for k in keys)


def _suggest(word: str, known) -> str:
    """:func:`~simulation.model.parameters.suggest`, skipped for words far longer than any name."""
    return suggest(word, known) if len(word) <= 200 else ""


def check_params(params: dict[str, Any], source: str = "") -> dict[str, Any]:
    """Check keyword-named overrides (e.g. from a batch design) against the registry."""
    checked = {}
    for name, value in params.items():
        if name not in PARAMETERS:
            raise InputError(source, name, f"unknown parameter {name}{_suggest(name, PARAMETERS)}")
        try:
            checked[name] = PARAMETERS[name].check(value)
        except ValueError as exc:
            raise InputError(source, PARAMETERS[name].path, str(exc)) from None
    return checked
