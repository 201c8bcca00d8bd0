"""``python -m app.cli``: the ``qa`` command."""

from app.cli import main

main()
