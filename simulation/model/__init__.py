"""The agent-based model, and nothing else.

- :mod:`~simulation.model.core`: :class:`IndustryEducationModel`, its set-up and the
  monthly step order;
- :mod:`~simulation.model.agents`: the Mesa agents (``Student``, ``University``, ``Firm``,
  ``Government``); :mod:`~simulation.model.student_table`: student state as NumPy arrays;
- :mod:`~simulation.model.parameters`: the parameter registry (with the calibrated defaults
  of ``calibration/calibrated.toml``) and :mod:`~simulation.model.posterior`, the
  calibration's joint posterior draws;
- :mod:`~simulation.model.policy`: the eight levers and the cost rules they set;
- the submodels: :mod:`~simulation.model.partnerships`, :mod:`~simulation.model.cooperation`,
  :mod:`~simulation.model.placements`, :mod:`~simulation.model.labour_market`,
  :mod:`~simulation.model.graduates`, :mod:`~simulation.model.curriculum`,
  :mod:`~simulation.model.entrepreneurship`, :mod:`~simulation.model.skills`,
  :mod:`~simulation.model.monitoring`;
- :mod:`~simulation.model.metrics`: every outcome, defined once, and the evaluation's
  effect and cost measures.

Nothing here imports the runner, the studies, the evaluation or the front ends
(``tests/test_layout.py`` checks the import graph).  ``from simulation.model import
IndustryEducationModel`` is the public path of the model class; it is imported on first
use, so the registry (``simulation.model.parameters``) can be read without Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.model.core import IndustryEducationModel

__all__ = ["IndustryEducationModel"]


def __getattr__(name: str) -> Any:
    if name == "IndustryEducationModel":
        from simulation.model.core import IndustryEducationModel

        return IndustryEducationModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
