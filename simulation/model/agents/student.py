"""The Student agent: a Mesa agent whose state is one row of the StudentTable."""

from __future__ import annotations

import mesa
import numpy as np
from mesa.agentset import _HardKeyAgentSet
from mesa.experimental.mesa_signals import ModelSignals

from simulation.model.skills import FIELDS
from simulation.model.student_table import STATUS_NAMES


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


# Students arrive and leave by whole cohorts (about 70,000 in a default 15-year run).  Mesa's
# Agent() and remove() register them one at a time, each through a signal wrapper and a debug
# log line, which cost about a third of a run.  While nothing observes the model's agent
# signals, a cohort is registered and deregistered at once, into the same containers, with the
# same unique ids in the same order; otherwise (an observer, a batch context, a dataset that
# tracks students) it goes one at a time through Mesa, so every signal is sent.


def _one_by_one(model, signal) -> bool:
    """Whether Mesa must see each student: someone observes the signal or tracks students."""
    return (model._has_subscribers("agents", signal) or model._batch_context is not None
            or bool(Student._datasets))


def enrol(model, rows: np.ndarray) -> None:
    """Register a Student agent for each of ``rows`` in ``model.student_agents``, in row order."""
    rows = [int(r) for r in rows]
    if _one_by_one(model, ModelSignals.AGENT_ADDED):
        for r in rows:
            model.student_agents[r] = Student(model, r)
        return
    first = model.agent_id_counter
    agents = []
    for i, r in enumerate(rows):
        agent = Student.__new__(Student)
        agent.model, agent.unique_id, agent.pos, agent.row = model, first + i, None, r
        agents.append(agent)
    model.agent_id_counter = first + len(agents)
    model._all_agents._agents.update(dict.fromkeys(agents))
    typed = model._agents_by_type.get(Student)
    if typed is None:
        model._agents_by_type[Student] = _HardKeyAgentSet(agents, random=model.random)
    else:
        typed._agents.update(dict.fromkeys(agents))
    model.student_agents.update(zip(rows, agents, strict=True))


def release(model, rows: np.ndarray) -> None:
    """Deregister the Student agents of ``rows`` and drop them from ``model.student_agents``."""
    agents = [model.student_agents.pop(int(r)) for r in rows]
    if _one_by_one(model, ModelSignals.AGENT_REMOVED):
        for agent in agents:
            agent.remove()
        return
    everyone, typed = model._all_agents._agents, model._agents_by_type[Student]._agents
    for agent in agents:
        del everyone[agent]
        del typed[agent]
