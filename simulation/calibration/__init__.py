"""Calibration of the no-policy baseline to published figures (issue 11, in progress).

So far: target files (:mod:`simulation.calibration.targets`), validated by
``iesim validate``, and the core of history matching with Gaussian-process
emulators (:mod:`simulation.calibration.history_matching`), tested on a toy
model.  ``iesim calibrate``, its outputs and calibrated defaults are not
built yet.
"""
