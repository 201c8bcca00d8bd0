"""What word checks cannot see in a written sentence: how its words are put together.

A sentence can use only words of its evidence and still say something else: a true name in a false
relation ("earned her law degree from Harvard" on a sentence about an admissions case at Harvard), a
pronoun resolved to the wrong thing ("the Atacama Desert is dominated by woodland" on "they are
dominated by woodland …, near the Atacama Desert"), two sentences' names joined into one fact, a
hedge, a negation or an "about"/"more than" left out. ``problem`` reads the sentence and each cited
evidence sentence with spaCy's parser and returns why the evidence does not say it, or None:

- **relations**: each name or number of the sentence that its evidence has must, in one cited
  sentence, stand near (``NEAR_EVIDENCE`` dependency steps) a content word that stands near it
  (``NEAR_SENTENCE`` steps) in the sentence; a name is one node however many words it has, and
  clauses joined by "and" are not near each other. A name with only words the evidence lacks
  around it (the question's: "the plant is located in Florida") is refused too. Who says a thing
  ("according to the UN", "Valisure said") is not part of what is said: the fact checks and
  ``qa.llm.writer.name_sources`` read it.
- **doers and undergoers**: a verb of the sentence that a cited sentence also has must have the same
  doer and undergoer there, in either voice; not a pronoun the sentence resolved ("they"), not
  another noun; a demonstrative ("such materials") may stand for a noun of its own sentence.
- **joins**: two names or numbers near each other in the sentence must be near each other in one
  cited sentence.
- **hedges and negation**: when the part of a cited sentence the sentence repeats (a word of it that
  is not a name) is hedged ("may", "is often considered", "reportedly") or negated, the sentence must
  be too; a negation only the sentence has is refused as well.
- **quantities**: a noun phrase the evidence limits ("some U.S. military uniforms", "many residents")
  may not come back unlimited; a number the evidence qualifies ("more than 500", "nearly 40") keeps a
  qualifier of the same sense.

These are rules, not an entailment model (none ships for these machines): they refuse a sentence
whose relations the evidence does not show, and may refuse a faithful paraphrase. Every refusal
says which words it was about.
"""

from __future__ import annotations

import re

from corpus.text.terms import stemmer, tokenize
from corpus.text.vocabulary import QUANTITY_WORDS
from qa.llm.parse_graph import (
    REPORTING_STEMS,
    SUBJECT,
    Graph,
    is_content,
    key,
    keys_of,
    source_tokens,
)

NEAR_SENTENCE = 3
NEAR_EVIDENCE = 4

_VERBS = {"VERB", "AUX"}
HEDGES = frozenset("""may might could possibly probably likely unlikely perhaps reportedly
allegedly alleged apparently apparent suspected believed considered estimated presumably purportedly purported
seemingly suggest suggests suggested appear appears appeared seem seems seemed often usually generally typically
sometimes mostly largely partly partially rarely unconfirmed claimed claims claim thought commonly normally
frequently occasionally customarily traditionally""".split())
NEGATIONS = frozenset("not n't no never none nobody nothing neither nor without cannot".split())
# a qualifier before a number, by sense: at least / at most / about
_APPROX = {
    "up": ("more than", "over", "above", "at least", "upwards of", "as many as", "as much as", "in excess of",
           "just over", "exceeding", "greater than", "higher than"),
    "down": ("nearly", "almost", "under", "less than", "fewer than", "up to", "at most", "below", "just under",
             "close to", "lower than", "as few as", "no more than"),
    "about": ("about", "around", "approximately", "roughly", "some", "an estimated", "estimated", "circa",
              "or so", "more or less"),
}
_NUMBER_TOKEN = re.compile(r"\b(?:\d[\d,.]*|" + "|".join(QUANTITY_WORDS) + r")\b", re.I)


def problem(sentence: str, cited: list[str], sources: list[str] = ()) -> str | None:
    """Why the evidence sentences ``cited`` do not say ``sentence``, by the rules above; None when they may.

    ``sources``: who the evidence says is speaking and the outlets that carried it (names, roles,
    affiliations), which the sentence may name as its source besides those the cited sentences name.
    """
    if not cited:
        return None
    mine = Graph(sentence)
    theirs = [Graph(t) for t in cited]
    have = set().union(*(k for g in theirs for k in g.keys.values()))
    meta = set(tokenize([" ".join(sources)])[0])  # as BM25 reads them: "Moody’s" is "moodi", as ``key`` reads it
    return (_sources(mine, theirs, meta) or _relations(mine, theirs, have) or _subjects(mine, theirs)
            or _joins(mine, theirs) or _asked(mine, theirs, meta) or _polarity(mine, theirs, have)
            or _quantifiers(mine, theirs) or _approximations(sentence, cited))


def _any_keys(g: Graph) -> set[str]:
    """Every word of a sentence, as ``key`` reads it and plainly stemmed (a word may be another part of
    speech there)."""
    return {k for t in g.doc if not t.is_punct for k in (key(t), stemmer().stemWord(t.lower_.strip("'’-")))}


def _sources(mine: Graph, theirs: list[Graph], meta: set[str]) -> str | None:
    """Whoever the sentence says is speaking must be who the evidence says is ("a spokesperson for the
    watchdog said" is not "the Instagram spokesperson said"), or an outlet that carried it."""
    said = source_tokens(mine.doc)
    if not said:
        return None
    allowed = set(meta)
    for g in theirs:
        allowed |= {k for i in source_tokens(g.doc) for k in (key(g.doc[i]), g.doc[i].lower_)}
    words = [mine.doc[i] for i in sorted(said) if is_content(mine.doc[i])]
    wrong = [t.text for t in words if key(t) not in allowed and t.lower_ not in allowed]
    if wrong:
        return f"it gives {' '.join(wrong)!r} as its source, which the evidence it cites does not"
    return None


def _asked(mine: Graph, theirs: list[Graph], meta: set[str]) -> str | None:
    """A verb the evidence does not have (the question's: ``qa.llm.writer.new_words`` let it through) may
    be part of what the sentence is about, in its subject; not what it says of it: "PSL stands for …",
    "the launchpad is located at …", "Church and Turing proposed it" are refused. Nouns and adjectives
    from the question ("the beloved children's show") are let be."""
    have = set().union(*(_any_keys(g) for g in theirs)) | meta
    topic = {t.i for tok in mine.doc if tok.dep_ in SUBJECT for t in tok.subtree} | source_tokens(mine.doc)
    for tok in mine.doc:
        if tok.pos_ != "VERB" or not is_content(tok) or tok.i in topic or key(tok) in REPORTING_STEMS:
            continue
        if key(tok) not in have and tok.lower_ not in have:
            return f"it says {tok.text!r}, which the evidence it cites does not (the question does)"
    return None


def _relations(mine: Graph, theirs: list[Graph], have: set[str]) -> str | None:
    names = mine.names()
    for n, name in mine.claimed().items():
        own = mine.keys.get(n, set())
        if not own & have:
            continue  # not in the evidence's words: the fact checks read it (an outlet, a speaker)
        # what is said of it: the words near it that are not names ("Peppermint Mocha, Chestnut Praline
        # Latte" say nothing of each other; two names are ``_joins``'s)
        close = {m for m in mine.near(n, NEAR_SENTENCE) if m not in names}
        near = {k for m in close for k in mine.keys.get(m, ())} - own
        around = {k for k in near if k in have}
        if not near:
            continue  # nothing is said about it
        if not around:  # only words the evidence lacks (the question's): "the plant is located in Florida"
            said = [t.text for t in mine.doc if mine.node[t.i] in close and is_content(t)]
            return f"the evidence it cites says nothing of {name!r} that it says ({', '.join(repr(w) for w in said[:3])})"
        if any(around & (g.near_keys(m, NEAR_EVIDENCE) | g.keys[m]) for g in theirs for k in own for m in g.nodes_with(k)):
            continue
        said = sorted(w for w in (t.text for t in mine.doc if mine.node[t.i] in close and is_content(t) and key(t) in around))
        return f"the evidence it cites does not put {name!r} with {', '.join(repr(w) for w in said[:3])}"
    return None


def _roles(verb) -> dict[str, object]:
    """Who does and who undergoes what a verb says, whatever the voice: "Turkish forces shelled Tal
    Rifaat" and "Tal Rifaat was shelled by Turkish forces" give the same. A relative pronoun stands
    for the noun its clause is about."""
    out = {}
    for c in verb.children:
        if c.dep_ in SUBJECT:
            role = "agent" if c.dep_ == "nsubj" else "patient"
            out[role] = verb.head if c.tag_ in ("WDT", "WP") and verb.head.i != verb.i else c
        elif c.dep_ == "dobj" and not any(x.dep_ in ("nsubjpass", "auxpass") for x in verb.children):
            out["patient"] = c  # not in the passive: "was fined £15,000" has its patient as subject
        elif c.dep_ == "agent":
            by = next((x for x in c.children if x.dep_ == "pobj"), None)
            if by is not None:
                out["agent"] = by
    return out


def _subjects(mine: Graph, theirs: list[Graph]) -> str | None:
    for tok in mine.doc:
        if tok.pos_ != "VERB" or not is_content(tok):
            continue
        verb = key(tok)
        there = [_roles(t) for g in theirs for t in g.doc if t.pos_ == "VERB" and key(t) == verb]
        if not there:
            continue  # another verb in the evidence: a paraphrase, read by the other checks
        for role, who in _roles(tok).items():
            if not is_content(who):
                continue
            keys = mine.keys.get(mine.node[who.i], {key(who)})
            others = [r[role] for r in there if role in r]
            if others and not any(keys_of(o.subtree) & keys or _points_back(o, keys) for o in others):
                return f"the evidence it cites says {others[0].text!r}, not {who.text!r}, for {tok.text!r}"
    return None


def _points_back(filler, keys: set[str]) -> bool:
    """"such materials", "these flags": a demonstrative phrase for something its own sentence names
    (among ``keys``); a pronoun ("they", "it") is not taken as pointing anywhere."""
    if not any(c.dep_ in ("det", "amod", "predet") and c.lower_ in ("such", "these", "those", "this", "that")
               for c in filler.children):
        return False
    return any(is_content(t) and key(t) in keys for t in filler.doc if t.i not in {x.i for x in filler.subtree})


def _joins(mine: Graph, theirs: list[Graph]) -> str | None:
    """Two names or numbers near each other in the sentence must be near each other (``NEAR_EVIDENCE``)
    in one cited sentence: "the Army first used fringe in 1835" is refused on "the first recorded use
    of fringe dates from 1835, and the Army used it in 1895"."""
    names = {n: name for n, name in mine.claimed().items() if mine.keys.get(n)}
    anywhere = set().union(*(ks for g in theirs for ks in g.keys.values()))
    for n, name in names.items():
        for m in mine.near(n, NEAR_SENTENCE):
            if m not in names or m < n:
                continue
            a, b = mine.keys[n], mine.keys[m]
            if not (a & anywhere and b & anywhere):
                continue
            together = [g for g in theirs if any(a & ks for ks in g.keys.values()) and any(b & ks for ks in g.keys.values())]
            if not together:
                return f"no one sentence it cites puts {name!r} with {names[m]!r}"
            if not any(x == y or y in g.near(x, NEAR_EVIDENCE) for g in together for k in a for x in g.nodes_with(k)
                       for j in b for y in g.nodes_with(j)):
                return f"the evidence it cites does not put {name!r} with {names[m]!r}"
    return None


def _scoped(g: Graph, cue_i: int) -> list:
    """The tokens of the clause a hedge or negation governs: its verb's subtree, less the clauses joined
    to that verb and the source it is attributed to ("according to X", which says who, not what); a
    that-clause it governs stays ("it is believed that …")."""
    tok = g.doc[cue_i]
    if tok.lower_ in ("not", "n't", "never") and tok.head.pos_ not in _VERBS:
        return list(tok.head.subtree)  # "not least", "not only": that word's phrase
    head = tok
    while head.pos_ not in _VERBS and head.head.i != head.i:
        head = head.head
    if head.dep_ in ("aux", "auxpass"):  # "may have been killed": the verb it helps; a copula is the verb
        head = head.head
    top = head if head.pos_ in _VERBS else tok.head
    out, todo = [], [top]
    while todo:  # its own clause: not the clauses joined to it ("…, won't last, but Kanye West posted …")
        t = todo.pop()
        out.append(t)
        todo += [c for c in t.children if c.dep_ not in _OTHER_CLAUSE and c.lower_ != "according"]
    return out


_OTHER_CLAUSE = {"conj", "parataxis", "advcl", "relcl", "acl", "appos", "cc"}


def _cues(g: Graph, words: frozenset[str]) -> list[int]:
    """Where ``words`` occur; "appear" hedges only before "to" or "that" ("it appeared to be", not "the
    flag appeared on the rocket"), and "not" before "unusual" negates nothing."""
    out = []
    for t in g.doc:
        if t.lower_ not in words:
            continue
        if t.lower_ in ("not", "n't") and re.match(r"(?:un|in|im|ir|il|non)[a-z]{3}", t.head.lower_) and t.head.pos_ in ("ADJ", "ADV"):
            continue  # "not unusual", "not insignificant": no negation
        if t.lower_.startswith("appear") and (t.i + 1 >= len(g.doc) or g.doc[t.i + 1].lower_ not in ("to", "that")):
            continue
        out.append(t.i)
    return out


def _polarity(mine: Graph, theirs: list[Graph], have: set[str]) -> str | None:
    # the sentence's nodes the evidence has words of; what a hedge or negation governs must include a
    # noun, verb or adjective of the sentence ("part" too, a stop word): "Flag Day is on June 14" does
    # not repeat what "often" qualifies in "ceremonies are held, often on Flag Day, June 14"
    used = {n: ks & have for n, ks in mine.keys.items() if ks & have}
    if len(used) < 2:
        return None
    said = {t.lower_ for t in mine.doc if t.pos_ in ("NOUN", "VERB", "ADJ")}
    for words, what in ((HEDGES, "hedge"), (NEGATIONS, "negation")):
        if _cues(mine, words):
            continue
        for g in theirs:
            for i in _cues(g, words):
                scope = _scoped(g, i)
                keys = keys_of(scope)
                inside = [n for n, ks in used.items() if ks & keys]
                if len(inside) >= max(2, (len(used) + 1) // 2) and said & {t.lower_ for t in scope if t.i != i}:
                    return f"it leaves out the evidence's {what} {g.doc[i].text!r}"
    if _cues(mine, NEGATIONS) and not any(_cues(g, NEGATIONS) for g in theirs):
        neg = mine.doc[_cues(mine, NEGATIONS)[0]].text
        return f"it says {neg!r}, which the evidence it cites does not"
    return None


QUANTIFIERS = frozenset("some several many most few certain".split())


def _quantifiers(mine: Graph, theirs: list[Graph]) -> str | None:
    """"worn on some U.S. military uniforms" is not "military patches are worn": a noun phrase the
    evidence limits with "some", "many", "most" … may not come back unlimited, when the sentence
    repeats what the evidence's clause says of it (one of its words that is not a name)."""
    names = set(mine.names())
    mine_limited = {key(t) for t in mine.doc for c in t.children
                    if c.lower_ in QUANTIFIERS | {"all", "every", "each"} or c.like_num}
    for g in theirs:
        for q in g.doc:
            if q.lower_ not in QUANTIFIERS or q.dep_ not in ("det", "amod") or q.head.pos_ not in ("NOUN", "PROPN"):
                continue
            noun = q.head
            phrase = {key(t) for t in [noun, *noun.lefts] if is_content(t) and t.i != q.i}
            shared = {n for n, ks in mine.keys.items() if ks & phrase}
            if not shared or phrase & mine_limited:
                continue
            said = {n for n, ks in mine.keys.items() if ks & keys_of(_scoped(g, q.i))} - shared - names
            if said:
                return f"it leaves out that the evidence speaks of {q.text} {noun.text}"
    return None


def _qualifier(text: str, at: int) -> str | None:
    before = " ".join(text[max(0, at - 30) : at].lower().split())
    for sense, phrases in _APPROX.items():
        if any(before.endswith(p) or before.endswith(p + " $") for p in phrases):
            return sense
    return None


def _approximations(sentence: str, cited: list[str]) -> str | None:
    for m in _NUMBER_TOKEN.finditer(sentence):
        value = m.group(0).lower().replace(",", "").rstrip(".")
        mine = _qualifier(sentence, m.start())
        found = [(text, e) for text in cited for e in _NUMBER_TOKEN.finditer(text)
                 if e.group(0).lower().replace(",", "").rstrip(".") == value]
        if found and all(_qualifier(text, e.start()) not in (mine, None) for text, e in found):
            text, e = found[0]
            said = " ".join(text[max(0, e.start() - 30) : e.end()].split()[-3:])
            return f"the evidence qualifies the number: {said!r}"
    return None
