"""The left column's customer card and the status line (tokens, cost, latency)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from support_tui.tui.text import drawable

if TYPE_CHECKING:  # the console draws its first frame before the engine's modules load
    from support_tui.core.events import Usage
    from support_tui.core.shop import CustomerCard as CardData

PRIORITY_STYLE = {"urgent": "bold $error", "high": "$error", "normal": "$warning", "low": "$text-muted"}


def money(value: Any) -> str:
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return "—" if value is None else str(value)


def tokens(count: int) -> str:
    """A token count in a few characters: 812, 1.6k, 45k, 1.2M."""
    if count >= 999_500:
        return f"{count / 1e6:.1f}M"
    if count >= 9_950:
        return f"{count / 1e3:.0f}k"
    return f"{count / 1e3:.1f}k" if count >= 1e3 else str(count)


class CustomerCard(VerticalScroll):
    """Who the customer is: tier, value, recent orders, open tickets, and what memory holds."""

    SCOPED_CSS = False
    DEFAULT_CSS = """
    CustomerCard {
        height: 1fr;
        border: round $primary 50%;
        border-title-color: $text-primary;
        padding: 0 1;
    }

    CustomerCard.-escalated {
        border: round $error;
    }
    """
    """Parsed when the first one mounts (after the console's first frame), not with app.tcss before it."""

    def compose(self) -> ComposeResult:
        yield Static(Content("No customer selected. Ctrl+O picks one."), id="card-body")

    def on_mount(self) -> None:
        self.border_title = "Customer"

    shown: CardData | None = None

    def show(self, card: CardData) -> None:
        if card == self.shown:
            return  # the same facts: redrawing would re-lay the column out mid-turn for nothing
        self.shown = card
        who = card.customer
        parts: list[str | tuple[str, str] | Content] = [
            (drawable(who.name), "bold"), "\n",
            (who.tier.upper(), "bold $accent"), "  LTV ", money(who.lifetime_value), "\n",
            (drawable(who.email or ""), "dim"), "  ", (drawable(card.phone or ""), "dim"), "\n",
        ]
        parts += ["\n", ("Recent orders", "bold underline"), "\n"]
        for order in card.recent_orders[:5]:
            parts += [f"{drawable(order.order_id)}  ", (drawable(order.status), "italic"), f"  {money(order.total)}", "\n"]
        if not card.recent_orders:
            parts += [("none", "dim"), "\n"]
        for fact in card.facts[:3]:
            parts += [("• ", "dim"), drawable(fact), "\n"]
        parts += ["\n", ("Open tickets", "bold underline"), "\n"]
        for ticket in card.open_tickets[:5]:
            priority = str(ticket.get("priority") or "")
            parts += [f"{ticket.get('conversation_id', '')}  {ticket.get('status', '')}  ",
                      (priority, PRIORITY_STYLE.get(priority, "")), ("  " + drawable(str(ticket.get("agent") or "")), "dim"), "\n"]
        if not card.open_tickets:
            parts += [("none", "dim"), "\n"]
        parts += ["\n", ("Memory", "bold underline"), "\n"]
        for item in card.memory[:5]:
            parts += ["• ", drawable(str(item.get("summary", ""))), "\n"]
        if not card.memory:
            parts += [("nothing remembered", "dim")]
        self.query_one("#card-body", Static).update(Content.assemble(*parts))


class StatusLine(Static):
    """Readiness, who is typing, the turn in progress, and the conversation's tokens, cost and latency."""

    ready: reactive[bool] = reactive(False)
    busy: reactive[bool] = reactive(False)
    speaker: reactive[str] = reactive("customer")
    usage: reactive[Usage | None] = reactive(None)
    """The conversation's tokens and cost so far (None: no turn yet)."""
    latency_ms: reactive[float] = reactive(0.0)
    turns: reactive[int] = reactive(0)
    queued: reactive[int] = reactive(0)
    """Messages typed during a turn, sent when it ends."""

    def render(self) -> Content:
        state: tuple[str, str]
        if not self.ready:
            state = ("◌ Loading knowledge base…", "bold $warning")
        elif self.busy:
            state = ("● working (Esc cancels)", "bold $accent")
        else:
            state = ("● ready", "$success")
        speaker = "customer" if self.speaker == "customer" else "agent"
        usage = self.usage
        return Content.assemble(
            state, (f" +{self.queued} queued" if self.queued else "", "$warning"), (" │ as ", "dim"), (speaker, "bold"),
            # Compact counts: at 160 columns the centre is 72 wide and "32,307/765" pushed the turn count off.
            (" │ tok ", "dim"), f"{tokens(usage.prompt_tokens if usage else 0)}/{tokens(usage.completion_tokens if usage else 0)}",
            (" │ ", "dim"), f"${usage.cost_usd if usage else 0.0:.4f}",
            (" │ last ", "dim"), f"{self.latency_ms / 1000:.2f}s" if self.latency_ms else "—",
            (" │ turns ", "dim"), str(self.turns),
        )
