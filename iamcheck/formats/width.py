"""How wide the table format may be: COLUMNS when set (as POSIX shells and `shutil` read it),
else the width of the terminal stdout is, else None (a pipe or a file: no fitting)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

NARROWEST = 40  # below this a table is not fitted: nothing readable fits


def terminal_width(stream: TextIO | None = None, environ: Mapping[str, str] | None = None
                   ) -> int | None:
    env = os.environ if environ is None else environ
    text = env.get("COLUMNS", "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return max(int(text), NARROWEST)
    out = sys.stdout if stream is None else stream
    try:
        if out.isatty():
            return max(os.get_terminal_size(out.fileno()).columns, NARROWEST)
    except (OSError, ValueError, AttributeError):
        pass
    return None
