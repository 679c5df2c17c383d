"""The ``support-tui`` command: each module in this package registers its own subcommands."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import inspect
import pkgutil
import sys

from support_tui.core import offline_env  # noqa: F401  (before any heavy import)


class UserError(Exception):
    """A problem the user can fix; printed as one clear line, never a traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


FAST_COMMANDS = {"console": "console", "demo": "console", "ask": "turns", "chat": "turns", "trace": "turns"}
"""Commands run by importing only the module that registers them: the console's first frame and a cold
``ask`` would otherwise wait for every command's imports (the evaluation, metrics and store modules)."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command, or with ``only`` just the commands of that module of this package."""
    parser = argparse.ArgumentParser(
        prog="support-tui",
        description="A terminal console for supervising AI customer support (offline by default).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or (only is not None and info.name != only):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Start-up allocates long-lived objects by the hundred thousand (modules, classes, styles); collecting
    # while they are created found nothing to free and cost the console's first frame about 40 ms
    # (measured, 160x48). The console turns collection back on after its first frame, every other
    # command once its arguments are read.
    gc.disable()
    try:
        return _run(argv)
    finally:
        gc.enable()


def _run(argv: list[str] | None) -> int:
    words = sys.argv[1:] if argv is None else argv
    # No command opens the console; a known command needs only its own module; anything else
    # (help, a typo, another command) gets the whole parser.
    parser = build_parser(FAST_COMMANDS.get(words[0]) if words else "console")
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        # No subcommand: open the console.
        args = parser.parse_args(["console", *(argv or [])])
        func = args.func
    if not getattr(args, "collects_after_first_frame", False):
        gc.enable()
    try:
        result = func(args)
        if inspect.iscoroutine(result):  # the async commands
            result = asyncio.run(result)
        return int(result or 0)
    except UserError as exc:
        print(f"support-tui: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("support-tui: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
