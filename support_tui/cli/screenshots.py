"""``screenshots``: render the console mid-scenario to SVG (and PNG where a converter exists)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("screenshots", help="render console screenshots (160x48 and 80x24) into a folder")
    p.add_argument("outdir", type=Path, help="where to write them, e.g. screenshots")
    p.add_argument(
        "--engine", choices=["auto", "real", "scripted"], default="auto",
        help="real: the seed scenarios on a temporary demo store; scripted: canned events (default: real if it opens)",
    )
    p.set_defaults(func=screenshots_command)


async def screenshots_command(args: argparse.Namespace) -> int:
    from support_tui.tui.screenshots import render

    notes: list[str] = []
    written = await render(args.outdir, args.engine, notes)
    for path in written:
        print(path)
    for note in notes:
        print(f"support-tui: {note}", file=sys.stderr)
    return 0
