"""Run every benchmark and write a Markdown table and JSON (``make bench``).

    python -m benchmarks.bench [--tiny] [--out benchmarks/results]

``--tiny`` runs everything at toy size, only to prove the script works (the
test suite does this); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from benchmarks import dashboard_speed, model_speed, runner_speed

FULL = dict(repeats=5, months=60, boltzmann_steps=10, scale=1.0,
            scaling_repeats=5, scaling_months=60, scaling_base=1.0,
            memory_scale=10.0, memory_months=24,
            overhead_repeats=3, overhead_runs=40, overhead_months=96,
            versus_repeats=4, versus_runs=64, versus_steps=100,
            dashboard_warm=60, dashboard_steps=30,
            rate_repeats=3, rate_years=15, decision_repeats=2, decision_years=None)
TINY = dict(repeats=1, months=12, boltzmann_steps=2, scale=0.03,
            scaling_repeats=1, scaling_months=6, scaling_base=0.03,
            memory_scale=0.05, memory_months=6,
            overhead_repeats=1, overhead_runs=4, overhead_months=6,
            versus_repeats=1, versus_runs=4, versus_steps=5,
            dashboard_warm=2, dashboard_steps=2,
            rate_repeats=1, rate_years=1, decision_repeats=1, decision_years=1)


def run_all(size: dict, log=print) -> dict:
    result: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()},
                    "size": size}
    log("throughput ...")
    result["throughput"] = model_speed.throughput(size["repeats"], size["months"],
                                                  size["boltzmann_steps"], size["scale"])
    log("runs per second ...")
    result["run_rates"] = model_speed.run_rates(size["rate_repeats"], size["rate_years"],
                                                size["scale"],
                                                decision_repeats=size["decision_repeats"],
                                                decision_years=size["decision_years"])
    log("scaling ...")
    result["scaling"] = model_speed.scaling(size["scaling_repeats"], size["scaling_months"],
                                            base=size["scaling_base"])
    log("memory ...")
    result["memory"] = model_speed.memory(size["memory_scale"], size["memory_months"])
    # before anything starts Dask, whose leftover threads make local workers spawn
    log("runner vs mesa.batch_run ...")
    result["versus_batch_run"] = runner_speed.versus_batch_run(
        size["versus_repeats"], size["versus_runs"], size["versus_steps"])
    log("dashboard step ...")
    result["dashboard"] = dashboard_speed.step_times("full package", size["dashboard_warm"],
                                                     size["dashboard_steps"])
    small = model_speed.full_package_params(size["scaling_base"])
    log("batch overhead ...")
    result["batch_overhead"] = runner_speed.batch_overhead(
        size["overhead_repeats"], size["overhead_runs"], size["overhead_months"], 2, small)
    return result


def _m(s: dict, fmt: str = "{:,.3g}") -> str:
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])} - {fmt.format(s['max'])})"


def markdown(r: dict) -> str:
    t, sc, mem = r["throughput"], r["scaling"], r["memory"]
    lines = [
        f"# iesim benchmarks ({r['started']}, {r['machine']['cpus']} CPUs, "
        f"Python {r['machine']['python']})",
        "",
        "Median (min - max) over repeats; ratios taken pair by pair in one process.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| student-months per second (full package) | {_m(t['student_months_per_s'])} | |",
        f"| Boltzmann agent-steps per second (n={t['boltzmann_n']:,}) "
        f"| {_m(t['boltzmann_agent_steps_per_s'])} | |",
        f"| throughput ratio ({t['pairing']}) | {_m(t['ratio'])} | >= 40 |",
    ]
    rates = r["run_rates"]
    unit = rates["decision_unit"]
    lines.append(f"| runs per second, full package, {rates['full_run']['years']} years, one process "
                 f"| {_m(rates['full_run']['runs_per_s'])} | |")
    lines.append(f"| a decision study's unit of work (one draw of {unit['study']}: "
                 f"{unit['options']} options x {unit['replicates']} replicates, {unit['years']} years),"
                 f" one process: seconds per draw; runs per second "
                 f"| {_m(unit['seconds_per_draw'])}; {_m(unit['runs_per_s'])} | |")
    for f, s in sc["seconds"].items():
        lines.append(f"| run time at {f}x students ({sc['months']} months), s | {_m(s)} | |")
    lines.append(f"| scaling ratio {sc['factors'][-1]}x / {sc['factors'][0]}x "
                 f"| {_m(sc['ratio_largest_to_1x'])} | <= 11 |")
    lines.append(f"| peak RSS at {mem['students']:,} students, MB | {mem['peak_rss_mb']:,.0f} | |")
    lines.append(f"| memory per student (interpreter subtracted), bytes "
                 f"| {mem['bytes_per_student']:,.0f} | |")
    for backend, o in r["batch_overhead"].items():
        lines.append(f"| {backend} overhead, {o['runs']} runs of {o['mean_run_s']['median']:.2f} s "
                     f"on {o['workers']} workers | {_m(o['overhead_share'], '{:.1%}')} | <= 5% |")
    for procs, v in r["versus_batch_run"].items():
        lines.append(f"| runs/s, iesim runner vs mesa.batch_run, {procs} process(es), "
                     f"{v['runs']} Boltzmann runs | {_m(v['iesim_runs_per_s'])} vs "
                     f"{_m(v['batch_run_runs_per_s'])}; ratio {_m(v['ratio'])}; same numbers: "
                     f"{v['same_numbers']} | ratio >= 1 |")
    d = r["dashboard"]
    lines.append(f"| dashboard step, both models and every figure ({d['students']:,} students, "
                 f"{d['preset']}), ms | {_m({k: v * 1000 for k, v in d['seconds'].items()})} "
                 "| <= 200 |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="toy size, to check the script")
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args(argv)
    result = run_all(TINY if args.tiny else FULL)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "bench.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
