"""``console`` and ``demo``: open the Textual console on the engine."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from support_tui.shops import SHOPS

if TYPE_CHECKING:
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    for name, help_text in (
        ("console", "open the console (the default command)"),
        ("demo", "open the console on the fixture store with the offline model"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--customer", help="open this customer's conversation with the composer focused")
        p.add_argument("--shop", choices=SHOPS, default=None,
                       help="the shop to serve (default: config.toml's, else northwind); a shop other than the "
                       "configured one keeps its data apart, in <data dir>/shops/<shop>")
        p.set_defaults(func=console_command, demo=name == "demo")


async def console_command(args: argparse.Namespace) -> int:
    import os

    from support_tui.cli import UserError
    from support_tui.core.factory import open_engine

    if args.demo:
        # The demo is offline whatever the shell holds: no keys reach a provider.
        for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            os.environ.pop(key, None)
    from support_tui.tui.app import SupportConsole

    paths, settings = shop_home(args.shop)
    engine = await open_engine(paths, settings, wait=False)
    try:
        if args.customer:
            try:
                await engine.customer_brief(args.customer)
            except LookupError:
                raise UserError(f"unknown customer {args.customer!r} (see `support-tui customers`)") from None
        app = SupportConsole(engine, engine.settings, customer_id=args.customer, demo=args.demo)
        await app.run_async()
    finally:
        await engine.close()
    return 0


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
