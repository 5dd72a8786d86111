"""The results store: a directory written incrementally as runs finish.

Layout of a store ``DIR`` (readable with pandas or polars, no iesim needed)::

    DIR/manifest.json        batch hash, meta (scenarios, seed, ...), provenance,
                             every planned run; at the end also each run's status
    DIR/status.jsonl         journal, one JSON line per finished run (status,
                             error text, seconds); the last line for a run wins
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

Read it with ``pd.read_parquet("DIR/summary.parquet")`` after the batch, or
``pl.read_parquet("DIR/parts/*.parquet")`` while it runs.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import tempfile
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulation.batch.runner import FAILED, SUCCEEDED, RunResult, RunSpec
from simulation.errors import InputError

try:
    import fcntl
except ImportError:  # not POSIX: stores are not locked
    fcntl = None

FORMAT = "iesim-batch-store/1"
ID_COLUMNS = (
    "run_id", "scenario", "scenario_index", "replicate", "master_seed", "spawn_key",
    "params_hash", "run_hash",
)
LOCK_NAME = ".lock"
STATUSES = (SUCCEEDED, FAILED)


_UMASK_GUARD = threading.Lock()


@functools.cache
def _umask() -> int:
    """The process umask, read once (from /proc where possible, without changing it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_GUARD:  # elsewhere the only way is to set it and put it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _file_mode() -> int:
    """Permissions of a new file under the umask (``mkstemp`` itself gives 0600)."""
    return 0o666 & ~_umask()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fchmod(fh.fileno(), _file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, write) -> None:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then move it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _atomic_write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, _file_mode())
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


class _LockFile:
    """An open, ``flock``-ed ``DIR/.lock``, shared by the stores of this process."""

    def __init__(self, fd: int, key: str):
        self.fd = fd
        self.key = key
        self.users = 1


_LOCKS: dict[str, _LockFile] = {}
_LOCKS_GUARD = threading.Lock()


def _same_file(fd: int, path: Path) -> bool:
    try:
        held, now = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def _acquire(root: Path) -> _LockFile | None:
    """Lock ``root`` for this process (creating ``root/.lock``); refuse it if another holds it.

    Raises:
        InputError: when another process holds the lock.
    """
    if fcntl is None:
        return None
    path = root / LOCK_NAME
    key = os.path.realpath(path)
    with _LOCKS_GUARD:
        held = _LOCKS.get(key)
        if held is not None and held.fd >= 0 and _same_file(held.fd, path):
            held.users += 1
            return held
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)  # less the umask
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError(
                    str(root), "--out",
                    f"another batch is using this directory (it holds its lock file {LOCK_NAME}); "
                    "wait until it ends, or choose another --out",
                ) from None
            raise
        lock = _LockFile(fd, key)
        _LOCKS[key] = lock
        return lock


def _release(lock: _LockFile | None) -> None:
    """Let go of one store's share of a lock; the last one closes the file (and unlocks)."""
    if lock is None:
        return
    with _LOCKS_GUARD:
        lock.users -= 1
        if lock.users > 0 or lock.fd < 0:
            return
        fd, lock.fd = lock.fd, -1
        if _LOCKS.get(lock.key) is lock:
            del _LOCKS[lock.key]
        os.close(fd)


def _forget_locks_in_child() -> None:
    """In a forked worker: close the inherited lock files, so the lock dies with the batch."""
    global _LOCKS_GUARD
    _LOCKS_GUARD = threading.Lock()  # another thread may have held it at the fork
    for lock in list(_LOCKS.values()):
        fd, lock.fd = lock.fd, -1
        try:
            os.close(fd)  # only this process's descriptor: the parent keeps its lock
        except OSError:
            pass
    _LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


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


def _check_manifest(manifest: Any, path: Path) -> None:
    """Refuse a manifest that is not one written by :class:`ResultsStore`."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(str(path), "format", f"manifest format must be {FORMAT!r}")
    runs = manifest.get("runs")
    problem = ""
    if not isinstance(runs, list):
        problem = "it has no list of runs" if runs is None else "its runs are not a list"
    else:
        for i, entry in enumerate(runs):
            if not (isinstance(entry, dict) and isinstance(entry.get("run_id"), str)
                    and isinstance(entry.get("run_hash"), str)
                    and isinstance(entry.get("replicate"), int)
                    and not isinstance(entry.get("replicate"), bool)):
                problem = f"runs[{i}] lacks a run_id, run_hash or replicate"
                break
    if not problem and not isinstance(manifest.get("meta", {}), dict):
        problem = "its meta is not a table"
    if not problem and not isinstance(manifest.get("provenance", []), list):
        problem = "its provenance is not a list"
    if problem:
        raise InputError(str(path), "runs",
                         f"not a results store, or a damaged manifest: {problem}")


class ResultsStore:
    """A batch's results directory (see the module docstring for the layout)."""

    def __init__(self, root: str | Path, manifest: dict[str, Any], specs: Iterable[RunSpec]):
        self.root = Path(root)
        self.manifest = manifest
        self.specs: dict[str, RunSpec] = {s.run_id: s for s in specs}
        self.status: dict[str, dict[str, Any]] = {}
        self.damaged: list[str] = []  # succeeded runs whose part the last summary() could not read
        self._unlock = None

    # ------------------------------------------------------------------ locking
    def _hold(self, lock: _LockFile | None) -> None:
        """Keep ``lock`` until :meth:`close`, or until this object is garbage collected."""
        self._unlock = weakref.finalize(self, _release, lock)

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

        Raises:
            InputError: when ``root`` holds anything, or another batch is using it.
        """
        root = Path(root)
        lock = _acquire(root) if (root / LOCK_NAME).is_file() else None
        try:
            return cls._create(root, list(specs), batch_hash, meta, provenance, lock)
        except BaseException:
            _release(lock)
            raise

    @classmethod
    def _create(cls, root: Path, specs: list[RunSpec], batch_hash: str, meta, provenance,
                lock: _LockFile | None) -> ResultsStore:
        """Body of :meth:`create`; takes over ``lock`` (held, or None to lock now)."""
        _refuse_non_empty(root)  # before writing anything
        manifest = {
            "format": FORMAT,
            "batch_hash": batch_hash,
            "meta": meta or {},
            "provenance": [provenance or {}],
            "runs": [_spec_entry(s) for s in specs],
        }
        store = cls(root, manifest, specs)
        if lock is None:
            root.mkdir(parents=True, exist_ok=True)
            lock = _acquire(root)
            try:
                _refuse_non_empty(root)  # again: another batch may have started here meanwhile
            except BaseException:
                _release(lock)
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
        """Open an existing store for reading (specs are not reconstructed; no lock).

        Raises:
            InputError: when ``root`` is not a results store or its manifest is damaged.
        """
        root = Path(root)
        path = root / "manifest.json"
        if not path.is_file():
            raise InputError(str(root), None, "not a results store (no manifest.json)")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), None, f"manifest is unreadable ({exc})") from None
        _check_manifest(manifest, path)
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
        replan: bool = False,
        changed_settings: bool = False,
    ) -> ResultsStore:
        """Reopen ``root`` to continue the same batch (or create it when empty), and lock it.

        A batch whose settings changed (another batch hash) may continue the
        store when ``changed_settings`` allows it and the change leaves every
        stored result as it was: each succeeded run is planned again with the
        same run hash, by the same task (the outcomes it keeps).  With
        ``replan`` the runs the change alters are dropped (and run again) and
        the others kept.  :attr:`resume_note` then says which applied.
        Nothing is changed in ``root`` unless every check passes.

        Raises:
            InputError: when ``root`` is not empty and not a store, holds a store of a
                different batch (unless ``changed_settings`` or ``replan``: of one whose
                stored runs the change alters, unless ``replan``) or of a different
                plan (a run in ``specs`` whose run hash differs from the stored one,
                unless ``replan``), or another batch is using it.
        """
        root = Path(root)
        specs = list(specs)
        lock = None
        try:
            if (root / LOCK_NAME).is_file() or (root / "manifest.json").is_file():
                lock = _acquire(root)
            if not (root / "manifest.json").is_file():
                if root.is_dir() and any(p.name != LOCK_NAME for p in root.iterdir()):
                    raise InputError(
                        str(root), "--resume",
                        "--resume: not a results store (no manifest.json), and not empty; "
                        "choose a new --out, or remove the directory to start the batch there",
                    )
                return cls._create(root, specs, batch_hash, meta, provenance, lock)
            store = cls.open(root)
            same = store.manifest.get("batch_hash") == batch_hash
            if not same and not (changed_settings or replan):
                raise InputError(
                    str(root), "--resume",
                    "--resume: this directory holds results of a different batch "
                    f"(hash {store.manifest.get('batch_hash')}, this batch {batch_hash})",
                )
            dropped = store._reconcile(specs, meta, replan, same)
        except BaseException:
            _release(lock)
            raise
        store._hold(lock)
        try:
            if dropped is not None:
                store._drop(dropped)
            store.manifest["batch_hash"] = batch_hash
            known = {e["run_id"] for e in store.manifest["runs"]}
            store.manifest["runs"] += [_spec_entry(s) for s in specs if s.run_id not in known]
            store.manifest["meta"] = meta or store.manifest.get("meta", {})
            store.manifest.setdefault("provenance", []).append(provenance or {})
            store.specs = {s.run_id: s for s in specs}
            (root / "parts").mkdir(exist_ok=True)
            store._verify_parts()
            (root / "summary.parquet").unlink(missing_ok=True)  # rewritten when this session ends
            store._write_manifest()
        except BaseException:
            store.close()
            raise
        return store

    resume_note: str = ""
    """After :meth:`resume`: how a changed or re-planned batch was continued (else empty)."""

    def _reconcile(self, specs: list[RunSpec], meta: dict[str, Any] | None, replan: bool,
                   same: bool) -> set[str] | None:
        """Check a resume's plan against the stored runs; the runs to drop (None: none).

        Reads only.  The stored results a plan keeps are those of succeeded
        runs planned again with the same run hash by the same task.

        Raises:
            InputError: the plan alters stored results and ``replan`` is off.
        """
        if same and not replan:
            self._check_plan(specs)
            return None
        planned = {s.run_id: s.run_hash for s in specs}
        stored = {e["run_id"]: e["run_hash"] for e in self.manifest["runs"]}
        journal = self._read_journal()
        done = [r for r, e in journal.items() if e.get("status") == SUCCEEDED and r in stored]
        same_task = meta is None or _task_of(meta) == _task_of(self.manifest.get("meta", {}))
        altered = [r for r in done if not same_task or planned.get(r) != stored[r]]
        if altered and not replan:
            raise InputError(
                str(self.root), "--resume",
                f"--resume: this directory holds a different batch: the settings changed since "
                f"its runs were stored, and the change alters {len(altered)} of the {len(done)} "
                f"stored runs (e.g. {altered[0]}); run "
                f"again with --resume --replan to keep the {len(done) - len(altered)} it leaves "
                "as they were and run the others anew, or choose another --out",
            )
        kept = len(done) - len(altered)
        if replan:
            self.resume_note = (f"re-planned (--replan): kept the {kept} of {len(done)} stored "
                                f"runs the settings leave as they were; {len(altered)} run anew")
        else:
            self.resume_note = (f"resuming with changed settings: they leave all {len(done)} "
                                "stored runs as they were, so every one is kept")
        unplanned = {r for r in stored if planned.get(r) != stored[r]}
        return set(altered) | unplanned

    def _drop(self, run_ids: set[str]) -> None:
        """Forget runs: their manifest entries, journal lines and result files."""
        if not run_ids:
            return
        self.manifest["runs"] = [e for e in self.manifest["runs"] if e["run_id"] not in run_ids]
        path = self.root / "status.jsonl"
        if path.exists():
            keep = []
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("run_id") not in run_ids:
                    keep.append(line)
            _atomic_write_bytes(path, "".join(f"{line}\n" for line in keep).encode())
        for run_id in run_ids:
            self.part_path(run_id).unlink(missing_ok=True)
            self.timeseries_path(run_id).unlink(missing_ok=True)

    def _check_plan(self, specs: Iterable[RunSpec]) -> None:
        """Refuse specs that differ from the stored runs of the same id (a changed plan).

        Raises:
            InputError: naming the first run (in plan order) whose run hash differs.
        """
        stored = {e["run_id"]: e["run_hash"] for e in self.manifest["runs"]}
        for spec in specs:
            old = stored.get(spec.run_id)
            if old is not None and old != spec.run_hash:
                raise InputError(
                    str(self.root), "--resume",
                    f"--resume: run {spec.run_id} is planned differently from the stored run "
                    f"(run hash {spec.run_hash}, stored {old}): the plan changed, so the stored "
                    f"results are not this batch's; start a new store with another --out "
                    f"(the run: replicate {spec.replicate} of scenario {spec.scenario!r})",
                )

    # ------------------------------------------------------------------ state
    def _read_journal(self) -> dict[str, dict[str, Any]]:
        status: dict[str, dict[str, Any]] = {}
        path = self.root / "status.jsonl"
        if not path.exists():
            return status
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            if (isinstance(entry, dict) and isinstance(entry.get("run_id"), str)
                    and entry.get("status") in STATUSES):
                status[entry["run_id"]] = entry  # else damaged: the run counts as not run
        return status

    def _verify_parts(self) -> None:
        """Drop the succeeded status of runs whose part files do not check out."""
        self.status = self._read_journal()
        hashes = {e["run_id"]: e.get("run_hash") for e in self.manifest["runs"]}
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
        """Plan more runs (e.g. more replicates) in this store.

        Runs the store already holds (from an earlier session) must match.

        Raises:
            InputError: when a spec differs from the stored run of the same id.
        """
        new = [s for s in specs if s.run_id not in self.specs]
        self._check_plan(new)
        known = {e["run_id"] for e in self.manifest["runs"]}
        self.specs.update({s.run_id: s for s in new})
        fresh = [_spec_entry(s) for s in new if s.run_id not in known]
        if fresh:
            self.manifest["runs"] += fresh
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
        """All succeeded runs' summary rows as a DataFrame, in run order.

        A succeeded run whose part file is missing or does not read back is left
        out and listed in :attr:`damaged` (see :meth:`missing`).
        """
        import pandas as pd
        import pyarrow as pa

        hashes = {e["run_id"]: e.get("run_hash") for e in self.manifest["runs"]}
        tables, self.damaged = [], []
        for run_id in hashes:  # run order, each run once
            if self.status.get(run_id, {}).get("status") != SUCCEEDED:
                continue
            table = _read_part(self.part_path(run_id), run_id, hashes[run_id])
            if table is None:  # lost, truncated or not this run's: left out, and counted
                self.damaged.append(run_id)
            else:
                tables.append(table)
        if not tables:
            return pd.DataFrame(columns=list(ID_COLUMNS))
        try:  # one conversion for all parts (thousands of small frames concatenate slowly)
            frame = pa.concat_tables(tables, promote_options="default").to_pandas()
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # parts whose types differ: as pandas would
            frame = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        return frame.sort_values(["replicate", "scenario_index"], kind="stable").reset_index(
            drop=True
        )

    def failures(self) -> dict[str, str]:
        """Failed runs and their error lines."""
        return {r: e.get("error", "") for r, e in self.status.items()
                if e.get("status") == FAILED}

    def missing(self) -> list[str]:
        """Planned runs without a result: not run (yet), or damaged (see :meth:`summary`).

        Failed runs are not missing (see :meth:`failures`).
        """
        damaged = set(self.damaged)
        return [
            e["run_id"] for e in self.manifest["runs"]
            if e["run_id"] in damaged or self.status.get(e["run_id"], {}).get("status")
            not in STATUSES
        ]

    def finalize(self):
        """Write summary.parquet and the statuses into manifest.json; return the summary."""
        import pyarrow as pa

        frame = self.summary()
        _atomic_write_table(
            self.root / "summary.parquet", pa.Table.from_pandas(frame, preserve_index=False)
        )
        damaged = set(self.damaged)
        for entry in self.manifest["runs"]:
            status = self.status.get(entry["run_id"], {})
            entry["status"] = status.get("status", "pending")
            entry["error"] = status.get("error", "")
            if entry["run_id"] in damaged:
                entry["status"] = "pending"
                entry["error"] = "result file damaged; --resume runs it again"
        self._write_manifest()
        return frame


def _task_of(meta: dict[str, Any]) -> Any:
    """What decides the columns a run stores: the task (library batches), or the outcomes kept."""
    if "task" in meta:
        return meta["task"]
    return meta.get("outcomes"), bool(meta.get("keep_timeseries"))


def _part_ok(path: Path, run_id: str, run_hash: str | None, rows: int | None = 1) -> bool:
    """True when a part file reads back whole and belongs to the run."""
    return _read_part(path, run_id, run_hash, rows) is not None


def _read_part(path: Path, run_id: str, run_hash: str | None, rows: int | None = 1):
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
