"""Scenario discovery: where in the uncertainty space a policy fails.

A discovery file (:mod:`~simulation.discovery.study`) names uncertain factors, a
policy and its reference, and the case of interest as a rule on the paired
effect; :func:`~simulation.discovery.run.run_discovery` samples a Latin
hypercube, runs both arms through the batch runner, and finds with PRIM
(:mod:`~simulation.discovery.prim`, :mod:`~simulation.discovery.boxes`) the
boxes where the case concentrates, with a CART tree (:mod:`~simulation.discovery.cart`)
as a second view.  ``iesim discover`` is :mod:`~simulation.discovery.command`.
"""
