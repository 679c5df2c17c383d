"""Run the console over the scripted engine, to look at it: ``python -m support_tui.tui.preview [--slow-ready]``."""

from __future__ import annotations

import asyncio
import sys

from support_tui.core.settings import Settings
from support_tui.tui.app import SupportConsole
from support_tui.tui.scripted import ScriptedEngine


def main(argv: list[str]) -> None:
    engine = ScriptedEngine(Settings(), ready="--slow-ready" not in argv, delta_delay=0.05)
    app = SupportConsole(engine, engine.settings, customer_id=None if "--pick" in argv else "cus_ada", demo=True)
    if "--slow-ready" in argv:
        async def finish_loading() -> None:
            await asyncio.sleep(5)
            engine.make_ready()

        app.call_later(lambda: asyncio.create_task(finish_loading()))
    app.run()


if __name__ == "__main__":
    main(sys.argv[1:])
