"""Opening a conversation and following the store: draw it from stored messages and its trace; one refresh
path (conversation, customer card, queue) that engine events drive."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual import work

from support_tui.tui.messages import ConversationPicked
from support_tui.tui.widgets.insight import KnowledgePanel, RoutingPanel, SentimentPanel
from support_tui.tui.widgets.queue import ConversationQueue, queue_row
from support_tui.tui.widgets.sidebar import CustomerCard

FEED_REFRESH_GAP_S = 0.25
"""The least time between two refreshes the store's feed asks for (a console's own changes refresh at once)."""

if TYPE_CHECKING:
    from support_tui.core.store.records import ConversationInfo
    from support_tui.tui.screens.console import ConsoleScreen


class ConversationLoader:
    """Mixed into ConsoleScreen: draws a conversation and keeps card, title and queue in step with the store."""

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_customer(self: ConsoleScreen, customer_id: str, new: bool = False) -> None:
        await self.show_conversation(await self.engine.open_conversation(customer_id, new=new))

    @work(exclusive=True, group="open", exit_on_error=False)
    async def on_conversation_picked(self: ConsoleScreen, message: ConversationPicked) -> None:
        await self.show_conversation(await self.engine.get_conversation(message.conversation_id))

    async def show_conversation(self: ConsoleScreen, conv: ConversationInfo) -> None:
        """Draw a conversation from its stored messages, and rebuild the panels from its trace."""
        if self.busy:
            self.workers.cancel_group(self, "turn")
        before = self.conversation
        if before is not None and before.id != conv.id and before.mode != conv.mode:
            # The mode is the conversation's: it changed with the conversation, silently, before.
            self.notify(f"This conversation is in {conv.mode} mode (the one before was {before.mode})"
                        + (": AI replies wait as drafts." if conv.mode == "supervised" else ": AI replies go out at once."),
                        title=f"Mode: {conv.mode}", severity="warning")
        if self.scenario is not None and conv.customer_id != self.scenario_customer:
            # Another customer: the scenario's tag (and F8's next step) stayed on their header before.
            self.scenario, self.scenario_step, self.scenario_customer = None, 0, None
        self.conversation, self.model_in_use, self.active_agent, self.reply = conv, None, None, None
        self.turn_bubble, self.queued = None, []
        self.status.usage, self.status.turns, self.status.latency_ms, self.status.queued = None, 0, 0.0, 0
        await self.chat.clear()
        self.query_one(RoutingPanel).clear()
        self.query_one(SentimentPanel).clear()
        await self.query_one(KnowledgePanel).clear()
        await self.tools.clear()
        messages = await self.engine.messages(conv.id)
        for m in messages:
            await self.chat.add_message(m.role, m.text, agent=m.agent, model=m.model, status=m.status, message_id=m.id)
        for event in await self.engine.trace(conv.id):
            await self.apply_event(event, replayed=True)
        self.chat.mark_stale_drafts()
        waiting = {p.call_id for p in await self.engine.pending_tool_calls(conv.id)}
        for card in self.tools.pending():
            if card.call_id not in waiting:
                card.resolved()
        self.tools.update_subtitle()
        self.update_badges()
        self.mark_seen(conv.id, messages)
        self.drawn = max((m.id for m in messages), default=0)
        await self.refresh_now()
        self.composer.focus()

    def mark_seen(self: ConsoleScreen, conversation_id: str, messages: list) -> None:
        if messages:
            self.seen[conversation_id] = max(m.id for m in messages)

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def refresh_state(self: ConsoleScreen) -> None:
        """Re-read the open conversation, its customer card and the queue (several events make one refresh)."""
        await self.refresh_now()

    def refresh_for_feed(self: ConsoleScreen) -> None:
        """A refresh for the store's feed: one runs, at most one more waits. On a busy team store writes
        arrive faster than a refresh takes; restarting it each time (``refresh_state``) would never finish."""
        if getattr(self, "_feed_refreshing", False):
            self._feed_dirty = True
            return
        self._feed_refreshing, self._feed_dirty = True, False
        self.run_worker(self._refresh_for_feed(), group="feed-refresh", exit_on_error=False)

    async def _refresh_for_feed(self: ConsoleScreen) -> None:
        try:
            while True:
                self._feed_dirty = False
                await self.refresh_now()
                await asyncio.sleep(FEED_REFRESH_GAP_S)
                if not self._feed_dirty:
                    break
        finally:
            self._feed_refreshing = False

    async def refresh_now(self: ConsoleScreen) -> None:
        if self.conversation is not None:
            conv = await self.engine.get_conversation(self.conversation.id)
            if self.conversation is not None and conv.id == self.conversation.id:
                self.conversation = conv
                self.query_one(CustomerCard).show(await self.engine.customer_card(conv.customer_id))
        await self.refresh_queue()

    @work(exclusive=True, group="catch-up", exit_on_error=False)
    async def catch_up(self: ConsoleScreen) -> None:
        """What others (a colleague's console, a worker) wrote to the open conversation since it was drawn:
        their messages, and drafts and calls they decided. Never during this console's own turn."""
        conv = self.conversation
        if self.busy or conv is None:
            return
        messages = await self.engine.messages(conv.id)
        if self.conversation is None or self.conversation.id != conv.id or self.busy:
            return
        for m in messages:
            # System lines are this console's own (it drew them from the change events).
            if m.id > self.drawn and m.role != "system":
                await self.chat.add_message(m.role, m.text, agent=m.agent, model=m.model, status=m.status, message_id=m.id)
        self.drawn = max([self.drawn, *(m.id for m in messages)])
        stored = {m.id: m.status for m in messages}
        for bubble in self.chat.drafts():
            if bubble.message_id is not None and stored.get(bubble.message_id, "draft") != "draft":
                bubble.set_status(stored[bubble.message_id])
        waiting = {p.call_id for p in await self.engine.pending_tool_calls(conv.id)}
        for card in self.tools.pending():
            if card.call_id not in waiting:
                card.resolved()
        self.chat.mark_stale_drafts()
        self.update_badges()

    async def refresh_queue(self: ConsoleScreen) -> None:
        """One row per open or escalated conversation, with what a person needs to pick the next one."""
        conversations = await self.engine.conversations(["open", "escalated"])
        current = self.conversation
        rows = []
        for rank, conv in enumerate(conversations):
            messages = await self.engine.messages(conv.id)
            if current is not None and conv.id == current.id:
                self.mark_seen(conv.id, messages)
            pending = await self.engine.pending_tool_calls(conv.id)
            name = self.names.get(conv.customer_id, conv.customer_id)
            rows.append(queue_row(conv, name, messages, pending, self.seen.get(conv.id), rank))
        self.query_one(ConversationQueue).show(rows, current.id if current else None)
        self.update_badges()
