"""What a person can do from the console: bindings, pickers, approvals, drafts, route override, scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.content import Content

from support_tui.core.paths import fixtures_dir
from support_tui.core.specialists import ROUTABLE
from support_tui.tui.messages import DraftDecision, ToolDecision
from support_tui.tui.screens.dialogs import JsonEditDialog, PickerDialog, RatingDialog, ReasonDialog, TextEditDialog
from support_tui.tui.screens.trace import TraceDialog
from support_tui.tui.widgets.conversation import ReplyBubble

if TYPE_CHECKING:
    from support_tui.tui.screens.console import ConsoleScreen

DEFAULT_MODEL = "__default__"


def load_scenarios(folder: Path | None = None) -> list[dict[str, Any]]:
    """Scripted scenarios from ``fixtures/scenarios/*.json``; unreadable files are skipped."""
    folder = folder or fixtures_dir() / "scenarios"
    scenarios = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            continue  # valid JSON of the wrong shape is as unreadable as broken JSON
        steps = [s["customer"] for s in data["steps"] if isinstance(s, dict) and isinstance(s.get("customer"), str)]
        if steps:
            scenarios.append({**data, "id": str(data.get("id") or path.stem), "customer_texts": steps})
    return scenarios


CONSOLE_BINDINGS = [
    Binding("ctrl+o", "pick_customer", "Customer"),
    Binding("ctrl+n", "new_conversation", "New conv", show=False),
    Binding("ctrl+t", "toggle_speaker", "Cust/Agent"),
    Binding("ctrl+s", "toggle_mode", "Supervised"),
    Binding("ctrl+g", "focus_pending", "Pending"),
    Binding("escape", "cancel_turn", "Cancel turn"),
    Binding("f2", "pick_model", "Model"),
    Binding("f3", "pick_route", "Route"),
    Binding("f4", "escalate", "Escalate"),
    Binding("f5", "toggle_takeover", "Take over"),
    Binding("f6", "show_trace", "Trace"),
    Binding("f7", "pick_scenario", "Scenario"),
    Binding("f8", "next_step", "Next step"),
    Binding("f9", "close_conversation", "Close"),
]


class ConsoleActions:
    """The actions behind the bindings; mixed into ConsoleScreen, which holds the state."""

    def _conversation_or_warn(self: ConsoleScreen) -> str | None:
        if self.conversation is None:
            self.notify("No conversation open: Ctrl+O picks a customer.", severity="warning")
            return None
        return self.conversation.id

    def _idle_or_warn(self: ConsoleScreen) -> bool:
        if self.busy:
            self.notify("A turn is running; Esc cancels it.", severity="warning")
        return not self.busy

    # customers, conversations, speaker, mode ---------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def action_pick_customer(self: ConsoleScreen) -> None:
        customers = await self.engine.customers()
        self.names.update({c["id"]: str(c.get("name", c["id"])) for c in customers})
        items = [(c["id"], Content.assemble((str(c.get("name")), "bold"), f"  {c.get('tier', '')}",
                                            (f"  {c.get('email', '')}", "dim"))) for c in customers]
        chosen = await self.app.push_screen_wait(PickerDialog("Pick a customer", items, empty="No customers."))
        if chosen:
            self.open_customer(chosen)

    def action_new_conversation(self: ConsoleScreen) -> None:
        if self.conversation is not None:
            self.open_customer(self.conversation.customer_id, True)

    def action_toggle_speaker(self: ConsoleScreen) -> None:
        self.speaker = "agent" if self.speaker == "customer" else "customer"

    @work(group="action", exit_on_error=False)
    async def action_toggle_mode(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        mode = "auto" if self.conversation.mode == "supervised" else "supervised"
        await self.engine.set_mode(cid, mode)
        await self.reload_conversation()
        self.notify(f"Mode: {mode}" + (" (AI replies wait as drafts)" if mode == "supervised" else ""))

    @work(group="action", exit_on_error=False)
    async def action_toggle_takeover(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        if self.conversation.handled_by == "human":
            await self.engine.hand_back(cid)
            await self.chat.add_system("Handed back to the AI.", "handoff")
            self.speaker = "customer" if self.demo else self.speaker
        else:
            await self.engine.take_over(cid)
            await self.chat.add_system("A person took over; the AI stays quiet until handed back (F5).", "handoff")
            self.speaker = "agent"
        await self.reload_conversation()

    def action_focus_pending(self: ConsoleScreen) -> None:
        targets = [*self.tools.pending(), *[b for b in self.query(ReplyBubble) if b.status == "draft"]]
        if not targets:
            self.notify("Nothing waits for a decision.")
            return
        self.query_one("#narrow-tabs").active = "tab-insight" if targets[0] in self.tools.pending() else "tab-chat"
        targets[0].focus()
        targets[0].scroll_visible()

    def action_cancel_turn(self: ConsoleScreen) -> None:
        if self.busy:
            self.workers.cancel_group(self, "turn")

    # model and route ------------------------------------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def action_pick_model(self: ConsoleScreen) -> None:
        if self._conversation_or_warn() is None:
            return
        items = [(DEFAULT_MODEL, Content("(each specialist's default)"))]
        items += [(m, Content(m)) for m in self.engine.available_models()]
        chosen = await self.app.push_screen_wait(PickerDialog("Model for this conversation", items))
        if chosen:
            await self.set_model(None if chosen == DEFAULT_MODEL else chosen)

    async def set_model(self: ConsoleScreen, model: str | None) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        await self.engine.set_model(cid, model)
        self.model_in_use = model
        await self.reload_conversation()
        self.notify(f"Model: {model or 'specialist default'}")

    @work(group="dialog", exit_on_error=False)
    async def action_pick_route(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None or not self._idle_or_warn():
            return
        items = [(name, Content(name.replace("_", " "))) for name in ROUTABLE]
        chosen = await self.app.push_screen_wait(PickerDialog("Send the last message to…", items))
        if chosen:
            await self.chat.add_system(f"Re-running the last customer message with {chosen} (route override).", "handoff")
            self.busy = True
            self.turn_text = None
            self.consume(self.engine.rerun_turn(cid, route_override=chosen))

    @work(group="dialog", exit_on_error=False)
    async def action_escalate(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        reason = await self.app.push_screen_wait(ReasonDialog("Escalate to a person", "Why does this need a person?"))
        if reason is not None:
            await self.apply_event(await self.engine.escalate(cid, reason or "escalated by hand"))
            await self.reload_conversation()

    # trace, scenarios, closing --------------------------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def action_show_trace(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        await self.app.push_screen_wait(TraceDialog(cid, await self.engine.trace(cid)))

    @work(group="dialog", exit_on_error=False)
    async def action_pick_scenario(self: ConsoleScreen) -> None:
        scenarios = load_scenarios()
        if not scenarios:
            self.notify(f"No scenarios found in {fixtures_dir() / 'scenarios'}.", severity="warning")
            return
        items = [(s["id"], Content.assemble((str(s.get("title") or s["id"]), "bold"),
                                            (f"  {len(s['customer_texts'])} steps · {s.get('customer_id', '')}", "dim")))
                 for s in scenarios]
        chosen = await self.app.push_screen_wait(PickerDialog("Play a scenario", items))
        scenario = next((s for s in scenarios if s["id"] == chosen), None)
        if scenario is None:
            return
        self.scenario, self.scenario_step = scenario, 0
        self.update_header()
        if scenario.get("customer_id"):
            self.open_customer(str(scenario["customer_id"]), True)
        self.notify(f"Scenario {scenario['id']}: F8 sends step 1 of {len(scenario['customer_texts'])}.")

    async def action_next_step(self: ConsoleScreen) -> None:
        if self.scenario is None:
            self.notify("No scenario playing: F7 picks one.", severity="warning")
            return
        texts = self.scenario["customer_texts"]
        if self.scenario_step >= len(texts):
            self.notify("Scenario finished.")
            return
        if self._conversation_or_warn() is None or not self._idle_or_warn():
            return
        self.scenario_step += 1
        self.update_header()
        await self.start_turn(texts[self.scenario_step - 1])

    @work(group="dialog", exit_on_error=False)
    async def action_close_conversation(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None or not self._idle_or_warn():
            return
        await self.engine.close_conversation(cid, "resolved")
        await self.chat.add_system("Conversation closed (resolved).", "info")
        if self.demo:
            score = await self.app.push_screen_wait(RatingDialog("Rate this conversation"))
            if score:
                await self.engine.rate(cid, int(score))
                self.notify(f"Thanks: rated {score}/5.")
        await self.reload_conversation()

    # decisions posted by cards ---------------------------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def on_tool_decision(self: ConsoleScreen, message: ToolDecision) -> None:
        card = self.tools.card(message.call_id)
        if (cid := self._conversation_or_warn()) is None or card is None or not self._idle_or_warn():
            return
        arguments: dict | None = None
        reason: str | None = None
        if message.action == "edit":
            arguments = await self.app.push_screen_wait(JsonEditDialog(f"Edit arguments of {card.tool_name}", card.arguments))
            if arguments is None:
                return
        elif message.action == "deny":
            reason = await self.app.push_screen_wait(ReasonDialog(f"Deny {card.tool_name}", "Reason (goes back to the agent)"))
            if reason is None:
                return
        approve = message.action != "deny"
        card.resolved()
        self.tools.update_subtitle()
        await self.chat.add_system(f"{card.tool_name} {'approved' if approve else 'denied'} by a person"
                                   + (" with edited arguments" if arguments else "") + (f": {reason}" if reason else ""), "handoff")
        self.busy = True
        self.turn_text = None
        self.consume(self.engine.resolve_tool_call(cid, message.call_id, approve=approve, arguments=arguments, reason=reason))

    @work(group="dialog", exit_on_error=False)
    async def on_draft_decision(self: ConsoleScreen, message: DraftDecision) -> None:
        bubble = self.chat.draft(message.message_id)
        if bubble is None:
            return
        if message.action == "reject":
            reason = await self.app.push_screen_wait(ReasonDialog("Reject the draft", "Reason (optional)"))
            if reason is None:
                return
            await self.engine.reject_draft(message.message_id, reason or None)
            bubble.set_status("rejected")
            self.composer.focus()  # focus left on the rejected bubble kept its draft keys in the footer
            return
        text: str | None = None
        if message.action == "edit":
            text = await self.app.push_screen_wait(TextEditDialog("Edit the draft, then send", bubble.text))
            if text is None:
                return
            bubble.text = text
            await bubble.markdown.update(text)
        await self.engine.approve_draft(message.message_id, text)
        bubble.set_status("sent")
        self.composer.focus()
