"""The cost-effectiveness analysis of the policy evaluation (ODD 4.11).

- :mod:`~simulation.evaluation.increments`: paired incremental costs and effects on common
  random numbers, the ICER with Fieller's and a bootstrap interval, the quadrant, the net
  monetary benefit and the pairwise acceptability curves;
- :mod:`~simulation.evaluation.fieller`: Fieller's interval for a ratio of paired means;
- :mod:`~simulation.evaluation.frontier`: the incremental analysis across mutually exclusive
  options (dominance, extended dominance, the efficient frontier);
- :mod:`~simulation.evaluation.report`: the evaluation as text (``iesim report``);
- :mod:`~simulation.evaluation.figures`: its three figures (the cost-effectiveness plane,
  the acceptability curves, the frontier).

The effect and cost measures are the model's (:mod:`simulation.model.metrics`); the batch
runner, the decision studies and the notebooks use this package, which imports no runner,
study or front end.
"""
