"""``qa`` commands that build, inspect and serve a data home: ingest, remove, stats, check, repair, serve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import (
    HomeOpt,
    ReuseOpt,
    app,
    assistant_for,
    fail,
    ingest_with_progress,
    run,
)
from app.cli.watch import EveryOpt, start_keeper


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (.txt .md .html .json .jsonl .pdf)")],
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    wait: Annotated[float, typer.Option("--wait", help="seconds to wait if another ingest holds the lock")] = 0.0,
    ray: Annotated[str | None, typer.Option("--ray", metavar="[ADDRESS]",
                                            help="embed on Ray: a local Ray (bare --ray), or the cluster at ADDRESS")] = None,
    ray_workers: Annotated[int, typer.Option("--ray-workers", help="Ray embedding actors")] = 2,
    reuse_vectors_from: ReuseOpt = None,
):
    """Add or update articles in the index (unchanged articles are skipped)."""

    def body():
        from corpus import UnreadableInput

        for p in paths:
            if not p.exists():
                raise UnreadableInput(f"no such file or folder: {p}")
        a = assistant_for(home, index={"lock_timeout": wait})
        embedder = None
        if ray:
            from index.distributed import RayEmbedder

            e = a.settings.embed
            embedder = RayEmbedder(e.model, e.backend, address=None if ray == "local" else ray, workers=ray_workers)
        report = ingest_with_progress(a, paths, quiet=quiet or as_json, embedder=embedder, reuse_vectors_from=reuse_vectors_from)
        for s in report.skipped:
            typer.echo(f"warning: skipped {s.path}: {s.reason}", err=True)
        if as_json:
            typer.echo(json.dumps({
                "added": report.added, "replaced": report.replaced, "unchanged": report.unchanged,
                "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
                "passages_embedded": report.passages_embedded, "passages_reused": report.passages_reused,
                "vectors_borrowed": report.vectors_borrowed, "copies": report.copies,
                "seconds": round(report.seconds, 2), "version": report.version,
            }))
        else:
            typer.echo(report.summary())
        if report.skipped and not (report.added or report.replaced or report.unchanged or report.resumed):
            raise typer.Exit(2)

    run(body)


@app.command()
def remove(
    ids: Annotated[list[str], typer.Argument(help="article ids (see `qa stats --articles`)")],
    home: HomeOpt = None,
):
    """Delete articles (and their passages) from the index."""

    def body():
        a = assistant_for(home)
        a.snapshot()
        removed = a.remove(ids)
        missing = [i for i in ids if i not in removed]
        if removed:
            typer.echo(f"removed {len(removed)} article(s): {', '.join(removed)}")
        if missing:
            fail(f"no such article: {', '.join(missing)}")

    run(body)


@app.command()
def stats(
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    articles: Annotated[bool, typer.Option("--articles", help="list the indexed articles")] = False,
):
    """Show what is indexed."""

    def body():
        a = assistant_for(home)
        s = a.stats()
        if articles:
            s["article_list"] = a.snapshot().articles()
        if as_json:
            typer.echo(json.dumps(s, indent=2, ensure_ascii=False))
            return
        for key in ("home", "articles", "passages", "model", "backend", "index_type", "version", "index_version", "updated", "bytes_on_disk"):
            typer.echo(f"{key:>14}: {s[key]}")
        typer.echo(f"{'sources':>14}: {', '.join(s['sources']) or '-'}")
        g = s["copy_groups"]
        typer.echo(f"{'copies':>14}: {g['groups']} group(s) of copies holding {g['articles']} articles "
                   f"({s['articles'] - g['articles'] + g['groups']} distinct reports)")
        for art in s.get("article_list", []):
            typer.echo(f"  {art['id']}\t{art['date'] or '-'}\t{art['source'] or '-'}\t{art['title']}")

    run(body)


@app.command()
def check(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """Check the index's integrity (exit 0 if healthy, 1 with the reason if not)."""

    def body():
        from index.errors import IndexNotFound
        from index.manifest import read_manifest

        a = assistant_for(home)
        if not a.paths.exists():
            raise IndexNotFound(f"no index in {a.paths.home}: run `qa ingest PATH` first")
        problems = a.check()
        m = None if problems else read_manifest(a.paths.manifest)
        if as_json:
            out = {"ok": not problems, "problems": problems}
            if m is not None:
                out.update(index_version=m.digest, version=m.version, articles=m.articles, passages=m.passages)
            typer.echo(json.dumps(out))
        if problems:
            fail("; ".join(problems))
        if not as_json:
            typer.echo(f"ok: {m.articles} articles, {m.passages} passages, version {m.version}, index version {m.digest}")

    run(body)


@app.command()
def repair(home: HomeOpt = None, wait: Annotated[float, typer.Option("--wait", help="seconds to wait if an ingest holds the lock")] = 0.0):
    """Rebuild the derived index files (vectors, BM25, filters, manifest) from the passage table."""

    def body():
        a = assistant_for(home, index={"lock_timeout": wait})
        before = a.check() if a.paths.exists() else []
        for p in before:
            typer.echo(f"found: {p}", err=True)
        r = a.repair(log=lambda msg: typer.echo(msg, err=True))
        left = a.check()
        if left:
            fail("; ".join(left))
        typer.echo(f"repaired: {r['articles']} articles, {r['passages']} passages, version {r['version']}, "
                   f"index version {r['index_version']}")

    run(body)


@app.command()
def serve(
    home: HomeOpt = None,
    host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 7860)")] = None,
    share: Annotated[bool, typer.Option("--share", help="create a public Gradio share link")] = False,
    sample: Annotated[bool, typer.Option("--sample/--no-sample", help="index the bundled sample articles if the index is empty")] = True,
    mcp: Annotated[bool, typer.Option("--mcp", help="also serve ask, search, attributions and timeline as MCP tools at /gradio_api/mcp")] = False,
    watch: Annotated[list[Path] | None, typer.Option("--watch", metavar="DIR",
                                                     help="keep the index in step with this folder (repeatable)")] = None,
    feeds_every: EveryOpt = None,
):
    """Serve the web chat (builds the index from the bundled sample on first use)."""

    def body():
        from app.web import serve as run_server

        server = {}
        if host:
            server["host"] = host
        if port:
            server["port"] = port
        if share:
            server["share"] = True
        if mcp:
            server["mcp"] = True
        a = assistant_for(home, **({"server": server} if server else {}))
        if sample and not a.paths.manifest.exists():
            bundled = Path(__file__).resolve().parents[2] / "corpus" / "articles"  # the bundled sample
            typer.echo(f"no index in {a.paths.home} yet: indexing the bundled sample articles", err=True)
            report = ingest_with_progress(a, [bundled])
            typer.echo(report.summary(), err=True)
        keeper = start_keeper(a, list(watch or []), feeds_every)
        run_server(a, keeper=keeper)

    run(body)
