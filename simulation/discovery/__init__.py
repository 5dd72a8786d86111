"""Scenario discovery (issue 14, in progress): where in the uncertainty space a policy fails.

So far: PRIM (:mod:`simulation.discovery.prim`), written from Friedman & Fisher (1999),
and a CART tree as a second view (:mod:`simulation.discovery.cart`, scikit-learn), both
tested on a known box.  Discovery files and ``iesim discover`` are not built yet.
"""
