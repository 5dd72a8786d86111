"""The four kinds of Mesa agents: students, universities, firms, government."""

from simulation.agents.firm import Firm
from simulation.agents.government import Government
from simulation.agents.student import Student
from simulation.agents.university import University

__all__ = ["Firm", "Government", "Student", "University"]
