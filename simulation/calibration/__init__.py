"""Calibration of the no-policy baseline to published figures (issue 11, in progress).

So far: target files (:mod:`simulation.calibration.targets`), validated by
``iesim validate``.  The calibration method, its outputs and calibrated
defaults are not built yet.
"""
