"""``console`` and ``demo``: open the Textual console on the engine."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    for name, help_text in (
        ("console", "open the console (the default command)"),
        ("demo", "open the console on the fixture store with the offline model"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--customer", help="open this customer's conversation with the composer focused")
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

    engine = await open_engine(wait=False)
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
