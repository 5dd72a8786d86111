"""The results store: a directory written incrementally as runs finish.

Layout of a store ``DIR`` (readable with pandas or polars, no iesim needed)::

    DIR/manifest.json        batch hash, meta (scenarios, seed, ...), provenance,
                             the plan (scenario count, replicates, seed, steps, its
                             hash; not its runs); at the end the counts of runs
    DIR/status.jsonl         journal, one JSON line per finished run (status,
                             error text, seconds, run hash); the last line for a run wins
    DIR/parts/run-<id>.parquet       one summary row per succeeded run
    DIR/timeseries/run-<id>.parquet  per-step outcomes (only if kept)
    DIR/summary.parquet      all summary rows in run order (written at the end)
    DIR/.lock                held (``flock``) by the batch writing the store

A store is written by one batch at a time: :meth:`ResultsStore.create` and
:meth:`ResultsStore.resume` take an exclusive, non-blocking ``flock`` on
``DIR/.lock`` and refuse the store when another process holds it; the lock is
released by :meth:`ResultsStore.close` (or leaving a ``with`` block), when the
store object is garbage collected, or when the process dies, so a killed batch
leaves no stale lock.  Stores opened in one process share its lock, and forked
worker processes let go of it.  :meth:`ResultsStore.open` reads without it.

Files get the permissions the umask allows, like any other new file.  Every
Parquet and manifest file is written to a temporary name and moved into place
with ``os.replace``, and a run's journal line is appended only after its part
files are in place, so a killed batch loses at most the runs in flight.
On resume, each run the journal calls succeeded has its part read back and
checked (readable, one row, the right run id and run hash); a missing, partial
or corrupt part sends the run back to the queue.

Memory: the store derives its runs from its plan
(:class:`~simulation.batch.plan.Plan`) and keeps one byte per planned run
(what the journal says of it), so creating, resuming and listing the
pending runs of a store of millions of runs takes megabytes.  Its summary
(:meth:`ResultsStore.summary`) is a table of every succeeded run, read from
the parts in blocks; that table itself is held in memory.

Stores written before plans were streamed (format ``iesim-batch-store/1``,
with every run listed in the manifest) are read and resumed: the listed runs
give the plan's shape and the journal each stored run's hash; the first resume
writes the manifest in the current format.

Read it with ``pd.read_parquet("DIR/summary.parquet")`` after the batch, or
``pl.read_parquet("DIR/parts/*.parquet")`` while it runs.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulation.batch import journal
from simulation.batch.files import (
    LOCK_NAME,
    LockFile,
    acquire,
    atomic_write_bytes,
    atomic_write_table,
    release,
    write_atomically,
)
from simulation.batch.journal import DONE, FAILED_RUN, NOT_RUN
from simulation.batch.manifest import FORMAT, load, stored_plan
from simulation.batch.parts import (
    ID_COLUMNS,
    concat,
    param_schema,
    part_ok,
    part_table,
    read_part,
    summary_frame,
    timeseries_table,
)
from simulation.batch.plan import Plan, PlanShape, as_plan
from simulation.batch.specs import FAILED, SUCCEEDED, RunResult, RunSpec, parse_run_id
from simulation.errors import InputError

STATUSES = (SUCCEEDED, FAILED)
SUMMARY_BLOCK = 4096
"""Part files read into one table at a time while summarising."""
__all__ = ["FORMAT", "ID_COLUMNS", "PendingRuns", "ResultsStore", "stored_plan", "write_atomically"]


def _refuse_non_empty(root: Path) -> None:
    """Refuse to start a new store in a directory that holds anything (but the lock file)."""
    if root.exists() and not root.is_dir():
        raise InputError(str(root), "--out", "--out must be a directory; a file is in the way")
    if not root.is_dir() or not any(p.name != LOCK_NAME for p in root.iterdir()):
        return
    if (root / "manifest.json").exists():
        raise InputError(str(root), "--out",
                         "--out directory already holds a results store "
                         "(use --resume to continue that batch, or choose another --out)")
    raise InputError(str(root), "--out",
                     "--out directory already exists and is not empty (choose another --out, "
                     "or remove the directory; --resume continues only a results store)")



@dataclass
class _Drop:
    """Runs a re-planned resume drops: planned ones by position, and those the plan lacks."""

    planned: np.ndarray
    outside: set[str] = field(default_factory=set)


class ResultsStore:
    """A batch's results directory (see the module docstring for the layout).

    Attributes:
        root: the directory.
        manifest: what ``manifest.json`` holds.
        plan: the store's plan (a :class:`~simulation.batch.plan.PlanShape` only,
            without scenarios, for a store opened for reading).
        damaged: succeeded runs whose part the last :meth:`summary` could not read.
        resume_note: after :meth:`resume`, how a changed or re-planned batch was
            continued (else empty).
    """

    def __init__(self, root: str | Path, manifest: dict[str, Any], plan: PlanShape):
        self.root = Path(root)
        self.manifest = manifest
        self.plan = plan
        self._state = np.zeros(len(plan), dtype=np.int8)  # journal.NOT_RUN, DONE, FAILED_RUN
        self.damaged: list[str] = []
        self.resume_note = ""
        self._unlock = None

    # ------------------------------------------------------------------ locking
    def _hold(self, lock: LockFile | None) -> None:
        """Keep ``lock`` until :meth:`close`, or until this object is garbage collected."""
        self._unlock = weakref.finalize(self, release, lock)

    def close(self) -> None:
        """Release the store's lock (a store only read with :meth:`open` holds none)."""
        if self._unlock is not None:
            self._unlock()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

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
        """Start a new store in ``root``, which must not hold anything yet, and lock it.

        Args:
            root: the directory.
            specs: the runs: a :class:`~simulation.batch.plan.Plan` (from
                :func:`~simulation.batch.specs.plan_runs`), or specs that make a whole plan.
            batch_hash: the hash of what decides the batch's data.
            meta: a JSON-able description of the batch.
            provenance: a JSON-able record of this session.

        Raises:
            InputError: when ``root`` holds anything, or another batch is using it.
        """
        root = Path(root)
        plan = as_plan(specs)
        lock = acquire(root) if (root / LOCK_NAME).is_file() else None
        try:
            return cls._create(root, plan, batch_hash, meta, provenance, lock)
        except BaseException:
            release(lock)
            raise

    @classmethod
    def _create(cls, root: Path, plan: Plan, batch_hash: str, meta, provenance,
                lock: LockFile | None) -> ResultsStore:
        """Body of :meth:`create`; takes over ``lock`` (held, or None to lock now)."""
        _refuse_non_empty(root)  # before writing anything
        manifest = {
            "format": FORMAT,
            "batch_hash": batch_hash,
            "meta": meta or {},
            "provenance": [provenance or {}],
            "plan": plan.describe(),
        }
        store = cls(root, manifest, plan)
        if lock is None:
            root.mkdir(parents=True, exist_ok=True)
            lock = acquire(root)
            try:
                _refuse_non_empty(root)  # again: another batch may have started here meanwhile
            except BaseException:
                release(lock)
                raise
        store._hold(lock)
        try:
            store._write_manifest()  # first, so a kill right after leaves a resumable store
            (root / "parts").mkdir(exist_ok=True)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open(cls, root: str | Path) -> ResultsStore:
        """Open an existing store for reading (its runs' specs are not derived; no lock).

        Raises:
            InputError: when ``root`` is not a results store or its manifest is damaged.
        """
        root = Path(root)
        manifest = load(root)
        store = cls(root, manifest, PlanShape.from_description(manifest["plan"]))
        store._state, _ = journal.states(root, store.plan)
        return store

    @classmethod
    def resume(
        cls,
        root: str | Path,
        specs: Iterable[RunSpec],
        batch_hash: str,
        meta: dict[str, Any] | None = None,
        provenance: dict[str, Any] | None = None,
        replan: bool = False,
        changed_settings: bool = False,
    ) -> ResultsStore:
        """Reopen ``root`` to continue the same batch (or create it when empty), and lock it.

        The store's plan becomes ``specs``' plan, over every replicate the store
        had planned as well.  A batch whose settings changed (another batch
        hash) may continue the store when ``changed_settings`` allows it and the
        change leaves every stored result as it was: each succeeded run is
        planned again with the same run hash, by the same task (the outcomes it
        keeps).  With ``replan`` the runs the change alters are dropped (and run
        again) and the others kept.  :attr:`resume_note` then says which
        applied.  Nothing is changed in ``root`` unless every check passes.

        Raises:
            InputError: when ``root`` is not empty and not a store, holds a store of a
                different batch (unless ``changed_settings`` or ``replan``: of one whose
                stored runs the change alters, unless ``replan``) or of a different
                plan (a stored run whose run hash differs from the planned one,
                unless ``replan``), or another batch is using it.
        """
        root = Path(root)
        plan = as_plan(specs)
        lock = None
        try:
            if (root / LOCK_NAME).is_file() or (root / "manifest.json").is_file():
                lock = acquire(root)
            if not (root / "manifest.json").is_file():
                if root.is_dir() and any(p.name != LOCK_NAME for p in root.iterdir()):
                    raise InputError(
                        str(root), "--resume",
                        "--resume: not a results store (no manifest.json), and not empty; "
                        "choose a new --out, or remove the directory to start the batch there",
                    )
                return cls._create(root, plan, batch_hash, meta, provenance, lock)
            manifest = load(root)
            stored = PlanShape.from_description(manifest["plan"])
            store = cls(root, manifest, plan.spanning(stored.replicates, stored.first_replicate))
            store._state, outside = journal.states(root, store.plan)
            same = manifest.get("batch_hash") == batch_hash
            if not same and not (changed_settings or replan):
                raise InputError(
                    str(root), "--resume",
                    "--resume: this directory holds results of a different batch "
                    f"(hash {manifest.get('batch_hash')}, this batch {batch_hash})",
                )
            dropped = store._reconcile(outside, meta, replan, same)
        except BaseException:
            release(lock)
            raise
        store._hold(lock)
        try:
            if dropped is not None:
                store._drop(dropped)
                store._state, _ = journal.states(root, store.plan)
            manifest.update(format=FORMAT, batch_hash=batch_hash, plan=store.plan.describe())
            manifest["meta"] = meta or manifest.get("meta", {})
            manifest.setdefault("provenance", []).append(provenance or {})
            manifest.pop("status", None)
            (root / "parts").mkdir(exist_ok=True)
            store._verify_parts()
            (root / "summary.parquet").unlink(missing_ok=True)  # rewritten when this session ends
            store._write_manifest()
        except BaseException:
            store.close()
            raise
        return store

    # ------------------------------------------------------------------ plan checks
    def _reconcile(self, outside: dict[str, str], meta: dict[str, Any] | None, replan: bool,
                   same: bool) -> _Drop | None:
        """Check a resume's plan against the stored runs; the runs to drop (None: none).

        Reads only.  The stored results a plan keeps are those of succeeded
        runs planned again with the same run hash by the same task.  Runs
        journal lines name but the plan lacks are ``outside``.

        Raises:
            InputError: the plan alters stored results and ``replan`` is off.
        """
        plan, stored_hash = self.plan, self.manifest["plan"].get("hash")
        unchanged = stored_hash is not None and stored_hash == plan.hash
        if same and not replan:
            if not unchanged:
                self._check_plan(plan)
            return None
        differs = np.zeros(len(plan), dtype=bool)
        if not unchanged:
            for i, _, _ in self._mismatches(plan):
                differs[i] = True
        done = self._state == DONE
        same_task = meta is None or _task_of(meta) == _task_of(self.manifest.get("meta", {}))
        altered = done & differs if same_task else done
        left = sorted(r for r, status in outside.items() if status == SUCCEEDED)
        count = int(altered.sum()) + len(left)
        stored = int(done.sum()) + len(left)
        if count and not replan:
            first = plan.run_id(int(np.flatnonzero(altered)[0])) if altered.any() else left[0]
            raise InputError(
                str(self.root), "--resume",
                f"--resume: this directory holds a different batch: the settings changed since "
                f"its runs were stored, and the change alters {count} of the {stored} "
                f"stored runs (e.g. {first}); run "
                f"again with --resume --replan to keep the {stored - count} it leaves "
                "as they were and run the others anew, or choose another --out",
            )
        if replan:
            self.resume_note = (f"re-planned (--replan): kept the {stored - count} of {stored} "
                                f"stored runs the settings leave as they were; {count} run anew")
        else:
            self.resume_note = (f"resuming with changed settings: they leave all {stored} "
                                "stored runs as they were, so every one is kept")
        return _Drop(differs | altered, set(outside))

    def _mismatches(self, plan: Plan) -> Iterator[tuple[int, dict[str, Any], str]]:
        """(position, journal entry, planned run hash) of stored runs ``plan`` plans otherwise."""
        for entry in journal.entries(self.root):
            i = plan.position(entry["run_id"])
            if i is not None:
                expected = plan[i].run_hash
                if entry.get("run_hash") != expected:
                    yield i, entry, expected

    def _check_plan(self, plan: Plan) -> None:
        """Refuse a plan that plans a stored run otherwise (another run hash).

        Raises:
            InputError: naming the first such run (in the order runs were stored).
        """
        for i, entry, expected in self._mismatches(plan):
            spec = plan[i]
            raise InputError(
                str(self.root), "--resume",
                f"--resume: run {spec.run_id} is planned differently from the stored run "
                f"(run hash {expected}, stored {entry.get('run_hash')}): the plan changed, so "
                f"the stored results are not this batch's; start a new store with another "
                f"--out (the run: replicate {spec.replicate} of scenario {spec.scenario!r})",
            )

    def _drop(self, drop: _Drop) -> None:
        """Forget runs: their journal lines and result files."""
        planned = self.plan

        def keep(entry: dict[str, Any]) -> bool:
            i = planned.position(entry["run_id"])
            return i is not None and not drop.planned[i]

        journal.rewrite(self.root, keep, atomic_write_bytes)
        gone = [planned.run_id(int(i)) for i in np.flatnonzero(drop.planned)]
        for run_id in [*gone, *drop.outside]:
            self.part_path(run_id).unlink(missing_ok=True)
            self.timeseries_path(run_id).unlink(missing_ok=True)

    def _verify_parts(self) -> None:
        """Send back to the queue succeeded runs whose part files do not check out; clear leftovers."""
        keep_ts = bool(self.manifest.get("meta", {}).get("keep_timeseries"))
        for i, run_id, run_hash in journal.succeeded(self.root, self.plan, self._state):
            ok = part_ok(self.part_path(run_id), run_id, run_hash)
            if ok and keep_ts:
                ok = part_ok(self.timeseries_path(run_id), run_id, run_hash, rows=None)
            if not ok:
                self._state[i] = NOT_RUN
        for folder in ("parts", "timeseries"):
            if not (self.root / folder).is_dir():
                continue
            with os.scandir(self.root / folder) as found:
                for entry in found:
                    run_id = entry.name.removeprefix("run-").removesuffix(".parquet")
                    i = self.plan.position(run_id)
                    planned = parse_run_id(run_id) is not None and \
                        entry.name == f"run-{run_id}.parquet"
                    if not planned or (i is not None and self._state[i] != DONE):
                        os.unlink(entry.path)  # a temporary file, or a run not (or badly) stored

    # ------------------------------------------------------------------ state
    @property
    def replicates(self) -> int:
        """Replicates per scenario planned (the end of the replicate range)."""
        return self.plan.replicates

    @property
    def specs(self) -> Mapping[str, RunSpec]:
        """Every planned run, run id to spec, derived when asked for (in plan order)."""
        return _Specs(self)

    @property
    def status(self) -> Mapping[str, dict[str, str]]:
        """Runs with a result, run id to ``{"run_id", "status"}`` (see :meth:`failures`)."""
        return _Statuses(self)

    def counts(self) -> dict[str, int]:
        """How many planned runs succeeded, failed, or have no result yet."""
        return {SUCCEEDED: int(np.count_nonzero(self._state == DONE)),
                FAILED: int(np.count_nonzero(self._state == FAILED_RUN)),
                "pending": int(np.count_nonzero(self._state == NOT_RUN))}

    def part_path(self, run_id: str) -> Path:
        """Where a run's summary part lives."""
        return self.root / "parts" / f"run-{run_id}.parquet"

    def timeseries_path(self, run_id: str) -> Path:
        """Where a run's time series part lives."""
        return self.root / "timeseries" / f"run-{run_id}.parquet"

    def pending_specs(self, first_replicate: int | None = None) -> PendingRuns:
        """Planned runs that have not succeeded (missing, failed or corrupt), derived lazily.

        Args:
            first_replicate: only replicates from this one on.

        Returns:
            A :class:`PendingRuns`: its length, its specs one by one, or in chunks.
        """
        first = self.plan.first_replicate if first_replicate is None else first_replicate
        start = max(0, first - self.plan.first_replicate) * self.plan.scenario_count
        return PendingRuns(self, min(start, len(self.plan)))

    def add_specs(self, specs: Iterable[RunSpec]) -> None:
        """Plan more runs (e.g. more replicates) in this store.

        Runs the store already holds must be planned the same.

        Raises:
            InputError: when a stored run is planned otherwise (another run hash).
        """
        plan = as_plan(specs)
        if plan.hash != self._planned().hash:
            self._check_plan(plan)
        plan = plan.spanning(self.plan.replicates, self.plan.first_replicate)
        before = self.plan
        self.plan = plan
        if plan.hash == before.hash and plan.first_replicate == before.first_replicate:
            self._state = np.concatenate(
                [self._state, np.zeros(len(plan) - len(before), dtype=np.int8)])
        else:
            self._state, _ = journal.states(self.root, plan)
        if self.manifest["plan"] != plan.describe():
            self.manifest["plan"] = plan.describe()
            self._write_manifest()

    def _planned(self) -> Plan:
        if not isinstance(self.plan, Plan):
            raise TypeError("a store opened for reading derives no runs; open it with "
                            "ResultsStore.resume to run or record its runs")
        return self.plan

    # ------------------------------------------------------------------ writing
    def record(self, result: RunResult) -> None:
        """Store one finished run: its parts first, then its journal line.

        Raises:
            KeyError: the run is not one the store plans.
        """
        plan = self._planned()
        i = plan.position(result.run_id)
        if i is None:
            raise KeyError(result.run_id)
        spec = plan[i]
        if result.status == SUCCEEDED:
            self._write_part(spec, result)
        else:
            self.part_path(spec.run_id).unlink(missing_ok=True)
            self.timeseries_path(spec.run_id).unlink(missing_ok=True)
        journal.append(self.root, {
            "run_id": result.run_id,
            "status": result.status,
            "error": result.error,
            "detail": result.detail,
            "seconds": round(result.seconds, 4),
            "run_hash": spec.run_hash,
        })
        self._state[i] = journal.CODES[result.status]

    def _write_part(self, spec: RunSpec, result: RunResult) -> None:
        if not hasattr(self, "_schema_cache"):
            scenarios = self._planned().scenarios
            self._schema_cache = param_schema(scenarios.params(i) for i in range(len(scenarios)))
        atomic_write_table(self.part_path(spec.run_id),
                            part_table(spec, result, self._schema_cache))
        if result.timeseries is not None:
            (self.root / "timeseries").mkdir(exist_ok=True)
            atomic_write_table(self.timeseries_path(spec.run_id),
                                timeseries_table(spec, result.timeseries))

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=1, default=str)
        atomic_write_bytes(self.root / "manifest.json", text.encode())

    # ------------------------------------------------------------------ reading
    def summary(self):
        """All succeeded runs' summary rows as a DataFrame, in run order.

        Parts are read in blocks of :data:`SUMMARY_BLOCK`; the table of every
        succeeded run is held in memory.  A succeeded run whose part file is
        missing or does not read back is left out and listed in
        :attr:`damaged` (see :meth:`missing`).
        """
        blocks, block, self.damaged = [], [], []
        for _, run_id, run_hash in journal.succeeded(self.root, self.plan, self._state):
            table = read_part(self.part_path(run_id), run_id, run_hash)
            if table is None:  # lost, truncated or not this run's: left out, and counted
                self.damaged.append(run_id)
                continue
            block.append(table)
            if len(block) == SUMMARY_BLOCK:
                blocks.append(concat(block))
                block = []
        if block:
            blocks.append(concat(block))
        return summary_frame(blocks)

    def failures(self) -> dict[str, str]:
        """Failed runs and their error lines (read from the journal)."""
        return journal.failures(self.root, self.plan, self._state)

    def missing(self) -> Iterator[str]:
        """Planned runs without a result: not run (yet), then damaged (see :meth:`summary`).

        Failed runs are not missing (see :meth:`failures`).  Lazy; see
        :meth:`missing_count` for their number.
        """
        for i in np.flatnonzero(self._state == NOT_RUN):
            yield self.plan.run_id(int(i))
        yield from self.damaged

    def missing_count(self) -> int:
        """How many planned runs have no result: not run (yet), or damaged."""
        return int(np.count_nonzero(self._state == NOT_RUN)) + len(self.damaged)

    def finalize(self):
        """Write summary.parquet and the counts of runs into manifest.json; return the summary."""
        import pyarrow as pa

        frame = self.summary()
        atomic_write_table(
            self.root / "summary.parquet", pa.Table.from_pandas(frame, preserve_index=False)
        )
        counts = self.counts()
        damaged = len(self.damaged)
        self.manifest["status"] = {
            SUCCEEDED: counts[SUCCEEDED] - damaged, FAILED: counts[FAILED],
            "pending": counts["pending"] + damaged, "damaged": damaged,
        }
        self._write_manifest()
        return frame


class PendingRuns:
    """A store's planned runs that have not succeeded, in plan order, derived as they are taken.

    Its length is counted from the store's record; iterating (or :meth:`chunks`)
    derives each spec when it is reached, so listing the pending runs of a
    store of millions takes the memory of one chunk.  It follows the store:
    a run recorded as succeeded before the listing reaches it is left out.
    """

    BLOCK = 65_536
    """Positions looked at in one go."""

    def __init__(self, store: ResultsStore, start: int = 0):
        self._store = store
        self._start = start

    def __len__(self) -> int:
        return int(np.count_nonzero(self._store._state[self._start:] != DONE))

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[RunSpec]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self, size: int = 4096) -> Iterator[list[RunSpec]]:
        """The pending runs' specs in lists of at most ``size``, one list at a time."""
        plan = self._store._planned()
        chunk: list[RunSpec] = []
        for low in range(self._start, len(plan), self.BLOCK):
            state = self._store._state[low:low + self.BLOCK]
            for i in np.flatnonzero(state != DONE):
                chunk.append(plan[low + int(i)])
                if len(chunk) == size:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk


class _Specs(Mapping):
    """Run id to spec over a store's plan, derived when asked for."""

    def __init__(self, store: ResultsStore):
        self._store = store

    def __len__(self) -> int:
        return len(self._store.plan)

    def __iter__(self) -> Iterator[str]:
        plan = self._store.plan
        return (plan.run_id(i) for i in range(len(plan)))

    def __getitem__(self, run_id: str) -> RunSpec:
        i = self._store.plan.position(run_id)
        if i is None:
            raise KeyError(run_id)
        return self._store._planned()[i]


class _Statuses(Mapping):
    """Run id to status of a store's runs with a result."""

    NAMES = {DONE: SUCCEEDED, FAILED_RUN: FAILED}

    def __init__(self, store: ResultsStore):
        self._store = store

    def __len__(self) -> int:
        return int(np.count_nonzero(self._store._state))

    def __iter__(self) -> Iterator[str]:
        plan = self._store.plan
        return (plan.run_id(int(i)) for i in np.flatnonzero(self._store._state))

    def __getitem__(self, run_id: str) -> dict[str, str]:
        i = self._store.plan.position(run_id)
        code = NOT_RUN if i is None else int(self._store._state[i])
        if code == NOT_RUN:
            raise KeyError(run_id)
        return {"run_id": run_id, "status": self.NAMES[code]}


def _task_of(meta: dict[str, Any]) -> Any:
    """What decides the columns a run stores: the task (library batches), or the outcomes kept."""
    if "task" in meta:
        return meta["task"]
    return meta.get("outcomes"), bool(meta.get("keep_timeseries"))
