"""Watched folders: a real index follows a temp folder's files (new, changed, moved, deleted,
unreadable), through ``WatchedFolders.sync`` and through the ``Keeper`` thread's file events."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.chat_backend import ChatBackend
from app.cli import app
from corpus import UnreadableInput
from qa.errors import BadQuestion
from qa.sync import activity
from qa.sync.folders import WatchedFolders
from qa.sync.keeper import Keeper, parse_every
from tests.conftest import write

BRIDGE = ("Zarqa bridge reopens\n\nThe Zarqa bridge over the Khabur river reopened on Tuesday after three weeks "
          "of repairs, the local council said. Traffic resumed at noon.")
MILL = ("Flour mill restarts\n\nThe flour mill in Qamishli restarted production on Sunday, its manager said, "
        "after diesel deliveries resumed.")


def _ids(a) -> set[str]:
    return {x["id"] for x in a.snapshot().articles()}


def _cites(a, question: str, article_id: str) -> bool:
    return any(c.article_id == article_id for c in a.ask(question).citations)


def test_sync_follows_new_changed_moved_and_deleted_files(fresh, tmp_path):
    a = fresh()
    folder = tmp_path / "news"
    write(folder / "bridge.txt", BRIDGE)
    write(folder / "more.jsonl", json.dumps({"id": "mill", "title": "Mill", "text": MILL}) + "\n"
          + json.dumps({"id": "dam", "title": "Dam", "text": "The Tishrin dam reopened on Monday, engineers said."}) + "\n")
    w = WatchedFolders(a, [folder])
    r = w.sync()
    assert sorted(x["id"] for x in r.added) == ["bridge", "dam", "mill"] and _ids(a) == {"bridge", "dam", "mill"}
    assert w.sync().added == []  # nothing changed: nothing read, no new version
    version = a.stats()["version"]

    # the JSONL file loses one article and changes another; the text file moves to a subfolder
    write(folder / "more.jsonl", json.dumps({"id": "mill", "title": "Mill", "text": MILL + " It employs 40."}) + "\n")
    (folder / "sub").mkdir()
    (folder / "bridge.txt").rename(folder / "sub" / "bridge.txt")
    r = w.sync()
    assert r.removed == ["dam"] and _ids(a) == {"bridge", "mill"}
    assert a.stats()["version"] == version + 1  # the change and the removal are one version
    assert "employs 40" in a.snapshot().article("mill")["text"]

    # a file that cannot be read for now (half written) keeps its articles
    (folder / "more.jsonl").write_text('{"id": "mill", "text": ', encoding="utf-8")
    r = w.sync()
    assert r.skipped and "mill" in _ids(a)

    (folder / "more.jsonl").unlink()
    (folder / "sub" / "bridge.txt").unlink()
    r = w.sync()
    assert sorted(r.removed) == ["bridge", "mill"] and _ids(a) == set()
    lines = activity.recent(a.paths.home, 10)
    assert lines[0]["removed"] == ["bridge", "mill"] or sorted(lines[0]["removed"]) == ["bridge", "mill"]
    assert any(x["id"] == "dam" for row in lines for x in row["added"])


def test_a_folder_that_is_not_there_is_refused(fresh, tmp_path):
    with pytest.raises(UnreadableInput, match="not a folder"):
        WatchedFolders(fresh(), [tmp_path / "nowhere"])


def test_the_keeper_answers_a_dropped_file_and_forgets_a_deleted_one(fresh, tmp_path):
    a = fresh()
    folder = tmp_path / "inbox"
    write(folder / "mill.txt", MILL)
    lines: list[str] = []
    keeper = Keeper(a, [folder], log=lines.append).start()
    try:
        _wait(lambda: keeper.syncs >= 1, "the first sync")
        assert _ids(a) == {"mill"}
        write(folder / "bridge.txt", BRIDGE)  # dropped while the keeper watches
        _wait(lambda: _cites(a, "When did the Zarqa bridge reopen?", "bridge"), "the dropped file to be answerable")
        (folder / "bridge.txt").unlink()
        _wait(lambda: not _cites(a, "When did the Zarqa bridge reopen?", "bridge"), "the deleted file to be gone")
        assert "bridge" not in _ids(a)
        news = ChatBackend(a, keeper=keeper).index_news()
        assert news["watching"] == [str(folder.resolve())] and "1 removed" in news["recent"][0]
    finally:
        keeper.stop()
    assert not keeper.alive and any("1 in" in x for x in lines)


def test_the_chat_shows_what_came_in_as_text(fresh, tmp_path):
    a = fresh()
    folder = tmp_path / "news"
    write(folder / "x.txt", "<script>alert(1)</script> Dam news\n\nThe Tishrin dam reopened on Monday, engineers said.")
    WatchedFolders(a, [folder]).sync()
    page = ChatBackend(a).index_news_html()
    assert "Index last changed" in page and "&lt;script&gt;" in page and "<script>" not in page


def test_intervals_are_read_and_bad_ones_refused():
    assert parse_every("15m") == 900 and parse_every("90s") == 90 and parse_every("1h") == 3600 and parse_every("30") == 30
    for bad in ("soon", "5s", "-1m", ""):
        with pytest.raises(BadQuestion):
            parse_every(bad)


def test_watch_and_serve_refuse_bad_arguments_in_one_line(tmp_path):
    r = CliRunner().invoke(app, ["watch", str(tmp_path / "nowhere"), "--home", str(tmp_path / "h")])
    assert r.exit_code == 1 and r.output.strip().startswith("error: not a folder") and "Traceback" not in r.output
    r = CliRunner().invoke(app, ["serve", "--home", str(tmp_path / "h"), "--no-sample", "--feeds-every", "often"])
    assert r.exit_code == 1 and "an interval is a number" in r.output


def _wait(cond, what: str, limit: float = 90.0) -> None:
    t0 = time.time()
    while time.time() - t0 < limit:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_activity_keeps_its_last_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(activity, "KEPT", 10)
    for i in range(30):
        activity.record(tmp_path, "here", [{"id": f"a{i}", "title": f"T{i}"}])
    rows = activity.recent(tmp_path, 50)
    assert len(rows) <= 12 and rows[0]["added"][0]["id"] == "a29"
    (Path(tmp_path) / activity.FILE).write_text("not json\n" + json.dumps(rows[0]) + "\n", encoding="utf-8")
    assert [r["added"][0]["id"] for r in activity.recent(tmp_path)] == ["a29"]


def test_qa_watch_stops_on_sigterm_like_ctrl_c(tmp_path):
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "inbox").mkdir()
    p = subprocess.Popen([sys.executable, "-m", "app.cli", "watch", str(tmp_path / "inbox"), "--home", str(tmp_path / "h"),
                          "-q"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stderr.readline().startswith("watching")
        p.send_signal(signal.SIGTERM)
        assert p.wait(60) == 0
        assert "stopping" in p.stderr.read()
    finally:
        p.kill()
