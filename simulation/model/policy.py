"""Policy levers: what each one is, whether it is on, and the cost rules it sets.

The eight levers of Zhao (2024)'s recommendations are read from the
parameter registry; each is off at its registry default.  This module holds
the pure arithmetic the levers change (a firm's net partnership cost, a
grant's size, the contact rate), so each lever's effect can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("placement", "co_curriculum", "joint_research")
PLACEMENT, CO_CURRICULUM, JOINT_RESEARCH = range(3)

LEVERS = (
    "dedicated_fund",
    "tax_break",
    "accreditation",
    "fast_track",
    "linkage_meetings",
    "firm_lecturers",
    "incubator",
    "monitoring",
)


@dataclass(frozen=True)
class Levers:
    """The policy package of one run, read from resolved parameters."""

    p: dict[str, Any]

    def active(self) -> dict[str, bool]:
        """Which of the eight levers are switched on."""
        p = self.p
        return {
            "dedicated_fund": p["fund_budget"] > 0,
            "tax_break": p["tax_break_rate"] > 0,
            "accreditation": p["accreditation_weight"] > 0,
            "fast_track": p["fast_track_cost_cut"] > 0 or p["fast_track_delay_cut"] > 0,
            "linkage_meetings": p["linkage_meetings"] > 0,
            "firm_lecturers": p["firm_lecturer_share"] > 0,
            "incubator": p["incubator_places"] > 0,
            "monitoring": p["monitoring_interval"] > 0,
        }

    def gross_cost(self, kind: int) -> float:
        """A firm's yearly cost of a partnership of ``kind``, with coordination cost."""
        base = (self.p["cost_placement"], self.p["cost_co_curriculum"],
                self.p["cost_joint_research"])[kind]
        return base * (1.0 + self.p["cultural_distance"])

    def set_up_cost(self) -> float:
        """One-off administrative set-up cost after fast-track procedures."""
        p = self.p
        return p["admin_cost"] * (1.0 + p["cultural_distance"]) * (1.0 - p["fast_track_cost_cut"])

    def negotiation_delay(self) -> int:
        """Months from contact to signature after fast-track procedures."""
        import math

        # halves round up, not to even (2.5 months -> 3)
        return int(math.floor(self.p["negotiation_months"] * (1.0 - self.p["fast_track_delay_cut"])
                              + 0.5))

    def grant(self, kind: int, weight: float = 1.0) -> float:
        """Yearly grant the dedicated fund offers a new partnership of ``kind``.

        ``weight`` is the monitoring lever's reallocation factor for the kind.
        """
        if self.p["fund_budget"] <= 0:
            return 0.0
        return self.p["fund_grant_share"] * self.gross_cost(kind) * weight

    def monthly_contact_probability(self) -> float:
        """Chance a firm makes contact with a university in a month.

        Linkage meetings raise the yearly contact rate by ``contact_boost``
        per meeting (relative).
        """
        import math

        rate = self.p["contact_rate"] * (
            1.0 + self.p["linkage_contact_boost"] * self.p["linkage_meetings"]
        )
        return 1.0 - math.exp(-rate / 12.0)


def firm_net_cost(gross_cost: float, tax_break_rate: float, grant: float) -> float:
    """A firm's yearly net partnership cost after the tax break and a grant.

    The tax break offsets ``tax_break_rate`` times the gross cost; the grant
    is paid on top.  The net cost can be negative when subsidies exceed cost.
    """
    return gross_cost - tax_break_rate * gross_cost - grant
