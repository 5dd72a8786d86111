"""The student population as a struct of arrays, owned by the model.

Students are the bulk of the model (tens of thousands), so their state lives
in NumPy arrays, one row a student, and the monthly update, the placement
allocation and the job matching work on whole arrays.  A
:class:`simulation.model.agents.student.Student` agent holds only its row index.
Rows of students who leave the model are recycled.
"""

from __future__ import annotations

import numpy as np

from simulation.model.skills import put_rows

# Status codes (every occupied row has exactly one).
STUDYING, SEEKING, EMPLOYED, SELF_EMPLOYED, UNEMPLOYED = range(5)
STATUS_NAMES = ("studying", "seeking", "employed", "self_employed", "unemployed")
NONE = -1  # "no firm / no cohort"
OUTSIDE = -2  # employer of a graduate in a wider-market job (outside the field or below level)


class StudentTable:
    """Student state by row; ``alive`` marks occupied rows.

    Columns: field, university, year of study, skills (n, K), practical
    experience (months), placement host and its last month, last host,
    research host, status, graduation cohort, months since graduation,
    employer (a firm index, ``OUTSIDE`` for a wider-market job), months from
    graduation to the first job, the firm holding out a return offer, match
    quality, satisfaction, entrepreneurial propensity, incubated flag.
    """

    INT_COLUMNS = (
        "field", "university", "year", "host", "placement_end", "last_host",
        "research_host", "status", "cohort", "months_since_grad", "employer", "first_job_month",
        "return_offer",
    )
    FLOAT_COLUMNS = ("experience", "match", "satisfaction", "propensity")
    BOOL_COLUMNS = ("alive", "incubated", "had_placement", "registered")
    # ``agent_id``: the unique id of the row's Student agent, reserved at enrolment;
    # ``registered``: whether that agent exists in Mesa's agent sets yet (see
    # simulation.model.agents.student: agents are made when someone asks for them)

    def __init__(self, capacity: int, skill_dims: int):
        self.skill_dims = skill_dims
        self._allocate(max(16, capacity))

    def _allocate(self, capacity: int) -> None:
        self.capacity = capacity
        for name in self.INT_COLUMNS:
            setattr(self, name, np.full(capacity, NONE, dtype=np.int32))
        for name in self.FLOAT_COLUMNS:
            setattr(self, name, np.zeros(capacity))
        for name in self.BOOL_COLUMNS:
            setattr(self, name, np.zeros(capacity, dtype=bool))
        self.skills = np.zeros((capacity, self.skill_dims))
        self.agent_id = np.full(capacity, NONE, dtype=np.int64)

    def _grow(self, needed: int) -> None:
        old = {n: getattr(self, n) for n in (*self.INT_COLUMNS, *self.FLOAT_COLUMNS,
                                            *self.BOOL_COLUMNS, "skills", "agent_id")}
        old_cap = self.capacity
        self._allocate(max(needed, 2 * old_cap))
        for name, arr in old.items():
            getattr(self, name)[:old_cap] = arr

    def add(self, n: int) -> np.ndarray:
        """Occupy ``n`` free rows (recycling first) and return their indices.

        The new rows are reset to a blank state; the caller fills them in.
        """
        free = np.flatnonzero(~self.alive)
        if len(free) < n:
            self._grow(self.capacity + n - len(free))
            free = np.flatnonzero(~self.alive)
        rows = free[:n]
        for name in self.INT_COLUMNS:
            getattr(self, name)[rows] = NONE
        for name in self.FLOAT_COLUMNS:
            getattr(self, name)[rows] = 0.0
        self.incubated[rows] = False
        self.had_placement[rows] = False
        self.registered[rows] = False
        self.agent_id[rows] = NONE
        self.skills[rows] = 0.0
        self.alive[rows] = True
        return rows

    def skill_rows(self, rows: np.ndarray) -> np.ndarray:
        """A copy of the skills of ``rows`` (integer indices): ``skills[rows]``, faster."""
        return np.take(self.skills, rows, axis=0)

    def set_skill_rows(self, rows: np.ndarray, values: np.ndarray) -> None:
        """``skills[rows] = values`` for integer ``rows``, each row put whole (:func:`put_rows`)."""
        put_rows(self.skills, rows, values)

    def remove(self, rows: np.ndarray) -> None:
        """Free rows of students who leave the model."""
        self.alive[rows] = False
        self.status[rows] = NONE

    def count(self, status: int | None = None) -> int:
        """How many occupied rows (with ``status``)."""
        if status is None:
            return int(np.count_nonzero(self.alive))
        return int(np.count_nonzero(self.alive & (self.status == status)))
