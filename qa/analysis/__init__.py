"""Across articles: who says so (attribution at question time), outlet profiles, corroboration and
stance, the day each sentence describes, and timelines."""
