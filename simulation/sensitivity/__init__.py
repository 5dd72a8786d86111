"""Global sensitivity analysis of iesim (or any model or vectorised function) with SALib.

A study (a sensitivity file, :mod:`simulation.sensitivity.study`) is sampled
in unit coordinates (:mod:`~simulation.sensitivity.sampling`), evaluated
through the batch runner or a function (:mod:`~simulation.sensitivity.runs`),
analysed with its noise checks (:mod:`~simulation.sensitivity.indices`) and
written with figures and a report (:mod:`~simulation.sensitivity.run`).
"""

from simulation.sensitivity.run import StudyResult, run_study
from simulation.sensitivity.study import Factor, Study, load_study

__all__ = ["Factor", "Study", "StudyResult", "load_study", "run_study"]
