"""The store's exception tree.

    StoreError        the archive cannot be opened or used (not newsvault's, too new, unreadable)
"""

from __future__ import annotations


class StoreError(Exception):
    """An archive that cannot be opened or written; the message says which and why."""
