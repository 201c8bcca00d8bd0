"""Written answers: a real LLM server (transformers serve over SmolLM2-135M), the verifier on real
evidence, fallbacks when no model, a dead one or a stalled one is configured, MCP tools."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time

import pytest

from tests.conftest import copy_of

KOBANI = "How many IS fighters were reportedly killed near Kobani?"


def _llm(url_model, **more):
    url, model = url_model
    return {"url": url, "model": model, "max_tokens": 48, "timeout": 120, **more}


def _exact(answer):
    """Every citation is an exact span of its article."""
    from corpus import load_articles
    from tests.conftest import SAMPLE

    texts = {a.id: a.text for a in load_articles(SAMPLE).articles}
    for c in answer.citations:
        assert texts[c.article_id][c.start : c.end] == c.quote


def test_written_answer_from_a_real_llm_server_is_streamed_verified_and_audited(llm_url, sample_home, tmp_path, embedder):
    from qa.llm.verify import check_facts, new_words

    a = copy_of(sample_home, tmp_path / "home", embedder)
    a = type(a)(home=tmp_path / "home", llm=_llm(llm_url), embedder=embedder)
    pieces: list[str] = []
    ans = a.ask(KOBANI, mode="llm", on_token=pieces.append, corroborate=False)
    assert pieces and "".join(pieces).strip()  # the model's words arrived as they were written
    assert ans.model == llm_url[1]
    assert ans.citations
    _exact(ans)
    if ans.mode == "llm":  # what the verifier kept cites evidence that holds its numbers and names
        assert all(cl.how == "generated" for cl in ans.claims)
        for cl in ans.claims:
            assert cl.evidence and check_facts(cl.text, list(cl.evidence)) is None
            assert new_words(cl.text, list(cl.evidence), KOBANI) == []
    else:  # nothing survived: the quoted answer, saying so
        assert ans.notice and "quoted" in ans.notice
        assert all(cl.how == "quoted" for cl in ans.claims)
    for u in ans.unsupported:
        assert u["text"] and u["reason"]
    d = ans.to_dict()
    assert d["mode"] == ans.mode and d["model"] == llm_url[1]
    entry = json.loads((tmp_path / "home" / "audit.jsonl").read_text().splitlines()[-1])
    assert entry["model"] == llm_url[1]
    assert len(entry["prompt_evidence"]) >= 1 and all(":" in e for e in entry["prompt_evidence"])
    assert entry["dropped"] == [dict(u) for u in ans.unsupported]


def test_a_follow_up_is_rewritten_by_the_llm(llm_url, sample, sample_home, embedder):
    from qa import Assistant

    a = Assistant(home=sample_home, llm=_llm(llm_url, max_tokens=32), embedder=embedder)
    ans = a.ask("And who reported it?", mode="llm", history=[(KOBANI, "43 IS fighters were killed [1]")],
                corroborate=False)
    assert "llm_rewrite" in ans.timings["stages"]  # the model was asked to rewrite the follow-up
    assert ans.searched is None or (isinstance(ans.searched, str) and ans.searched.strip())


def test_the_verifier_keeps_what_the_cited_evidence_says_and_drops_the_rest(sample):
    from qa.llm.verify import split, verify

    ans = sample.ask(KOBANI, corroborate=False)
    ev = [cl.evidence[0] for cl in ans.claims]
    n43 = next(i for i, e in enumerate(ev, 1) if "43" in e.text)
    other = next(i for i, e in enumerate(ev, 1) if "43" not in e.text)
    reply = (f"The YPG captured five villages from the Islamic State on Tuesday, in fighting that reportedly killed "
             f"43 IS fighters [{n43}]. The clashes killed 120 civilians [{n43}]. "
             f"The fighting has spread to Aleppo [{other}]. IS fighters were defeated [{len(ev) + 4}]. Kurds are happy. "
             f"Diplomats negotiated a lasting ceasefire agreement [{n43}]. "
             f"Kurdish forces killed 43 fighters [{other}].")
    kept, dropped = verify(split(reply), ev, sample.embedder, sample.settings.llm.min_meaning,
                           min_words=sample.settings.llm.min_words)
    assert [k.text for k in kept][:1] == ["The YPG captured five villages from the Islamic State on Tuesday, in fighting "
                                          "that reportedly killed 43 IS fighters."]
    assert len(kept) == 2
    assert kept[0].how == "generated" and kept[0].evidence == (ev[n43 - 1],)
    reasons = {d["text"]: d["reason"] for d in dropped}
    assert "number 120" in reasons["The clashes killed 120 civilians."]
    assert "'Aleppo'" in reasons["The fighting has spread to Aleppo."]
    assert "does not exist" in reasons["IS fighters were defeated."]
    assert reasons["Kurds are happy."] == "cites no evidence"
    assert "most of its words are not in the evidence" in reasons["Diplomats negotiated a lasting ceasefire agreement."]
    # the wrong marker of a sentence another evidence sentence supports is corrected to that sentence
    assert kept[1].text == "Kurdish forces killed 43 fighters." and kept[1].evidence == (ev[n43 - 1],)


def test_a_sentence_with_a_word_its_evidence_lacks_or_a_pick_from_the_question_is_dropped(sample):
    from qa.llm.verify import new_words, split, verify

    ans = sample.ask(KOBANI, corroborate=False)
    ev = [cl.evidence[0] for cl in ans.claims]
    n43 = next(i for i, e in enumerate(ev, 1) if "43" in e.text)
    said = ("The YPG captured five villages from the Islamic State on Tuesday after fighting that reportedly led to "
            "the deaths of 43 IS fighters")
    assert said in ev[n43 - 1].text
    brutal = said.replace("after fighting", "after brutal fighting")
    reply = f"{said} [{n43}]. {brutal} [{n43}]."
    settings = sample.settings.llm
    kept, dropped = verify(split(reply), ev, sample.embedder, settings.min_meaning, min_words=settings.min_words,
                           question=KOBANI)
    assert [k.text for k in kept] == [said + "."]
    assert dropped == [{"text": brutal + ".", "markers": [n43],
                        "reason": "it says what the evidence it cites does not: 'brutal'"}]
    # without the question (the setting off) only the earlier checks apply: both are kept
    kept, _ = verify(split(reply), ev, sample.embedder, settings.min_meaning, min_words=settings.min_words)
    assert len(kept) == 2
    # the question's words may be repeated, but a choice it offers must be in the evidence
    cited = [ev[n43 - 1]]
    assert new_words("Reportedly 43 IS fighters were killed near Kobani.", cited, KOBANI) == []
    # who carried it counts as the evidence's: the prompt asks the model to name its source
    assert ev[n43 - 1].source == "Syria Direct" and "Syria" not in ev[n43 - 1].text
    assert new_words("According to Syria Direct, the YPG captured five villages.", cited, KOBANI) == []
    asked = "Did the YPG capture or lose five villages?"
    assert new_words("The YPG captured five villages.", cited, asked) == []
    assert new_words("The YPG lost five villages.", cited, asked) == ["lost"]


def test_the_models_own_check_keeps_only_the_sentences_it_says_yes_to(llm_url, sample):
    from qa.llm.client import LLM, LLMUnavailable
    from qa.llm.prompts import judge_messages, verdict
    from qa.llm.writer import LLMWriter
    from qa.settings import LLMSettings
    from qa.types import Claim
    from tests.server import free_port

    ans = sample.ask(KOBANI, corroborate=False)
    ev = next(e for cl in ans.claims for e in cl.evidence if "43" in e.text)
    claims = [Claim("The YPG captured five villages from the Islamic State.", (ev,), "generated"),
              Claim("The YPG lost Kobani to the Islamic State in 2010.", (ev,), "generated")]
    asked = judge_messages(claims[0].text, claims[0].evidence)[-1]["content"]
    assert ev.source in asked and " ".join(ev.text.split()) in asked and claims[0].text in asked
    settings = LLMSettings(url=llm_url[0], model=llm_url[1], timeout=120, max_tokens=48)
    llm = LLM(settings)
    replies = [llm.first_word(judge_messages(c.text, c.evidence)) for c in claims]
    assert all(r.strip() and len(r.split()) <= 4 for r in replies), replies  # 4 tokens at most, not a paragraph
    dropped: list[dict] = []
    kept = LLMWriter(llm, sample.embedder, settings, fallback=3)._judged(claims, dropped)
    # temperature 0: the model gives the same replies, and only a yes keeps a sentence
    assert kept == [c for c, r in zip(claims, replies, strict=True) if verdict(r)]
    assert [d["text"] for d in dropped] == [c.text for c, r in zip(claims, replies, strict=True) if not verdict(r)]
    assert all(d["reason"].startswith("the model, checking it against the evidence it cites, ") for d in dropped)
    # a server gone by the time of the check: the writer gets LLMUnavailable (and quotes), never keeps unchecked
    gone = LLM(LLMSettings(url=f"http://127.0.0.1:{free_port()}/v1", model="m", timeout=20))
    with pytest.raises(LLMUnavailable):
        LLMWriter(gone, sample.embedder, settings, fallback=3)._judged(claims, [])


def test_the_models_reply_to_its_check_is_read_as_yes_no_or_neither():
    from qa.llm.prompts import verdict

    assert [verdict(r) for r in ("Yes", " yes.", "YES, it does", "No.", "no", "\n No,")] == [True] * 3 + [False] * 3
    assert [verdict(r) for r in ("", "Yesterday", "The evidence", "Maybe")] == [None] * 4


def test_markers_after_the_full_stop_and_lists_of_markers_are_read():
    from qa.llm.verify import split

    got = split("Forces advanced on Tuesday. [1] They took [2, 3] five villages.[4]Then nothing.")
    assert [(d.text, d.markers) for d in got] == [("Forces advanced on Tuesday.", [1]),
                                                  ("They took five villages.", [2, 3, 4]),
                                                  ("Then nothing.", [])]
    # an abbreviation or initial does not end a sentence (it would leave the first part without its marker)
    got = split("President Dwight D. Eisenhower signed it c. 1954, Gov. Ducey said [2]. The flag is 4 × 6 ft. [3]. "
                "Its arms, i.e. components of glaciers, were long [1].")
    assert [(d.text, d.markers) for d in got] == [("President Dwight D. Eisenhower signed it c. 1954, Gov. Ducey said.", [2]),
                                                  ("The flag is 4 × 6 ft.", [3]),
                                                  ("Its arms, i.e. components of glaciers, were long.", [1])]
    # "according to" with nothing after it goes, and so do the empty sources a small model lists
    got = split("Eggs cost more, according to,,,, and [1]. The team won, according to,,, and, according to the coach [2].")
    assert [d.text for d in got] == ["Eggs cost more.", "The team won, according to the coach."]


def test_no_llm_configured_answers_with_quotes_and_says_so(sample):
    ans = sample.ask(KOBANI, mode="llm", corroborate=False)
    assert ans.mode == "extractive" and not ans.not_found
    assert "No language model is configured" in ans.notice
    assert all(cl.how == "quoted" for cl in ans.claims)


def test_a_dead_llm_server_gives_the_quoted_answer_and_a_message(sample_home, embedder):
    from qa import Assistant
    from tests.server import free_port

    a = Assistant(home=sample_home, llm={"url": f"http://127.0.0.1:{free_port()}/v1", "model": "m", "timeout": 20}, embedder=embedder)
    ans = a.ask(KOBANI, mode="llm", corroborate=False)
    assert ans.mode == "extractive" and ans.citations
    assert "did not answer" in ans.notice and "quoted" in ans.notice


def test_a_stalled_llm_server_times_out_instead_of_hanging(sample_home, embedder):
    from qa import Assistant

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept_and_say_nothing():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    try:
        a = Assistant(home=sample_home, llm={"url": f"http://127.0.0.1:{srv.getsockname()[1]}/v1", "model": "m",
                                             "timeout": 2}, embedder=embedder)
        t = time.perf_counter()
        ans = a.ask(KOBANI, mode="llm", corroborate=False)
        assert time.perf_counter() - t < 30
        assert ans.mode == "extractive" and ans.citations and ans.notice
    finally:
        stop.set()
        for c in held:
            c.close()
        srv.close()


def test_bad_mode_is_refused(sample):
    from qa.errors import BadQuestion

    with pytest.raises(BadQuestion, match="mode must be one of extractive, llm"):
        sample.ask(KOBANI, mode="poem")


def test_the_server_writes_answers_over_rest_and_serves_its_tools_over_mcp(llm_url, sample_home, tmp_path):
    import asyncio
    import urllib.request

    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from tests.server import running_server

    url_, model = llm_url
    env = {"QA_LLM_URL": url_, "QA_LLM_MODEL": model, "QA_LLM_MAX_TOKENS": "32", "QA_LLM_TIMEOUT": "120"}
    home = tmp_path / "home"  # the server writes its log and audit into its home: not the shared sample
    shutil.copytree(sample_home, home)
    with running_server(home, env=env, args=("--mcp",)) as (url, _):
        req = urllib.request.Request(url + "/api/ask", data=json.dumps({"question": KOBANI, "mode": "llm"}).encode(),
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=180) as r:
            d = json.loads(r.read())
        assert d["model"] == model and d["mode"] in ("llm", "extractive") and d["citations"]
        assert d["mode"] == "llm" or "quoted" in d["notice"]

        async def tools():
            async with streamable_http_client(url + "/gradio_api/mcp/") as (read, write, _), \
                    ClientSession(read, write) as session:
                await session.initialize()
                listed = {t.name: t for t in (await session.list_tools()).tools}
                found = await session.call_tool("search", {"query": "Kobani villages", "k": 2})
                return listed, found

        listed, found = asyncio.run(tools())
        assert {"ask", "search", "attributions", "timeline"} <= set(listed)
        assert "k" in listed["search"].inputSchema["properties"]
        assert "passages" in (listed["search"].description or "") or listed["search"].description
        body = json.loads(found.content[0].text)
        assert len(body["passages"]) == 2 and body["passages"][0]["article_id"].startswith("syria-direct")


def test_the_chat_streams_the_draft_then_shows_the_checked_answer(llm_url, sample_home, embedder):
    from app.chat_backend import ChatBackend
    from qa import Assistant

    a = Assistant(home=sample_home, llm=_llm(llm_url), answer={"corroboration": False}, embedder=embedder)
    steps = list(ChatBackend(a).ask_streaming(KOBANI, None, mode="llm"))
    drafts = [v for kind, v in steps if kind == "draft"]
    assert drafts and all(len(x) <= len(y) for x, y in zip(drafts, drafts[1:], strict=False))  # text grows
    kind, (conv, ans_html, src_html, err) = steps[-1]
    assert kind == "done" and err is None and "qa-marker" in ans_html
    assert conv.turns[-1].model == llm_url[1]
    assert "<script" not in ans_html


def test_the_llm_reads_the_kind_of_a_question_the_rules_read_as_a_fact(llm_url, sample_home, embedder):
    from qa import Assistant
    from qa.answer.reading import KINDS
    from qa.llm.read import clean_kind

    assert clean_kind("Timeline.") == "timeline" and clean_kind("Kind: who said") == "who_said"
    assert clean_kind("I cannot tell.") is None
    a = Assistant(home=sample_home, llm=_llm(llm_url, max_tokens=8, read_questions=True), embedder=embedder)
    ans = a.ask("Give me the sequence of events around Kobani", as_of="2015-03-25", corroborate=False)
    assert "llm_read" in ans.timings["stages"]  # the model was asked, in the quoted mode too
    assert ans.kind in KINDS and ans.text  # answered in the shape read, or "not found": never an error
    assert (ans.read_as.get("kind_by") == "llm") == (ans.kind != "fact")  # a kind the model read says so
    ruled = a.ask("Who is Mustafa al-Abdi?", as_of="2015-03-25", corroborate=False)
    assert "llm_read" not in ruled.timings["stages"] and ruled.kind == "who_is"  # the rules read it: no model call
