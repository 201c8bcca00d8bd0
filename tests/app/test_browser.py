"""The chat in a real browser: Debian's Chromium driven by Playwright (skip with -m 'not browser')."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import write
from tests.server import running_server

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
XSS_TITLE = "<img src=x onerror=alert('title')> Qarmeed harbour"
XSS_BODY = (
    "The harbour of Qarmeed reopened on Monday <script>alert('body')</script> after repairs. "
    "Officials said [click me](javascript:alert('link')) the cranes were fixed."
)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory, sample_home):
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(sample_home, home)
    with running_server(home) as (url, _):
        yield url


def _ask(page, question: str, n_answers: int) -> float:
    t = time.time()
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-ask").click()
    page.wait_for_function(f"document.querySelectorAll('#qa-chat .qa-answer').length >= {n_answers}", timeout=60_000)
    return time.time() - t


def test_chat_sources_followup_upload_and_xss(browser, live, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live, wait_until="load")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)

    first = _ask(page, "How many IS fighters were reportedly killed near Kobani?", 1)
    chat = page.locator("#qa-chat")
    assert chat.locator(".qa-marker").count() >= 1
    panel = page.locator("#qa-sources-panel")
    assert "43 IS fighters" in panel.locator("mark").all_inner_texts()[-1] or "43" in " ".join(panel.locator("mark").all_inner_texts())
    last = chat.locator(".qa-marker").last
    number = last.inner_text().strip()
    last.click()
    focused = page.locator(".qa-source.qa-focus")
    focused.wait_for(timeout=5_000)
    assert focused.locator("mark").count() >= 1
    own = page.locator("mark.qa-focus-mark")  # the marker's own sentence, carrying its number
    own.wait_for(timeout=5_000)
    assert own.count() == 1 and own.locator(".qa-mark-n").inner_text() == number
    page.screenshot(path=str(tmp_path / "chat-with-sources.png"), full_page=True)

    _ask(page, "Why?", 2)
    assert page.locator("#qa-chat .qa-searched").count() >= 1

    page.get_by_role("tab", name="Articles").click()
    upload = write(tmp_path / "qarmeed.md", f"# {XSS_TITLE}\n\n{XSS_BODY}\n")
    page.locator("#qa-upload input[type=file]").set_input_files(str(upload))
    page.locator("#qa-ingest").click()
    page.wait_for_function("document.querySelector('#qa-upload-report textarea').value.includes('added')", timeout=120_000)
    assert "1 added" in page.locator("#qa-upload-report textarea").input_value()
    page.get_by_text("Qarmeed harbour", exact=False).first.wait_for(timeout=10_000)

    page.get_by_role("tab", name="Chat").click()
    _ask(page, "When did the harbour of Qarmeed reopen?", 3)
    panel_text = panel.inner_text()
    assert "<script>alert('body')</script>" in panel_text
    assert "<img src=x onerror=alert('title')>" in panel_text
    assert panel.locator("script").count() == 0 and panel.locator("img").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.screenshot(path=str(tmp_path / "xss-as-text.png"), full_page=True)
    assert dialogs == []
    print(f"time to first answer in the browser: {first:.2f}s; screenshots in {tmp_path}")


def test_a_dated_list_and_a_follow_up_read_with_its_filters(browser, live, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(live, wait_until="load")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    example = page.locator("#qa-chat").get_by_text("Who is Roman Yusef?")  # the empty chat offers questions from the index
    example.first.click()
    page.wait_for_function("document.querySelector('#qa-question textarea').value === 'Who is Roman Yusef?'", timeout=10_000)

    _ask(page, "What happened near Kobani, by date?", 1)
    items = page.locator("#qa-chat ul.qa-list li")
    assert items.count() >= 2 and items.first.inner_text().startswith("2015-03-24 (Tuesday) — ")
    assert items.first.locator(".qa-marker").count() == 1  # each dated line cites its sentence

    _ask(page, "And what did the pro-Kurdish media report?", 2)
    read = page.locator("#qa-chat .qa-read-as").last.inner_text()
    assert "stated leaning pro-Kurdish" in read and "from the turn before" in read
    badges = page.locator("#qa-sources-panel .qa-latest .qa-badge").all_inner_texts()
    assert badges and all("pro-Kurdish" in b for b in badges)
    # the first answer's sources stay reachable: its marker unfolds them and marks its own sentence
    page.locator("#qa-chat ul.qa-list .qa-marker").first.click()
    own = page.locator("details.qa-earlier[open] mark.qa-focus-mark")
    own.wait_for(timeout=5_000)
    assert own.locator(".qa-mark-n").inner_text() == "[1]"
    page.screenshot(path=str(tmp_path / "dated-list-and-follow-up.png"), full_page=True)

    # a "Read as" chip removed: the question is asked again without what was read from its words
    page.locator("#qa-chat .qa-read-as").last.locator(".qa-chip", has_text="stated leaning").locator(".qa-chip-x").click()
    page.wait_for_function("document.querySelectorAll('#qa-chat .qa-answer').length >= 3", timeout=60_000)
    assert "asked again, not reading: leanings" in page.locator("#qa-chat").inner_text()
    again = page.locator("#qa-chat .qa-answer").last
    assert "stated leaning" not in again.inner_text() and again.locator(".qa-marker").count() >= 1


def test_figures_side_by_side_and_who_said_in_the_chat(browser, live, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(live, wait_until="load")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    _ask(page, "Do the sources agree on how many IS fighters were killed?", 1)
    items = page.locator("#qa-chat ul.qa-list li").all_inner_texts()
    assert items[0].startswith(("The figures differ", "The sources agree", "Only one source gives a figure"))
    assert any("43" in x for x in items) and not any("45 people" in x for x in items)  # no figure of another event
    _ask(page, "According to whom were 27 IS corpses captured?", 2)
    said = page.locator("#qa-chat .qa-answer").last.inner_text()
    assert said.startswith("ANHA, news outlet (pro-Kurdish; carried by Syria Direct): YPG forces captures 27 IS corpses")
    page.screenshot(path=str(tmp_path / "side-by-side-and-who-said.png"), full_page=True)


def test_written_answer_streams_then_shows_the_checked_answer(browser, llm_url, sample_home, tmp_path):
    url_, model = llm_url
    env = {"QA_LLM_URL": url_, "QA_LLM_MODEL": model, "QA_LLM_MAX_TOKENS": "40", "QA_LLM_TIMEOUT": "120"}
    home = tmp_path / "home"  # the server writes its log and audit into its home: not the shared sample
    shutil.copytree(sample_home, home)
    with running_server(home, env=env) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, wait_until="load")
        page.locator("#qa-question textarea").wait_for(timeout=60_000)
        page.locator("#qa-mode").get_by_text("Written by the LLM (verified)").click()
        page.locator("#qa-question textarea").fill("How many IS fighters were reportedly killed near Kobani?")
        page.locator("#qa-ask").click()
        page.locator("#qa-chat .qa-draft").first.wait_for(timeout=120_000)  # the model's words, as they come
        assert "not yet checked" in page.locator("#qa-chat .qa-draft").first.inner_text()
        page.wait_for_function("document.querySelectorAll('#qa-chat .qa-answer:not(.qa-draft)').length >= 1 && "
                               "document.querySelectorAll('#qa-chat .qa-draft').length == 0", timeout=180_000)
        final = page.locator("#qa-chat .qa-answer").last
        assert final.locator(".qa-marker").count() >= 1  # the checked answer, with markers into the sources panel
        text = final.inner_text()
        assert "Written by" in text or "quoted sentences instead" in text
        page.screenshot(path=str(tmp_path / "written-answer.png"), full_page=True)


def test_serve_watch_shows_what_came_in_and_answers_from_it(browser, sample_home, tmp_path):
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    shutil.copytree(sample_home, home)
    inbox.mkdir()
    with running_server(home, args=("--watch", str(inbox))) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, wait_until="load")
        news = page.locator("#qa-index-news")
        news.get_by_text("watching", exact=False).wait_for(timeout=60_000)
        write(inbox / "bridge.txt", "Zarqa bridge reopens\n\nThe Zarqa bridge over the Khabur river reopened on "
                                    "Tuesday after three weeks of repairs, the local council said.")
        news.get_by_text("Zarqa bridge reopens", exact=False).wait_for(timeout=60_000)  # the panel looks every few seconds
        _ask(page, "When did the Zarqa bridge reopen?", 1)
        assert "Zarqa bridge" in page.locator("#qa-sources-panel").inner_text()
        page.screenshot(path=str(tmp_path / "watched-folder.png"), full_page=True)


def test_a_reader_sees_no_upload_and_an_editor_does(browser, sample_home, tmp_path):
    from app.accounts import Accounts

    home = tmp_path / "home"
    shutil.copytree(sample_home, home)
    acc = Accounts(home)
    acc.add("bob", "reader", "reader pass")
    acc.add("eve", "editor", "editor pass")
    with running_server(home) as (url, _):
        for user, password, sees in (("bob", "reader pass", False), ("eve", "editor pass", True)):
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            assert ctx.request.post(url + "/login", form={"username": user, "password": password}).ok
            page = ctx.new_page()
            page.goto(url, wait_until="load")
            page.locator("#qa-question textarea").wait_for(timeout=60_000)
            page.get_by_role("tab", name="Articles").click()
            page.locator("#qa-articles").wait_for(timeout=10_000)
            page.wait_for_timeout(1000)  # the role's view is applied on load
            assert page.locator("#qa-ingest").is_visible() is sees and page.locator("#qa-delete").is_visible() is sees
            page.get_by_role("tab", name="Chat").click()
            _ask(page, "Who attacked Tel Khanzir?", 1)  # both may ask
            ctx.close()
        audit = [json.loads(line) for line in (home / "audit.jsonl").read_text().splitlines()]
        assert [e["user"] for e in audit[-2:]] == ["bob", "eve"]
