"""The Firm agent: graduate positions and vacancies, drifting skill demand, partnering."""

from __future__ import annotations

import mesa
import numpy as np


def _model_array(name: str, kind: type, doc: str):
    """A firm attribute kept in the model array ``name`` (updated for all firms at once)."""

    def get(self):
        return kind(getattr(self.model, name)[self.index])

    def set_(self, value):
        getattr(self.model, name)[self.index] = value

    return property(get, set_, doc=doc)


class Firm(mesa.Agent):
    """A firm in one sector.

    Attributes:
        index: position in ``model.firms``.
        sector: field index of its sector.
        large: large firms are ``large_firm_size`` times a small one.
        size: relative size (1 for small firms); scales graduate positions,
            placement slots and how many partnerships the firm keeps.
        positions: graduate-level positions; grow with the sector each year.
        offset: (K,) fixed deviation of its demand from the sector's demand.
        vacancies: graduate vacancies posted and still open (kept in the model's
            ``firm_vacancies`` array, which the labour market updates at once).
        opened: vacancies posted this year (the hiring calendar's postings so far
            plus positions re-opened by leavers; the model's ``firm_opened`` array).
        planned: vacancies planned for this hiring year (its hiring need; the
            model's ``firm_planned`` array), posted month by month.
        downturn: True in a year of business downturn.
        expected_value: (3,) expected yearly value of a partnership of each
            kind, learned from realised values.
        satisfaction: in [0, 1], moving average of hire and partnership quality;
            raises the firm's contact rate.
    """

    def __init__(self, model, index, sector, large, size, positions, offset, expected_value):
        super().__init__(model)
        self.index = index
        self.sector = sector
        self.large = bool(large)
        self.size = float(size)
        self.positions = float(positions)
        self.offset = offset
        self.downturn = False
        self.expected_value = np.asarray(expected_value, dtype=float)

    vacancies = _model_array("firm_vacancies", int, "graduate vacancies still open this year")
    opened = _model_array("firm_opened", int, "vacancies opened this year")
    planned = _model_array("firm_planned", int, "vacancies planned for this hiring year")
    satisfaction = _model_array("firm_satisfaction", float, "satisfaction in [0, 1]")
    hire_match = _model_array("firm_hire_match", float,
                              "match the firm has come to expect of a hire (its return-offer bar)")

    def demand(self) -> np.ndarray:
        """Current skill demand: the sector's demand plus the firm's offset."""
        return np.clip(self.model.sector_demand[self.sector] + self.offset, 0.0, 1.0)

    def learn_value(self, kind: int, realised: float, rate: float) -> None:
        """Move the expected value of ``kind`` toward a realised yearly value."""
        self.expected_value[kind] += rate * (realised - self.expected_value[kind])
