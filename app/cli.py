"""The ``qa`` command line: ingest, ask, remove, attributions, outlets, timeline, stance, stats, serve, eval, check, repair."""

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


def _assistant(home: Path | None, **overrides):
    from qa.assistant import Assistant

    return Assistant(home=home, **overrides)


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


def _run(fn):
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
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; the index is as it was before this command (finished batches are kept for the next run)", 130)
    except Exception as exc:  # noqa: BLE001 - no traceback reaches a user
        if os.environ.get("QA_DEBUG") == "1":
            raise
        detail = str(exc).strip().splitlines()
        _fail(f"unexpected {type(exc).__name__}{': ' + detail[0][:300] if detail else ''} "
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
        a = _assistant(home, index={"lock_timeout": wait})
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
                "vectors_borrowed": report.vectors_borrowed,
                "seconds": round(report.seconds, 2), "version": report.version,
            }))
        else:
            typer.echo(report.summary())
        if report.skipped and not (report.added or report.replaced or report.unchanged or report.resumed):
            raise typer.Exit(2)

    _run(body)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question")],
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print Answer.to_dict() as JSON")] = False,
    k: Annotated[int | None, typer.Option("-k", "--k", help="passages to consider")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="only this outlet (repeatable)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="published on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="published on or before YYYY-MM-DD")] = None,
    no_rerank: Annotated[bool, typer.Option("--no-rerank", help="skip the reranking stage")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="read 'this week', 'recently' relative to this YYYY-MM-DD (default today)")] = None,
    speaker: Annotated[list[str] | None, typer.Option("--speaker", help="only sentences attributed to this source, a name or part of it (repeatable)")] = None,
    leaning: Annotated[list[str] | None, typer.Option("--leaning", help="only sources with this stated leaning, e.g. pro-Kurdish (repeatable)")] = None,
    no_corroboration: Annotated[bool, typer.Option("--no-corroboration", help="do not look for other articles' reports of each cited claim")] = False,
    llm: Annotated[bool | None, typer.Option("--llm/--quoted", help="a written answer from the configured LLM (QA_LLM_URL, QA_LLM_MODEL), every sentence verified; or quoted sentences (default: setting answer.mode)")] = None,
):
    """Answer a question with citations to the exact passages."""

    def body():
        a = _assistant(home)
        extra = {"rerank": False} if no_rerank else {}
        mode = None if llm is None else ("llm" if llm else "extractive")
        stream = (mode or a.settings.answer.mode) == "llm" and not as_json and sys.stderr.isatty()
        ans = a.ask(question, k=k, sources=source or None, since=since, until=until, as_of=as_of,
                    speakers=speaker or None, leanings=leaning or None,
                    corroborate=False if no_corroboration else None, mode=mode,
                    on_token=(lambda t: sys.stderr.write(t) or sys.stderr.flush()) if stream else None, **extra)
        if stream:
            sys.stderr.write("\n\n")
        if as_json:
            typer.echo(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(ans.to_markdown())

    _run(body)


@app.command()
def remove(
    ids: Annotated[list[str], typer.Argument(help="article ids (see `qa stats --articles`)")],
    home: HomeOpt = None,
):
    """Delete articles (and their passages) from the index."""

    def body():
        a = _assistant(home)
        a.snapshot()
        removed = a.remove(ids)
        missing = [i for i in ids if i not in removed]
        if removed:
            typer.echo(f"removed {len(removed)} article(s): {', '.join(removed)}")
        if missing:
            _fail(f"no such article: {', '.join(missing)}")

    _run(body)


@app.command()
def attributions(
    paths: Annotated[list[Path], typer.Argument(help="article files or folders (any supported format); nothing is indexed")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write one JSON object per relation to this file (JSONL; - for stdout)")] = None,
):
    """Who says what in articles: source, cue and content of each attribution, with character spans."""

    def body():
        from itertools import islice

        from corpus import Skipped, UnreadableInput, iter_articles
        from index.attribution import Extractor

        for p in paths:
            if not p.exists():
                raise UnreadableInput(f"no such file or folder: {p}")
        ex = Extractor()
        out = sys.stdout if json_out is not None and str(json_out) == "-" else None
        fh = out or (open(json_out, "w", encoding="utf-8") if json_out else None)

        def readable():
            for item in iter_articles(paths):
                if isinstance(item, Skipped):
                    typer.echo(f"warning: skipped {item.path}: {item.reason}", err=True)
                else:
                    yield item

        n = 0
        articles = readable()
        try:
            while batch := list(islice(articles, 64)):
                for art, rels in zip(batch, ex.extract_many([(a.id, a.text, a.source) for a in batch]), strict=True):
                    for r in rels:
                        n += 1
                        if fh is not None:
                            fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
                            continue
                        who = r.speaker or (r.source.text if r.source else "?")
                        extra = ", ".join(x for x in (r.role, r.leaning) if x)
                        typer.echo(f"{art.id}\t{r.kind}\t{who}{' (' + extra + ')' if extra else ''}\t{r.cue.text}\t{r.content.text[:100]}")
        finally:
            if fh is not None and fh is not out:
                fh.close()
        if json_out is not None and out is None:
            typer.echo(f"wrote {n} relations to {json_out}", err=True)

    _run(body)


@app.command()
def outlets(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json", help="print the profiles as JSON")] = False):
    """What the articles say about outlets: name, kind, country, stated leaning, each with its sentence."""

    def body():
        profiles = _assistant(home).outlets()
        if as_json:
            typer.echo(json.dumps(profiles, ensure_ascii=False, indent=2))
            return
        for p in profiles:
            facts = []
            for key in ("kind", "country", "leaning"):
                facts += [f"{key} {v['value']}" for v in p[key]]
            typer.echo(f"{p['name']}: {'; '.join(facts) or '-'}{' (edited in outlets.yaml)' if p['edited_by_user'] else ''}")
            for v in p["leaning"]:  # a leaning is shown with the sentences that state it
                for c in v["citations"]:
                    where = f"{c['article_id']} {c['start']}-{c['end']}" if c["article_id"] else "outlets.yaml"
                    typer.echo(f"    {v['value']}: \"{c['quote'][:160]}\" ({where})")

    _run(body)


@app.command()
def timeline(
    query: Annotated[str, typer.Argument(help="what the timeline is about")],
    home: HomeOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="events on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="events on or before YYYY-MM-DD")] = None,
    dates: Annotated[int, typer.Option("--dates", help="days in the timeline")] = 10,
    per_date: Annotated[int, typer.Option("--per-date", help="events per day")] = 3,
    passages: Annotated[int, typer.Option("--passages", help="passages of the query read (more for a long timeline)")] = 60,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the timeline as JSON to this file (- for stdout)")] = None,
):
    """The dated events about QUERY across the indexed articles, each cited exactly."""

    def body():
        t = _assistant(home).timeline(query, since=since, until=until, dates=dates, per_date=per_date, passages=passages)
        if json_out is not None:
            text = json.dumps(t, ensure_ascii=False, indent=2)
            if str(json_out) == "-":
                typer.echo(text)
            else:
                json_out.write_text(text, encoding="utf-8")
                typer.echo(f"wrote {json_out}", err=True)
            return
        if not t["dates"]:
            typer.echo(t["message"])
        for d in t["dates"]:
            typer.echo(f"{d['date']}  ({d['articles']} article{'s' if d['articles'] != 1 else ''})")
            for e in d["events"]:
                how = {"explicit": "", "relative": f" [{e['date_phrase']}]", "published": " [published]"}.get(e["dated_by"], "")
                if e.get("event_until"):
                    how += f" [a span, to {e['event_until']}]"
                also = f" (+{len(e['mentions'])} more)" if e["mentions"] else ""
                typer.echo(f"  - {' '.join(e['text'].split())}{how} — {e['source'] or e['article_id']}, "
                           f"{e['article_id']} {e['start']}-{e['end']}{also}")

    _run(body)


def _read_jsonl(path: Path, what: str, need: tuple[str, ...]) -> list[dict]:
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


@app.command()
def stance(
    pairs: Annotated[Path, typer.Option("--pairs", help='JSONL (or .jsonl.gz) of {"id", "claim", "body_id"}')],
    bodies: Annotated[Path, typer.Option("--bodies", help='JSONL (or .jsonl.gz) of {"id", "text"}')],
    json_out: Annotated[Path | None, typer.Option("--json", help="write the labels as JSONL to this file (default: stdout)")] = None,
    nli: Annotated[str | None, typer.Option("--nli", help="a sentence-transformers NLI CrossEncoder (hub name or folder) instead of the built-in rules")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
):
    """Label claim / body pairs agree, disagree, discuss or unrelated (the FNC-1 labels), one JSON line each."""

    def body():
        from index.embed import from_settings
        from qa.settings import Settings
        from qa.stance import StanceScorer, label_pairs
        from qa.validate import check_question

        ps = _read_jsonl(pairs, "pairs", ("id", "claim", "body_id"))
        bs = {str(b["id"]): b["text"] for b in _read_jsonl(bodies, "bodies", ("id", "text")) if isinstance(b["text"], str)}
        for p in ps:
            p["claim"] = check_question(p["claim"])
        s = Settings.load()
        scorer = StanceScorer(from_settings(s.embed), nli_model=nli or s.answer.stance_model)
        from tqdm import tqdm

        with tqdm(total=len(ps), unit="pair", disable=quiet, file=sys.stderr) as bar:
            out = label_pairs(scorer, ps, bs, progress=lambda done: bar.update(done - bar.n))
        missing = sum(1 for p in ps if str(p["body_id"]) not in bs)
        text = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out)
        if json_out is None or str(json_out) == "-":
            typer.echo(text, nl=False)
        else:
            json_out.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {len(out)} labels to {json_out}", err=True)
        if missing:
            typer.echo(f"warning: {missing} pair(s) name a body that is not in {bodies}: labelled unrelated", err=True)

    _run(body)


@app.command()
def stats(
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    articles: Annotated[bool, typer.Option("--articles", help="list the indexed articles")] = False,
):
    """Show what is indexed."""

    def body():
        a = _assistant(home)
        s = a.stats()
        if articles:
            s["article_list"] = a.snapshot().articles()
        if as_json:
            typer.echo(json.dumps(s, indent=2, ensure_ascii=False))
            return
        for key in ("home", "articles", "passages", "model", "backend", "index_type", "version", "index_version", "updated", "bytes_on_disk"):
            typer.echo(f"{key:>14}: {s[key]}")
        typer.echo(f"{'sources':>14}: {', '.join(s['sources']) or '-'}")
        for art in s.get("article_list", []):
            typer.echo(f"  {art['id']}\t{art['date'] or '-'}\t{art['source'] or '-'}\t{art['title']}")

    _run(body)


@app.command()
def check(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False):
    """Check the index's integrity (exit 0 if healthy, 1 with the reason if not)."""

    def body():
        from index.errors import IndexNotFound
        from index.manifest import read_manifest

        a = _assistant(home)
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
            _fail("; ".join(problems))
        if not as_json:
            typer.echo(f"ok: {m.articles} articles, {m.passages} passages, version {m.version}, index version {m.digest}")

    _run(body)


@app.command()
def repair(home: HomeOpt = None, wait: Annotated[float, typer.Option("--wait", help="seconds to wait if an ingest holds the lock")] = 0.0):
    """Rebuild the derived index files (vectors, BM25, filters, manifest) from the passage table."""

    def body():
        a = _assistant(home, index={"lock_timeout": wait})
        before = a.check() if a.paths.exists() else []
        for p in before:
            typer.echo(f"found: {p}", err=True)
        r = a.repair(log=lambda msg: typer.echo(msg, err=True))
        left = a.check()
        if left:
            _fail("; ".join(left))
        typer.echo(f"repaired: {r['articles']} articles, {r['passages']} passages, version {r['version']}, "
                   f"index version {r['index_version']}")

    _run(body)


@app.command()
def serve(
    home: HomeOpt = None,
    host: Annotated[str | None, typer.Option(help="address to bind (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 7860)")] = None,
    share: Annotated[bool, typer.Option("--share", help="create a public Gradio share link")] = False,
    sample: Annotated[bool, typer.Option("--sample/--no-sample", help="index the bundled sample articles if the index is empty")] = True,
    mcp: Annotated[bool, typer.Option("--mcp", help="also serve ask, search, attributions and timeline as MCP tools at /gradio_api/mcp")] = False,
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
        a = _assistant(home, **({"server": server} if server else {}))
        if sample and not a.paths.manifest.exists():
            bundled = Path(__file__).resolve().parent.parent / "corpus" / "articles"
            typer.echo(f"no index in {a.paths.home} yet: indexing the bundled sample articles", err=True)
            report = ingest_with_progress(a, [bundled])
            typer.echo(report.summary(), err=True)
        run_server(a)

    _run(body)


@app.command("eval")
def eval_(
    articles: Annotated[Path, typer.Option("--articles", help="articles JSONL(.gz): id, title, text, [url, date]")],
    questions: Annotated[Path, typer.Option("--questions", help="questions JSONL(.gz): id, question, answers, gold_doc_ids")],
    home: HomeOpt = None,
    variants: Annotated[str, typer.Option(help="comma-separated: dense,bm25,hybrid,hybrid+rerank")] = "dense,bm25,hybrid,hybrid+rerank",
    limit: Annotated[int | None, typer.Option(help="use only the first N questions")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the results to this JSON file")] = None,
    reuse_vectors_from: ReuseOpt = None,
):
    """Measure retrieval quality and latency on a question set."""

    def body():
        from tqdm import tqdm

        from qa.evaluate import evaluate, format_table, load_questions

        for p in (articles, questions):
            if not p.exists():
                _fail(f"no such file: {p}")
        a = _assistant(home)
        report = ingest_with_progress(a, [articles], reuse_vectors_from=reuse_vectors_from)
        for s in report.skipped[:20]:
            typer.echo(f"warning: skipped {s}", err=True)
        qs = load_questions(questions, limit=limit)
        names = [v.strip() for v in variants.split(",") if v.strip()]
        bars: dict = {}

        def progress(name, done, total):
            if name not in bars:
                for b in bars.values():
                    b.close()
                bars[name] = tqdm(total=total, desc=name, unit="q", file=sys.stderr)
            bars[name].update(done - bars[name].n)

        try:
            result = evaluate(a, qs, names, progress=progress)
        except ValueError as exc:
            _fail(str(exc))
        finally:
            for b in bars.values():
                b.close()
        typer.echo(format_table(result))
        if json_out:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(result, indent=2))
            typer.echo(f"wrote {json_out}")

    _run(body)


def normalize_argv(argv: list[str]) -> list[str]:
    """Let ``--ray`` stand alone (a local Ray) as well as take an ADDRESS."""
    out = list(argv)
    for i, arg in enumerate(out):
        if arg == "--ray" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out.insert(i + 1, "local")
            break
    return out


def main() -> None:
    import index  # noqa: F401  (offline defaults before any model library loads)

    app(args=normalize_argv(sys.argv[1:]), prog_name="qa")


if __name__ == "__main__":
    main()
