"""``iesim validate``: any input file checked by the loader its command uses.

Scenario, batch, sensitivity, discovery, decision, target (calibration) and
calibrated-values files are told apart by their tables.  Study files are
checked at both their sizes (quick sections included), so a file that
validates runs with and without ``--quick``.
"""

from __future__ import annotations

from simulation.errors import InputError


def validate_file(path, allow_function: bool = False) -> str:
    """Validate any iesim input file as the command that runs it would; its kind.

    Scenario, batch, sensitivity, discovery, decision, target (calibration) and
    calibrated-values files are told apart by their tables and checked by
    the loader their command uses, quick sections included.

    Raises:
        InputError: for any bad input, naming the file and the key.
    """
    from simulation.scenarios import NESTED_TOO_DEEPLY, load_scenario, read_toml

    try:
        data = read_toml(path)
        if "values" in data and "target" not in data:
            from simulation.model.parameters import PARAMETERS, read_calibrated

            read_calibrated(path, PARAMETERS)
            return "calibrated values"
        if "calibration" in data or "target" in data:
            from simulation.calibration.targets import load_targets

            load_targets(path, every_variant=True)
            return "calibration targets"
        if "decision" in data:
            from simulation.decisions.study import load_decision

            load_decision(path, every_variant=True)
            return "decision"
        if "discovery" in data:
            from simulation.discovery.study import load_discovery

            load_discovery(path, every_variant=True)
            return "discovery"
        if "sensitivity" in data:
            from simulation.sensitivity.study import load_study

            load_study(path, allow_function=allow_function, every_variant=True)
            return "sensitivity"
        if "batch" in data:
            from simulation.batch.batchfile import load_batch

            load_batch(path)
            return "batch"
        load_scenario(path)
        return "scenario"
    except RecursionError:  # deep nesting met by a check that recurses
        raise InputError(str(path), None, NESTED_TOO_DEEPLY) from None
