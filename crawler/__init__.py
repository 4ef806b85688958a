"""newsvault's crawler: seeds -> frontier -> fetch -> extract -> store."""

__version__ = "0.1.0"
