"""Decisions under parameter uncertainty: acceptability, expected loss, EVPI and EVPPI.

:mod:`simulation.decisions.voi` holds the decision measures over a probabilistic sample
(net benefit per draw and option), :mod:`simulation.decisions.evppi` the expected value of
partial perfect information by regression (Strong, Oakley & Brennan 2014) and
:mod:`simulation.decisions.smoothers` the two regressions it uses.
"""

from simulation.decisions.evppi import EvppiResult, evppi, evppi_curve
from simulation.decisions.voi import (
    AcceptabilityFrontier,
    VarianceSplit,
    acceptability,
    acceptability_frontier,
    evpi,
    expected_loss,
    expected_net_benefit,
    net_benefit,
    population_value,
    probability_best,
    variance_split,
)

__all__ = [
    "AcceptabilityFrontier", "EvppiResult", "VarianceSplit", "acceptability",
    "acceptability_frontier", "evpi", "evppi", "evppi_curve", "expected_loss",
    "expected_net_benefit", "net_benefit", "population_value", "probability_best",
    "variance_split",
]
