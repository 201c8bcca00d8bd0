"""The relation checks of written sentences (``qa.llm.relations``), on the real spaCy parser, and the
verifier with them on the sample corpus's evidence."""

from __future__ import annotations

import pytest

from tests.qa.llm.test_writer import KOBANI

REFUSED = [
    # a true name in a false relation: the evidence mentions Aleppo for something else
    ("The commander studied law in Aleppo.",
     ["The commander said the convoy was attacked near the university in Aleppo on Sunday."], "'Aleppo'"),
    # the question's words glued to a name of the evidence
    ("The factory is located in Raqqa.", ["A Raqqa resident found flour in the package she bought at the market."],
     "says nothing of 'Raqqa'"),
    # a pronoun resolved by the writer: the evidence does not say who "they" are
    ("The SDF controlled the border crossing at Tal Abyad.",
     ["They controlled the border crossing at Tal Abyad, a few kilometres from the SDF's base."], "'They'"),
    # another agent for the same verb
    ("The army shelled the town on Friday.", ["Rebels shelled the town on Friday, the monitor said."], "'Rebels'"),
    # two cited sentences' names joined into one fact
    ("Manbij and Tabqa were captured on Monday.", ["Manbij was captured on Monday.", "Tabqa fell in March after a long siege."],
     "Tabqa"),
    ("The strike killed 12 civilians.", ["The strike may have killed 12 civilians, activists said."], "hedge 'may'"),
    ("The convoy reached Kobani.", ["The convoy did not reach Kobani before nightfall."], "negation 'not'"),
    ("The army did not shell the town.", ["The army shelled the town on Friday."], "says 'not'"),
    ("The attack killed 40 people.", ["The attack killed nearly 40 people in the market."], "nearly 40"),
    ("More than 40 people were killed.", ["The attack killed nearly 40 people in the market."], "nearly 40"),
    # a noun phrase the evidence limits comes back unlimited
    ("Residents fled Raqqa.", ["Many residents fled Raqqa after the strike."], "Many residents"),
    # what the sentence says of its subject is the question's verb, not the evidence's
    ("The convoy stands for peace in Manbij.", ["The convoy reached Manbij on Monday."], "'Manbij'"),
    ("The flag was shown on the rocket.", ["The flag appeared on the rocket."], "'shown'"),
    ("The rebels held the town.", ["The rebels appeared to hold the town."], "hedge 'appeared'"),
]

KEPT = [
    ("The YPG captured five villages on Tuesday.",
     ["The YPG captured five villages from the Islamic State on Tuesday after fighting that reportedly led to the "
      "deaths of 43 IS fighters."]),
    ("Nearly 40 people were killed in the attack.", ["The attack killed nearly 40 people in the market."]),
    ("Turkish forces shelled Tal Rifaat on Friday.", ["On Friday, Tal Rifaat was shelled by Turkish forces, the monitor said."]),
    ("The bridge will reopen on Monday, according to the mayor.", ["The bridge will reopen on Monday after repairs, the mayor said."]),
    # two clauses, each from its own sentence
    ("Manbij was captured on Monday, and Tabqa fell in March.", ["Manbij was captured on Monday.", "Tabqa fell in March after a long siege."]),
    ("The convoy did not reach Kobani.", ["The convoy did not reach Kobani before nightfall."]),
    # a negation in a clause the sentence does not use
    ("Kurdish fighters took the hill.", ["Kurdish fighters took the hill, but they could not hold the village."]),
    ("Activists said the strike may have killed 12 civilians.", ["The strike may have killed 12 civilians, activists said."]),
    # "not unusual" negates nothing; "appeared on" is no hedge
    ("Residents fled Raqqa after the strike.", ["It was not unusual for residents to flee Raqqa after the strike."]),
    ("The flag appeared on the rocket.", ["The flag appeared on the rocket, which was launched on Monday."]),
    # what "often" qualifies is not what the sentence says: Flag Day is June 14
    ("Flag Day is on June 14.", ["Veterans hold ceremonies, often on Flag Day, June 14."]),
    # a demonstrative for a noun of its own sentence
    ("When nylon flags are burned, toxic gases are produced.",
     ["Nylon flags should be recycled, because toxic gases are produced when such materials are burned."]),
]


@pytest.mark.parametrize(("sentence", "cited", "why"), REFUSED)
def test_a_sentence_whose_words_the_evidence_does_not_put_together_is_refused(sentence, cited, why):
    from qa.llm.relations import problem

    reason = problem(sentence, cited)
    assert reason is not None and why in reason


@pytest.mark.parametrize(("sentence", "cited"), KEPT)
def test_a_faithful_sentence_passes_the_relation_checks(sentence, cited):
    from qa.llm.relations import problem

    assert problem(sentence, cited) is None


def test_a_sentence_may_name_only_the_source_its_evidence_gives():
    from qa.llm.relations import problem

    cited = ["The strike killed 12 fighters, a spokesman for the Kurdish-led SDF said."]
    who = ["a spokesman for the Kurdish-led SDF", "ANHA"]  # the attribution's speaker, and the outlet
    assert problem("The SDF said the strike killed 12 fighters.", cited, who) is None
    assert problem("The strike killed 12 fighters, according to ANHA.", cited, who) is None
    reason = problem("The Turkish defence ministry said the strike killed 12 fighters.", cited, who)
    assert reason is not None and "'Turkish defence ministry' as its source" in reason
    assert "'SANA'" in problem("The strike killed 12 fighters, according to SANA.", cited, who)


def test_the_verifier_drops_a_sentence_that_loses_the_evidences_hedge_and_names_the_speaker(sample):
    from dataclasses import replace

    from qa.llm.verify import name_sources, split, verify

    ans = sample.ask(KOBANI, corroborate=False)
    ev = [cl.evidence[0] for cl in ans.claims]
    n43 = next(i for i, e in enumerate(ev, 1) if "43" in e.text)
    assert "reportedly" in ev[n43 - 1].text
    hedged = "The YPG captured five villages after fighting that reportedly led to the deaths of 43 IS fighters"
    plain = "The fighting led to the deaths of 43 IS fighters"
    settings = sample.settings.llm
    reply = f"{hedged} [{n43}]. {plain} [{n43}]."
    kept, dropped = verify(split(reply), ev, sample.embedder, settings.min_meaning, min_words=settings.min_words,
                           question=KOBANI, relations=True)
    assert [k.text for k in kept] == [hedged + "."]
    assert dropped == [{"text": plain + ".", "markers": [n43], "reason": "it leaves out the evidence's hedge 'reportedly'"}]
    # the setting off: the earlier checks alone keep both
    kept, _ = verify(split(reply), ev, sample.embedder, settings.min_meaning, min_words=settings.min_words,
                     question=KOBANI)
    assert len(kept) == 2
    # a kept sentence that leaves out who the evidence says is speaking gets them back
    said = replace(ev[n43 - 1], attribution={"kind": "indirect", "speaker": "Khalid Iskef", "role": "an activist"})
    assert name_sources(hedged + ".", [said]) == hedged + ", according to Khalid Iskef."
    assert name_sources("Khalid Iskef said the YPG captured five villages.", [said]).endswith("villages.")
    assert name_sources("An activist said the YPG captured five villages.", [said]).endswith("villages.")
    assert name_sources("The YPG captured five villages,.", [said]).endswith("villages, according to Khalid Iskef.")
    us = replace(ev[n43 - 1], attribution={"kind": "indirect", "speaker": "U.S.",
                                            "source": {"text": "A U.S. defense official", "start": 0, "end": 23}})
    assert name_sources("The official said the YPG captured five villages.", [us]).endswith("villages.")
    assert name_sources("The YPG captured five villages.", [us]) == "The YPG captured five villages, according to U.S."
    unnamed = replace(ev[n43 - 1], attribution={"kind": "indirect", "speaker": None})  # "he said": no one to name
    assert name_sources(hedged + ".", [unnamed]) == hedged + "."
    own = replace(ev[n43 - 1], attribution={"kind": "unattributed", "carrier": "Syria Direct"})
    assert name_sources(hedged + ".", [own]) == hedged + "."
