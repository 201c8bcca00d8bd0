"""Reading articles from every supported format, and refusing bad input clearly."""

from __future__ import annotations

import gzip
import json

import pytest

from corpus import Article, UnreadableInput, load_articles, parse_date
from tests.conftest import SAMPLE, write


def make_pdf(text: str) -> bytes:
    """A valid one-page PDF with ``text`` (offsets and xref computed, as a real writer would)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_bundled_sample_is_three_syria_direct_articles():
    report = load_articles(SAMPLE)
    assert not report.skipped
    assert len(report.articles) == 3
    for a in report.articles:
        assert a.source == "Syria Direct"
        assert a.date == "2015-03-25"
        assert "date_note" in a.metadata and "March 2015" in a.metadata["date_note"]
        assert a.title and len(a.text) > 500
    titles = {a.title for a in report.articles}
    assert "IS seeks to isolate Turkish border crossing" in titles


def test_text_with_front_matter_and_markdown_heading(tmp_path):
    write(tmp_path / "a.txt", "---\nid: x1\ntitle: Harbour reopens\nsource: Wire\ndate: 2024/05/06\nurl: https://e.com/a\nregion: north\n---\nThe harbour reopened.\n")
    write(tmp_path / "b.md", "# Markdown title\n\nBody of the *markdown* article.\n")
    arts = {a.id: a for a in load_articles(tmp_path).articles}
    a = arts["x1"]
    assert (a.title, a.source, a.date, a.url, a.text) == ("Harbour reopens", "Wire", "2024-05-06", "https://e.com/a", "The harbour reopened.")
    assert a.metadata["region"] == "north"
    assert arts["b"].title == "Markdown title"
    assert arts["b"].text == "Body of the *markdown* article."


def test_json_jsonl_gz_fields_and_aliases(tmp_path):
    write(tmp_path / "one.json", json.dumps({"id": "j1", "headline": "H", "body": "Body one.", "outlet": "O", "published": "2020-01-02T10:00:00Z"}))
    write(tmp_path / "many.jsonl", "\n".join(json.dumps({"id": f"l{i}", "title": f"T{i}", "text": f"Text {i}."}) for i in range(3)))
    with gzip.open(tmp_path / "more.jsonl.gz", "wt") as fh:
        fh.write(json.dumps({"title": "No id", "text": "Derived id.", "url": "https://x.org/1"}) + "\n")
    arts = {a.id: a for a in load_articles(tmp_path).articles}
    assert arts["j1"].title == "H" and arts["j1"].source == "O" and arts["j1"].date == "2020-01-02"
    assert {"l0", "l1", "l2"} <= set(arts)
    derived = [a for a in arts.values() if a.title == "No id"][0]
    assert derived.id.startswith("a") and derived.url == "https://x.org/1"


def test_html_and_pdf(tmp_path):
    html = "<html><head><title>Port news</title></head><body><article><h1>Port news</h1><p>" + "The port of Tartus handled more ships this spring than ever before. " * 5 + "</p></article></body></html>"
    write(tmp_path / "page.html", html)
    (tmp_path / "doc.pdf").write_bytes(make_pdf("The harbour of Qarmeed reopened on Monday."))
    arts = {a.id: a for a in load_articles(tmp_path).articles}
    assert "Tartus" in arts["page"].text
    assert "<p>" not in arts["page"].text
    assert "harbour of Qarmeed" in arts["doc"].text


def test_bad_files_are_skipped_with_reasons_and_the_rest_loads(tmp_path):
    write(tmp_path / "good.txt", "Good title\nGood body.")
    write(tmp_path / "empty.txt", "   \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary\xff")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    write(tmp_path / "bad.jsonl", '{"id": "ok", "text": "fine"}\n{not json}\n{"id": "nt"}\n[1,2]\n{"id": "d", "text": "t", "date": "yesterday"}\n')
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    write(tmp_path / "dup1.json", json.dumps({"id": "same", "text": "one"}))
    write(tmp_path / "dup2.json", json.dumps({"id": "same", "text": "two"}))
    report = load_articles(tmp_path)
    ids = {a.id for a in report.articles}
    assert {"good", "ok", "same"} <= ids
    reasons = {s.path.split("/")[-1]: s.reason for s in report.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "invalid JSON" in reasons["bad.jsonl:2"]
    assert "missing 'text'" in reasons["bad.jsonl:3"]
    assert "expected a JSON object" in reasons["bad.jsonl:4"]
    kept = [a for a in report.articles if a.id == "d"][0]  # a bad date does not lose the article
    assert kept.date is None and kept.metadata["date_raw"] == "yesterday"
    assert "PDF" in reasons["broken.pdf"]
    assert "duplicate article id 'same'" in reasons["dup2.json"]


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(UnreadableInput, match="no such file"):
        load_articles(tmp_path / "nope")


def test_same_article_twice_is_loaded_once(tmp_path):
    body = json.dumps({"id": "x", "text": "t"})
    write(tmp_path / "a.json", body)
    write(tmp_path / "b.json", body)
    report = load_articles(tmp_path)
    assert [a.id for a in report.articles] == ["x"] and not report.skipped


def test_parse_date_formats():
    assert parse_date("2015/03/25") == "2015-03-25"
    assert parse_date("2015-03-25T12:00:00+02:00") == "2015-03-25"
    assert parse_date("March 25, 2015") == "2015-03-25"
    assert parse_date("26-FEB-1987 15:01:01.79") == "1987-02-26"
    assert parse_date("Wed, 25 Mar 2015 10:00:00 +0000") == "2015-03-25"
    assert parse_date(None) is None
    with pytest.raises(ValueError):
        parse_date("not a date")


def test_content_hash_changes_with_content():
    a = Article("x", "T", "text")
    assert a.content_hash == Article("x", "T", "text").content_hash
    assert a.content_hash != Article("x", "T", "text!").content_hash


def test_jsonl_is_streamed_without_a_file_size_limit(tmp_path, monkeypatch):
    import tracemalloc

    from corpus import iter_articles, load
    from corpus.readers import json as json_reader

    monkeypatch.setattr(load, "MAX_FILE_BYTES", 4096)  # JSONL ignores the whole-file limit ...
    monkeypatch.setattr(json_reader, "MAX_FILE_BYTES", 4096)
    monkeypatch.setattr(json_reader, "MAX_LINE_BYTES", 4096)  # ... and limits each record instead
    body = "Some sentence about the council budget. " * 20
    lines = [json.dumps({"id": f"a{i}", "title": f"T{i}", "text": body}) for i in range(2000)]
    lines[5] = json.dumps({"id": "huge", "title": "H", "text": "x" * 10_000})
    with gzip.open(tmp_path / "big.jsonl.gz", "wt") as fh:
        fh.write("\n".join(lines))
    report = load_articles(tmp_path / "big.jsonl.gz")
    assert len(report.articles) == 1999
    assert [(s.path.split("/")[-1], s.reason) for s in report.skipped] == [("big.jsonl.gz:6", "record is over the 4 KiB limit")]

    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(lines[:5] + lines[6:]) * 5)  # ~4.5 MB, read one record at a time
    tracemalloc.start()
    stream = iter_articles(plain)
    first = [next(stream) for _ in range(3)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [a.id for a in first] == ["a0", "a1", "a2"]
    assert peak < 1_000_000, f"{peak} bytes held to read three records"


def test_broken_gzip_jsonl_keeps_the_records_before_the_damage(tmp_path):
    data = gzip.compress("\n".join(json.dumps({"id": f"g{i}", "text": f"Text {i}. " * 50}) for i in range(200)).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "fake.jsonl.gz").write_bytes(b"this is not gzip at all")
    report = load_articles(tmp_path)
    assert 0 < len(report.articles) < 200
    reasons = {s.path.split("/")[-1].split(":")[0]: s.reason for s in report.skipped}
    assert "not a readable gzip file" in reasons["cut.jsonl.gz"]
    assert "not a readable gzip file" in reasons["fake.jsonl.gz"]
