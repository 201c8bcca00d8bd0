"""The chat's functions in-process: follow-ups, rendering and escaping, uploads, export."""

from __future__ import annotations

import json

from app.chat_backend import ChatBackend
from app.html import answer_html, safe_url, sources_html
from app.uploads import accept, safe_name
from qa.conversation import Conversation, needs_context, rewrite
from qa.types import Answer, Citation
from tests.conftest import write


def test_follow_up_rewrite():
    prev = ["Who attacked Tel Khanzir, and why?"]
    assert rewrite("Why?", prev) == "Why? (attacked Tel Khanzir)"
    assert "Tel Khanzir" in rewrite("What about Ras al-Ain?", prev)  # the same question of another place
    assert rewrite("What happened at Ras al-Ain?", prev) == "What happened at Ras al-Ain?"  # names its own subject
    assert not needs_context("Who is Mustafa al-Abdi?") and not needs_context("Who said the clashes were ongoing?")
    assert rewrite("How many IS fighters were killed near Kobani?", prev) == "How many IS fighters were killed near Kobani?"
    assert rewrite("Why?", []) == "Why?"
    assert needs_context("What did they want?") and not needs_context("Which regime unit defected in Idlib?")


def test_backend_keeps_context_per_conversation(sample):
    b = ChatBackend(sample)
    conv, html1, src1, err = b.ask("Who attacked Tel Khanzir, and why?", None)
    assert err is None and 'class="qa-marker"' in html1 and '<mark class="qa-cited"' in src1
    conv, html2, src2, err = b.ask("Why?", conv)
    assert err is None
    assert conv.turns[-1].searched == "Why? (attacked Tel Khanzir)"
    assert "Searched for: Why? (attacked Tel Khanzir)" in html2
    assert conv.turns[-1].citations[0].article_id == "syria-direct-2015-03-tel-khanzir"
    other, *_ = b.ask("Why?", None)  # another browser session has no history
    assert other.turns[-1].searched is None


def test_a_removed_read_as_chip_asks_the_question_again_without_it(sample):
    b = ChatBackend(sample)
    conv, html1, _, err = b.ask("What did pro-Kurdish outlets report?", None, as_of="2015-03-25")
    assert err is None and 'href="#qa-unread-1-leanings"' in html1 and "stated leaning pro-Kurdish" in html1
    assert b.unread_request("1:topic", conv) is None and b.unread_request("9:leanings", conv) is None
    q, unread, turn = b.unread_request("1:leanings", conv)
    assert (q, unread, turn) == ("What did pro-Kurdish outlets report?", ("leanings",), 1)
    conv, html2, _, err = b.ask(q, conv, as_of="2015-03-25", unread=unread, before=turn)
    again = conv.turns[-1]
    assert err is None and again.filters is None and "leanings" not in (again.read_as or {})
    assert "qa-unread-2-" not in html2 and conv.unread == {2: ("leanings",)}
    assert not again.not_found  # the words are the topic again: what pro-Kurdish outlets reported


def test_backend_errors_are_messages(sample, fresh):
    b = ChatBackend(sample)
    conv, html, src, err = b.ask("  ", None)
    assert err == "the question is empty" and html is None
    _, _, _, err = b.ask("Who?", None, since="not a date")
    assert "since" in err
    _, _, _, err = ChatBackend(fresh()).ask("Who?", None)
    assert "qa ingest" in err
    assert b.api_ask("")["error"] == "the question is empty"


def _citation(**kw):
    base = dict(marker=1, article_id="a", title="T", source="S", date="2024-01-01", url="", passage="Before. Quote here. After.",
                quote="Quote here.", start=8, end=19, score=1.0, passage_id="p", passage_start=0)
    base.update(kw)
    return Citation(**base)


def test_article_text_is_rendered_as_text():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))'
    c = _citation(title=evil, source=evil, passage=f"Start {evil} end.", quote=evil, start=6, end=6 + len(evil), url="javascript:alert(4)")
    ans = Answer("q", f"{evil} [1]", (c,))
    out = answer_html(ans, 1) + sources_html(ans, 1)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert 'href="javascript' not in out
    assert "javascript:alert(4)" in out  # shown as text, not a link
    assert safe_url("javascript:alert(1)") is None and safe_url("https://e.com/x") == "https://e.com/x"


def test_highlight_marks_exactly_the_cited_sentence():
    out = sources_html(Answer("q", "Quote here. [1]", (_citation(),)), 3)
    # the cited sentence is marked exactly, numbered by its marker, with an id its marker links to
    assert 'Before. <mark class="qa-cited" id="src-3-1-s"><sup class="qa-mark-n">[1]</sup>Quote here.</mark> After.' in out
    assert 'id="src-3-1"' in out


def test_not_found_sources_are_marked_as_nearest():
    ans = Answer("q", "The indexed articles do not answer this.", (), True, (_citation(),))
    out = sources_html(ans, 1)
    assert "Not in the articles: nearest passages" in out and "does not answer" in out and "<mark>" not in out


def test_uploads_are_checked_by_name_size_count_and_content(tmp_path):
    src = tmp_path / "src"
    good = write(src / "good.txt", "Title\nBody text.")
    fake_pdf = write(src / "fake.pdf", "not a pdf")
    exe = src / "prog.txt"
    exe.write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 100)
    big = write(src / "big.md", "x" * (2 * 2**20))
    zipped = src / "a.json"
    zipped.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    weird = write(src / "..%2F..%2Fevil.txt", "Title\nbody")
    dest = tmp_path / "home" / "uploads"
    ok, rejected = accept([str(p) for p in (good, fake_pdf, exe, big, zipped, weird)], dest, max_files=10, max_mb=1)
    reasons = {r.name: r.reason for r in rejected}
    assert "not a PDF" in reasons["fake.pdf"]
    assert "not text" in reasons["prog.txt"]  # an ELF program named .txt
    assert "over the 1 MB limit" in reasons["big.md"]
    assert "archive" in reasons["a.json"]
    assert [p.name for p in ok] == ["good.txt", "2F.._2Fevil.txt"]
    assert all(p.parent == dest.resolve() for p in ok)
    _, rejected = accept([str(good)] * 3, dest, max_files=2, max_mb=1)
    assert [r.reason for r in rejected] == ["more than 2 files in one upload"]
    assert safe_name("../../etc/passwd") == "passwd" and safe_name("..\\..\\x.txt") == "x.txt" and safe_name(".hidden") == "hidden"


def test_upload_ingests_and_lists_articles(fresh, tmp_path):
    a = fresh()
    b = ChatBackend(a)
    f = write(tmp_path / "harbour.md", "# Harbour reopens\n\nThe harbour of Qarmeed reopened on Monday after repairs.")
    bad = write(tmp_path / "x.exe", "MZ")
    report = b.upload([str(f), str(bad)])
    assert "1 added" in report and "Rejected x.exe" in report
    rows = b.articles_table()
    assert rows == [["Harbour reopens", "", "", 1, "harbour"]]
    assert "1 articles" in b.stats_text()
    assert b.delete("harbour") == "Deleted harbour."
    assert b.articles_table() == []


def test_export_markdown_has_numbered_sources(sample):
    b = ChatBackend(sample)
    conv, *_ = b.ask("How many IS fighters were reportedly killed near Kobani?", None)
    conv, *_ = b.ask("What is the capital of France?", conv)
    full = open(b.export(conv), encoding="utf-8").read()
    last = open(b.export(conv, last_only=True), encoding="utf-8").read()
    assert full.startswith("# Conversation exported") and "## 1." in full and "## 2." in full
    assert "[1] YPG clashes with IS in four villages southeast of Kobani (Syria Direct, 2015-03-25)" in full
    assert "43 IS fighters" in full
    assert "Closest passages" in last and "Kobani" not in last.split("**Q:**")[1].split("\n")[0]
    assert b.export(Conversation()) is None
    json.dumps(conv.turns[0].to_dict())


def test_exports_stay_in_one_private_folder_that_is_pruned_and_removed(sample):
    import gc
    from pathlib import Path

    b = ChatBackend(sample)
    b.EXPORTS_KEPT = 3
    conv, *_ = b.ask("Who attacked Tel Khanzir, and why?", None)
    paths = [Path(b.export(conv, last_only=bool(i % 2))) for i in range(5)]
    folder = paths[0].parent
    assert all(p.parent == folder for p in paths) and folder.name.startswith("qa-exports-")
    assert sorted(folder.iterdir()) == sorted(paths[-3:])
    del b
    gc.collect()
    assert not folder.exists()


def test_example_questions_are_drawn_from_the_index_and_answered(sample):
    b = ChatBackend(sample)
    examples = b.example_questions()
    assert "What did pro-Kurdish outlets report?" in examples and len(examples) == 4
    for q in examples:
        assert not sample.ask(q, as_of="2015-03-25").not_found, q
