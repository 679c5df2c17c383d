"""Opening a conversation and following the store: draw it from stored messages and its trace; one refresh
path (conversation, customer card, queue) that engine events drive."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Sequence

from support_tui.tui.widgets.queue import queue_row

FEED_REFRESH_GAP_S = 0.25
"""The least time between two refreshes the store's feed asks for (a console's own changes refresh at once)."""

if TYPE_CHECKING:
    from support_tui.core.store.records.values import ConversationInfo, StoredMessage
    from support_tui.tui.screens.host import ConsoleHost


class ConversationLoader:
    """Owned by the console screen: draws a conversation and keeps card, title and queue in step with the store.

    It owns what it needs to know for that (which message ids are drawn and seen); the screen runs its
    methods as workers (their groups say which may overlap)."""

    def __init__(self, host: ConsoleHost) -> None:
        self.host = host
        self.seen: dict[str, int] = {}
        """The newest message id a person has had on screen, per conversation (the queue's unread mark)."""
        self.drawn = 0
        """The newest stored message id of the open conversation that is drawn (or known to this console)."""
        self._feed_refreshing = False
        self._feed_dirty = False

    async def show_conversation(self, conv: ConversationInfo) -> None:
        """Draw a conversation from its stored messages, and rebuild the panels from its trace."""
        host = self.host
        if host.busy:
            host.cancel_turn()
        before = host.conversation
        if before is not None and before.id != conv.id and before.mode != conv.mode:
            # The mode is the conversation's: it changed with the conversation, silently, before.
            host.notify(f"This conversation is in {conv.mode} mode (the one before was {before.mode})"
                        + (": AI replies wait as drafts." if conv.mode == "supervised" else ": AI replies go out at once."),
                        title=f"Mode: {conv.mode}", severity="warning")
        host.conversation, host.model_in_use = conv, None
        status = host.status
        status.usage, status.turns, status.latency_ms, status.queued = None, 0, 0.0, 0
        await host.chat.clear()
        host.routing.clear()
        host.sentiment.clear()
        await host.knowledge.clear()
        await host.tools.clear()
        messages = await host.engine.messages(conv.id)
        for m in messages:
            await host.chat.add_message(m.role, m.text, agent=m.agent, model=m.model, status=m.status, message_id=m.id)
        for event in await host.engine.trace(conv.id):
            await host.apply_event(event, replayed=True)
        host.chat.mark_stale_drafts()
        waiting = {p.call_id for p in await host.engine.pending_tool_calls(conv.id)}
        for card in host.tools.pending():
            if card.call_id not in waiting:
                card.resolved()
        host.tools.update_subtitle()
        host.update_badges()
        self.mark_seen(conv.id, messages)
        self.drawn = max((m.id for m in messages), default=0)
        await self.refresh_now()
        host.composer.focus()

    def mark_seen(self, conversation_id: str, messages: Sequence[StoredMessage]) -> None:
        if messages:
            self.seen[conversation_id] = max(m.id for m in messages)

    def saw(self, message_id: int | None) -> None:
        """A message of the open conversation this console drew itself (a turn's, a person's)."""
        self.drawn = max(self.drawn, message_id or 0)

    def feed_refresh_wanted(self) -> bool:
        """Whether the store's feed needs a new refresh run (``refresh_for_feed``): one runs, at most one more
        waits. On a busy team store writes arrive faster than a refresh takes; restarting it each time
        (``refresh_state``) would never finish."""
        if self._feed_refreshing:
            self._feed_dirty = True
            return False
        self._feed_refreshing, self._feed_dirty = True, False
        return True

    async def refresh_for_feed(self) -> None:
        try:
            while True:
                self._feed_dirty = False
                await self.refresh_now()
                await asyncio.sleep(FEED_REFRESH_GAP_S)
                if not self._feed_dirty:
                    break
        finally:
            self._feed_refreshing = False

    async def refresh_now(self) -> None:
        host = self.host
        if host.conversation is not None:
            conv = await host.engine.get_conversation(host.conversation.id)
            if host.conversation is not None and conv.id == host.conversation.id:
                host.conversation = conv
                card = host.card
                if card is not None:
                    card.show(await host.engine.customer_card(conv.customer_id))
        await self.refresh_queue()

    async def catch_up(self) -> None:
        """What others (a colleague's console, a worker) wrote to the open conversation since it was drawn:
        their messages, and drafts and calls they decided. Never during this console's own turn."""
        host = self.host
        conv = host.conversation
        if host.busy or conv is None:
            return
        messages = await host.engine.messages(conv.id)
        if host.conversation is None or host.conversation.id != conv.id or host.busy:
            return
        for m in messages:
            # System lines are this console's own (it drew them from the change events).
            if m.id > self.drawn and m.role != "system":
                await host.chat.add_message(m.role, m.text, agent=m.agent, model=m.model, status=m.status, message_id=m.id)
        self.drawn = max([self.drawn, *(m.id for m in messages)])
        stored = {m.id: m.status for m in messages}
        for bubble in host.chat.drafts():
            if bubble.message_id is not None and stored.get(bubble.message_id, "draft") != "draft":
                bubble.set_status(stored[bubble.message_id])
        waiting = {p.call_id for p in await host.engine.pending_tool_calls(conv.id)}
        for card in host.tools.pending():
            if card.call_id not in waiting:
                card.resolved()
        host.chat.mark_stale_drafts()
        host.update_badges()

    async def refresh_queue(self) -> None:
        """One row per open or escalated conversation, with what a person needs to pick the next one."""
        host = self.host
        conversations = await host.engine.conversations(["open", "escalated"])
        current = host.conversation
        rows = []
        for rank, conv in enumerate(conversations):
            messages = await host.engine.messages(conv.id)
            if current is not None and conv.id == current.id:
                self.mark_seen(conv.id, messages)
            pending = await host.engine.pending_tool_calls(conv.id)
            name = host.names.get(conv.customer_id, conv.customer_id)
            rows.append(queue_row(conv, name, messages, pending, self.seen.get(conv.id), rank))
        queue = host.queue
        if queue is not None:
            queue.show(rows, current.id if current else None)
        host.update_badges()
