"""A model pair with its figures, and the frames it hands to pages.

An :class:`Engine` owns a :class:`~simulation.dashboard.twin.Twin` and its
:class:`~simulation.dashboard.views.Views`; only the thread (or worker
process) that steps it ever touches them.  What a page shows is a
:class:`Frame`: plain numbers and PNG bytes, made after a step and never
changed afterwards, so pages can read it from any thread while the next
month is being computed (no figure is drawn while another thread moves it).
Frames pickle, so an engine can live in a worker process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulation.dashboard.twin import Twin
from simulation.dashboard.views import Views


@dataclass(frozen=True)
class Frame:
    """What a page shows of a model pair at one month.

    Attributes:
        month: months simulated.
        headlines: each headline outcome as (name, with the levers, baseline, difference).
        cost: extra government money per extra employment-month so far (NaN without a gain).
        cost_parts: (extra cost, extra effect) behind ``cost``.
        images: each figure as PNG bytes, drawn at ``drawn_month``.
        drawn_month: the month the figures show (earlier than ``month`` while playing fast).
    """

    month: int
    headlines: tuple[tuple[str, float, float, float], ...]
    cost: float
    cost_parts: tuple[float, float]
    images: dict[str, bytes] = field(default_factory=dict)
    drawn_month: int = -1

    def headline(self, name: str) -> tuple[float, float, float]:
        """One headline's (with the levers, baseline, difference)."""
        return next(row[1:] for row in self.headlines if row[0] == name)


class Engine:
    """A policy model, its baseline and their figures, built at month 0.

    Args:
        params: model keywords of the policy model.
        seed: the seed of both models.

    Raises:
        ValueError, TypeError: a setting the model refuses.
    """

    def __init__(self, params: dict[str, Any], seed: int):
        self.twin = Twin(params, seed)
        self.views = Views(self.twin)
        self.last = self._frame(draw=True, previous=None)

    def advance(self, months: int = 1, draw: bool = True) -> Frame:
        """Step both models ``months`` months; the new frame (figures redrawn if ``draw``)."""
        self.twin.step(months)
        self.last = self._frame(draw, self.last)
        return self.last

    def draw(self) -> Frame:
        """The current frame with its figures brought up to the current month."""
        if self.last.drawn_month != self.last.month:
            self.last = self._frame(True, self.last)
        return self.last

    def _frame(self, draw: bool, previous: Frame | None) -> Frame:
        twin = self.twin
        headlines = tuple((name, *values) for name, values in twin.differences().items())
        if draw or previous is None:
            self.views.update()
            images, drawn = self.views.images(), twin.steps
        else:
            images, drawn = previous.images, previous.drawn_month
        return Frame(twin.steps, headlines, twin.cost_per_employment_month(), twin.increments(),
                     images, drawn)
