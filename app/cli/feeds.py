"""``qa feeds``: the RSS and Atom feeds a data home follows (``qa.sync.feeds``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.cli.common import HomeOpt, app, assistant_for, fail, run

feeds = typer.Typer(help="Follow RSS and Atom feeds: their new entries are ingested by `qa feeds update`.",
                    no_args_is_help=True)
app.add_typer(feeds, name="feeds")


@feeds.command("add")
def add(url: Annotated[str, typer.Argument(help="the feed's address (http or https)")],
        outlet: Annotated[str | None, typer.Option("--outlet", help="the outlet its articles are from (default: the feed's title)")] = None,
        home: HomeOpt = None):
    """Follow a feed."""
    def body():
        from qa.sync.feeds import FeedList

        FeedList(assistant_for(home).paths.home).add(url, outlet)
        typer.echo(f"following {url}; `qa feeds update` ingests its entries")

    run(body)


@feeds.command("list")
def list_feeds(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """The feeds followed: outlet, entries taken, last check, last error."""
    def body():
        from qa.sync.feeds import FeedList

        items = FeedList(assistant_for(home).paths.home).load()
        if as_json:
            typer.echo(json.dumps([{k: v for k, v in f.items() if k != "seen"} | {"entries": len(f.get("seen") or [])}
                                   for f in items], ensure_ascii=False, indent=2))
            return
        if not items:
            typer.echo("no feeds; add one with `qa feeds add URL`")
        for f in items:
            err = f"  error: {f['last_error']}" if f.get("last_error") else ""
            typer.echo(f"{f['url']}  outlet: {f.get('outlet') or '(feed title)'}  entries: {len(f.get('seen') or [])}"
                       f"  checked: {f.get('last_checked') or 'never'}{err}")

    run(body)


@feeds.command("remove")
def remove(url: Annotated[str, typer.Argument(help="the feed's address, as listed")], home: HomeOpt = None):
    """Stop following a feed (its articles stay indexed; `qa remove` deletes them)."""
    def body():
        from qa.sync.feeds import FeedList

        if not FeedList(assistant_for(home).paths.home).remove(url):
            fail(f"not following {url}")
        typer.echo(f"no longer following {url}")

    run(body)


@feeds.command("update")
def update(home: HomeOpt = None, quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False):
    """Read every feed and ingest its new entries; a bad feed or page is reported, the others go on."""
    def body():
        from qa.sync.feeds import update as run_update

        a = assistant_for(home)
        progress, bar = _bar(quiet)
        try:
            reports = run_update(a, progress=progress)
        finally:
            bar.close()
        if not reports:
            typer.echo("no feeds; add one with `qa feeds add URL`")
        for r in reports:
            typer.echo(r.line(), err=bool(r.error))
        if reports and all(r.error for r in reports):
            raise typer.Exit(2)

    run(body)


def _bar(quiet: bool):
    """A progress bar over each feed's ingest: articles done and passages embedded."""
    import sys

    from tqdm import tqdm

    bar = tqdm(unit="art", desc="feeds", disable=quiet, dynamic_ncols=True, file=sys.stderr)

    def progress(stage, done, total, extra):
        if total and bar.total != total:
            bar.reset(total=total)
        bar.set_postfix_str(f"passages {extra.get('embedded', 0)}", refresh=False)
        bar.update(done - bar.n)

    return progress, bar
