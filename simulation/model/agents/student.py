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
# log line, and even registering them in bulk (one Python object and three dictionary entries
# a student) cost about a tenth of a run that never looks at them.  So, while nothing observes
# the model's agent signals, a student's agent is made when someone reads an agent set that
# holds it: enrolment reserves its unique id (the id, in the order, Mesa would give it), and
# ``model.agents`` and ``model.agents_by_type[Student]`` are :class:`StudentsOnDemand` sets,
# which make the agents of every enrolled row that has none (:func:`settle`) before any read.
# A student who leaves before anyone looked never had an object.  Otherwise (an observer, a
# batch context, a dataset that tracks students) each student goes through Mesa one at a time,
# so every signal is sent.


class StudentsOnDemand(_HardKeyAgentSet):
    """Mesa's agent set (strong references), whose students are made when it is read.

    Every read of the set goes through ``_agents``, which first makes the agents
    of enrolled students who have none (:func:`settle`); adding and removing
    (Mesa's registration of other agents) do not, so a run that never reads
    the set never makes a student's agent.
    """

    def __init__(self, agents, random, model):
        self._model = model
        super().__init__(agents, random=random)

    @property
    def _agents(self) -> dict:
        settle(self._model)
        return self._members

    @_agents.setter
    def _agents(self, members: dict) -> None:
        self._members = members

    def add(self, agent) -> None:
        """Add an agent (Mesa's registration), without making pending students."""
        self._members[agent] = None

    def discard(self, agent) -> None:
        """Remove an agent if it is in the set."""
        self._members.pop(agent, None)

    def remove(self, agent) -> None:
        """Remove an agent (KeyError if it is not in the set)."""
        del self._members[agent]


def _one_by_one(model, signal) -> bool:
    """Whether Mesa must see each student: someone observes the signal or tracks students."""
    return (model._has_subscribers("agents", signal) or model._batch_context is not None
            or bool(Student._datasets))


def enrol(model, rows: np.ndarray) -> None:
    """Give each of ``rows`` (new students, in row order) a Student agent's unique id.

    The agents themselves are made by :func:`settle` when someone reads the model's
    agents, or here, one at a time through Mesa, when someone observes agent signals.
    """
    st = model.students
    if Student not in model._agents_by_type:
        model._agents_by_type[Student] = StudentsOnDemand([], random=model.random, model=model)
    if _one_by_one(model, ModelSignals.AGENT_ADDED):
        for r in (int(r) for r in rows):
            agent = model._student_agents[r] = Student(model, r)
            st.agent_id[r], st.registered[r] = agent.unique_id, True
        return
    first = model.agent_id_counter
    st.agent_id[rows] = np.arange(first, first + len(rows))
    model.agent_id_counter = first + len(rows)
    model._students_pending = True


def settle(model) -> None:
    """Make the Student agent of every enrolled row that has none, as Mesa would have.

    The agents get their reserved ids and join ``model.agents`` and
    ``agents_by_type[Student]``; both sets keep Mesa's order (creation order, that is
    unique id), so the result is what registering each student at enrolment gives.
    """
    # every read of an agent set comes here (Mesa's AgentSet methods read their members
    # once per agent, too): without students enrolled since the last settle it costs nothing
    if not getattr(model, "_students_pending", False):
        return
    model._students_pending = False
    st = model.students
    rows = np.flatnonzero(st.alive & ~st.registered & (st.agent_id >= 0))  # enrolled, no agent
    if len(rows) == 0:
        return
    rows = rows[np.argsort(st.agent_id[rows], kind="stable")]
    agents = []
    for r, uid in zip(rows.tolist(), st.agent_id[rows].tolist(), strict=True):
        agent = Student.__new__(Student)
        agent.model, agent.unique_id, agent.pos, agent.row = model, uid, None, r
        agents.append(agent)
    st.registered[rows] = True
    model._student_agents.update(zip(rows.tolist(), agents, strict=True))
    for members in (model._all_agents._members, model._agents_by_type[Student]._members):
        latest = next(reversed(members), None)
        members.update(dict.fromkeys(agents))
        if latest is not None and latest.unique_id > agents[0].unique_id:
            ordered = sorted(members, key=lambda a: a.unique_id)
            members.clear()
            members.update(dict.fromkeys(ordered))


def release(model, rows: np.ndarray) -> None:
    """Deregister the Student agents of ``rows`` (those that were made) before the rows leave."""
    st = model.students
    made = rows[st.registered[rows]]
    st.registered[rows] = False
    if len(made) == 0:
        return
    agents = [model._student_agents.pop(int(r)) for r in made]
    if _one_by_one(model, ModelSignals.AGENT_REMOVED):
        for agent in agents:
            agent.remove()
        return
    everyone, typed = model._all_agents._members, model._agents_by_type[Student]._members
    for agent in agents:
        del everyone[agent]
        del typed[agent]
