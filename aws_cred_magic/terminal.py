"""Hidden prompts in a real terminal that keep a pasted block whole.

``getpass`` turns echo off and back on with ``TCSAFLUSH`` for every prompt, which throws
away input already waiting: paste the portal's three lines at the first prompt and lines
two and three are gone before the second prompt asks for them. Here echo goes off once
for the whole exchange (``TCSANOW``, which discards nothing), lines are read straight from
the terminal, and echo comes back with ``TCSADRAIN``, which also discards nothing.

Used only where ``getpass.getpass`` is the standard library's terminal version: Jupyter
(ipykernel replaces it with a password box) and tests that stand in for it keep theirs.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class HiddenTerminal:
    """A terminal with echo off: ``ask`` reads one line, ``pending`` says if more wait."""

    def __init__(self, fd: int, out: TextIO) -> None:
        self.fd = fd
        self.out = out

    def ask(self, prompt: str) -> str:
        """Show ``prompt``, read one line without echo. ``EOFError`` on Ctrl-D at the start
        of a line; Ctrl-C raises ``KeyboardInterrupt`` as at any prompt."""
        self.out.write(prompt)
        self.out.flush()
        data = bytearray()
        while True:
            byte = os.read(self.fd, 1)  # one byte at a time: nothing read ahead is lost
            if not byte:
                if not data:
                    raise EOFError
                break
            if byte in (b"\n", b"\r"):
                break
            data += byte
        self.out.write("\n")  # the newline the user typed was not echoed
        self.out.flush()
        return data.decode("utf-8", errors="replace")

    def pending(self, wait: float = 0.05) -> bool:
        """Is more input (the rest of a paste) already waiting?"""
        import select

        ready, _, _ = select.select([self.fd], [], [], wait)
        return bool(ready)


@contextmanager
def hidden_terminal() -> Iterator[HiddenTerminal | None]:
    """Echo off on the terminal for the whole block, or ``None`` where this does not apply
    (not a terminal, Windows, or a frontend with its own ``getpass``)."""
    standard = getattr(getpass, "unix_getpass", None)
    if standard is None or getpass.getpass is not standard:
        yield None
        return
    try:
        import termios

        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            raise OSError("not a terminal")
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
        yield None
        return
    quiet = list(saved)
    quiet[3] &= ~termios.ECHO  # lflags: no echo; line editing and Ctrl-C stay as they are
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield HiddenTerminal(fd, sys.stdout)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
