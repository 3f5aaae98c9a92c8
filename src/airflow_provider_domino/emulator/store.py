"""The emulator's state: plain JSON objects in memory, mirrored to SQLite when ``--state FILE`` is given.

Every mutation is committed at once (WAL mode, ``synchronous=NORMAL``: a commit costs microseconds, not an
fsync), so a crash loses nothing a client was told about. Objects that change often (job logs, instance logs)
are marked dirty and flushed in batches instead.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

JSON = dict[str, Any]
TABLES = ("modelApis", "versions", "deployments", "registeredModels", "jobs", "predictions", "counters")


class Store:
    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.tables: dict[str, dict[str, JSON]] = {name: {} for name in TABLES}
        self._dirty: set[tuple[str, str]] = set()
        self._db: sqlite3.Connection | None = None
        if path:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " tbl TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (tbl, key))"
            )
            for tbl, key, value in self._db.execute("SELECT tbl, key, value FROM objects ORDER BY rowid"):
                if tbl in self.tables:
                    self.tables[tbl][key] = json.loads(value)

    # reads
    def get(self, table: str, key: str) -> JSON | None:
        return self.tables[table].get(key)

    def values(self, table: str) -> list[JSON]:
        return list(self.tables[table].values())

    # writes
    def put(self, table: str, key: str, obj: JSON) -> None:
        self.tables[table][key] = obj
        self._dirty.discard((table, key))
        if self._db is not None:
            self._write([(table, key, obj)])

    def put_many(self, table: str, items: Iterable[tuple[str, JSON]]) -> None:
        rows = []
        for key, obj in items:
            self.tables[table][key] = obj
            rows.append((table, key, obj))
        if self._db is not None:
            self._write(rows)

    def touch(self, table: str, key: str) -> None:
        """Mark an object changed in place; it is written at the next flush()."""
        if self._db is not None:
            self._dirty.add((table, key))

    def flush(self) -> None:
        if not self._dirty or self._db is None:
            self._dirty.clear()
            return
        rows = [(t, k, self.tables[t][k]) for t, k in self._dirty if k in self.tables[t]]
        self._dirty.clear()
        self._write(rows)

    def next_number(self, name: str) -> int:
        counter = self.tables["counters"].get(name, {"value": 0})
        value = int(counter["value"]) + 1
        self.put("counters", name, {"value": value})
        return value

    def clear(self) -> None:
        for table in self.tables.values():
            table.clear()
        self._dirty.clear()
        if self._db is not None:
            self._db.execute("DELETE FROM objects")

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def dump(self) -> dict[str, list[JSON]]:
        return {name: list(rows.values()) for name, rows in self.tables.items() if name != "counters"}

    def _write(self, rows: list[tuple[str, str, JSON]]) -> None:
        assert self._db is not None
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO objects (tbl, key, value) VALUES (?, ?, ?)"
            " ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
            [(t, k, json.dumps(obj, separators=(",", ":"))) for t, k, obj in rows],
        )
        self._db.execute("COMMIT")
