"""Debugging agents from the console: pick a turn of the open conversation, then compare it or fork it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from support_tui.tui.screens.dialogs import PickerDialog
from support_tui.tui.screens.host import conversation_or_warn, idle_or_warn
from support_tui.tui.text import drawable

if TYPE_CHECKING:
    from support_tui.tui.screens.host import ConsoleHost

WAYS = [
    ("compare_routes", "Compare: as recorded vs another specialist (side by side, nothing stored)"),
    ("compare_models", "Compare: as recorded vs another model (side by side, nothing stored)"),
    ("fork_route", "Fork: run the turn again with another specialist, as a new linked conversation"),
    ("fork_model", "Fork: run the turn again with another model, as a new linked conversation"),
]
"""What the key offers once a turn is picked."""


class ForkCompare:
    """The fork/compare key's dialog, owned by the console screen (which runs it as a worker)."""

    def __init__(self, host: ConsoleHost) -> None:
        self.host = host

    async def fork_or_compare(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(host)) is None or not idle_or_warn(host):
            return
        customer = [m for m in await host.engine.messages(cid) if m.role == "customer"]
        if not customer:
            host.notify("This conversation has no customer turn yet.", severity="warning")
            return
        turns = [(str(n), Content.assemble((f"turn {n}  ", "bold"), drawable(m.text)[:100]))
                 for n, m in reversed(list(enumerate(customer, 1)))]
        picked = await host.app.push_screen_wait(PickerDialog("Fork or compare which turn?", turns))
        if not picked:
            return
        turn = int(picked)
        way = await host.app.push_screen_wait(PickerDialog(f"Turn {turn}: what to do", [(k, Content(v)) for k, v in WAYS]))
        if not way:
            return
        other = await self._pick_other(way)
        if not other:
            return
        if way.startswith("compare"):
            # The compare screen comes with the engine's modules: imported here, not before the console's first frame.
            from support_tui.tui.screens.compare import CompareScreen

            sides: list[str | None] = [None, other]
            screen = (CompareScreen(host.engine, cid, turn, models=sides) if way == "compare_models"
                      else CompareScreen(host.engine, cid, turn, routes=sides))
            await host.app.push_screen(screen)
            return
        host.notify(f"Forking turn {turn} with {other}…")
        try:
            run = await host.engine.fork(cid, turn=turn, model=other if way == "fork_model" else None,
                                         route=other if way == "fork_route" else None)
        except (LookupError, ValueError, RuntimeError) as exc:
            host.notify(f"Cannot fork: {exc}", severity="error")
            return
        await host.show_conversation(await host.engine.get_conversation(run.conversation_id))
        host.notify(f"Fork {run.conversation_id} of {run.parent_id} at turn {turn}: {len(run.replayed)} earlier call(s) "
                    "replayed on a sandbox of the shop.")

    async def _pick_other(self, way: str) -> str | None:
        host = self.host
        """The other specialist or model the turn runs with."""
        if way.endswith("routes") or way.endswith("route"):
            from support_tui.core.specialists import ROUTABLE

            items = [(name, Content(name.replace("_", " "))) for name in ROUTABLE]
            return await host.app.push_screen_wait(PickerDialog("With which specialist?", items))
        items = [(m, Content(m)) for m in host.engine.available_models()]
        return await host.app.push_screen_wait(PickerDialog("With which model?", items))
