"""The one error type for bad input, shown to users as a single line."""

from __future__ import annotations

import unicodedata

MAX_MESSAGE = 300
"""Longest message (after escaping) an error line shows; longer ones are cut."""

MAX_SOURCE = 150
"""Longest file name an error line shows; longer ones are cut in the middle."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# control (Cc: C0, DEL, C1), format (Cf: e.g. bidi overrides), line and paragraph
# separators (Zl, Zp) and lone surrogates (Cs: undecodable bytes in file names)
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def escape_controls(text: str) -> str:
    r"""``text`` with every control, format or line-breaking character escaped.

    Newline, carriage return and tab become ``\n``, ``\r`` and ``\t``; the
    rest become ``\xNN``, ``\uNNNN`` or ``\UNNNNNNNN``, so the result prints
    as one line and cannot move the cursor or restyle a terminal.
    """
    out = []
    for ch in text:
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in _ESCAPED_CATEGORIES:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Control characters are escaped (see :func:`escape_controls`); a longer
    text is cut, ending in ``...`` and a note of its full length.
    """
    # escaping at most multiplies the length by ten: escape only what can be shown
    shown = escape_controls(text[: limit + 1])
    if len(text) <= limit and len(shown) <= limit:
        return shown
    note = f"... [cut; {len(text)} characters in all]"
    return shown[: max(limit - len(note), 0)] + note


def _short_source(source: str) -> str:
    """A file name for an error line: escaped, and cut in the middle if long."""
    if len(source) <= MAX_SOURCE:
        shown = escape_controls(source)
        if len(shown) <= MAX_SOURCE:
            return shown
    half = MAX_SOURCE // 2
    return (escape_controls(source[:half])[: half - 3] + "..."
            + escape_controls(source[-half:])[-half:])


class InputError(Exception):
    """Bad input in a file or on the command line.

    ``str(err)`` is the whole line the CLI prints after ``error: ``: the file,
    the key and what was expected.  It is always one line: control characters
    in the file name or message (a key may hold a newline) are escaped, and a
    message longer than :data:`MAX_MESSAGE` characters (one that echoes a huge
    value) is cut, with a note of its full length.  The attributes keep the
    raw ``source``, ``key`` and ``message``.
    """

    def __init__(self, source: str, key: str | None, message: str):
        self.source = str(source)
        self.key = key
        self.message = message
        where = f"{_short_source(self.source)}: " if self.source else ""
        super().__init__(f"{where}{one_line(str(message))}")
