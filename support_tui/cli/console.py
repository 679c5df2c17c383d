"""``console`` and ``demo``: open the Textual console on the engine."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from support_tui.shops import SHOPS

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, help_text in (
        ("console", "open the console (the default command)"),
        ("demo", "open the console on the fixture store with the offline model"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--customer", help="open this customer's conversation with the composer focused")
        p.add_argument("--shop", choices=SHOPS, default=None,
                       help="the shop to serve (default: config.toml's, else northwind); a shop other than the "
                       "configured one keeps its data apart, in <data dir>/shops/<shop>")
        p.add_argument("--agent", metavar="NAME", help="who you are on the team: your decisions, take-overs and claims "
                       "are recorded as NAME (default: config.toml's agent_id, else $SUPPORT_TUI_AGENT, else your login)")
        # collects_after_first_frame: the garbage collector stays off until the console has drawn (cli.main).
        p.set_defaults(func=console_command, demo=name == "demo", collects_after_first_frame=True)


async def console_command(args: argparse.Namespace) -> int:
    import os

    from support_tui.cli import UserError
    from support_tui.tui.app import SupportConsole

    if args.demo:
        # The demo is offline whatever the shell holds: no keys reach a provider.
        for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            os.environ.pop(key, None)
    store = StoreOpener(args.shop)
    app = SupportConsole(None, None, customer_id=args.customer, demo=args.demo, person=args.agent or None,
                         open_engine=store.open)
    try:
        await app.run_async()
    finally:
        if store.engine is not None:
            await store.engine.close()
    problem = app.console_screen.startup_problem
    if problem is not None:
        # The console left before its store opened: an unknown customer, a data directory that cannot open.
        raise UserError(problem, code=app.return_code or 1)
    return 0


class StoreOpener:
    """Opens the shop's engine when the console asks (after its first frame) and keeps it for closing."""

    def __init__(self, shop: str | None) -> None:
        self.shop = shop
        self.engine: "SupportEngine | None" = None

    async def open(self) -> "SupportEngine":
        import asyncio

        # The settings and the engine's modules take a second to import: on a thread, so the console keeps drawing.
        paths, settings = await asyncio.to_thread(self._settings_and_modules)
        from support_tui.core.factory import open_engine  # loaded by now: only a look-up on the loop

        self.engine = await open_engine(paths, settings, wait=False)
        return self.engine

    def _settings_and_modules(self) -> tuple["DataPaths", "Settings"]:
        import support_tui.core.factory  # noqa: F401

        return shop_home(self.shop)


def shop_home(shop: str | None) -> tuple["DataPaths", "Settings"]:
    """The data directory and settings for ``--shop``: the default ones, or ``<home>/shops/<shop>`` for another shop.

    Each shop keeps its own database there (its records, its conversations and their metrics), so a
    tau-bench session never mixes with the demo shop's; the settings are the home's, with the shop set.
    """
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    paths = DataPaths.default()
    settings = Settings.load(paths.config)
    if shop is None or shop == settings.shop:
        return paths, settings
    apart = DataPaths(paths.home / "shops" / shop)
    own = Settings.load(apart.config) if apart.config.exists() else settings
    return apart, own.model_copy(update={"shop": shop})
