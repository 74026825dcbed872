"""Versioned schema migrations; ``PRAGMA user_version`` records the applied version.

Append new steps; never edit a released one. Each runs in the transaction that
bumps the version, so a crash mid-migration leaves the previous schema intact.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: first release
    """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

    -- Updates this device made, local copies kept until folded into the base.
    CREATE TABLE updates(
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('new', 'sent', 'confirmed')),
        position INTEGER,
        at INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- Every action dispatched here and not yet folded into the base state.
    -- update_id NULL: not yet grouped into an update.
    CREATE TABLE local_actions(
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body BLOB NOT NULL,
        update_id TEXT REFERENCES updates(id)
    );
    CREATE INDEX local_actions_by_update ON local_actions(update_id);

    -- Ids of actions folded into the base state: each takes effect once.
    CREATE TABLE applied(action_id TEXT PRIMARY KEY) WITHOUT ROWID;

    -- 'view': what the user sees, through local seq `mark`;
    -- 'base': the committed remote log, through position `mark`.
    CREATE TABLE checkpoints(
        name TEXT PRIMARY KEY CHECK (name IN ('view', 'base')),
        mark INTEGER NOT NULL,
        body BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE history(
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stack TEXT NOT NULL CHECK (stack IN ('undo', 'redo')),
        body BLOB NOT NULL
    );
    CREATE INDEX history_by_stack ON history(stack, seq);
    """,
    # 2: sync format 2. The exact bytes of each update this device sent (its local
    # copy, with the link it names), and an archive of every update folded into the
    # base, so a device can re-push what a moved, restored or replaced log lacks.
    """
    ALTER TABLE updates ADD COLUMN body BLOB;
    CREATE TABLE archive(
        ord INTEGER PRIMARY KEY AUTOINCREMENT,
        update_id TEXT NOT NULL,
        body BLOB NOT NULL
    );
    """,
    # 3: long note bodies stored as changes (storage.compact_bodies): the delta that
    # rebuilds a journaled body edit's base, and an undo entry's rebuild data.
    """
    ALTER TABLE local_actions ADD COLUMN bases BLOB;
    ALTER TABLE history ADD COLUMN texts BLOB;
    """,
    # 4: the base stored item by item on top of its checkpoint (docs/architecture.md,
    # "Incremental local state"): a sync round writes one row per item it changed.
    # body NULL: the item is not in the base. The base position moves to meta, so
    # moving it never rewrites the checkpoint's row.
    """
    CREATE TABLE base_items(
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        body BLOB,
        PRIMARY KEY (kind, id)
    );
    INSERT OR REPLACE INTO meta(key, value)
        SELECT 'base_position', CAST(mark AS TEXT) FROM checkpoints WHERE name = 'base';
    """,
    # 5: checkpoints become a rowid table. In a WITHOUT ROWID table a row's whole
    # payload is its key: rewriting the few-byte 'view' row beside a 34 MB 'base'
    # row cost 60 ms, as the page balance copied the base's overflow chain.
    """
    CREATE TABLE checkpoints_by_rowid(
        name TEXT PRIMARY KEY CHECK (name IN ('view', 'base')),
        mark INTEGER NOT NULL,
        body BLOB NOT NULL
    );
    INSERT INTO checkpoints_by_rowid(name, mark, body) SELECT name, mark, body FROM checkpoints;
    DROP TABLE checkpoints;
    ALTER TABLE checkpoints_by_rowid RENAME TO checkpoints;
    """,
    # 6: a sync round no longer rewrites the view row (freeing a view saved whole,
    # 34 MB at 100,000 items, held the write lock 75 ms inside the round's commit):
    # it sets meta 'view_is_base', and the view row is stale while that is set. A
    # version before this one would read the stale row, hence a new version, which
    # it refuses. A view already the base after a round says so in the new way.
    """
    INSERT OR REPLACE INTO meta(key, value)
        SELECT 'view_is_base', '1' FROM checkpoints
        WHERE name = 'view' AND mark = 0 AND body = x'';
    """,
    # 7: only grouped actions are indexed by their update. Every dispatch added a
    # NULL entry to this index, one more page in each durable commit (of ~6.5), for
    # lookups that only ever ask for a given update or for any grouped action; the
    # ungrouped ones are found by seq (group_pending).
    """
    DROP INDEX local_actions_by_update;
    CREATE INDEX local_actions_by_update ON local_actions(update_id)
        WHERE update_id IS NOT NULL;
    """,
    # 8: the undo and redo stacks in a table each, found by their rowid: one table
    # with an index on (stack, seq) wrote both b-trees' last pages in every commit.
    # seq is a rowid (no AUTOINCREMENT): a stack's order is all it is for.
    """
    CREATE TABLE undo_steps(seq INTEGER PRIMARY KEY, body BLOB NOT NULL, texts BLOB);
    CREATE TABLE redo_steps(seq INTEGER PRIMARY KEY, body BLOB NOT NULL, texts BLOB);
    INSERT INTO undo_steps(seq, body, texts)
        SELECT seq, body, texts FROM history WHERE stack = 'undo' ORDER BY seq;
    INSERT INTO redo_steps(seq, body, texts)
        SELECT seq, body, texts FROM history WHERE stack = 'redo' ORDER BY seq;
    DROP TABLE history;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
