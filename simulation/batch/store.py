"""The results store: a directory written incrementally as runs finish.

Layout of a store ``DIR`` (readable with pandas or polars, no iesim needed)::

    DIR/manifest.json        batch hash, meta (scenarios, seed, ...), provenance,
                             every planned run; at the end also each run's status
    DIR/status.jsonl         journal, one JSON line per finished run (status,
                             error text, seconds); the last line for a run wins
    DIR/parts/run-<id>.parquet       one summary row per succeeded run
    DIR/timeseries/run-<id>.parquet  per-step outcomes (only if kept)
    DIR/summary.parquet      all summary rows in run order (written at the end)

Every Parquet and manifest file is written to a temporary name and moved into
place with ``os.replace``, and a run's journal line is appended only after its
part files are in place, so a killed batch loses at most the runs in flight.
On resume, each run the journal calls succeeded has its part read back and
checked (readable, one row, the right run id and run hash); a missing, partial
or corrupt part sends the run back to the queue.

Read it with ``pd.read_parquet("DIR/summary.parquet")`` after the batch, or
``pl.read_parquet("DIR/parts/*.parquet")`` while it runs.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulation.batch.runner import FAILED, SUCCEEDED, RunResult, RunSpec
from simulation.errors import InputError

FORMAT = "iesim-batch-store/1"
ID_COLUMNS = (
    "run_id", "scenario", "scenario_index", "replicate", "master_seed", "spawn_key",
    "params_hash", "run_hash",
)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _spec_entry(spec: RunSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "scenario": spec.scenario,
        "scenario_index": spec.scenario_index,
        "replicate": spec.replicate,
        "spawn_key": list(spec.spawn_key),
        "params_hash": spec.params_hash,
        "run_hash": spec.run_hash,
    }


def _param_type(values: list[Any]):
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


class ResultsStore:
    """A batch's results directory (see the module docstring for the layout)."""

    def __init__(self, root: str | Path, manifest: dict[str, Any], specs: Iterable[RunSpec]):
        self.root = Path(root)
        self.manifest = manifest
        self.specs: dict[str, RunSpec] = {s.run_id: s for s in specs}
        self.status: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(
        cls,
        root: str | Path,
        specs: Iterable[RunSpec],
        batch_hash: str,
        meta: dict[str, Any] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> ResultsStore:
        """Start a new store in ``root``, which must not hold anything yet."""
        root = Path(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise InputError(
                str(root), "--out",
                "--out directory already exists and is not empty "
                "(use --resume to continue that batch, or choose another --out)",
            )
        specs = list(specs)
        manifest = {
            "format": FORMAT,
            "batch_hash": batch_hash,
            "meta": meta or {},
            "provenance": [provenance or {}],
            "runs": [_spec_entry(s) for s in specs],
        }
        store = cls(root, manifest, specs)
        root.mkdir(parents=True, exist_ok=True)
        store._write_manifest()  # first, so a kill right after leaves a resumable store
        (root / "parts").mkdir(exist_ok=True)
        return store

    @classmethod
    def open(cls, root: str | Path) -> ResultsStore:
        """Open an existing store for reading (specs are not reconstructed)."""
        root = Path(root)
        path = root / "manifest.json"
        if not path.is_file():
            raise InputError(str(root), None, "not a results store (no manifest.json)")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), None, f"manifest is unreadable ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise InputError(str(path), "format", f"manifest format must be {FORMAT!r}")
        store = cls(root, manifest, [])
        store.status = store._read_journal()
        return store

    @classmethod
    def resume(
        cls,
        root: str | Path,
        specs: Iterable[RunSpec],
        batch_hash: str,
        meta: dict[str, Any] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> ResultsStore:
        """Reopen ``root`` to continue the same batch (or create it when empty).

        Raises:
            InputError: when ``root`` holds a store of a different batch.
        """
        root = Path(root)
        if not (root / "manifest.json").exists() and (
            not root.exists() or not any((root / "parts").glob("*.parquet"))
        ):
            return cls.create(root, specs, batch_hash, meta, provenance)
        store = cls.open(root)
        if store.manifest.get("batch_hash") != batch_hash:
            raise InputError(
                str(root), "--resume",
                "--resume: this directory holds results of a different batch "
                f"(hash {store.manifest.get('batch_hash')}, this batch {batch_hash})",
            )
        specs = list(specs)
        known = {e["run_id"] for e in store.manifest["runs"]}
        store.manifest["runs"] += [_spec_entry(s) for s in specs if s.run_id not in known]
        store.manifest["meta"] = meta or store.manifest.get("meta", {})
        store.manifest["provenance"].append(provenance or {})
        store.specs = {s.run_id: s for s in specs}
        (root / "parts").mkdir(exist_ok=True)
        store._verify_parts()
        (root / "summary.parquet").unlink(missing_ok=True)  # rewritten when this session ends
        store._write_manifest()
        return store

    # ------------------------------------------------------------------ state
    def _read_journal(self) -> dict[str, dict[str, Any]]:
        status: dict[str, dict[str, Any]] = {}
        path = self.root / "status.jsonl"
        if not path.exists():
            return status
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                status[entry["run_id"]] = entry
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
        return status

    def _verify_parts(self) -> None:
        """Drop the succeeded status of runs whose part files do not check out."""
        self.status = self._read_journal()
        hashes = {e["run_id"]: e["run_hash"] for e in self.manifest["runs"]}
        keep_ts = bool(self.manifest.get("meta", {}).get("keep_timeseries"))
        for run_id, entry in list(self.status.items()):
            if entry.get("status") != SUCCEEDED:
                continue
            ok = _part_ok(self.part_path(run_id), run_id, hashes.get(run_id))
            if ok and keep_ts:
                ok = _part_ok(self.timeseries_path(run_id), run_id, hashes.get(run_id), rows=None)
            if not ok:
                del self.status[run_id]
        good = {r for r, e in self.status.items() if e.get("status") == SUCCEEDED}
        for folder in ("parts", "timeseries"):
            for path in (self.root / folder).glob("*"):
                run_id = path.name.removeprefix("run-").removesuffix(".parquet")
                if run_id not in good:
                    path.unlink()

    def part_path(self, run_id: str) -> Path:
        """Where a run's summary part lives."""
        return self.root / "parts" / f"run-{run_id}.parquet"

    def timeseries_path(self, run_id: str) -> Path:
        """Where a run's time series part lives."""
        return self.root / "timeseries" / f"run-{run_id}.parquet"

    def pending_specs(self) -> list[RunSpec]:
        """Planned runs that have not succeeded (missing, failed or corrupt)."""
        return [
            spec for run_id, spec in self.specs.items()
            if self.status.get(run_id, {}).get("status") != SUCCEEDED
        ]

    def add_specs(self, specs: Iterable[RunSpec]) -> None:
        """Plan more runs (e.g. more replicates) in this store."""
        new = [s for s in specs if s.run_id not in self.specs]
        self.specs.update({s.run_id: s for s in new})
        self.manifest["runs"] += [_spec_entry(s) for s in new]
        self._write_manifest()

    # ------------------------------------------------------------------ writing
    def record(self, result: RunResult) -> None:
        """Store one finished run: its parts first, then its journal line."""
        spec = self.specs[result.run_id]
        if result.status == SUCCEEDED:
            self._write_part(spec, result)
        else:
            self.part_path(spec.run_id).unlink(missing_ok=True)
            self.timeseries_path(spec.run_id).unlink(missing_ok=True)
        entry = {
            "run_id": result.run_id,
            "status": result.status,
            "error": result.error,
            "detail": result.detail,
            "seconds": round(result.seconds, 4),
            "run_hash": spec.run_hash,
        }
        with open(self.root / "status.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
        self.status[result.run_id] = entry

    def _identity_row(self, spec: RunSpec) -> dict[str, Any]:
        return {
            "run_id": spec.run_id,
            "scenario": spec.scenario,
            "scenario_index": spec.scenario_index,
            "replicate": spec.replicate,
            "master_seed": spec.master_seed,
            "spawn_key": ",".join(str(k) for k in spec.spawn_key),
            "params_hash": spec.params_hash,
            "run_hash": spec.run_hash,
        }

    def _param_schema(self):
        import pyarrow as pa

        if not hasattr(self, "_schema_cache"):
            names: dict[str, list[Any]] = {}
            for spec in self.specs.values():
                for key, value in spec.params.items():
                    names.setdefault(key, []).append(value)
            self._schema_cache = [
                pa.field(f"param_{k}", _param_type(v)) for k, v in sorted(names.items())
            ]
        return self._schema_cache

    def _write_part(self, spec: RunSpec, result: RunResult) -> None:
        import pyarrow as pa

        row = self._identity_row(spec)
        fields = [
            pa.field("run_id", pa.string()), pa.field("scenario", pa.string()),
            pa.field("scenario_index", pa.int64()), pa.field("replicate", pa.int64()),
            pa.field("master_seed", pa.int64()), pa.field("spawn_key", pa.string()),
            pa.field("params_hash", pa.string()), pa.field("run_hash", pa.string()),
        ]
        for field in self._param_schema():
            value = spec.params.get(field.name.removeprefix("param_"))
            row[field.name] = None if value is None else (
                str(value) if pa.types.is_string(field.type) else value
            )
            fields.append(field)
        for name, value in result.outcomes.items():
            row[name] = float(value)
            fields.append(pa.field(name, pa.float64()))
        table = pa.Table.from_pylist([row], schema=pa.schema(fields))
        _atomic_write_table(self.part_path(spec.run_id), table)
        if result.timeseries is not None:
            self._write_timeseries(spec, result.timeseries)

    def _write_timeseries(self, spec: RunSpec, frame) -> None:
        import pandas as pd
        import pyarrow as pa

        frame = pd.DataFrame(frame).reset_index(drop=True)
        frame.insert(0, "step", range(len(frame)))
        for i, (key, value) in enumerate(
            [("run_id", spec.run_id), ("scenario", spec.scenario),
             ("replicate", spec.replicate), ("run_hash", spec.run_hash)]
        ):
            frame.insert(i, key, value)
        (self.root / "timeseries").mkdir(exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        _atomic_write_table(self.timeseries_path(spec.run_id), table)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=1, default=str)
        _atomic_write_bytes(self.root / "manifest.json", text.encode())

    # ------------------------------------------------------------------ reading
    def summary(self):
        """All succeeded runs' summary rows as a DataFrame, in run order."""
        import pandas as pd
        import pyarrow.parquet as pq

        order = [e["run_id"] for e in self.manifest["runs"]]
        frames = [
            pq.read_table(self.part_path(r)).to_pandas()
            for r in order
            if self.status.get(r, {}).get("status") == SUCCEEDED and self.part_path(r).exists()
        ]
        if not frames:
            return pd.DataFrame(columns=list(ID_COLUMNS))
        frame = pd.concat(frames, ignore_index=True)
        return frame.sort_values(["replicate", "scenario_index"], kind="stable").reset_index(
            drop=True
        )

    def failures(self) -> dict[str, str]:
        """Failed runs and their error lines."""
        return {r: e.get("error", "") for r, e in self.status.items() if e["status"] == FAILED}

    def finalize(self):
        """Write summary.parquet and the statuses into manifest.json; return the summary."""
        import pyarrow as pa

        frame = self.summary()
        _atomic_write_table(
            self.root / "summary.parquet", pa.Table.from_pandas(frame, preserve_index=False)
        )
        for entry in self.manifest["runs"]:
            status = self.status.get(entry["run_id"], {})
            entry["status"] = status.get("status", "pending")
            entry["error"] = status.get("error", "")
        self._write_manifest()
        return frame


def _part_ok(path: Path, run_id: str, run_hash: str | None, rows: int | None = 1) -> bool:
    """True when a part file reads back whole and belongs to the run."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception:  # missing, truncated or not Parquet at all
        return False
    if rows is not None and table.num_rows != rows:
        return False
    if "run_id" not in table.column_names or "run_hash" not in table.column_names:
        return False
    if table.num_rows and set(table.column("run_id").to_pylist()) != {run_id}:
        return False
    return run_hash is None or set(table.column("run_hash").to_pylist()) <= {run_hash}
