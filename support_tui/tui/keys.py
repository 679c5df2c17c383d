"""The console's key bindings by area, in one place: the screens bind them and the help screen lists them."""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    Binding("f12", "metrics", "Metrics", show=False, tooltip="support metrics: resolution, escalations, reply times, CSAT, cost"),
    Binding("ctrl+p", "command_palette", "Commands", show=False, tooltip="command palette: switch model, theme, metrics"),
    Binding("ctrl+q", "quit", "Quit", show=False, priority=True, tooltip="quit (asks first while a turn runs or a decision waits)"),
]

# show=True only for what the footer always offers; the focused area (a tool card, a draft, the
# queue) adds its own keys, and F1 lists them all.
CONSOLE_BINDINGS = [
    Binding("f1", "help", "Help", tooltip="every key, by area (this screen)"),
    Binding("ctrl+g", "focus_pending", "Pending", tooltip="jump to the oldest thing waiting for a decision: a tool call or a draft"),
    Binding("ctrl+o", "pick_customer", "Customer", tooltip="pick a customer; start or resume their conversation"),
    Binding("ctrl+n", "new_conversation", "New conversation", show=False, tooltip="a new conversation with this customer"),
    Binding("ctrl+t", "toggle_speaker", "Customer/agent", show=False, tooltip="type as the customer or as the human agent"),
    Binding("ctrl+s", "toggle_mode", "Auto/supervised", show=False, tooltip="auto or supervised mode (supervised: replies wait as drafts)"),
    Binding("escape", "cancel_turn", "Cancel turn", show=False, tooltip="cancel the running turn (the customer's message is kept)"),
    Binding("f2", "pick_model", "Model", show=False, tooltip="switch the model of this conversation (models without a key are marked)"),
    Binding("f3", "pick_route", "Re-route", show=False, tooltip="re-run the customer's last request with another specialist"),
    Binding("f4", "escalate", "Escalate", show=False, tooltip="escalate to a person, with a reason and a priority"),
    Binding("f5", "toggle_takeover", "Take over", show=False, tooltip="take the conversation over / hand it back to the AI team"),
    Binding("f6", "show_trace", "Trace", show=False, tooltip="every event of the conversation with timings; copy or export"),
    Binding("shift+f6", "fork_or_compare", "Fork/compare", show=False, tooltip="pick a turn, then compare it with another specialist or model side by side, or fork it into a new linked conversation"),
    Binding("f7", "pick_scenario", "Scenario", show=False, tooltip="pick a scripted scenario"),
    Binding("f8", "next_step", "Next step", show=False, tooltip="send the scenario's next customer message"),
    Binding("f9", "close_conversation", "Close", show=False, tooltip="close the conversation with an outcome (resolved, abandoned, escalated elsewhere)"),
    Binding("f10", "next_tab", "Next tab", show=False, tooltip="narrow layout: Conversation → Customer & queue → Insight"),
    Binding("shift+f10", "next_tab(-1)", "Previous tab", show=False, tooltip="narrow layout: the tab before"),
]
