"""The Student agent: a Mesa agent whose state is one row of the StudentTable."""

from __future__ import annotations

import mesa
import numpy as np

from simulation.skills import FIELDS
from simulation.student_table import STATUS_NAMES


def _column(name: str, doc: str):
    def get(self):
        return getattr(self.model.students, name)[self.row]

    def set_(self, value):
        getattr(self.model.students, name)[self.row] = value

    return property(get, set_, doc=doc)


class Student(mesa.Agent):
    """A student or recent graduate.

    The agent holds only its row in ``model.students``; every attribute reads
    and writes that row, so per-agent code (the dashboard, agent reporters,
    tests) and the model's whole-array updates see the same state.  Students
    do not act one by one: the model updates all rows at once each month.
    """

    def __init__(self, model: mesa.Model, row: int):
        super().__init__(model)
        self.row = int(row)

    university = _column("university", "index of the university")
    year = _column("year", "year of study (1..study_years); -1 after graduation")
    host = _column("host", "firm hosting the current placement, or -1")
    last_host = _column("last_host", "firm of the most recent placement, or -1")
    employer = _column("employer", "employing firm, or -1")
    months_since_grad = _column("months_since_grad", "months since graduation, or -1")
    experience = _column("experience", "months of practical experience (placements, projects)")
    match = _column("match", "match quality of the current job, 0 when not employed")
    satisfaction = _column("satisfaction", "satisfaction in [0, 1]")

    @property
    def field(self) -> str:
        """The student's field (sector) name."""
        return FIELDS[int(self.model.students.field[self.row])]

    @property
    def status(self) -> str:
        """studying, seeking, employed, self_employed or unemployed."""
        return STATUS_NAMES[int(self.model.students.status[self.row])]

    @property
    def skills(self) -> np.ndarray:
        """The K skill values (a view: writing to it writes the table)."""
        return self.model.students.skills[self.row]

    @skills.setter
    def skills(self, value) -> None:
        self.model.students.skills[self.row] = value
