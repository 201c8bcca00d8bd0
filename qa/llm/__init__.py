"""The optional language model: its client, the prompts, the written writer, the checks every written
sentence must pass (facts, words, relations, the model's own check) and follow-up rewriting.
Nothing here is imported on the quoted (default) path."""
