"""Model speed: throughput against Mesa's Boltzmann example, scaling, memory.

Each figure is the median of several repeats after a warm-up, with min and
max; ratios are taken pair by pair within one process, because the machine
is shared and noisy.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import subprocess
import sys
import time

from simulation.model import IndustryEducationModel
from simulation.scenarios import load_scenario

FULL_PACKAGE = "scenarios/full_package.toml"
SCALED = ("n_students", "n_technical_universities", "n_art_schools",
          "n_comprehensive_universities", "n_firms_tech", "n_firms_design", "n_firms_agri")


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def full_package_params(scale: float = 1.0) -> dict:
    """The full policy package (all mechanisms on), populations scaled by ``scale``."""
    return scaled(dict(load_scenario(FULL_PACKAGE).params), scale)


def scaled(params: dict, scale: float) -> dict:
    """``params`` with the population (students, universities, firms) scaled by ``scale``."""
    resolved = IndustryEducationModel(rng=0, **params).p
    return {**params, **{name: max(1, round(resolved[name] * scale)) if resolved[name] else 0
                         for name in SCALED}}


def time_iesim(params: dict, months: int, seed: int) -> tuple[float, int]:
    """Seconds to run ``months`` steps, and the student-months simulated.

    Garbage left by earlier models is collected first, so that a run does not
    pay for freeing its predecessor (Mesa models and agents form reference
    cycles that only Python's cyclic collector frees).
    """
    model = IndustryEducationModel(rng=seed, **params)
    gc.collect()
    student_months = 0
    start = time.perf_counter()
    for _ in range(months):
        model.step()
        student_months += model.students.count()
    return time.perf_counter() - start, student_months


def boltzmann_model(n: int, seed: int):
    """Mesa's bundled Boltzmann wealth model with ``n`` agents."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    return BoltzmannWealth(scenario=BoltzmannScenario(n=n, rng=seed))


def time_boltzmann(n: int, steps: int, seed: int) -> float:
    """Seconds for ``steps`` steps of Mesa's bundled Boltzmann wealth model with ``n`` agents."""
    model = boltzmann_model(n, seed)
    gc.collect()
    start = time.perf_counter()
    model.run_for(steps)
    return time.perf_counter() - start


def paired_slices(params: dict, months: int, n_boltz: int, boltzmann_steps: int,
                  seed: int) -> tuple[float, int, float]:
    """One pair: an iesim run and a Boltzmann run, timed in alternating slices.

    The ``months`` of the iesim run are cut into ``boltzmann_steps`` slices and
    each slice is followed by one Boltzmann step, so both models are timed
    under the same machine conditions (a shared machine's speed drifts within
    a second).  Returns iesim seconds, student-months and Boltzmann seconds.
    """
    ours = IndustryEducationModel(rng=seed, **params)
    theirs = boltzmann_model(n_boltz, seed)
    gc.collect()
    bounds = [round(months * (i + 1) / boltzmann_steps) for i in range(boltzmann_steps)]
    seconds = b_seconds = 0.0
    student_months = done = 0
    for bound in bounds:
        start = time.perf_counter()
        for _ in range(bound - done):
            ours.step()
            student_months += ours.students.count()
        seconds += time.perf_counter() - start
        done = bound
        start = time.perf_counter()
        theirs.step()
        b_seconds += time.perf_counter() - start
    return seconds, student_months, b_seconds


def throughput(repeats: int, months: int, boltzmann_steps: int, scale: float = 1.0) -> dict:
    """Student-months per second against Boltzmann agent-steps per second (n=10,000).

    Each repeat is one pair timed in alternating slices (:func:`paired_slices`).
    """
    params = full_package_params(scale)
    n_boltz = max(100, round(10_000 * scale))
    time_iesim(params, 12, seed=99)  # warm-up
    time_boltzmann(n_boltz, 2, seed=99)
    ours, theirs, ratios = [], [], []
    for r in range(repeats):
        seconds, student_months, b_seconds = paired_slices(params, months, n_boltz,
                                                           boltzmann_steps, seed=r)
        ours.append(student_months / seconds)
        theirs.append(n_boltz * boltzmann_steps / b_seconds)
        ratios.append(ours[-1] / theirs[-1])
    return {"student_months_per_s": spread(ours), "boltzmann_agent_steps_per_s": spread(theirs),
            "ratio": spread(ratios), "boltzmann_n": n_boltz, "months": months,
            "pairing": f"{boltzmann_steps} alternating slices per pair"}


def run_rates(repeats: int, years: int = 15, scale: float = 1.0,
              decision: str = "scenarios/decisions/levers.toml", decision_repeats: int = 2,
              decision_years: int | None = None) -> dict:
    """Runs per second, one process: a full-package run of ``years`` years, and a decision unit.

    A decision study's unit of work is one parameter draw: every option of
    ``decision`` (the levers study: ten options) times its replicates, each a run
    of its years at its population (scaled by ``scale``), on the draw's central
    values (the registry defaults).  Reported as runs per second and as seconds
    per draw.
    """
    from simulation.decisions.study import load_decision

    params = full_package_params(scale)
    IndustryEducationModel(rng=99, **params).run_for(12)  # warm-up
    full = []
    for r in range(repeats):
        model = IndustryEducationModel(rng=r, **params)
        gc.collect()
        start = time.perf_counter()
        model.run_years(years)
        full.append(1.0 / (time.perf_counter() - start))
    study = load_decision(decision)
    months = 12 * (decision_years or study.years)
    options = [scaled(study.params(option), scale) for option in study.options]
    per_draw = []
    for r in range(decision_repeats):
        gc.collect()
        start = time.perf_counter()
        for kwargs in options:
            for replicate in range(study.replicates):
                IndustryEducationModel(rng=1000 * r + replicate, **kwargs).run_for(months)
        per_draw.append(time.perf_counter() - start)
    runs = len(options) * study.replicates
    return {"full_run": {"years": years, "runs_per_s": spread(full)},
            "decision_unit": {"study": decision, "options": len(options),
                              "replicates": study.replicates, "years": months // 12,
                              "runs": runs, "seconds_per_draw": spread(per_draw),
                              "runs_per_s": spread([runs / s for s in per_draw])}}


def scaling(repeats: int, months: int, factors=(1, 4, 10), base: float = 1.0) -> dict:
    """Run time at several multiples of the default population; ratio largest / 1x."""
    times: dict[float, list[float]] = {f: [] for f in factors}
    for f in factors:
        time_iesim(full_package_params(base * f), 2, seed=99)  # warm-up at this size
    for r in range(repeats):
        for f in factors:
            times[f].append(time_iesim(full_package_params(base * f), months, seed=r)[0])
    ratios = [times[factors[-1]][r] / times[factors[0]][r] for r in range(repeats)]
    return {"seconds": {str(f): spread(v) for f, v in times.items()},
            "ratio_largest_to_1x": spread(ratios), "factors": list(factors), "months": months}


def _peak_rss_child(scale: float, months: int) -> dict:
    # VmHWM (peak RSS) is per address space, so unlike ru_maxrss it does not
    # inherit the benchmark parent's peak across fork and exec.
    code = (
        "import json\n"
        "from benchmarks.model_speed import full_package_params, peak_rss_kb\n"
        "from simulation.model import IndustryEducationModel\n"
        f"p = full_package_params({scale!r})\n"
        "before = peak_rss_kb()\n"
        "m = IndustryEducationModel(rng=0, **p)\n"
        f"m.run_for({months})\n"
        "print(json.dumps({'rss_kb': peak_rss_kb(), 'before_kb': before,"
        " 'students': int(p['n_students']), 'alive': m.students.count()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory(scale: float, months: int) -> dict:
    """Peak resident memory per student, in a fresh process.

    ``bytes_per_student`` subtracts the peak before the model is built
    (interpreter and imports); the other figure divides the whole peak.
    """
    run = _peak_rss_child(scale, months)
    return {"peak_rss_mb": run["rss_kb"] / 1024, "before_model_rss_mb": run["before_kb"] / 1024,
            "students": run["students"], "rows_alive_at_end": run["alive"],
            "bytes_per_student": (run["rss_kb"] - run["before_kb"]) * 1024 / run["students"],
            "bytes_per_student_incl_interpreter": run["rss_kb"] * 1024 / run["students"]}


def peak_rss_kb() -> int:
    """This process's peak resident memory (VmHWM), in kB."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux
