"""University-firm partnerships: contact, negotiation, trust, review, dissolution.

A partnership is an edge between one university and one firm, of one kind
(placement, co_curriculum, joint_research).  Life cycle: a firm makes
contact (base rate, raised by linkage meetings); they negotiate for a delay
(cut by fast-track procedures) if the firm expects a positive net value and
the university has coordination capacity and no bad memory of the firm;
the active partnership costs the firm money (offset by the tax break and any
grant from the dedicated fund) and builds trust from realised benefit; each
year it is reviewed and may dissolve (low trust, not worth its net cost,
e.g. after its grant ends, a firm downturn, or staff turnover).  Both sides
remember how their last partnership went (partner memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.policy import KINDS, firm_net_cost

NEGOTIATING, ACTIVE, ENDED = "negotiating", "active", "ended"
REASONS = ("low_trust", "not_worth_cost", "grant_end", "downturn", "turnover", "abandoned")


@dataclass
class Partnership:
    """One university-firm partnership and its history."""

    id: int
    university: int
    firm: int
    kind: int
    contact_step: int
    state: str = NEGOTIATING
    start_step: int = -1
    end_step: int = -1
    trust: float = 0.5
    grant: float = 0.0  # yearly grant
    grant_until: int = -1  # first step without grant
    committed: bool = False  # its yearly grant is counted in the fund's commitments
    lecturer: bool = False
    reason: str = ""
    realised: float = 0.0  # value realised since the last review
    history: list = field(default_factory=list)

    def duration(self, now: int) -> int:
        """Months active so far (or in all, once ended)."""
        if self.start_step < 0:
            return 0
        end = self.end_step if self.state == ENDED else now
        return end - self.start_step

    def has_grant(self, now: int) -> bool:
        return self.grant > 0 and now < self.grant_until


class PartnershipNetwork:
    """All partnerships of a model, with the (university, firm) index of active ones."""

    def __init__(self, n_universities: int, n_firms: int):
        self.all: list[Partnership] = []
        self.pair = np.full((n_universities, n_firms), -1, dtype=np.int64)  # open id
        self.memory: dict[tuple[int, int], float] = {}  # (u, f) -> trust at the end
        self.formed = 0
        self.dissolved = 0
        self._open: dict[int, Partnership] = {}  # id -> open partnership, in creation order
        self.open_by_university = np.zeros(n_universities, dtype=np.int64)
        self.open_by_firm = np.zeros(n_firms, dtype=np.int64)
        self.active_by_kind = np.zeros(len(KINDS), dtype=np.int64)

    def open(self) -> list[Partnership]:
        """Partnerships negotiating or active, in creation order."""
        return list(self._open.values())

    def negotiating(self) -> list[Partnership]:
        return [p for p in self._open.values() if p.state == NEGOTIATING]

    def active(self) -> list[Partnership]:
        """Active partnerships, in creation order."""
        return [p for p in self._open.values() if p.state == ACTIVE]

    def count_active(self, kind: int | None = None) -> int:
        return int(self.active_by_kind.sum() if kind is None else self.active_by_kind[kind])

    def create(self, u: int, f: int, kind: int, now: int) -> Partnership:
        """Open a negotiation between university ``u`` and firm ``f``."""
        p = Partnership(id=len(self.all), university=u, firm=f, kind=kind, contact_step=now)
        p.trust = self.memory.get((u, f), 0.5)
        self.all.append(p)
        self._open[p.id] = p
        self.pair[u, f] = p.id
        self.open_by_university[u] += 1
        self.open_by_firm[f] += 1
        return p

    def activate(self, p: Partnership, now: int, count: bool = True) -> None:
        """Sign a partnership; ``count=False`` for those existing at the start."""
        p.state = ACTIVE
        p.start_step = now
        self.formed += int(count)
        self.active_by_kind[p.kind] += 1

    def end(self, p: Partnership, now: int, reason: str) -> None:
        """Close a partnership and remember its trust for the pair."""
        if reason not in REASONS:
            raise ValueError(f"unknown dissolution reason {reason!r}")
        was_active = p.state == ACTIVE
        p.state = ENDED
        p.end_step = now
        p.reason = reason
        self.pair[p.university, p.firm] = -1
        del self._open[p.id]
        self.open_by_university[p.university] -= 1
        self.open_by_firm[p.firm] -= 1
        if was_active:
            self.active_by_kind[p.kind] -= 1
            self.dissolved += 1
            self.memory[(p.university, p.firm)] = p.trust

    def survival(self, now: int, months: int) -> float:
        """Share of partnerships signed at least ``months`` ago that lasted ``months``."""
        at_risk = [p for p in self.all if p.start_step >= 0 and p.start_step <= now - months]
        if not at_risk:
            return float("nan")
        return sum(p.duration(now) >= months for p in at_risk) / len(at_risk)


def trust_target(realised: float, gross_cost: float) -> float:
    """Trust a year's benefit-cost ratio points to: rho / (1 + rho), in [0, 1)."""
    rho = max(realised, 0.0) / max(gross_cost, 1e-9)
    return rho / (1.0 + rho)


def update_trust(trust: float, realised: float, gross_cost: float, rate: float) -> float:
    """Trust after a yearly review: moves a share ``rate`` toward the target."""
    return trust + rate * (trust_target(realised, gross_cost) - trust)


def worth_continuing(expected_value: float, gross: float, tax_rate: float, grant: float) -> bool:
    """A firm keeps a partnership while its expected value covers its net cost."""
    return expected_value >= firm_net_cost(gross, tax_rate, grant)
