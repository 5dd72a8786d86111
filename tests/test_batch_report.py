"""`iesim report`: the summary and every table again, CSV, the effects figure; progress output."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest

from simulation.batch.progress import Progress
from simulation.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "batch"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    code = main(["batch", str(FIXTURES / "small.toml"), "--out", str(out), "--backend",
                 "serial", "--quiet"])
    assert code == 0
    return out


def test_report_prints_the_batch_table_again_and_draws_the_figure(store, capsys):
    assert main(["report", str(store), "--no-figure", "--full"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("## Summary: small, 2 options against base")
    assert "### employment_rate_12m" in markdown
    assert "| tax | 4 |" in markdown and "difference vs base" in markdown
    assert "(reference)" in markdown
    assert (store / "report.md").read_text() == markdown  # every table, also on disk
    figure = store / "fig" / "effects.png"
    assert main(["report", str(store), "--figure", str(figure), "--full"]) == 0
    assert capsys.readouterr().out == markdown
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_batch_and_report_print_the_summary_and_the_paths_of_every_table(store, capsys):
    assert main(["report", str(store), "--no-figure"]) == 0
    captured = capsys.readouterr()
    summary = captured.out
    assert len(summary.splitlines()) <= 40 and "###" not in summary
    assert summary.startswith("## Summary: small, 2 options against base")
    assert "| tax |" in summary and "| package |" in summary and "- **tax**:" in summary
    assert "`iesim report DIR --full`" in summary
    tables = next(line for line in captured.err.splitlines() if line.startswith("tables: "))
    for name in ("report.md", "comparison.csv", "comparison.parquet", "evaluation.csv"):
        assert str(store / name) in tables
    # the summary leads report.md; the batch printed the same summary
    assert (store / "report.md").read_text().startswith(summary.split("Every table:")[0])
    again = store.parent / "again"
    assert main(["batch", str(FIXTURES / "small.toml"), "--out", str(again), "--backend",
                 "serial", "--quiet"]) == 0
    assert capsys.readouterr().out == summary


def test_report_csv_has_means_differences_and_intervals(store, capsys):
    assert main(["report", str(store), "--format", "csv", "--no-figure"]) == 0
    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert set(table["scenario"]) == {"base", "tax", "package"}
    assert {"mean", "ci_low", "ci_high", "diff", "diff_low", "diff_high", "n_pairs"} <= set(
        table.columns)
    policy = table[table.scenario != "base"].dropna(subset=["diff_low"])
    assert (policy.diff_low <= policy["diff"]).all() and (policy["diff"] <= policy.diff_high).all()
    # the difference is the difference of the means when every replicate pairs
    summary = pd.read_parquet(store / "summary.parquet")
    means = summary.groupby("scenario")["employment_rate_12m"].mean()
    row = table[(table.scenario == "tax") & (table.outcome == "employment_rate_12m")].iloc[0]
    assert row["diff"] == pytest.approx(means["tax"] - means["base"])


def test_batch_and_report_print_the_policy_evaluation_without_infinities(store, capsys):
    assert main(["report", str(store), "--no-figure", "--wtp", "3", "--full"]) == 0
    out = capsys.readouterr().out
    assert "### policy evaluation against base" in out
    assert "#### government perspective" in out and "#### societal perspective" in out
    assert "willingness to pay 3 kCNY" in out and "Incremental analysis" in out
    assert "inf" not in out.replace("info", "")
    assert "#### with matched employment-months per 1,000 graduates as the effect" in out
    # every probability of cost-effectiveness is labelled as against the reference
    assert out.count("| P(cost-effective vs base) |") == 3 and "P(cost-effective) |" not in out
    table = pd.read_csv(store / "evaluation.csv")
    assert (table["reference"] == "base").all()
    assert set(table["bootstrap_kind"]) <= {"bounded", "unbounded", "not estimable",
                                            "no difference in effect"}
    assert set(table["effect"]) == {"employment_months", "matched_employment_months"}
    assert set(table["scenario"]) == {"tax", "package"}
    assert set(table["perspective"]) == {"government", "societal"}
    assert (table["wtp"] == 3.0).all()
    assert pd.read_parquet(store / "evaluation.parquet").shape == table.shape
    front = pd.read_parquet(store / "frontier.parquet")
    assert {"option", "status", "icer"} <= set(front.columns)


def test_report_figures_draws_the_three_evaluation_figures(store, capsys):
    assert main(["report", str(store), "--no-figure", "--figures"]) == 0
    for name in ("ce_plane.png", "acceptability.png", "frontier.png"):
        assert (store / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    curves = pd.read_csv(store / "acceptability.csv")
    assert curves["p_cost_effective"].between(0, 1).all()
    assert (curves["reference"] == "base").all()  # the curves are pairwise, against base


def test_report_of_a_directory_without_a_store_is_an_input_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a results store" in err[0]


def test_store_records_provenance(store):
    import json

    manifest = json.loads((store / "manifest.json").read_text())
    prov = manifest["provenance"][0]
    assert prov["master_seed"] == 20240501
    assert prov["packages"]["mesa"] and prov["packages"]["numpy"]
    assert prov["command"][:2] == ["iesim", "batch"] and "--out" in prov["command"]
    assert str(FIXTURES / "small.toml") in prov["input_files_sha256"]
    assert prov["git"] is None or len(prov["git"]["revision"]) == 40
    summary = pd.read_parquet(store / "summary.parquet")
    assert summary.groupby("scenario")["params_hash"].nunique().eq(1).all()
    assert summary["params_hash"].nunique() == 3


def test_plain_progress_lines_have_counts_and_eta():
    stream = io.StringIO()
    progress = Progress(20, quiet=True, stream=stream)
    for i in range(20):
        progress.update(failed=i == 3)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert 5 <= len(lines) <= 12  # about one a tenth, not one a run
    assert lines[-1].startswith("batch: 20/20 runs, 1 failed, elapsed")
    assert all("ETA" in line for line in lines)


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    stream = Tty()
    progress = Progress(3, stream=stream)
    for _ in range(3):
        progress.update()
    progress.close()
    assert progress.bar is not None and "3/3" in stream.getvalue()
    quiet = Progress(3, quiet=True, stream=Tty())
    assert quiet.bar is None
