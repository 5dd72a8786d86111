"""The one error type for bad input, shown to users as a single line."""

from __future__ import annotations


class InputError(Exception):
    """Bad input in a file or on the command line.

    ``str(err)`` is the whole line the CLI prints after ``error: ``: the file,
    the key and what was expected.
    """

    def __init__(self, source: str, key: str | None, message: str):
        self.source = str(source)
        self.key = key
        self.message = message
        where = f"{self.source}: " if self.source else ""
        super().__init__(f"{where}{message}")
