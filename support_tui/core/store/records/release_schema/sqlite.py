"""The support schema in SQLite as the release before Alembic made it (versions 1-6 of ``schema_version``).

Never edited: the baseline revision (``records/migrations/support_0006_baseline.py``) applies what a
database lacks of it; a change to the schema is a new Alembic revision.
"""

from __future__ import annotations

from support_tui.core.store.sql.migrations import Migration

QUEUE_MIGRATION: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS turn_jobs (
        message_id INTEGER PRIMARY KEY REFERENCES messages(id),
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        status TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        turn_id TEXT,
        lease_expires REAL,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    )""",
    # Only unfinished jobs are ever searched: the indexes stay as small as the queue.
    "CREATE INDEX IF NOT EXISTS turn_jobs_open ON turn_jobs(conversation_id, message_id)"
    " WHERE status IN ('queued', 'running')",
    "CREATE INDEX IF NOT EXISTS turn_jobs_waiting ON turn_jobs(status, message_id) WHERE status IN ('queued', 'running')",
    "ALTER TABLE messages ADD COLUMN reply_to INTEGER",
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_reply_to ON messages(reply_to) WHERE reply_to IS NOT NULL",
)
"""Migration 5 of the SQLite support schema."""

PRESENCE_MIGRATION: tuple[str, ...] = ("ALTER TABLE turn_jobs ADD COLUMN watched INTEGER NOT NULL DEFAULT 0",)
"""Migration 6: a claim made by a worker in ``worker_presence`` is ``watched``."""


def _change_triggers() -> list[str]:
    """Triggers that mark a conversation changed on every write to it, its messages or its pending calls,
    whichever process or code path makes the write."""
    statements = []
    for table, key in (("conversations", "id"), ("messages", "conversation_id"), ("pending_tool_calls", "conversation_id")):
        for when in ("INSERT", "UPDATE"):
            # No REPLACE or upsert here: inside a trigger the outer statement's conflict rule applies
            # (an upsert's ABORT), so the mark is an UPDATE and an INSERT that cannot conflict.
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_{when.lower()}_mark AFTER {when} ON {table} BEGIN"
                f" UPDATE change_marks SET seq = (SELECT MAX(seq) FROM change_marks) + 1 WHERE conversation_id = NEW.{key};"
                f" INSERT INTO change_marks (conversation_id, seq) SELECT NEW.{key}, (SELECT COALESCE(MAX(seq), 0) + 1"
                f" FROM change_marks) WHERE NOT EXISTS (SELECT 1 FROM change_marks WHERE conversation_id = NEW.{key}); END"
            )
    return statements


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "support records", (
        # IF NOT EXISTS: a database made before migrations existed already has these and is adopted as is.
        """CREATE TABLE IF NOT EXISTS conversations (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            handled_by TEXT NOT NULL DEFAULT 'ai',
            agent TEXT,
            mode TEXT NOT NULL DEFAULT 'auto',
            model TEXT,
            priority TEXT,
            escalation_reason TEXT,
            outcome TEXT,
            summary TEXT,
            state TEXT NOT NULL DEFAULT '{}',
            is_fixture INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS conversations_customer ON conversations(customer_id, updated_at)",
        "CREATE INDEX IF NOT EXISTS conversations_status ON conversations(status)",
        """CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            turn_id TEXT,
            role TEXT NOT NULL,
            text TEXT NOT NULL,
            agent TEXT,
            model TEXT,
            status TEXT NOT NULL DEFAULT 'sent',
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS messages_conversation ON messages(conversation_id, id)",
        """CREATE TABLE IF NOT EXISTS turns (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            message_id INTEGER,
            status TEXT NOT NULL DEFAULT 'running',
            agent TEXT,
            model TEXT,
            error TEXT,
            timings TEXT NOT NULL DEFAULT '{}',
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            ended_at TEXT
        )""",
        "CREATE INDEX IF NOT EXISTS turns_conversation ON turns(conversation_id, started_at)",
        """CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL,
            turn_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS events_turn ON events(conversation_id, turn_id, id)",
        """CREATE TABLE IF NOT EXISTS pending_tool_calls (
            call_id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL,
            turn_id TEXT NOT NULL,
            agent TEXT NOT NULL,
            name TEXT NOT NULL,
            arguments TEXT NOT NULL,
            rule TEXT,
            reason TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            note TEXT,
            created_at TEXT NOT NULL,
            resolved_at TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS ratings (
            conversation_id TEXT PRIMARY KEY,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS customer_memory (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL UNIQUE,
            summary TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
    )),
    Migration(2, "an index for every query a turn makes", (
        "CREATE INDEX IF NOT EXISTS messages_role ON messages(conversation_id, role, id)",
        "CREATE INDEX IF NOT EXISTS pending_conversation ON pending_tool_calls(conversation_id, status, created_at)",
        "CREATE INDEX IF NOT EXISTS pending_status ON pending_tool_calls(status, created_at)",
        "CREATE INDEX IF NOT EXISTS memory_customer ON customer_memory(customer_id, created_at)",
        "CREATE INDEX IF NOT EXISTS conversations_created ON conversations(created_at)",
        "CREATE INDEX IF NOT EXISTS conversations_fixture ON conversations(is_fixture) WHERE is_fixture = 1",
        "CREATE INDEX IF NOT EXISTS turns_running ON turns(status) WHERE status = 'running'",
    )),
    Migration(3, "forks: a conversation re-run from another's turn links to its parent", (
        "ALTER TABLE conversations ADD COLUMN parent_id TEXT",
        "ALTER TABLE conversations ADD COLUMN forked_at_turn INTEGER",
        "CREATE INDEX IF NOT EXISTS conversations_parent ON conversations(parent_id) WHERE parent_id IS NOT NULL",
    )),
    Migration(4, "a team on one store: claims on conversations, who decided a call, a change feed", (
        "ALTER TABLE conversations ADD COLUMN held_by TEXT",
        "ALTER TABLE pending_tool_calls ADD COLUMN decided_by TEXT",
        # One row per conversation with the counter value of its latest write: bounded, and a poll
        # reads only what changed since the last counter it saw.
        "CREATE TABLE IF NOT EXISTS change_marks (conversation_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
        "CREATE INDEX IF NOT EXISTS change_marks_seq ON change_marks(seq)",
        *_change_triggers(),
    )),
    Migration(5, "queued turns: customers' messages wait in turn_jobs for a worker; one reply per message", QUEUE_MIGRATION),
    Migration(6, "a dead worker's claims are taken over at once: claims by a present worker are watched", PRESENCE_MIGRATION),
)
"""The support schema, oldest first."""
