"""The four kinds of Mesa agents: students, universities, firms, government."""

from simulation.model.agents.firm import Firm
from simulation.model.agents.government import Government
from simulation.model.agents.student import Student
from simulation.model.agents.university import University

__all__ = ["Firm", "Government", "Student", "University"]
