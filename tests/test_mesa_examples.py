"""Every model bundled with Mesa 3.5 runs through the generic runner, with the results of direct runs.

Each example is run at a small size for a few steps through ``run_scenarios``
(serial backend; one model also on worker processes) and directly, built by
hand with the same SeedSequence (replicate ``r`` of master seed ``SEED`` is
``replicate_seed(SEED, r)``); a numeric outcome per model must be equal.

Scenario-based models (Boltzmann, Schelling, boids, wolf-sheep, Epstein) get
their Scenario built by the runner; keyword models get ``rng=``.
``virus_on_network`` builds its graph with ``networkx.erdos_renyi_graph``
without a seed, i.e. from Python's global ``random``: the runner seeds the
global generators from each run's seed, and the direct run does the same with
``seeded_global_random``.

The outcome functions live at module level so worker processes can import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("mesa.examples")

from mesa.examples import (  # noqa: E402
    BoidFlockers,
    BoltzmannWealth,
    ConwaysGameOfLife,
    EpsteinCivilViolence,
    MultiLevelAllianceModel,
    PdGrid,
    Schelling,
    SugarscapeG1mt,
    VirusOnNetwork,
    WolfSheep,
)
from mesa.examples.advanced.epstein_civil_violence.model import EpsteinScenario  # noqa: E402
from mesa.examples.advanced.wolf_sheep.model import WolfSheepScenario  # noqa: E402
from mesa.examples.basic.boid_flockers.model import BoidsScenario  # noqa: E402
from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario  # noqa: E402
from mesa.examples.basic.schelling.model import SchellingScenario  # noqa: E402

from simulation.batch import ModelTask, replicate_seed, run_scenarios  # noqa: E402
from simulation.batch.models import SCENARIO  # noqa: E402
from simulation.batch.seeds import seeded_global_random  # noqa: E402

SEED = 7
REPLICATES = 2


def boltzmann_outcomes(model) -> dict[str, float]:
    return {"gini": model.gini, "gini_collected": model.datacollector.model_vars["Gini"][-1]}


def schelling_outcomes(model) -> dict[str, float]:
    return {"happy": model.datacollector.model_vars["happy"][-1], "population": len(model.agents)}


def life_outcomes(model) -> dict[str, float]:
    return {"alive": sum(1 for cell in model.agents if cell.is_alive)}


def boids_outcomes(model) -> dict[str, float]:
    xs = [boid.position[0] for boid in model.agents]
    return {"mean_x": sum(xs) / len(xs)}


def virus_outcomes(model) -> dict[str, float]:
    vars_ = model.datacollector.model_vars
    return {"infected": vars_["Infected"][-1], "resistant": vars_["Resistant"][-1],
            "edges": model.grid.G.number_of_edges()}


def wolf_sheep_outcomes(model) -> dict[str, float]:
    vars_ = model.datacollector.model_vars
    return {"sheep": vars_["Sheep"][-1], "wolves": vars_["Wolves"][-1]}


def sugarscape_outcomes(model) -> dict[str, float]:
    vars_ = model.datacollector.model_vars
    return {"traders": vars_["#Traders"][-1], "trade_volume": vars_["Trade Volume"][-1]}


def pd_outcomes(model) -> dict[str, float]:
    return {"cooperating": model.datacollector.model_vars["Cooperating_Agents"][-1],
            "score": sum(agent.score for agent in model.agents)}


def epstein_outcomes(model) -> dict[str, float]:
    return {"active": model.ACTIVE, "quiet": model.QUIET, "arrested": model.ARRESTED}


def alliance_outcomes(model) -> dict[str, float]:
    return {"agents": len(model.agents), "network_nodes": model.network.number_of_nodes(),
            "power": sum(float(agent.power) for agent in model.agents)}


@dataclass(frozen=True)
class Example:
    """One bundled model: how the runner gets it, and how to build it by hand."""

    model: type
    outcomes: Any
    params: dict[str, Any]
    steps: int
    direct: Any  # (seed sequence, params) -> model, built by hand
    key: str  # outcome compared with the direct run


def _scenario(model, scenario_class, *own):
    def build(rng, params):
        fields = {k: v for k, v in params.items() if k not in own}
        return model(scenario=scenario_class(rng=rng, **fields),
                     **{k: v for k, v in params.items() if k in own})
    return build


def _keywords(model):
    return lambda rng, params: model(rng=rng, **params)


EXAMPLES = {
    "boltzmann_wealth_model": Example(
        BoltzmannWealth, boltzmann_outcomes, {"n": 20, "width": 5, "height": 5}, 10,
        _scenario(BoltzmannWealth, BoltzmannScenario), "gini"),
    "schelling": Example(
        Schelling, schelling_outcomes, {"width": 8, "height": 8, "density": 0.7}, 4,
        _scenario(Schelling, SchellingScenario), "happy"),
    "conways_game_of_life": Example(
        ConwaysGameOfLife, life_outcomes, {"width": 12, "height": 12}, 5,
        _keywords(ConwaysGameOfLife), "alive"),
    "boid_flockers": Example(
        BoidFlockers, boids_outcomes, {"population_size": 15, "width": 40, "height": 40}, 5,
        _scenario(BoidFlockers, BoidsScenario), "mean_x"),
    "virus_on_network": Example(
        VirusOnNetwork, virus_outcomes, {"num_nodes": 20, "avg_node_degree": 3}, 6,
        _keywords(VirusOnNetwork), "edges"),
    "wolf_sheep": Example(
        WolfSheep, wolf_sheep_outcomes,
        {"width": 10, "height": 10, "initial_sheep": 20, "initial_wolves": 5}, 6,
        _scenario(WolfSheep, WolfSheepScenario), "sheep"),
    "sugarscape_g1mt": Example(
        SugarscapeG1mt, sugarscape_outcomes, {"initial_population": 25}, 3,
        _keywords(SugarscapeG1mt), "trade_volume"),
    "pd_grid": Example(
        PdGrid, pd_outcomes, {"width": 8, "height": 8}, 4, _keywords(PdGrid), "score"),
    "epstein_civil_violence": Example(
        EpsteinCivilViolence, epstein_outcomes, {"width": 10, "height": 10, "legitimacy": 0.6}, 5,
        _scenario(EpsteinCivilViolence, EpsteinScenario, "width", "height"), "quiet"),
    "alliance_formation": Example(
        MultiLevelAllianceModel, alliance_outcomes, {"n": 12}, 2,
        _keywords(MultiLevelAllianceModel), "power"),
}


def direct_run(example: Example, replicate: int) -> dict[str, float]:
    """The example built and run by hand with the runner's seed for ``replicate``."""
    rng = replicate_seed(SEED, replicate)
    with seeded_global_random(rng):  # only virus_on_network draws from the global generators
        model = example.direct(rng, example.params)
        model.run_for(example.steps)
        return example.outcomes(model)


def through_runner(example: Example, backend: str = "serial", **options):
    task = ModelTask(example.model, example.outcomes)
    return run_scenarios(task, {"small": example.params}, replicates=REPLICATES, seed=SEED,
                         steps=example.steps, backend=backend, progress=False, **options)


def test_every_bundled_example_is_covered():
    import mesa.examples

    assert set(mesa.examples.__all__) == {e.model.__name__ for e in EXAMPLES.values()}


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value encountered")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_through_the_runner_equals_direct_runs(name):
    example = EXAMPLES[name]
    summary = through_runner(example)
    assert not summary.attrs["failures"]
    assert list(summary["replicate"]) == list(range(REPLICATES))
    compared = []
    for replicate in range(REPLICATES):
        expected = direct_run(example, replicate)
        row = summary[summary["replicate"] == replicate].iloc[0]
        for key, value in expected.items():
            assert row[key] == pytest.approx(float(value), rel=1e-12, abs=1e-12), (name, key)
        compared.append(float(expected[example.key]))
    assert len(set(compared)) > 1, "the compared outcome must differ between replicates"


def test_scenario_models_are_recognised_and_keyword_models_are_not():
    kinds = {name: ModelTask(e.model, e.outcomes).convention.kind for name, e in EXAMPLES.items()}
    assert {n for n, k in kinds.items() if k == SCENARIO} == {
        "boltzmann_wealth_model", "schelling", "boid_flockers", "wolf_sheep",
        "epstein_civil_violence"}
    epstein = ModelTask(EpsteinCivilViolence, epstein_outcomes).convention
    assert epstein.scenario_class is EpsteinScenario
    assert epstein.keywords == {"width", "height"}  # model keywords, not scenario fields


def test_one_example_on_worker_processes_equals_serial():
    example = EXAMPLES["wolf_sheep"]
    serial = through_runner(example)
    processes = through_runner(example, backend="processes", workers=2)
    columns = ["run_id", "sheep", "wolves"]
    assert serial[columns].equals(processes[columns])


def test_virus_on_network_is_reproducible_although_it_uses_global_random():
    import random

    example = EXAMPLES["virus_on_network"]
    random.seed(1)
    first = through_runner(example)
    random.seed(2)  # the caller's global state does not matter ...
    second = through_runner(example)
    columns = ["edges", "infected", "resistant"]
    assert first[columns].equals(second[columns])
    state = random.getstate()
    through_runner(example)
    assert random.getstate() == state  # ... and is left as it was
    # replicates draw different graphs (the global stream follows the run's seed)
    assert first["edges"].nunique() == REPLICATES
