"""Debugging agents from the console: pick a turn of the open conversation, then compare it or fork it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.content import Content

from support_tui.tui.screens.dialogs import PickerDialog
from support_tui.tui.text import drawable

if TYPE_CHECKING:
    from support_tui.tui.screens.console import ConsoleScreen

WAYS = [
    ("compare_routes", "Compare: as recorded vs another specialist (side by side, nothing stored)"),
    ("compare_models", "Compare: as recorded vs another model (side by side, nothing stored)"),
    ("fork_route", "Fork: run the turn again with another specialist, as a new linked conversation"),
    ("fork_model", "Fork: run the turn again with another model, as a new linked conversation"),
]
"""What the key offers once a turn is picked."""


class ForkCompareActions:
    """The action behind the fork/compare key; mixed into ConsoleScreen."""

    @work(group="dialog", exclusive=True, exit_on_error=False)
    async def action_fork_or_compare(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None or not self._idle_or_warn():
            return
        customer = [m for m in await self.engine.messages(cid) if m.role == "customer"]
        if not customer:
            self.notify("This conversation has no customer turn yet.", severity="warning")
            return
        turns = [(str(n), Content.assemble((f"turn {n}  ", "bold"), drawable(m.text)[:100]))
                 for n, m in reversed(list(enumerate(customer, 1)))]
        picked = await self.app.push_screen_wait(PickerDialog("Fork or compare which turn?", turns))
        if not picked:
            return
        turn = int(picked)
        way = await self.app.push_screen_wait(PickerDialog(f"Turn {turn}: what to do", [(k, Content(v)) for k, v in WAYS]))
        if not way:
            return
        other = await self._pick_other(way)
        if not other:
            return
        if way.startswith("compare"):
            # The compare screen comes with the engine's modules: imported here, not before the console's first frame.
            from support_tui.tui.screens.compare import CompareScreen

            sides = {"models" if way == "compare_models" else "routes": [None, other]}
            await self.app.push_screen(CompareScreen(self.engine, cid, turn, **sides))  # type: ignore[arg-type]
            return
        self.notify(f"Forking turn {turn} with {other}…")
        try:
            run = await self.engine.fork(cid, turn=turn, model=other if way == "fork_model" else None,
                                         route=other if way == "fork_route" else None)
        except (LookupError, ValueError, RuntimeError) as exc:
            self.notify(f"Cannot fork: {exc}", severity="error")
            return
        await self.show_conversation(await self.engine.get_conversation(run.conversation_id))
        self.notify(f"Fork {run.conversation_id} of {run.parent_id} at turn {turn}: {len(run.replayed)} earlier call(s) "
                    "replayed on a sandbox of the shop.")

    async def _pick_other(self: ConsoleScreen, way: str) -> str | None:
        """The other specialist or model the turn runs with."""
        if way.endswith("routes") or way.endswith("route"):
            from support_tui.core.specialists import ROUTABLE

            items = [(name, Content(name.replace("_", " "))) for name in ROUTABLE]
            return await self.app.push_screen_wait(PickerDialog("With which specialist?", items))
        items = [(m, Content(m)) for m in self.engine.available_models()]
        return await self.app.push_screen_wait(PickerDialog("With which model?", items))
