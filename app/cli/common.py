"""The ``qa`` command's shared parts: the Typer app, the options every command takes, one-line errors and ingest progress."""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited question answering over your news articles, offline.")

ReuseOpt = Annotated[Path | None, typer.Option(
    "--reuse-vectors-from", metavar="DIR",
    help="another data home built with the same model: passages it already embedded are copied, not embedded again")]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="data home holding the index (default: $QA_HOME or ~/.local/share/analyst-qa)")]


def assistant_for(home: Path | None, **overrides):
    from qa.assistant import Assistant

    return Assistant(home=home, **overrides)


def fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def run(fn):
    """Run a command body, turning every error into one clear line and a non-zero exit.

    Domain errors say what is wrong and what to do. Anything else is a bug: one line names it, and
    ``QA_DEBUG=1`` shows the traceback.
    """
    import os

    from qa.errors import USER_ERRORS

    try:
        return fn()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except USER_ERRORS as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the index is as it was before this command (finished batches are kept for the next run)", 130)
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user
        if os.environ.get("QA_DEBUG") == "1":
            raise
        detail = str(exc).strip().splitlines()
        fail(f"unexpected {type(exc).__name__}{': ' + detail[0][:300] if detail else ''} "
              "(a bug: QA_DEBUG=1 shows the traceback)", 3)


def estimate_total(paths: list[Path]) -> int | None:
    """Articles to expect: files, or lines of JSONL files (cheap to count)."""
    from corpus.load import SUFFIXES, files_under, suffix_of

    total = 0
    for p in paths:
        files = files_under(p) if p.is_dir() else [p]
        for f in files:
            kind = suffix_of(f)
            if kind == ".jsonl":
                try:
                    opener = gzip.open if f.suffix == ".gz" else open
                    with opener(f, "rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except OSError:
                    total += 1
            elif kind == ".json":
                return None
            elif kind in SUFFIXES:
                total += 1
    return total or None


def ingest_with_progress(assistant, paths: list[Path], quiet: bool = False, embedder=None, reuse_vectors_from=None):
    """Ingest with a progress bar showing articles and passages embedded per second."""
    from tqdm import tqdm

    total = estimate_total(paths)
    bar = tqdm(total=total, unit="art", desc="ingest", disable=quiet, dynamic_ncols=True, file=sys.stderr)
    start = time.time()

    def progress(stage, done, _total, extra):
        rate = extra.get("embedded", 0) / max(time.time() - start, 1e-6)
        bar.set_postfix_str(f"passages {extra.get('embedded', 0)} ({rate:.1f}/s)", refresh=False)
        bar.update(done - bar.n)  # tqdm limits the redraws

    def log(msg):
        bar.write(msg, file=sys.stderr)

    try:
        report = assistant.ingest(paths, progress=progress, log=log if not quiet else None, embedder=embedder,
                                  reuse_vectors_from=reuse_vectors_from)
    finally:
        bar.close()
    return report


def read_jsonl(path: Path, what: str, need: tuple[str, ...]) -> list[dict]:
    """Rows of a JSONL file (gzipped or not), each checked for the fields ``need``."""
    from qa.errors import BadQuestion

    if not path.is_file():
        raise BadQuestion(f"{what} file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BadQuestion(f"{path}, line {n}: not JSON ({exc.msg})") from None
                missing = [k for k in need if not isinstance(row, dict) or k not in row]
                if missing:
                    raise BadQuestion(f"{path}, line {n}: missing {', '.join(missing)} (a {what} line needs {', '.join(need)})")
                rows.append(row)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise BadQuestion(f"cannot read {path}: {exc}") from None
    return rows
