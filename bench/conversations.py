"""Dev conversations on the bundled sample: is every turn read as the kind it is, and answered in
that kind's shape (a dated list, figures side by side, one line per outlet, who someone is), with
follow-ups read from the turns before and filters taken from the words?

    python bench/conversations.py [--home H] [--json bench/results/conversations_dev.json]

The home is built from corpus/articles/ when it has no index. Each turn is asked as the chat asks
it: with the conversation's earlier questions and answers as the history, as of 2015-03-25.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from common import ROOT, print_table, write_json

AS_OF = "2015-03-25"
_DAY = re.compile(r"^(\d{4}-\d\d-\d\d) \((Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\) — ")


def dated_list(a) -> bool:
    days = [m.group(1) for line in a.text.split("\n") if (m := _DAY.match(line))]
    return len(days) >= 2 and len(days) == len(a.text.split("\n")) and days == sorted(days)


def side_by_side(a) -> bool:
    first, *rest = a.text.split("\n")
    return bool(re.match(r"(The figures differ|The sources agree|Only one source gives a figure) \(", first)) and len(rest) >= 1


def by_outlet(a) -> bool:
    lines = a.text.split("\n")
    return all(re.match(r"[^:()]+ \([^)]*\): ", line) for line in lines) and len(lines) >= 2


def who_is(name: str):
    return lambda a: a.text.startswith(f"{name}: ") and bool(a.citations)


def leaning(value: str):
    return lambda a: bool(a.citations) and all((c.attribution or {}).get("leaning") == value for c in a.citations)


def cited(a) -> bool:
    return not a.not_found and bool(a.citations)


def leads_with(words: str):
    """The answer's first sentence is the one that answers the wh-word ("Who attacked …?" → the attacker)."""
    return lambda a: cited(a) and a.text.startswith(words)


def speaker_leads(name: str):
    """A "who said" answer: its first line opens with the speaker, before the sentence quoted."""
    return lambda a: cited(a) and a.text.split("\n")[0].removeprefix("- ").startswith(f"{name}, ")


def says_why(words: str):
    return lambda a: a.not_found and words in a.text


# (question, extra ask() arguments, the kind it must be read as, the shape check, from the history?)
CONVERSATIONS = {
    "a story by date, then what one side reported": [
        ("What happened near Kobani, by date?", {}, "timeline", dated_list, False),
        ("And what did the pro-Kurdish media report?", {}, "source_view", leaning("pro-Kurdish"), True),
    ],
    "who did it, then according to whom": [
        ("Who attacked Tel Khanzir?", {}, "fact", leads_with("The Islamic State [IS] attacked"), False),
        ("According to whom were 27 IS corpses captured?", {}, "who_said", speaker_leads("ANHA"), False),
    ],
    "a fact, then why": [
        ("Who attacked Tel Khanzir, and why?", {}, "fact", leads_with("The Islamic State [IS] attacked"), False),
        ("Why?", {}, "fact", cited, True),
    ],
    "do the figures agree, then who reported": [
        ("Do the sources agree on how many IS fighters were killed?", {}, "agreement", side_by_side, False),
        ("Which outlets reported on the Idlib defection, and what are their leanings?", {}, "coverage", by_outlet, False),
    ],
    "who is a source, and which outlets lean one way": [
        ("Where does Khalid Iskef work?", {}, "who_is", who_is("Khalid Iskef"), False),
        ("Which outlets are described as pro-regime?", {}, "who_is", who_is("Al-Mayadeen"), False),
        ("Who is Mustafa al-Abdi?", {}, "who_is", who_is("Mustafa al-Abdi"), False),
    ],
    "a source's view, a follow-up on another topic, a filter that leaves nothing": [
        ("What did pro-Kurdish outlets report?", {}, "source_view", leaning("pro-Kurdish"), False),
        ("What about the Idlib defection?", {}, "fact", says_why("pro-Kurdish"), True),
        ("Who attacked Tel Khanzir?", {"since": "2030-01-01"}, "fact", says_why("No indexed article matches the filters"), False),
    ],
    "one day, then who said it": [
        ("What happened on Tuesday near Kobani?", {}, "timeline", dated_list, False),
        ("Who said the clashes were ongoing?", {}, "who_said", speaker_leads("Mustafa al-Abdi"), False),
        ("Who reported that the YPG captured 27 IS corpses?", {}, "who_said", speaker_leads("ANHA"), False),
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    from qa import Assistant

    home = args.home or Path(tempfile.mkdtemp(prefix="qa-conversations-")) / "home"
    a = Assistant(home=home)
    if not a.paths.manifest.exists():
        a.ingest(ROOT / "corpus" / "articles")
    rows, turns = {}, []
    for name, convo in CONVERSATIONS.items():
        history: list[tuple[str, str]] = []
        for i, (q, extra, kind, shape, from_history) in enumerate(convo, 1):
            ans = a.ask(q, as_of=AS_OF, history=history, **extra)
            history.append((q, ans.text))
            ok_kind, ok_shape = ans.kind == kind, bool(shape(ans))
            ok_history = bool((ans.read_as or {}).get("from_history")) == from_history
            turns.append({"conversation": name, "turn": i, "question": q, "kind": ans.kind, "expected_kind": kind,
                          "kind_ok": ok_kind, "shape_ok": ok_shape, "history_ok": ok_history,
                          "read_as": ans.read_as, "text": ans.text[:300]})
            rows[f"{name[:38]} #{i}"] = (ans.kind, "ok" if ok_kind and ok_shape and ok_history else "MISS")
    n = len(turns)
    summary = {k: sum(t[k] for t in turns) for k in ("kind_ok", "shape_ok", "history_ok")}
    print_table("conversations (kind read, shape)", rows)
    print(f"{n} turns: kind {summary['kind_ok']}/{n}, shape {summary['shape_ok']}/{n}, history {summary['history_ok']}/{n}")
    write_json(args.json, {"turns": n, **summary, "details": turns})


if __name__ == "__main__":
    main()
