"""The benchmark script runs end to end at toy size (no timing is asserted)."""

import json

import pytest

from benchmarks import bench


@pytest.mark.slow
def test_bench_script_runs_at_tiny_size_and_writes_table_and_json(tmp_path):
    assert bench.main(["--tiny", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "bench.json").read_text())
    table = (tmp_path / "bench.md").read_text()
    for key in ("throughput", "scaling", "memory", "batch_overhead", "versus_batch_run",
                "run_rates"):
        assert key in result
    unit = result["run_rates"]["decision_unit"]
    assert unit["options"] == 10 and unit["runs"] == 10 * unit["replicates"]
    assert result["run_rates"]["full_run"]["runs_per_s"]["median"] > 0
    assert result["throughput"]["student_months_per_s"]["median"] > 0
    assert set(result["batch_overhead"]) == {"processes", "dask"}
    assert set(result["versus_batch_run"]) == {"1", "2"}
    # both runners seeded alike give the same Gini coefficients
    assert all(v["same_numbers"] for v in result["versus_batch_run"].values())
    assert "throughput ratio" in table and "scaling ratio" in table
    assert "runs per second, full package" in table and "unit of work" in table
