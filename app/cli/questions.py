"""``qa`` commands that ask the articles: ask, attributions, outlets, timeline, stance, eval."""

from __future__ import annotations

import json
import sys
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
    read_jsonl,
    run,
)


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
        from qa.answer.request import AskRequest

        a = assistant_for(home)
        extra = {"rerank": False} if no_rerank else {}
        mode = None if llm is None else ("llm" if llm else "extractive")
        stream = (mode or a.settings.answer.mode) == "llm" and not as_json and sys.stderr.isatty()
        request = AskRequest.build(question, k=k, sources=source or None, since=since, until=until, as_of=as_of,
                                   speakers=speaker or None, leanings=leaning or None,
                                   corroborate=False if no_corroboration else None, mode=mode, retrieval=extra)
        ans = a.answer(request, on_token=(lambda t: sys.stderr.write(t) or sys.stderr.flush()) if stream else None)
        if stream:
            sys.stderr.write("\n\n")
        if as_json:
            typer.echo(json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
        else:
            typer.echo(ans.to_markdown())

    run(body)


@app.command()
def attributions(
    paths: Annotated[list[Path], typer.Argument(help="article files or folders (any supported format); nothing is indexed")],
    json_out: Annotated[Path | None, typer.Option("--json", help="write one JSON object per relation to this file (JSONL; - for stdout)")] = None,
):
    """Who says what in articles: source, cue and content of each attribution, with character spans."""

    def body():
        from itertools import islice

        from corpus import Skipped, UnreadableInput, iter_articles
        from corpus.text.attribution import Extractor

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

    run(body)


@app.command()
def outlets(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json", help="print the profiles as JSON")] = False):
    """What the articles say about outlets: name, kind, country, stated leaning, each with its sentence."""

    def body():
        profiles = assistant_for(home).outlets()
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

    run(body)


@app.command()
def timeline(
    query: Annotated[str, typer.Argument(help="what the timeline is about")],
    home: HomeOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="events on or after YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="events on or before YYYY-MM-DD")] = None,
    dates: Annotated[int, typer.Option("--dates", help="days in the timeline")] = 10,
    per_date: Annotated[int, typer.Option("--per-date", help="events per day")] = 3,
    passages: Annotated[int | None, typer.Option("--passages", help="passages of the query read (default: as many as the span and the number of dates need)")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the timeline as JSON to this file (- for stdout)")] = None,
):
    """The dated events about QUERY across the indexed articles, each cited exactly."""

    def body():
        t = assistant_for(home).timeline(query, since=since, until=until, dates=dates, per_date=per_date, passages=passages)
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

    run(body)


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
        from qa.analysis.stance import StanceScorer, label_pairs
        from qa.answer.validate import check_question
        from qa.settings import Settings

        ps = read_jsonl(pairs, "pairs", ("id", "claim", "body_id"))
        bs = {str(b["id"]): b["text"] for b in read_jsonl(bodies, "bodies", ("id", "text")) if isinstance(b["text"], str)}
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

    run(body)


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
                fail(f"no such file: {p}")
        a = assistant_for(home)
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
            fail(str(exc))
        finally:
            for b in bars.values():
                b.close()
        typer.echo(format_table(result))
        if json_out:
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(result, indent=2))
            typer.echo(f"wrote {json_out}")

    run(body)
