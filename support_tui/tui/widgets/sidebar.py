"""The left column and the status line: customer card, conversation queue, tokens/cost/latency."""

from __future__ import annotations

from typing import Any

from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from support_tui.core.events import Usage
from support_tui.core.store.support import ConversationInfo
from support_tui.tui.messages import ConversationPicked

PRIORITY_STYLE = {"urgent": "bold $error", "high": "$error", "normal": "$warning", "low": "$text-muted"}


def money(value: Any) -> str:
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def tokens(count: int) -> str:
    """A token count in a few characters: 812, 1.6k, 45k, 1.2M."""
    if count >= 999_500:
        return f"{count / 1e6:.1f}M"
    if count >= 9_950:
        return f"{count / 1e3:.0f}k"
    return f"{count / 1e3:.1f}k" if count >= 1e3 else str(count)


class CustomerCard(VerticalScroll):
    """Who the customer is: tier, value, recent orders, open tickets, and what memory holds."""

    def compose(self):
        yield Static(Content("No customer selected. Ctrl+O picks one."), id="card-body")

    def on_mount(self) -> None:
        self.border_title = "Customer"

    def show(self, card: dict[str, Any]) -> None:
        parts: list[str | tuple[str, str] | Content] = [
            (str(card.get("name", "?")), "bold"), "\n",
            (str(card.get("tier", "")).upper(), "bold $accent"), "  LTV ", money(card.get("lifetime_value")), "\n",
            (str(card.get("email") or ""), "dim"), "  ", (str(card.get("phone") or ""), "dim"), "\n",
        ]
        orders = card.get("recent_orders") or []
        parts += ["\n", ("Recent orders", "bold underline"), "\n"]
        for order in orders[:5]:
            parts += [f"{order.get('order_id', '')}  ", (f"{order.get('status', '')}", "italic"),
                      f"  {money(order.get('total'))}", "\n"]
        if not orders:
            parts += [("none", "dim"), "\n"]
        tickets = card.get("open_tickets") or []
        parts += ["\n", ("Open tickets", "bold underline"), "\n"]
        for ticket in tickets[:5]:
            parts += [f"{ticket.get('conversation_id', '')}  {ticket.get('status', '')}  ",
                      (str(ticket.get("priority") or ""), PRIORITY_STYLE.get(ticket.get("priority") or "", "")),
                      ("  " + str(ticket.get("agent") or ""), "dim"), "\n"]
        if not tickets:
            parts += [("none", "dim"), "\n"]
        memory = card.get("memory") or []
        parts += ["\n", ("Memory", "bold underline"), "\n"]
        for item in memory[:5]:
            parts += ["• ", str(item.get("summary", "")), "\n"]
        if not memory:
            parts += [("nothing remembered", "dim")]
        self.query_one("#card-body", Static).update(Content.assemble(*parts))


class ConversationQueue(OptionList):
    """Open and escalated conversations; escalated first, flagged with their priority."""

    def on_mount(self) -> None:
        self.border_title = "Queue"

    def show(self, conversations: list[ConversationInfo], names: dict[str, str], current: str | None) -> None:
        highlighted = self.highlighted
        self.clear_options()
        for conv in conversations:
            escalated = conv.status == "escalated"
            prompt = Content.assemble(
                ("⚑ " if escalated else "  ", "bold $error"),
                (f"{conv.priority or '':<6} ", PRIORITY_STYLE.get(conv.priority or "", "dim")),
                (names.get(conv.customer_id, conv.customer_id), "bold" if conv.id == current else ""),
                (f"  {conv.status}", "dim"),
                ("  human" if conv.handled_by == "human" else "", "$warning"),
            )
            self.add_option(Option(prompt, id=conv.id))
        self.border_subtitle = f"{len(conversations)} open"
        if highlighted is not None and conversations:
            self.highlighted = min(highlighted, len(conversations) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(ConversationPicked(event.option.id))


class StatusLine(Static):
    """Readiness, who is typing, the turn in progress, and the conversation's tokens, cost and latency."""

    ready: reactive[bool] = reactive(False)
    busy: reactive[bool] = reactive(False)
    speaker: reactive[str] = reactive("customer")
    usage: reactive[Usage] = reactive(Usage)
    latency_ms: reactive[float] = reactive(0.0)
    turns: reactive[int] = reactive(0)

    def render(self) -> Content:
        state: tuple[str, str]
        if not self.ready:
            state = ("◌ Loading knowledge base…", "bold $warning")
        elif self.busy:
            state = ("● working (Esc cancels)", "bold $accent")
        else:
            state = ("● ready", "$success")
        speaker = "customer" if self.speaker == "customer" else "agent"
        return Content.assemble(
            state, (" │ as ", "dim"), (speaker, "bold"),
            # Compact counts: at 160 columns the centre is 72 wide and "32,307/765" pushed the turn count off.
            (" │ tok ", "dim"), f"{tokens(self.usage.prompt_tokens)}/{tokens(self.usage.completion_tokens)}",
            (" │ ", "dim"), f"${self.usage.cost_usd:.4f}",
            (" │ last ", "dim"), f"{self.latency_ms / 1000:.2f}s" if self.latency_ms else "—",
            (" │ turns ", "dim"), str(self.turns),
        )
