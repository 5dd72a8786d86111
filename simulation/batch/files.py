"""Files of a results store: written atomically with the umask's permissions, and locked.

Every Parquet and manifest file is written to a temporary name and moved into
place with ``os.replace``.  A store is written by one batch at a time: it is
locked with an exclusive, non-blocking ``flock`` on ``DIR/.lock``
(:func:`acquire`), released by the last store of this process that holds it
(:func:`release`) or when the process dies; forked workers let go of it.
"""

from __future__ import annotations

import errno
import functools
import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from simulation.errors import InputError

try:
    import fcntl
except ImportError:  # not POSIX: stores are not locked
    fcntl = None

LOCK_NAME = ".lock"

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


def atomic_write_bytes(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` (or its pieces, one by one) next to ``path``, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines([data] if isinstance(data, bytes) else data)
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


def atomic_write_table(path: Path, table) -> None:
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



class LockFile:
    """An open, ``flock``-ed ``DIR/.lock``, shared by the stores of this process."""

    def __init__(self, fd: int, key: str):
        self.fd = fd
        self.key = key
        self.users = 1


_LOCKS: dict[str, LockFile] = {}
_LOCKS_GUARD = threading.Lock()


def _same_file(fd: int, path: Path) -> bool:
    try:
        held, now = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


def acquire(root: Path) -> LockFile | None:
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
        lock = LockFile(fd, key)
        _LOCKS[key] = lock
        return lock


def release(lock: LockFile | None) -> None:
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
