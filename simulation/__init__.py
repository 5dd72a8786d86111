"""iesim: an agent-based policy laboratory for industry-education integration.

The import package is ``simulation``; the distribution and command are ``iesim``.

- ``model/``: the agent-based model and nothing else (``from simulation.model import
  IndustryEducationModel``): agents, student table, parameter registry, every submodel;
- ``evaluation/``: the cost-effectiveness analysis of the policy evaluation, its report
  and figures;
- ``batch/``: the runner (batch files, seeds, backends, results store, statistics);
- ``sensitivity/``, ``calibration/``, ``discovery/``, ``decisions/``: the studies, each
  running the model through the runner;
- ``cli.py`` (with ``run.py``) and ``dashboard/``: the front ends; ``plots.py`` and
  ``figures.py``: the notebooks' plotting and the figure runner;
- ``scenarios.py``: scenario files; ``errors.py``, ``number_format.py``: shared by all;
  ``odd_table.py``: the ODD's generated parameter table.

``tests/test_layout.py`` keeps it so: the model imports none of the others, and no
module imports in a circle.
"""

__version__ = "0.1.0"
