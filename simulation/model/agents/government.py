"""The Government agent: the levers' budget and the spending ledger."""

from __future__ import annotations

import mesa
import numpy as np

LEDGER = ("grants", "forgone_tax", "other")


def months_left_in_year(now: int) -> int:
    """Payment months from step ``now`` to the end of its academic (fund) year, inclusive."""
    return 12 - (now - 1) % 12


class Government(mesa.Agent):
    """Pays grants, forgoes tax, runs meetings, reviews and evaluations.

    The dedicated fund never pays more than its budget in a fund year (an
    academic year): a grant or subsidy is promised only if what the fund has
    paid this year, plus what running grants will still be paid this year,
    plus the new promise fits the budget, and (for grants) if the yearly
    total of running grants plus the new one fits the budget of later years.

    Attributes:
        spending: cumulative spending by ledger line (grants, forgone_tax, other).
        fund_committed: yearly grants already promised to running partnerships.
        fund_paid_this_year: grants and subsidies paid since the fund year began.
        subsidies_this_year: placement and hire subsidies paid since the fund year began.
        yearly_fund_payments: fund payments of each past and current year.
        kind_weights: (3,) grant weight per partnership kind: the scenario's
            ``fund_weight_*`` at first, then rescaled by monitoring.
        evaluations: records of monitoring evaluations.
    """

    def __init__(self, model, kind_weights=(1.0, 1.0, 1.0)):
        super().__init__(model)
        self.spending = dict.fromkeys(LEDGER, 0.0)
        self.fund_committed = 0.0
        self.fund_paid_this_year = 0.0
        self.subsidies_this_year = 0.0
        self.yearly_fund_payments: list[float] = []
        self.committed: dict[int, object] = {}  # partnership id -> partnership with a running grant
        self._due: tuple[int, float] | None = None  # (step, still due) until commitments change
        self.grants_paid_step = -1  # last step whose grants have been paid
        self.base_weights = np.asarray(kind_weights, dtype=float)
        self.kind_weights = self.base_weights.copy()
        self.evaluations: list[dict] = []

    def pay(self, line: str, amount: float) -> None:
        """Record spending on one ledger line."""
        if line not in self.spending:
            raise KeyError(f"unknown ledger line {line!r}")
        self.spending[line] += float(amount)

    def start_fund_year(self) -> None:
        """A new fund year: nothing paid yet."""
        self.fund_paid_this_year = 0.0
        self.subsidies_this_year = 0.0
        self.yearly_fund_payments.append(0.0)

    def _pay_fund(self, amount: float) -> None:
        self.fund_paid_this_year += amount
        if not self.yearly_fund_payments:
            self.yearly_fund_payments.append(0.0)
        self.yearly_fund_payments[-1] += amount
        self.pay("grants", amount)

    def still_due_this_year(self, now: int) -> float:
        """What running grants will still be paid from step ``now`` to the end of the year."""
        if self._due is not None and self._due[0] == now:
            return self._due[1]
        year_end = now + months_left_in_year(now) - 1  # last step of this fund year
        first = now + 1 if self.grants_paid_step == now else now  # this month's paid already?
        due = 0.0
        for q in self.committed.values():
            months = min(year_end, q.grant_until - 1) - first + 1
            if months > 0:
                due += q.grant / 12.0 * months
        self._due = (now, due)
        return due

    def fund_has_room(self, grant: float, budget: float, now: int) -> bool:
        """A new yearly ``grant`` starting at step ``now`` fits this year's and later years' budget."""
        if budget <= 0 or grant <= 0:
            return False
        this_year = (self.fund_paid_this_year + self.still_due_this_year(now)
                     + grant / 12.0 * months_left_in_year(now))
        return this_year <= budget + 1e-9 and self.fund_committed + grant <= budget + 1e-9

    def commit_grant(self, partnership) -> None:
        """Count a new partnership's yearly grant against the fund."""
        self.fund_committed += partnership.grant
        self.committed[partnership.id] = partnership
        partnership.committed = True
        self._due = None

    def renew_grant(self, partnership, until: int) -> None:
        """Extend a running, committed grant to step ``until`` (its yearly amount stays counted)."""
        partnership.grant_until = partnership.grant_expiry = until
        self._due = None

    def grants_paid(self, now: int) -> None:
        """Mark this step's grant payments as made (what is still due starts next month)."""
        self.grants_paid_step = now
        self._due = None

    def pay_grant(self, partnership) -> None:
        """Pay one month of a running grant."""
        self._pay_fund(partnership.grant / 12.0)

    def release_grant(self, partnership) -> None:
        """Free a grant's commitment (once: a released grant is not released again)."""
        if partnership.committed:
            self.fund_committed -= partnership.grant
            self.committed.pop(partnership.id, None)
            partnership.committed = False
        self._due = None

    def stop_grant(self, partnership, now: int) -> None:
        """End a grant early (dissolution, monitoring): no further payments."""
        self.release_grant(partnership)
        if partnership.has_grant(now):
            partnership.grant_until = now
        self._due = None

    def pay_subsidies(self, unit: float, count: int, budget: float, now: int,
                      subsidy_share: float = 1.0) -> int:
        """Pay up to ``count`` placement or hire subsidies of ``unit`` each, as the budget allows.

        Subsidies may use at most ``subsidy_share`` of the yearly budget, and
        never what running grants will still need this year.

        Returns:
            How many were paid (each one whole).
        """
        if unit <= 0 or count <= 0 or budget <= 0:
            return 0
        room = min(budget - self.fund_paid_this_year - self.still_due_this_year(now),
                   subsidy_share * budget - self.subsidies_this_year)
        paid = int(min(count, max(0.0, room + 1e-9) // unit))
        if paid:
            self._pay_fund(unit * paid)
            self.subsidies_this_year += unit * paid
        return paid

    @property
    def total_spending(self) -> float:
        """Cumulative spending: grants + forgone tax + other."""
        return sum(self.spending.values())
