"""The ``qa`` command line: every command is a thin wrapper around ``qa.Assistant``.

Errors print one line starting with ``error:`` and exit non-zero; no command prints a traceback.
"""

from __future__ import annotations

import sys

from app.cli import feeds, library, questions, users, watch  # noqa: F401  (registers the commands)
from app.cli.common import app


def normalize_argv(argv: list[str]) -> list[str]:
    """Let ``--ray`` stand alone (a local Ray) as well as take an ADDRESS."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--ray" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out.insert(i + 1, "local")
            break
    return out


def main() -> None:
    from index.embed.base import offline_defaults

    offline_defaults()  # before any model library loads

    app(args=normalize_argv(sys.argv[1:]), prog_name="qa")


__all__ = ["app", "main", "normalize_argv"]
