"""One watcher of the store's changes for the whole server, waking the live streams of the conversations that changed.

The store's change feed (``SupportStore.changes``: LISTEN/NOTIFY on PostgreSQL, a polled counter on
SQLite) sees writes by every process, so a reply stored by a worker on another machine wakes the
customer's stream here. A stream also re-reads its conversation every ``fallback_s`` on its own,
so a change the feed missed (a dropped connection) is late, never lost.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import StoredMessage

log = logging.getLogger("support_tui.server.feed")

VISIBLE_ROLES = ("customer", "ai", "human", "system")
"""Who writes what a customer may read; drafts, rejected and superseded replies are never among it."""


def customer_visible(message: StoredMessage) -> bool:
    """A message the customer may see: sent (not a draft, rejected or superseded), by a visible role."""
    return message.status == "sent" and message.role in VISIBLE_ROLES


def message_json(message: StoredMessage) -> dict[str, object]:
    """A message as the API shows it to the customer (no agent names, models or turn ids)."""
    return {"id": message.id, "role": message.role, "text": message.text, "created_at": message.created_at,
            "reply_to": message.reply_to}


class ConversationFeed:
    """Wakes every stream watching a conversation when the store says it changed."""

    def __init__(self, store: SupportStore, *, poll_s: float = 0.25, fallback_s: float = 5.0) -> None:
        self.store = store
        self.poll_s = poll_s
        self.fallback_s = fallback_s
        """How long a stream waits for a wake-up before it looks for itself."""
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="conversation-feed")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    @asynccontextmanager
    async def watching(self, conversation_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set whenever the conversation changes, for as long as the block runs."""
        event = asyncio.Event()
        self._waiters.setdefault(conversation_id, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(conversation_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[conversation_id]

    def wake(self, conversation_id: str) -> None:
        for event in self._waiters.get(conversation_id, ()):
            event.set()

    async def _watch(self) -> None:
        while True:
            # A cancel reaches the feed's own frame (it is awaited here), so its finally runs then.
            try:
                async for change in self.store.changes(self.poll_s):
                    self.wake(change.conversation_id)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: streams poll on their own until it is back
                log.warning("the store's change feed stopped; retrying in 1 s", exc_info=True)
            await asyncio.sleep(1.0)
