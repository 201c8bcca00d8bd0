"""Who did it: the action a "who" question asks about, and the sentences that name its doer."""

from __future__ import annotations

from qa.analysis.doers import asked_action, names_doer


def test_the_action_a_who_question_asks_about():
    a = asked_action("Who attacked Tel Khanzir?")
    assert a.stem == "attack" and a.names == {"tel", "khanzir"}
    assert asked_action("Which group took control of Idlib?").stem == "took"
    assert asked_action("Who has captured the villages?").stem == "captur"
    assert asked_action("Who said the regime was responsible?") is None  # a question about sources, not doers
    assert asked_action("Who is Khalid Iskef?") is None
    assert asked_action("How many IS fighters were killed?") is None


def test_a_sentence_names_the_doer_only_with_a_stated_subject_or_agent():
    a = asked_action("Who attacked Tel Khanzir?")
    assert names_doer("The Islamic State [IS] attacked a YPG-controlled town in Al-Hasakah province on Tuesday.", a)
    assert names_doer("The town was attacked by IS fighters on Tuesday.", a)
    assert not names_doer("The town was attacked on Tuesday.", a)  # no doer stated
    assert not names_doer("It attacked the town on Tuesday.", a)  # a pronoun names no one
    assert not names_doer("The YPG staved off the assault on Tel Khanzir.", a)
    assert not names_doer("The attack on Tel Khanzir began on Tuesday.", a)  # a noun, not the verb
    assert not names_doer("IS, which has attacked the town for a month, …", a)
    assert names_doer("YPG fighters have reportedly attacked the town.", a)
    assert names_doer("The YPG captured five villages.", asked_action("Who captured the villages?"))


def test_a_doer_elsewhere_does_not_answer():
    a = asked_action("Who launched an offensive on Idlib?")
    assert not a.about("Last Friday, unknown assailants launched car bomb attacks in Al-Hasakah city.")
    assert a.about("Jaish al-Fatah launched an offensive to take Idlib city.")


def test_a_relative_clause_names_the_doer_of_something_else():
    a = asked_action("Who attacked Tel Khanzir?")
    assert not names_doer("IS hopes to cut the road to Ras al-Ain, which IS has attacked for the past month.", a)
    assert names_doer("They hold Tel Khanzir, which IS fighters attacked on Tuesday.", a)
