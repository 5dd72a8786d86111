"""The layout shows the architecture (issue 26): the model stands alone and nothing imports in a circle.

Every module under ``simulation/`` is parsed with :mod:`ast` (nothing is imported) and
its imports of ``simulation.*`` become edges of a graph between modules: absolute and
relative imports, ``from simulation import x`` (an edge to the module ``x`` when there is
one), and imports anywhere in a file (inside functions and ``if TYPE_CHECKING:`` blocks
too).  An import of a name from a package is an edge to the package (its
``__init__``).  Then:

* nothing in ``simulation.model`` imports the runner, the studies, the evaluation or the
  front ends;
* the evaluation imports no runner, study or front end;
* there is no cycle between modules (the test names one if there is).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "simulation"

MODEL = "simulation.model"
EVALUATION = "simulation.evaluation"
RUNNER_STUDIES_FRONT_ENDS = (
    "simulation.batch",  # the runner
    "simulation.sensitivity",
    "simulation.calibration",
    "simulation.discovery",
    "simulation.decisions",
    "simulation.dashboard",
    "simulation.cli",
    "simulation.run",  # iesim run
    "simulation.plots",  # the notebooks' plotting
    "simulation.figures",  # the figure runner
    "simulation.odd_table",  # the ODD's generated table
)
"""What neither the model nor the evaluation may import (the model not the evaluation either)."""


def module_names(package: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package ``__init__``)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    return modules


def _known(name: str, modules) -> str | None:
    """``name`` if it is a module, else its longest prefix that is one (None: none is)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(source: str, name: str, is_package: bool, modules, top: str = "simulation") -> set[str]:
    """The modules of ``modules`` that the module ``name`` (its ``source``) imports."""
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(_known(a.name, modules) for a in node.names
                         if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != top:
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else _known(target, modules))
    found.discard(None)
    found.discard(name)
    return found  # type: ignore[return-value]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports."""
    modules = module_names(package)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, is_package, modules,
                             top=package.name)
            for name, (path, is_package) in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as its modules in order, the first repeated at the end; or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


# ------------------------------------------------------------------ the checks themselves


def test_the_cycle_finder_finds_a_cycle_and_says_which():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b", "d"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"y"}, "y": {"z"}, "z": {"y"}}) == ["y", "z", "y"]
    assert find_cycle({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_imports_resolve_relative_from_package_and_inside_functions():
    modules = {m: None for m in ("simulation", "simulation.model", "simulation.model.core",
                                 "simulation.model.skills", "simulation.batch",
                                 "simulation.batch.store", "simulation.cli", "simulation.errors")}
    source = "\n".join([
        "import numpy",
        "from . import skills",  # relative, a module
        "from .. import errors",  # two levels up
        "from simulation import cli",  # a module of the top package
        "from simulation.batch import run_scenarios",  # a name of a package: its __init__
        "def f():",
        "    import simulation.batch.store as s",  # inside a function
        "    from simulation.model.core import Model",  # itself: no edge
    ])
    assert imports_of(source, "simulation.model.core", False, modules) == {
        "simulation.model.skills", "simulation.errors", "simulation.cli", "simulation.batch",
        "simulation.batch.store"}
    # in a package's __init__, "." is the package itself
    assert imports_of("from .core import Model", "simulation.model", True, modules) == {
        "simulation.model.core"}


def test_the_graph_covers_the_package(graph):
    assert {"simulation.model", "simulation.model.core", "simulation.model.parameters",
            "simulation.model.agents.student", "simulation.evaluation.increments",
            "simulation.batch.runner", "simulation.cli"} <= set(graph)
    assert "simulation.model.cooperation" in graph["simulation.model.core"]
    assert "simulation.model.parameters" in graph["simulation.scenarios"]
    assert "simulation.evaluation.fieller" in graph["simulation.evaluation.increments"]


# ------------------------------------------------------------------ the layout


def test_the_model_imports_no_runner_study_evaluation_or_front_end(graph):
    wrong = sorted(f"{m} imports {d}" for m, deps in graph.items() if _within(m, MODEL)
                   for d in deps
                   if any(_within(d, p) for p in (*RUNNER_STUDIES_FRONT_ENDS, EVALUATION)))
    assert not wrong, "the model reaches outside itself:\n" + "\n".join(wrong)


def test_the_evaluation_imports_no_runner_study_or_front_end(graph):
    wrong = sorted(f"{m} imports {d}" for m, deps in graph.items() if _within(m, EVALUATION)
                   for d in deps if any(_within(d, p) for p in RUNNER_STUDIES_FRONT_ENDS))
    assert not wrong, "the evaluation reaches into its users:\n" + "\n".join(wrong)


def test_no_module_imports_in_a_circle(graph):
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_model_class_keeps_its_public_path():
    from simulation.batch.iesim_task import iesim_task
    from simulation.model import IndustryEducationModel
    from simulation.model.core import IndustryEducationModel as same

    assert IndustryEducationModel is same
    # stored batches and studies name the model so in their hashes: they keep resuming
    assert iesim_task().identity()["factory"] == "simulation.model.IndustryEducationModel"
