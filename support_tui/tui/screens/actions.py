"""What a person can do from the console: bindings, pickers, mode, take-over, model and route, trace, scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.content import Content

from support_tui.core.paths import fixtures_dir
from support_tui.tui.screens.dialogs import PickerDialog
from support_tui.tui.screens.help import HelpScreen
from support_tui.tui.screens.host import conversation_or_warn, idle_or_warn
from support_tui.tui.text import drawable
from support_tui.tui.widgets.conversation import ReplyBubble
from support_tui.tui.widgets.tools import ToolCallCard

if TYPE_CHECKING:
    from support_tui.tui.screens.host import ConsoleHost

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
    """The actions behind the bindings, owned by the console screen: its ``action_*`` methods call these (as
    workers where a dialog waits). It owns the scenario being played."""

    def __init__(self, host: ConsoleHost) -> None:
        self.host = host
        self.scenario: dict[str, Any] | None = None
        self.scenario_step = 0
        self.scenario_customer: str | None = None
        """The customer the scenario plays as: opening another customer's conversation ends it."""

    def scenario_tag(self) -> str:
        """The header's ``· id step n/m`` while a scenario plays."""
        if self.scenario is None:
            return ""
        return f" · {self.scenario['id']} step {self.scenario_step}/{len(self.scenario['customer_texts'])}"

    def opening(self, customer_id: str) -> None:
        """Another customer's conversation opens: the scenario's tag (and F8's next step) stayed on their header before."""
        if self.scenario is not None and customer_id != self.scenario_customer:
            self.scenario, self.scenario_step, self.scenario_customer = None, 0, None

    def help(self) -> None:
        self.host.app.push_screen(HelpScreen())

    # customers, conversations, speaker, mode ---------------------------------------------------------

    async def pick_customer(self) -> None:
        host = self.host
        customers = await host.engine.customers()
        host.names.update({c.id: c.name for c in customers})
        items = [(c.id, Content.assemble((drawable(c.name), "bold"), f"  {c.tier}", (f"  {drawable(c.email or '')}", "dim")))
                 for c in customers]
        chosen = await host.app.push_screen_wait(PickerDialog("Pick a customer", items, empty="No customers."))
        if chosen:
            host.open_customer(chosen)

    def new_conversation(self) -> None:
        host = self.host
        if host.conversation is not None:
            host.open_customer(host.conversation.customer_id, True)

    def toggle_speaker(self) -> None:
        host = self.host
        host.speaker = "agent" if host.speaker == "customer" else "customer"

    async def toggle_mode(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(host)) is None or host.conversation is None:
            return
        mode = "auto" if host.conversation.mode == "supervised" else "supervised"
        await host.engine.set_mode(cid, mode)
        host.refresh_state()  # the engine publishes no event for a mode change
        host.notify(f"Mode: {mode}" + (" (AI replies wait as drafts)" if mode == "supervised" else ""))

    async def toggle_takeover(self) -> None:
        host = self.host
        from support_tui.core.team import ConversationHeld  # with the store: not before the console's first frame

        if (cid := conversation_or_warn(host)) is None or (conv := host.conversation) is None:
            return
        try:
            if conv.held_by is not None and conv.held_by != host.person:
                raise ConversationHeld(cid, conv.held_by)
            if conv.handled_by == "human":
                await host.engine.hand_back(cid, by=host.person)
                host.speaker = "customer" if host.demo else host.speaker
            else:
                await host.engine.take_over(cid, by=host.person)  # the store's claim decides who gets it
                host.speaker = "agent"
        except ConversationHeld as held:
            host.notify(f"{drawable(held.holder)} holds this conversation; nothing changed. Only they can hand it back.",
                        title="Held by a colleague", severity="warning", markup=False)
            host.refresh_state()
        # The system line and the new state arrive as a ConversationChanged event.

    def pending_here(self) -> list[ToolCallCard | ReplyBubble]:
        """The open conversation's waiting decisions, oldest first."""
        host = self.host
        return sorted([*host.tools.pending(), *host.chat.drafts()], key=lambda w: w.waiting_since)

    def focus_pending(self) -> None:
        """The oldest decision waiting anywhere in the queue: here, or in another conversation, which opens.
        (It looked in the open conversation only: "Nothing waits" while the queue said 1 waiting.)"""
        host = self.host
        from support_tui.tui.widgets.queue import iso_ms

        targets = self.pending_here()
        current = host.conversation.id if host.conversation else None
        queue = host.queue
        others = sorted((r for r in (queue.rows if queue is not None else []) if r.waiting and r.conversation_id != current),
                        key=lambda r: iso_ms(r.waiting_since))
        older_elsewhere = bool(others) and (not targets or iso_ms(others[0].waiting_since) < targets[0].waiting_since)
        if older_elsewhere and not host.busy:
            host.open_conversation(others[0].conversation_id, then_land=True)
            return
        if older_elsewhere:  # opening another conversation would cancel the running turn
            host.notify(f"An older decision waits in {others[0].customer}'s conversation; Ctrl+G again when "
                        "this turn ends (Esc cancels it).", severity="warning", markup=False)
        if targets:
            self.land_on(targets[0])
        elif not others:
            host.notify("Nothing waits for a decision.")

    def land_on_pending(self) -> None:
        """After ``open_conversation(..., then_land=True)``: the oldest decision waiting in it."""
        host = self.host
        if targets := self.pending_here():
            self.land_on(targets[0])
        else:
            host.notify("Decided meanwhile: nothing waits in this conversation now.")

    def land_on(self, target: ToolCallCard | ReplyBubble) -> None:
        host = self.host
        host.show_tab("tab-insight" if isinstance(target, ToolCallCard) else "tab-chat")

        def land() -> None:
            target.focus()
            target.scroll_visible(animate=False)

        # The tab's panel becomes visible on the next refresh; focusing a hidden widget does nothing.
        host.call_after_refresh(land)

    def next_tab(self, step: int = 1) -> None:
        host = self.host
        current = host.active_tab()
        index = TABS.index(current) if current in TABS else 0
        host.show_tab(TABS[(index + step) % len(TABS)])

    # model and route ------------------------------------------------------------------------------------

    def model_notes(self) -> dict[str, str]:
        """Models whose provider has no key, with what answers instead."""
        host = self.host
        from support_tui.core.llm.chain import model_chain

        notes = {}
        for model in host.engine.available_models():
            chain, skipped = model_chain(model, host.engine.settings)
            if skipped and skipped[0].startswith(f"{model}:"):
                notes[model] = f"{skipped[0].split(': ', 1)[1]}; {chain[0]} answers instead"
        return notes

    async def pick_model(self) -> None:
        host = self.host
        if conversation_or_warn(host) is None:
            return
        notes = self.model_notes()
        items = [(DEFAULT_MODEL, Content("(each specialist's default)"))]
        items += [(m, Content.assemble(m, (f"  no key: {notes[m]}" if m in notes else "", "$text-warning")))
                  for m in host.engine.available_models()]
        chosen = await host.app.push_screen_wait(PickerDialog("Model for this conversation", items))
        if chosen:
            await self.set_model(None if chosen == DEFAULT_MODEL else chosen)

    async def set_model(self, model: str | None) -> None:
        host = self.host
        if (cid := conversation_or_warn(host)) is None:
            return
        await host.engine.set_model(cid, model)
        host.model_in_use = model
        host.refresh_state()  # the engine publishes no event for a model change
        note = self.model_notes().get(model or "")
        if note:
            host.notify(f"{model}: {note}.", title="No key for this model", severity="warning", timeout=8)
        else:
            host.notify(f"Model: {model or 'specialist default'}")

    async def pick_route(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(host)) is None or not idle_or_warn(host):
            return
        from support_tui.core.specialists import ROUTABLE

        items = [(name, Content(name.replace("_", " "))) for name in ROUTABLE]
        chosen = await host.app.push_screen_wait(PickerDialog("Re-run the customer's last request with…", items))
        if chosen and idle_or_warn(host):
            # The turn's own notice says "Re-running ... with X": a line here as well posted it twice.
            host.run_events(host.engine.rerun_turn(cid, route_override=chosen))

    # trace, scenarios --------------------------------------------------------------------------------

    async def show_trace(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(host)) is None:
            return
        from support_tui.tui.screens.trace import TraceDialog  # its table is not needed for the first frame

        await host.app.push_screen_wait(TraceDialog(cid, await host.engine.trace(cid), host.export_dir))

    async def pick_scenario(self) -> None:
        host = self.host
        scenarios = load_scenarios()
        if not scenarios:
            host.notify(f"No scenarios found in {fixtures_dir() / 'scenarios'}.", severity="warning")
            return
        items = [(s["id"], Content.assemble((str(s.get("title") or s["id"]), "bold"),
                                            (f"  {len(s['customer_texts'])} step{'s' * (len(s['customer_texts']) != 1)} · {s.get('customer_id', '')}", "dim")))
                 for s in scenarios]
        chosen = await host.app.push_screen_wait(PickerDialog("Play a scenario", items))
        scenario = next((s for s in scenarios if s["id"] == chosen), None)
        if scenario is None:
            return
        self.scenario, self.scenario_step = scenario, 0
        self.scenario_customer = str(scenario.get("customer_id") or "") or (host.conversation.customer_id if host.conversation else None)
        host.update_header()
        if scenario.get("customer_id"):
            host.open_customer(str(scenario["customer_id"]), True)
        host.notify(f"Scenario {scenario['id']}: F8 sends step 1 of {len(scenario['customer_texts'])}.")

    async def next_step(self) -> None:
        host = self.host
        if self.scenario is None:
            host.notify("No scenario playing: F7 picks one.", severity="warning")
            return
        texts = self.scenario["customer_texts"]
        if self.scenario_step >= len(texts):
            host.notify("Scenario finished.")
            return
        if conversation_or_warn(host) is None or not idle_or_warn(host):
            return
        self.scenario_step += 1
        host.update_header()
        await host.start_turn(texts[self.scenario_step - 1])
