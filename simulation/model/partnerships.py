"""University-firm partnerships: contact, negotiation, trust, review, dissolution.

A partnership is an edge between one university and one firm, of one kind
(placement, co_curriculum, joint_research); a pair may hold one partnership
of each kind at once.  Life cycle: a firm makes
contact (base rate, raised by linkage meetings); they negotiate for a delay
(cut by fast-track procedures) if the firm expects a positive net value and
the university has coordination capacity and no bad memory of the firm;
the active partnership costs the firm money (offset by the tax break and any
grant from the dedicated fund) and builds trust from realised benefit; each
year it is reviewed and may dissolve when either side no longer finds it
worth its cost: the firm (its expected value below its net cost, e.g. after
its grant ends or in a downturn; trust too low, e.g. after a key contact
leaves and takes part of it) or the university (no student served in a year).  Both sides
remember how their last partnership went (partner memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.model.policy import KINDS, firm_net_cost

NEGOTIATING, ACTIVE, ENDED = "negotiating", "active", "ended"
REASONS = ("low_trust", "not_worth_cost", "grant_end", "downturn", "turnover", "no_student_value",
           "abandoned")


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
    offered_grant: float = 0.0  # yearly grant on offer when the firm chose this kind
    grant_until: int = -1  # first step without grant
    grant_expiry: int = -1  # first step without grant by its term or by monitoring (not by dissolution)
    committed: bool = False  # its yearly grant is counted in the fund's commitments
    lecturer: bool = False
    reason: str = ""
    realised: float = 0.0  # value realised since the last review
    served: int = 0  # the university's students it served since the last review (months, hires)
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
    """All partnerships of a model, with the (university, firm, kind) index of open ones."""

    def __init__(self, n_universities: int, n_firms: int):
        self.all: list[Partnership] = []
        self.pair = np.full((n_universities, n_firms, len(KINDS)), -1, dtype=np.int64)  # open id
        self.memory: dict[tuple[int, int], float] = {}  # (u, f) -> trust at the last end
        self.formed = 0
        self.dissolved = 0
        self.dissolved_after_grant = 0  # of those, ended within 12 months after a grant ended
        self._open: dict[int, Partnership] = {}  # id -> open partnership, in creation order
        self.open_by_university = np.zeros(n_universities, dtype=np.int64)
        self.open_by_firm = np.zeros(n_firms, dtype=np.int64)
        self.open_by_pair = np.zeros((n_universities, n_firms), dtype=np.int64)
        self.active_by_kind = np.zeros(len(KINDS), dtype=np.int64)
        self.is_active = np.zeros(64, dtype=bool)  # by partnership id
        self.university_of = np.zeros(64, dtype=np.int64)  # by partnership id
        self.firm_of = np.zeros(64, dtype=np.int64)  # by partnership id
        self.start_of = np.full(64, -1, dtype=np.int64)  # signing step by id (-1: never signed)
        self.end_of = np.full(64, -1, dtype=np.int64)  # end step by id (-1: not ended)

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
        """Open a negotiation of ``kind`` between university ``u`` and firm ``f``."""
        p = Partnership(id=len(self.all), university=u, firm=f, kind=kind, contact_step=now)
        p.trust = self.memory.get((u, f), 0.5)
        self.all.append(p)
        if p.id >= len(self.is_active):
            self.is_active = np.concatenate([self.is_active, np.zeros_like(self.is_active)])
            self.university_of = np.concatenate([self.university_of, self.university_of])
            self.firm_of = np.concatenate([self.firm_of, self.firm_of])
            self.start_of = np.concatenate([self.start_of, np.full_like(self.start_of, -1)])
            self.end_of = np.concatenate([self.end_of, np.full_like(self.end_of, -1)])
        self.university_of[p.id], self.firm_of[p.id] = u, f
        self._open[p.id] = p
        self.pair[u, f, kind] = p.id
        self.open_by_university[u] += 1
        self.open_by_firm[f] += 1
        self.open_by_pair[u, f] += 1
        return p

    def activate(self, p: Partnership, now: int, count: bool = True) -> None:
        """Sign a partnership; ``count=False`` for those existing at the start."""
        p.state = ACTIVE
        self.is_active[p.id] = True
        p.start_step = now
        self.start_of[p.id] = now
        self.formed += int(count)
        self.active_by_kind[p.kind] += 1

    def end(self, p: Partnership, now: int, reason: str) -> None:
        """Close a partnership and remember its trust for the pair."""
        if reason not in REASONS:
            raise ValueError(f"unknown dissolution reason {reason!r}")
        was_active = p.state == ACTIVE
        p.state = ENDED
        self.is_active[p.id] = False
        p.end_step = now
        self.end_of[p.id] = now
        p.reason = reason
        self.pair[p.university, p.firm, p.kind] = -1
        del self._open[p.id]
        self.open_by_university[p.university] -= 1
        self.open_by_firm[p.firm] -= 1
        self.open_by_pair[p.university, p.firm] -= 1
        if was_active:
            self.active_by_kind[p.kind] -= 1
            self.dissolved += 1
            self.dissolved_after_grant += ended_after_grant(p)
            self.memory[(p.university, p.firm)] = p.trust

    def grant_end_dissolution_share(self) -> float:
        """Among dissolved partnerships, the share that ended within 12 months after a grant ended.

        A dissolution at step d counts when the partnership's grant ran out
        (by its term or a monitoring stop) at a step e with d - 11 <= e <= d + 1,
        i.e. its last paid month fell within the 12 months up to and including d.
        """
        if not self.dissolved:
            return float("nan")
        return self.dissolved_after_grant / self.dissolved

    def cooperating_firms(self) -> int:
        """Firms with at least one active partnership."""
        n = len(self.all)
        return int(np.unique(self.firm_of[:n][self.is_active[:n]]).size)

    def survival(self, now: int, months: int) -> float:
        """Share of partnerships signed at least ``months`` ago that lasted ``months``."""
        start, end = self.start_of[: len(self.all)], self.end_of[: len(self.all)]
        at_risk = (start >= 0) & (start <= now - months)
        if not at_risk.any():
            return float("nan")
        lasted = np.where(end >= 0, end, now) - start >= months
        return int(np.count_nonzero(lasted & at_risk)) / int(np.count_nonzero(at_risk))


def ended_after_grant(p: Partnership) -> bool:
    """Whether ``p`` ended within 12 months after its grant ran out (see grant_end_dissolution_share)."""
    return p.grant > 0 and p.grant_expiry >= 0 and p.end_step - 11 <= p.grant_expiry <= p.end_step + 1


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
