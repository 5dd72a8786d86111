"""The Government agent: the levers' budget and the spending ledger."""

from __future__ import annotations

import mesa
import numpy as np

LEDGER = ("grants", "forgone_tax", "other")


class Government(mesa.Agent):
    """Pays grants, forgoes tax, runs meetings, reviews and evaluations.

    Attributes:
        spending: cumulative spending by ledger line (grants, forgone_tax, other).
        fund_committed: yearly grants already promised to running partnerships.
        kind_weights: (3,) grant weight per partnership kind, changed by monitoring.
        evaluations: records of monitoring evaluations.
    """

    def __init__(self, model):
        super().__init__(model)
        self.spending = dict.fromkeys(LEDGER, 0.0)
        self.fund_committed = 0.0
        self.kind_weights = np.ones(3)
        self.evaluations: list[dict] = []

    def pay(self, line: str, amount: float) -> None:
        """Record spending on one ledger line."""
        if line not in self.spending:
            raise KeyError(f"unknown ledger line {line!r}")
        self.spending[line] += float(amount)

    @property
    def total_spending(self) -> float:
        """Cumulative spending: grants + forgone tax + other."""
        return sum(self.spending.values())
