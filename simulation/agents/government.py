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
        subsidies_this_year: placement and hire subsidies paid since the year began.
        kind_weights: (3,) grant weight per partnership kind: the scenario's
            ``fund_weight_*`` at first, then rescaled by monitoring.
        evaluations: records of monitoring evaluations.
    """

    def __init__(self, model, kind_weights=(1.0, 1.0, 1.0)):
        super().__init__(model)
        self.spending = dict.fromkeys(LEDGER, 0.0)
        self.fund_committed = 0.0
        self.subsidies_this_year = 0.0
        self.base_weights = np.asarray(kind_weights, dtype=float)
        self.kind_weights = self.base_weights.copy()
        self.evaluations: list[dict] = []

    def pay(self, line: str, amount: float) -> None:
        """Record spending on one ledger line."""
        if line not in self.spending:
            raise KeyError(f"unknown ledger line {line!r}")
        self.spending[line] += float(amount)

    def fund_has_room(self, amount: float, budget: float) -> bool:
        """The fund's yearly budget covers committed grants and this year's subsidies."""
        return budget > 0 and self.fund_committed + self.subsidies_this_year + amount <= budget

    def commit_grant(self, partnership) -> None:
        """Count a new partnership's yearly grant against the fund."""
        self.fund_committed += partnership.grant
        partnership.committed = True

    def release_grant(self, partnership) -> None:
        """Free a grant's commitment (once: a released grant is not released again)."""
        if partnership.committed:
            self.fund_committed -= partnership.grant
            partnership.committed = False

    def stop_grant(self, partnership, now: int) -> None:
        """End a grant early (dissolution, monitoring): no further payments."""
        self.release_grant(partnership)
        if partnership.has_grant(now):
            partnership.grant_until = now

    def pay_subsidy(self, amount: float, budget: float) -> bool:
        """Pay a placement or hire subsidy from the fund if its budget has room."""
        if amount <= 0 or not self.fund_has_room(amount, budget):
            return False
        self.subsidies_this_year += amount
        self.pay("grants", amount)
        return True

    @property
    def total_spending(self) -> float:
        """Cumulative spending: grants + forgone tax + other."""
        return sum(self.spending.values())
