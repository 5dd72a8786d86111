"""A results store's part files: one run's summary row (and time series) as a Parquet table.

Each succeeded run has ``parts/run-<id>.parquet``: its identity (run id,
scenario, replicate, seeds, hashes), one ``param_*`` column per parameter of
the batch and one float column per outcome.  The store writes them as runs
finish and reads them back, in blocks, into the summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulation.batch.specs import RunResult, RunSpec

ID_COLUMNS = (
    "run_id", "scenario", "scenario_index", "replicate", "master_seed", "spawn_key",
    "params_hash", "run_hash",
)


def param_schema(scenarios: Iterable[dict[str, Any]]) -> list:
    """One Arrow field per parameter any scenario sets (``param_<name>``), sorted by name.

    A parameter whose values are all booleans is a bool column, all integers an
    int64, all numbers a float64, anything else a string (None is a null of any).
    """
    import pyarrow as pa

    seen: dict[str, list[bool]] = {}  # name: [any value, all bool, all int, all number]
    for params in scenarios:
        for key, value in params.items():
            kinds = seen.setdefault(key, [False, True, True, True])
            if value is None:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            kinds[0] = True
            kinds[1] &= isinstance(value, bool)
            kinds[2] &= number and isinstance(value, int)
            kinds[3] &= number
    fields = []
    for key, (present, boolean, integer, number) in sorted(seen.items()):
        kind = (pa.bool_() if present and boolean else pa.int64() if present and integer
                else pa.float64() if number else pa.string())
        fields.append(pa.field(f"param_{key}", kind))
    return fields


def part_table(spec: RunSpec, result: RunResult, schema: list):
    """The one-row table of a succeeded run."""
    import pyarrow as pa

    row = {
        "run_id": spec.run_id, "scenario": spec.scenario, "scenario_index": spec.scenario_index,
        "replicate": spec.replicate, "master_seed": spec.master_seed,
        "spawn_key": ",".join(str(k) for k in spec.spawn_key),
        "params_hash": spec.params_hash, "run_hash": spec.run_hash,
    }
    fields = [
        pa.field("run_id", pa.string()), pa.field("scenario", pa.string()),
        pa.field("scenario_index", pa.int64()), pa.field("replicate", pa.int64()),
        pa.field("master_seed", pa.int64()), pa.field("spawn_key", pa.string()),
        pa.field("params_hash", pa.string()), pa.field("run_hash", pa.string()),
    ]
    for field in schema:
        value = spec.params.get(field.name.removeprefix("param_"))
        row[field.name] = None if value is None else (
            str(value) if pa.types.is_string(field.type) else value
        )
        fields.append(field)
    for name, value in result.outcomes.items():
        row[name] = float(value)
        fields.append(pa.field(name, pa.float64()))
    return pa.Table.from_pylist([row], schema=pa.schema(fields))


def timeseries_table(spec: RunSpec, frame):
    """A run's per-step table with its identity columns in front."""
    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame(frame).reset_index(drop=True)
    frame.insert(0, "step", range(len(frame)))
    for i, (key, value) in enumerate(
        [("run_id", spec.run_id), ("scenario", spec.scenario),
         ("replicate", spec.replicate), ("run_hash", spec.run_hash)]
    ):
        frame.insert(i, key, value)
    return pa.Table.from_pandas(frame, preserve_index=False)


def read_part(path: Path, run_id: str, run_hash: str | None, rows: int | None = 1):
    """A part file's table when it reads back whole and belongs to the run, else None."""
    import pyarrow.parquet as pq

    try:
        table = pq.ParquetFile(path).read()  # a third faster than read_table for one small file
    except Exception:  # missing, truncated or not Parquet at all
        return None
    if rows is not None and table.num_rows != rows:
        return None
    if "run_id" not in table.column_names or "run_hash" not in table.column_names:
        return None
    if table.num_rows and set(table.column("run_id").to_pylist()) != {run_id}:
        return None
    if run_hash is not None and not set(table.column("run_hash").to_pylist()) <= {run_hash}:
        return None
    return table


def part_ok(path: Path, run_id: str, run_hash: str | None, rows: int | None = 1) -> bool:
    """True when a part file reads back whole and belongs to the run."""
    return read_part(path, run_id, run_hash, rows) is not None


def concat(pieces: list):
    """Arrow tables (or frames) as one: a table when their columns agree, else a DataFrame.

    Columns of differing types are combined as pandas would combine them.
    """
    import pandas as pd
    import pyarrow as pa

    if all(isinstance(p, pa.Table) for p in pieces):
        try:
            return pa.concat_tables(pieces, promote_options="default")
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
    return pd.concat([p.to_pandas() if isinstance(p, pa.Table) else p for p in pieces],
                     ignore_index=True)


def summary_frame(blocks: list):
    """The summary of a store from its blocks of part tables: one DataFrame in run order."""
    import pandas as pd
    import pyarrow as pa

    if not blocks:
        return pd.DataFrame(columns=list(ID_COLUMNS))
    whole = concat(blocks)
    frame = whole.to_pandas() if isinstance(whole, pa.Table) else whole
    return frame.sort_values(["replicate", "scenario_index"], kind="stable").reset_index(drop=True)
