"""Opening an archive: the newsvault mark, the schema version, and forward migrations.

Version N's migration takes a store at version N-1 to N inside one transaction. A database that
is not newsvault's, or is newer than this code, is refused and left untouched.
"""

from __future__ import annotations

import sqlite3
from importlib import resources

from storage.errors import StoreError

PAGE_SIZE = 16384
APPLICATION_ID = 0x4E565354  # "NVST": marks a newsvault archive in the SQLite header


def _schema_v1() -> str:
    return resources.files("storage").joinpath("schema.sql").read_text(encoding="utf-8")


MIGRATIONS: tuple[tuple[int, str], ...] = ((1, "schema.sql"),)
LATEST_VERSION = MIGRATIONS[-1][0]


def _script(name: str) -> str:
    return _schema_v1() if name == "schema.sql" else resources.files("storage").joinpath(name).read_text()


def check_and_migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database at ``path`` to the latest schema; return the version it was at."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id != APPLICATION_ID and (app_id != 0 or version != 0 or tables != 0):
        raise StoreError(f"{path} is not a newsvault archive (it holds other data); left untouched")
    if version > LATEST_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, newer than this newsvault understands "
            f"({LATEST_VERSION}); upgrade newsvault. The archive was left untouched"
        )
    if tables == 0:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # before the first table: blobs span fewer pages
    for target, name in MIGRATIONS:
        if target <= version:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(_script(name)):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return int(version)


def _split_sql(script: str) -> list[str]:
    """Statements of a script, so they run inside our own transaction (executescript commits)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
