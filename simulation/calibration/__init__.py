"""Calibration of the no-policy baseline to published figures (issue 11).

- :mod:`~simulation.calibration.targets`: target files (figures, ranges, sources, fit or holdout);
- :mod:`~simulation.calibration.plan`: what is calibrated, and the sizes of the run;
- :mod:`~simulation.calibration.history_matching`: Gaussian-process emulators, implausibility
  and the range-centred likelihood, both with model discrepancy; waves (model-agnostic);
- :mod:`~simulation.calibration.runs`: design points as model runs through the batch runner;
- :mod:`~simulation.calibration.posterior`: the posterior, the choice of the calibrated values,
  edges and identification;
- :mod:`~simulation.calibration.validation`: every wave's emulators on runs held back from them;
- :mod:`~simulation.calibration.verdicts`: met, consistent or missed, with the runs' uncertainty;
- :mod:`~simulation.calibration.run`: the whole calibration (:func:`~.run.calibrate`);
- :mod:`~simulation.calibration.report`: ``calibrated.toml``, figures and ``report.md``;
- :mod:`~simulation.calibration.command`: ``iesim calibrate``.

The registry (:mod:`simulation.model.parameters`) reads ``calibration/calibrated.toml``; see
``calibration/README.md``.
"""
