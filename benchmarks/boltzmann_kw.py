"""Mesa's bundled Boltzmann wealth model behind a keyword-parameter constructor.

``mesa.batch_run`` passes parameters as keywords plus ``rng=``, and Mesa 3.5's
bundled example takes a Scenario object instead, so both runners are given
this same small subclass.
"""

from __future__ import annotations

from mesa.examples.basic.boltzmann_wealth_model.model import BoltzmannScenario, BoltzmannWealth


class KwBoltzmann(BoltzmannWealth):
    """BoltzmannWealth(n, width, height, rng) with plain keywords."""

    def __init__(self, n: int = 200, width: int = 10, height: int = 10, rng=None):
        super().__init__(scenario=BoltzmannScenario(n=n, width=width, height=height, rng=rng))


def from_integer_seed(rng=None, seed: int = 0, **params) -> KwBoltzmann:
    """Factory for iesim's runner: seed the model with the integer ``seed`` as batch_run does.

    The runner's own SeedSequence (``rng``) is ignored so that both runners
    produce the same numbers for seeds 0-63.
    """
    return KwBoltzmann(rng=seed, **params)


def gini(model) -> dict[str, float]:
    """Outcome function: the model's final Gini coefficient."""
    return {"gini": float(model.gini)}
