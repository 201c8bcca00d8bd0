"""spaCy's attribute ruler (tag -> part of speech, morphology, a few lemmas) as table lookups.

The English pipeline's ``attribute_ruler`` runs 179 Matcher patterns over every token, a large
share of the attribution extractor's time. Nearly all are one-token tests of the tag, the lower-cased text or the
dependency label, which a lookup by tag or text answers in a few microseconds. ``FastRuler`` applies
the same patterns with the same precedence (by pattern number, later ones win, as
``AttributeRuler.match`` sorts them) and keeps a small spaCy Matcher for the few patterns of two
tokens, so every token ends with the attributes the component would have given it
(``tests/corpus/text/test_attribution.py`` compares them token by token). A pattern it cannot read (another
attribute or operator) makes ``FastRuler.of`` return None, and the caller runs spaCy's component.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_GETTERS: dict[str, Callable] = {"TAG": lambda t: t.tag_, "LOWER": lambda t: t.lower_, "DEP": lambda t: t.dep_,
                                 "IS_SPACE": lambda t: t.is_space}


def _test(key: str, want) -> Callable | None:
    """A predicate of one token for one pattern condition, or None if it is not one this module reads."""
    get = _GETTERS.get(key)
    if get is None:
        return None
    if isinstance(want, str | bool):
        return lambda t: get(t) == want
    if isinstance(want, dict) and len(want) == 1:
        (op, arg), = want.items()
        if op == "IN":
            s = set(arg)
            return lambda t: get(t) in s
        if op == "NOT_IN":
            s = set(arg)
            return lambda t: get(t) not in s
        if op == "REGEX":
            rx = re.compile(arg)
            return lambda t: bool(rx.search(get(t)))
    return None


class FastRuler:
    """Applies an ``AttributeRuler``'s patterns to a parsed Doc, as the component would."""

    def __init__(self, ruler, single: list[tuple[int, list[Callable]]], by_tag: dict, by_lower: dict,
                 anywhere: list[int], multi):
        self._attrs, self._indices = ruler.attrs, ruler.indices
        self._tests = dict(single)
        self._by_tag, self._by_lower, self._anywhere = by_tag, by_lower, anywhere
        self._multi = multi

    @classmethod
    def of(cls, ruler) -> FastRuler | None:
        """The fast twin of a loaded ``AttributeRuler``; None if one of its patterns is not readable here."""
        from spacy.matcher import Matcher

        single: list[tuple[int, list[Callable]]] = []
        by_tag: dict[str, list[int]] = {}
        by_lower: dict[str, list[int]] = {}
        anywhere: list[int] = []
        multi = Matcher(ruler.vocab)
        n_multi = 0
        for i, entry in enumerate(ruler.patterns):
            alternatives = entry["patterns"]
            if len(alternatives) != 1 or len(alternatives[0]) != 1:  # several tokens or alternatives: spaCy's Matcher
                multi.add(str(i), alternatives)
                n_multi += 1
                continue
            conds = alternatives[0][0]
            tests = [_test(k, v) for k, v in conds.items()]
            if not conds or any(t is None for t in tests) or ruler.indices[i] not in (0, -1):
                return None
            single.append((i, tests))
            if isinstance(conds.get("TAG"), str):
                by_tag.setdefault(conds["TAG"], []).append(i)
            elif isinstance(conds.get("LOWER"), str):
                by_lower.setdefault(conds["LOWER"], []).append(i)
            else:
                anywhere.append(i)
        return cls(ruler, single, by_tag, by_lower, anywhere, multi if n_multi else None)

    def __call__(self, doc):
        from spacy.tokens._retokenize import set_token_attrs

        found: list[tuple[int, int]] = []  # (pattern number, token index)
        for tok in doc:
            for i in (*self._by_tag.get(tok.tag_, ()), *self._by_lower.get(tok.lower_, ()), *self._anywhere):
                if all(test(tok) for test in self._tests[i]):
                    found.append((i, tok.i))
        if self._multi is not None:
            for match_id, start, end in self._multi(doc):
                i = int(doc.vocab.strings[match_id])
                index = self._indices[i]
                found.append((i, (start if index >= 0 else end) + index))
        found.sort()  # by pattern number: later patterns win, as in AttributeRuler.match
        for i, at in found:
            set_token_attrs(doc[at], self._attrs[i])
        return doc
