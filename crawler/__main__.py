"""``python -m crawler`` runs the ``newsvault`` command."""

from crawler.cli import main

main()
