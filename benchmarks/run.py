"""Run the benchmarks (engine, retrieval, load, console, cli, longconv, team; all by default) and print a table or JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import support_tui.core.offline_env  # noqa: E402,F401

NAMES = ("engine", "retrieval", "load", "console", "cli", "longconv", "team")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {cpu}, Python {platform.python_version()}"


def run_one(name: str) -> dict[str, float]:
    if name == "engine":
        import engine

        return engine.run()
    if name == "retrieval":
        import retrieval

        raw = retrieval.run(log=lambda line: print(line, file=sys.stderr))
        return {k.removeprefix("retrieval."): v for k, v in raw.items()}
    if name == "load":
        import load

        return load.run()
    if name == "console":
        import console

        return console.run()
    if name == "cli":
        import cli

        return cli.run()
    if name == "longconv":
        import longconv

        return longconv.run()
    if name == "team":
        import team

        # 10,000 customers per configuration unless $SUPPORT_TUI_TEAM_ARGS says otherwise (e.g. "--customers 600").
        return team.run(os.environ.get("SUPPORT_TUI_TEAM_ARGS", "").split())
    raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(NAMES)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run ({', '.join(NAMES)})")
    parser.add_argument("--json", action="store_true", help="print one object {name: {metric: value}}")
    args = parser.parse_args()
    names = args.names or list(NAMES)
    for name in names:
        if name not in NAMES:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(NAMES)}")
    results: dict[str, dict[str, float]] = {}
    for name in names:
        started = time.perf_counter()
        print(f"running {name}…", file=sys.stderr)
        results[name] = run_one(name)
        results[name]["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"machine: {machine()}")
    from common import print_table

    print_table(results)


if __name__ == "__main__":
    main()
