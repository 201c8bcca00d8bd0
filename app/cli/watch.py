"""``qa watch``: keep the index in step with folders (and feeds) until interrupted (``qa.sync.keeper``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import HomeOpt, app, assistant_for, run

EveryOpt = Annotated[str | None, typer.Option("--feeds-every", metavar="INTERVAL",
                                              help="also read the followed feeds every INTERVAL (15m, 1h, 90s)")]


def start_keeper(assistant, folders: list[Path], feeds_every: str | None, quiet: bool = False):
    """A started ``Keeper`` that logs each update to stderr with a progress bar per ingest; None when
    there is nothing to keep (no folder, no interval)."""
    from tqdm import tqdm

    from qa.sync.keeper import Keeper, parse_every

    every = parse_every(feeds_every) if feeds_every else None
    if not folders and every is None:
        return None
    bar: dict = {}

    def progress(stage, done, total, extra):
        if quiet:
            return
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="art", desc="update", dynamic_ncols=True, file=sys.stderr, leave=False)
        b = bar["bar"]
        b.set_postfix_str(f"passages {extra.get('embedded', 0)}", refresh=False)
        b.update(done - b.n)

    def log(line):
        if "bar" in bar:
            bar.pop("bar").close()
        typer.echo(line, err=True)

    keeper = Keeper(assistant, folders, every, log=log, progress=progress)
    return keeper.start()


@app.command()
def watch(
    folders: Annotated[list[Path], typer.Argument(help="folders whose files the index follows")],
    home: HomeOpt = None,
    feeds_every: EveryOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
):
    """Ingest new and changed files in FOLDERS, and remove deleted ones, as they happen (Ctrl-C or SIGTERM stops)."""

    def body():
        import signal
        import time

        def stop(*_):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)  # a service manager's stop: the same as Ctrl-C
        a = assistant_for(home)
        keeper = start_keeper(a, folders, feeds_every, quiet)
        try:
            typer.echo(f"watching {', '.join(map(str, keeper.folders.folders))}"
                       + (f"; feeds every {feeds_every}" if feeds_every else "") + " (Ctrl-C stops)", err=True)
            while keeper.alive:
                time.sleep(0.5)
        except KeyboardInterrupt:
            typer.echo("stopping: an update in progress finishes first", err=True)
        finally:
            keeper.stop(timeout=600)

    run(body)
