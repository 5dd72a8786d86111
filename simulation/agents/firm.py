"""The Firm agent: vacancies, drifting skill demand, and partnering decisions."""

from __future__ import annotations

import mesa
import numpy as np


class Firm(mesa.Agent):
    """A firm in one sector.

    Attributes:
        index: position in ``model.firms``.
        sector: field index of its sector.
        large: large firms have five times the vacancies and placement slots.
        offset: (K,) fixed deviation of its demand from the sector's demand.
        vacancies: graduate vacancies still open this year.
        downturn: True in a year of business downturn.
        expected_value: (3,) expected yearly value of a partnership of each
            kind, learned from realised values.
        satisfaction: in [0, 1], moving average of hire and partnership quality.
    """

    SIZE_FACTOR = 5.0

    def __init__(self, model, index, sector, large, offset, expected_value):
        super().__init__(model)
        self.index = index
        self.sector = sector
        self.large = bool(large)
        self.offset = offset
        self.vacancies = 0
        self.downturn = False
        self.expected_value = np.asarray(expected_value, dtype=float)
        self.satisfaction = 0.5

    @property
    def size(self) -> float:
        """Relative size: 5 for large firms, 1 for small."""
        return self.SIZE_FACTOR if self.large else 1.0

    def demand(self) -> np.ndarray:
        """Current skill demand: the sector's demand plus the firm's offset."""
        return np.clip(self.model.sector_demand[self.sector] + self.offset, 0.0, 1.0)

    def learn_value(self, kind: int, realised: float, rate: float) -> None:
        """Move the expected value of ``kind`` toward a realised yearly value."""
        self.expected_value[kind] += rate * (realised - self.expected_value[kind])
