"""What a person can do from the console: bindings, pickers, mode, take-over, model and route, trace, scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.content import Content

from support_tui.core.paths import fixtures_dir
from support_tui.tui.keys import CONSOLE_BINDINGS
from support_tui.tui.screens.dialogs import PickerDialog
from support_tui.tui.screens.help import HelpScreen
from support_tui.tui.text import drawable
from support_tui.tui.widgets.conversation import ReplyBubble
from support_tui.tui.widgets.tools import ToolCallCard

if TYPE_CHECKING:
    from support_tui.tui.screens.console import ConsoleScreen

DEFAULT_MODEL = "__default__"
TABS = ("tab-chat", "tab-customer", "tab-insight")


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

    def action_help(self: ConsoleScreen) -> None:
        self.app.push_screen(HelpScreen())

    # customers, conversations, speaker, mode ---------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def action_pick_customer(self: ConsoleScreen) -> None:
        customers = await self.engine.customers()
        self.names.update({c.id: c.name for c in customers})
        items = [(c.id, Content.assemble((drawable(c.name), "bold"), f"  {c.tier}", (f"  {drawable(c.email or '')}", "dim")))
                 for c in customers]
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
        if (cid := self._conversation_or_warn()) is None or self.conversation is None:
            return
        mode = "auto" if self.conversation.mode == "supervised" else "supervised"
        await self.engine.set_mode(cid, mode)
        self.refresh_state()  # the engine publishes no event for a mode change
        self.notify(f"Mode: {mode}" + (" (AI replies wait as drafts)" if mode == "supervised" else ""))

    @work(group="action", exit_on_error=False)
    async def action_toggle_takeover(self: ConsoleScreen) -> None:
        from support_tui.core.team import ConversationHeld  # with the store: not before the console's first frame

        if (cid := self._conversation_or_warn()) is None or (conv := self.conversation) is None:
            return
        try:
            if conv.held_by is not None and conv.held_by != self.person:
                raise ConversationHeld(cid, conv.held_by)
            if conv.handled_by == "human":
                await self.engine.hand_back(cid, by=self.person)
                self.speaker = "customer" if self.demo else self.speaker
            else:
                await self.engine.take_over(cid, by=self.person)  # the store's claim decides who gets it
                self.speaker = "agent"
        except ConversationHeld as held:
            self.notify(f"{drawable(held.holder)} holds this conversation; nothing changed. Only they can hand it back.",
                        title="Held by a colleague", severity="warning", markup=False)
            self.refresh_state()
        # The system line and the new state arrive as a ConversationChanged event.

    def pending_here(self: ConsoleScreen) -> list[ToolCallCard | ReplyBubble]:
        """The open conversation's waiting decisions, oldest first."""
        return sorted([*self.tools.pending(), *self.chat.drafts()], key=lambda w: w.waiting_since)

    def action_focus_pending(self: ConsoleScreen) -> None:
        """The oldest decision waiting anywhere in the queue: here, or in another conversation, which opens.
        (It looked in the open conversation only: "Nothing waits" while the queue said 1 waiting.)"""
        from support_tui.tui.widgets.queue import ConversationQueue, iso_ms

        targets = self.pending_here()
        current = self.conversation.id if self.conversation else None
        queues = self.query(ConversationQueue)
        others = sorted((r for r in (queues.first().rows if queues else []) if r.waiting and r.conversation_id != current),
                        key=lambda r: iso_ms(r.waiting_since))
        older_elsewhere = bool(others) and (not targets or iso_ms(others[0].waiting_since) < targets[0].waiting_since)
        if older_elsewhere and not self.busy:
            self.open_pending(others[0].conversation_id)
            return
        if older_elsewhere:  # opening another conversation would cancel the running turn
            self.notify(f"An older decision waits in {others[0].customer}'s conversation; Ctrl+G again when "
                        "this turn ends (Esc cancels it).", severity="warning", markup=False)
        if targets:
            self.land_on(targets[0])
        elif not others:
            self.notify("Nothing waits for a decision.")

    @work(exclusive=True, group="open", exit_on_error=False)
    async def open_pending(self: ConsoleScreen, conversation_id: str) -> None:
        await self.show_conversation(await self.engine.get_conversation(conversation_id))
        if targets := self.pending_here():
            self.land_on(targets[0])
        else:
            self.notify("Decided meanwhile: nothing waits in this conversation now.")

    def land_on(self: ConsoleScreen, target: ToolCallCard | ReplyBubble) -> None:
        self.show_tab("tab-insight" if isinstance(target, ToolCallCard) else "tab-chat")

        def land() -> None:
            target.focus()
            target.scroll_visible(animate=False)

        # The tab's panel becomes visible on the next refresh; focusing a hidden widget does nothing.
        self.call_after_refresh(land)

    def action_next_tab(self: ConsoleScreen, step: int = 1) -> None:
        from support_tui.tui.widgets.tabbar import TabBar

        current = self.query_one("#narrow-tabs", TabBar).active
        index = TABS.index(current) if current in TABS else 0
        self.show_tab(TABS[(index + step) % len(TABS)])

    def action_cancel_turn(self: ConsoleScreen) -> None:
        if self.busy:
            self.workers.cancel_group(self, "turn")

    # model and route ------------------------------------------------------------------------------------

    def model_notes(self: ConsoleScreen) -> dict[str, str]:
        """Models whose provider has no key, with what answers instead."""
        from support_tui.core.llm.chain import model_chain

        notes = {}
        for model in self.engine.available_models():
            chain, skipped = model_chain(model, self.settings)
            if skipped and skipped[0].startswith(f"{model}:"):
                notes[model] = f"{skipped[0].split(': ', 1)[1]}; {chain[0]} answers instead"
        return notes

    @work(group="dialog", exit_on_error=False)
    async def action_pick_model(self: ConsoleScreen) -> None:
        if self._conversation_or_warn() is None:
            return
        notes = self.model_notes()
        items = [(DEFAULT_MODEL, Content("(each specialist's default)"))]
        items += [(m, Content.assemble(m, (f"  no key: {notes[m]}" if m in notes else "", "$text-warning")))
                  for m in self.engine.available_models()]
        chosen = await self.app.push_screen_wait(PickerDialog("Model for this conversation", items))
        if chosen:
            await self.set_model(None if chosen == DEFAULT_MODEL else chosen)

    async def set_model(self: ConsoleScreen, model: str | None) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        await self.engine.set_model(cid, model)
        self.model_in_use = model
        self.refresh_state()  # the engine publishes no event for a model change
        note = self.model_notes().get(model or "")
        if note:
            self.notify(f"{model}: {note}.", title="No key for this model", severity="warning", timeout=8)
        else:
            self.notify(f"Model: {model or 'specialist default'}")

    @work(group="dialog", exclusive=True, exit_on_error=False)
    async def action_pick_route(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None or not self._idle_or_warn():
            return
        from support_tui.core.specialists import ROUTABLE

        items = [(name, Content(name.replace("_", " "))) for name in ROUTABLE]
        chosen = await self.app.push_screen_wait(PickerDialog("Re-run the customer's last request with…", items))
        if chosen and self._idle_or_warn():
            # The turn's own notice says "Re-running ... with X": a line here as well posted it twice.
            self.busy = True
            self.turn_text = None
            self.consume(self.engine.rerun_turn(cid, route_override=chosen))

    # trace, scenarios --------------------------------------------------------------------------------

    @work(group="dialog", exit_on_error=False)
    async def action_show_trace(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        from support_tui.tui.screens.trace import TraceDialog  # its table is not needed for the first frame

        await self.app.push_screen_wait(TraceDialog(cid, await self.engine.trace(cid), self.export_dir))

    @work(group="dialog", exit_on_error=False)
    async def action_pick_scenario(self: ConsoleScreen) -> None:
        scenarios = load_scenarios()
        if not scenarios:
            self.notify(f"No scenarios found in {fixtures_dir() / 'scenarios'}.", severity="warning")
            return
        items = [(s["id"], Content.assemble((str(s.get("title") or s["id"]), "bold"),
                                            (f"  {len(s['customer_texts'])} step{'s' * (len(s['customer_texts']) != 1)} · {s.get('customer_id', '')}", "dim")))
                 for s in scenarios]
        chosen = await self.app.push_screen_wait(PickerDialog("Play a scenario", items))
        scenario = next((s for s in scenarios if s["id"] == chosen), None)
        if scenario is None:
            return
        self.scenario, self.scenario_step = scenario, 0
        self.scenario_customer = str(scenario.get("customer_id") or "") or (self.conversation.customer_id if self.conversation else None)
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
