"""Where results go: every command checks its output paths here, before anything runs.

``iesim run``, ``batch``, ``sensitivity``, ``calibrate``, ``discover`` (``--out``)
and ``report`` (``--figure``) refuse, as one :class:`~simulation.errors.InputError`,
a path that cannot be written: a file in the way, a parent that is a file, a
directory without write permission, a name longer than the file system
allows, a place that refuses new files (``/proc``, a read-only mount), a NUL
byte.  The check makes the missing directories and a temporary file, and
removes them again: it leaves nothing behind, also when it refuses.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from simulation.errors import InputError

_GONE = (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP)


def expect_dir(option: str) -> str:
    """What an output directory option must be, in the error messages' words."""
    return f"{option} must be a writable directory (or a path where one can be made)"


def check_out_dir(out: str | Path, option: str = "--out") -> Path:
    """Refuse an output directory that could not be written, before anything runs.

    Args:
        out: the directory: existing, or a path where one can be made.
        option: the command-line option, named in the error.

    Returns:
        ``out`` as a Path.

    Raises:
        InputError: naming the path, the option and why it cannot be written.
    """
    text = os.fspath(out)
    if not str(text).strip():
        raise InputError("", option, f"{option} must be a directory path; got {text!r}")
    path = Path(text)
    try:
        _check_dir(path, option)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # no permission to look; a NUL in the name
        raise InputError(str(path), option,
                         f"{expect_dir(option)}; cannot check it ({_why(exc)})") from None
    return path


def check_out_file(path: str | Path, option: str) -> Path:
    """Refuse an output file (e.g. a figure) that could not be written, before anything runs.

    Its folder is checked as :func:`check_out_dir` checks a directory, and the
    file itself, if it exists, must be a regular file.

    Raises:
        InputError: naming the path, the option and why it cannot be written.
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise InputError("", option, f"{option} must be a file path; got {text!r}")
    path = Path(text)
    try:
        mode = _mode(path)
        if mode is not None and not stat.S_ISREG(mode):
            raise InputError(str(path), option, f"{option} must be a file that can be written; "
                             f"{path} exists and is not a regular file")
        try:
            _check_dir(path.parent, option, f"its folder {path.parent}",
                       f"{option} must be a file that can be written")
        except InputError as exc:
            raise InputError(str(path), option, exc.message) from None
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise InputError(str(path), option,
                         f"{option} must be a file that can be written; cannot check it "
                         f"({_why(exc)})") from None
    return path


def _why(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def _mode(path: Path) -> int | None:
    """The path's mode (not following a final symbolic link's target if broken), None if absent."""
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno not in _GONE:
            raise
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno in _GONE:
            return None
        raise
    return stat.S_IFLNK  # a broken symbolic link


def _check_dir(out: Path, option: str, it: str = "it", expect: str = "") -> None:
    source, expect = str(out), expect or expect_dir(option)
    mode = _mode(out)
    if mode == stat.S_IFLNK:
        raise InputError(source, option, f"{expect}; {it} is a broken symbolic link")
    if mode is not None and not stat.S_ISDIR(mode):
        raise InputError(source, option, f"{expect}; {it} exists and is not a directory")
    missing: list[Path] = []
    parent = out
    if mode is None:
        parent = out.absolute()
        while _mode(parent) is None and parent.parent != parent:
            missing.append(parent)
            parent = parent.parent
        parent_mode = _mode(parent)
        if parent_mode is None or not stat.S_ISDIR(parent_mode):
            kind = " (it is a file)" if parent_mode is not None and stat.S_ISREG(parent_mode) else ""
            raise InputError(source, option, f"{expect}; {it} cannot be created: {parent} is not "
                             f"a directory{kind}")
    if not os.access(parent, os.W_OK | os.X_OK):
        where = it if parent == out else f"{parent}"
        raise InputError(source, option, f"{expect}; cannot write there: {where} is not writable")
    created: list[Path] = []
    try:
        for directory in reversed(missing):
            directory.mkdir()
            created.append(directory)
        fd, probe = tempfile.mkstemp(prefix=".iesim-write-check-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(source, option, f"{expect}; cannot write there ({_why(exc)})") from None
    finally:
        for directory in reversed(created):
            try:
                directory.rmdir()
            except OSError:
                pass
