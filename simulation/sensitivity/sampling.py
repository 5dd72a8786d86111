"""Sample designs of a study, in unit coordinates, through SALib's ProblemSpec.

Every factor is sampled on [0, 1] and mapped onto its range afterwards
(:meth:`Factor.value`), so Morris elementary effects are per whole range and
integer factors take each of their values with equal chance.  A PAWN sample
carries one extra column, a dummy factor the model never sees: its index is
what the estimator gives a factor without influence.
"""

from __future__ import annotations

import numpy as np

from simulation.sensitivity.study import Study

DUMMY = "(dummy)"


def problem(study: Study):
    """The study's SALib ``ProblemSpec`` (unit bounds; a dummy factor for PAWN)."""
    from SALib import ProblemSpec

    names = study.names + ([DUMMY] if study.method == "pawn" else [])
    return ProblemSpec({"names": names, "bounds": [[0.0, 1.0]] * len(names),
                        "outputs": list(study.outcomes)})


def unit_sample(study: Study) -> np.ndarray:
    """The design in unit coordinates, one row per sample point (deterministic in the seed)."""
    sp = problem(study)
    size, seed = study.size, study.seed % 2**32
    if study.method == "morris":
        sp.sample_morris(size["trajectories"], num_levels=size["levels"], seed=seed)
    elif study.method == "sobol":
        sp.sample_sobol(size["base_samples"], calc_second_order=size["second_order"], seed=seed)
    else:
        sp.sample_latin(size["samples"], seed=seed)
    return np.asarray(sp.samples, dtype=float)


def value_matrix(study: Study, unit: np.ndarray) -> np.ndarray:
    """Factor values as an ``(n, D)`` float array (the dummy column dropped)."""
    columns = [f.value(unit[:, j]) for j, f in enumerate(study.factors)]
    return np.column_stack(columns).astype(float) if columns else np.empty((len(unit), 0))


def rows_per_unit(study: Study) -> int:
    """Sample rows that belong together (a trajectory, a Saltelli block, one LHS point)."""
    d = len(study.factors)
    if study.method == "morris":
        return d + 1
    if study.method == "sobol":
        return 2 * d + 2 if study.size["second_order"] else d + 2
    return 1


def nested_sizes(study: Study) -> list[int]:
    """Nested sample sizes (in units: trajectories, base samples, points) for convergence.

    Each is a prefix of the full design, so the same runs serve every size:
    the Sobol' sequence is balanced at every power of 2, Morris trajectories
    are independent, and a prefix of a Latin hypercube is a random sample.
    """
    size = study.size
    full = {"morris": size.get("trajectories"), "sobol": size.get("base_samples"),
            "pawn": size.get("samples")}[study.method]
    smallest = {"morris": 2, "sobol": 4, "pawn": max(20, 2 * size.get("slices", 10))}[study.method]
    sizes, n = [], full
    while n >= smallest and len(sizes) < 6:
        sizes.append(n)
        n //= 2
    return sorted(sizes) or [full]
