"""Keeping an index up to date: followed feeds, watched folders, and the log of what came in."""
