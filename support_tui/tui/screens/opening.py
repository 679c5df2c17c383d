"""Opening a conversation: resume or start one for a customer, or pick one from the queue, and redraw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from support_tui.core.events import Usage
from support_tui.core.store.support import ConversationInfo
from support_tui.tui.messages import ConversationPicked
from support_tui.tui.widgets.insight import KnowledgePanel, RoutingPanel, SentimentPanel
from support_tui.tui.widgets.sidebar import CustomerCard

if TYPE_CHECKING:
    from support_tui.tui.screens.console import ConsoleScreen


class ConversationLoader:
    """Mixed into ConsoleScreen: draws a conversation from stored messages and rebuilds panels from its trace."""

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_customer(self: ConsoleScreen, customer_id: str, new: bool = False) -> None:
        await self.show_conversation(await self.engine.open_conversation(customer_id, new=new))

    @work(exclusive=True, group="open", exit_on_error=False)
    async def on_conversation_picked(self: ConsoleScreen, message: ConversationPicked) -> None:
        await self.show_conversation(await self.engine.get_conversation(message.conversation_id))

    async def show_conversation(self: ConsoleScreen, conv: ConversationInfo) -> None:
        """Draw a conversation from its stored messages, and rebuild the panels from its trace."""
        self.conversation, self.model_in_use, self.active_agent, self.reply = conv, None, None, None
        self.status.usage, self.status.turns, self.status.latency_ms = Usage(), 0, 0.0
        await self.chat.clear()
        self.query_one(RoutingPanel).clear()
        self.query_one(SentimentPanel).clear()
        await self.query_one(KnowledgePanel).clear()
        await self.tools.clear()
        self.query_one(CustomerCard).show(await self.engine.customer_card(conv.customer_id))
        for m in await self.engine.messages(conv.id):
            await self.chat.add_message(m.role, m.text, agent=m.agent, model=m.model, status=m.status, message_id=m.id)
        for event in await self.engine.trace(conv.id):
            await self.apply_event(event, replayed=True)
        waiting = {p.call_id for p in await self.engine.pending_tool_calls(conv.id)}
        for card in self.tools.pending():
            if card.call_id not in waiting:
                card.resolved()
        self.tools.update_subtitle()
        await self.refresh_queue()
        self.composer.focus()
