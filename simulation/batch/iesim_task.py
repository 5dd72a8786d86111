"""The iesim model as a runner task (the only module here that knows the model)."""

from __future__ import annotations

from functools import partial
from typing import Any

from simulation.batch.task import ModelTask


def model_outcomes(model) -> dict[str, float]:
    """End-of-run summary outcomes of an IndustryEducationModel."""
    return model.outcomes()


def model_timeseries(model, columns: tuple[str, ...] | None = None) -> Any:
    """Monthly outcomes of an IndustryEducationModel (its DataCollector table)."""
    frame = model.datacollector.get_model_vars_dataframe()
    return frame if columns is None else frame[list(columns)]


def iesim_task(outcomes: tuple[str, ...] | None = None, keep_timeseries: bool = False):
    """A :class:`ModelTask` running ``IndustryEducationModel``.

    Args:
        outcomes: outcome names to keep (None: all).
        keep_timeseries: also return each run's monthly outcomes.

    Raises:
        ValueError: an outcome name the model does not report.
    """
    from simulation.model import IndustryEducationModel
    from simulation.model.metrics import OUTCOMES

    unknown = [name for name in outcomes or () if name not in OUTCOMES]
    if unknown:
        raise ValueError(f"iesim_task: unknown outcome {unknown[0]!r} (outcomes are listed in "
                         "simulation.model.metrics.OUTCOMES)")

    series = partial(model_timeseries, columns=outcomes) if keep_timeseries else None
    return ModelTask(factory=IndustryEducationModel, outcomes=model_outcomes,
                     timeseries=series, keep=outcomes)
