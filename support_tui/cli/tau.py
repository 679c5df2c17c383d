"""``support-tui eval tau``: tau-bench tasks on a shop (``--agent gold`` replays each task's gold actions)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from support_tui.cli import UserError

SHOPS = ("taubench-retail",)


def register_tau(suites: argparse._SubParsersAction) -> None:
    """Add the ``tau`` suite to ``support-tui eval``."""
    tau = suites.add_parser(
        "tau",
        help="tau-bench tasks on a shop (gold replay, or an agent against a simulated user)",
        description="Run tau-bench tasks (JSON lines: task_id, user_id, instruction, actions, outputs) on a fresh copy "
        "of the shop's data per task. --agent gold replays each task's gold actions through the shop's argument "
        "checks, policy rules and tools, each write counted as confirmed by the user, and prints their outputs, "
        "any call a rule blocked, and the orders and users they changed. Exit status 1 when a call was blocked "
        "or a task differs from --reference.",
    )
    tau.add_argument("--shop", choices=SHOPS, default="taubench-retail", help="the shop (default: taubench-retail)")
    tau.add_argument("--tasks", type=Path, required=True, help="tasks as JSON lines")
    tau.add_argument("--agent", default="gold", help="gold, or a model name (not in this build yet)")
    tau.add_argument("--user-model", default=None, help="the model simulating the user (with --agent MODEL)")
    tau.add_argument("--data-dir", type=Path, default=None,
                     help="folder with users.json, orders.json, products.json (default: $SUPPORT_TUI_TAUBENCH_DIR or "
                     "../shared/taubench-retail)")
    tau.add_argument("--reference", type=Path, default=None, metavar="FILE",
                     help="reference/replay.py's output for the same tasks: count the tasks whose results and changes equal it")
    tau.add_argument("--json", action="store_true", help="print one JSON object")
    tau.set_defaults(func=tau_command)


async def tau_command(args: argparse.Namespace) -> int:
    from support_tui.cli._common import plain
    from support_tui.shops.taubench_retail import DataDirError, RetailData
    from support_tui.shops.taubench_retail.replay import (
        TaskFileError, TaskReplay, differences, load_tasks, replay_tasks, summary, timer,
    )

    if args.agent != "gold":
        raise UserError(f"--agent {args.agent}: running a model on tau-bench tasks is not implemented in this build "
                        "(it needs the engine's shop wiring); --agent gold replays the gold actions")
    try:
        tasks = load_tasks(args.tasks)
        data = RetailData.load(args.data_dir)
    except (TaskFileError, DataDirError) as exc:
        raise UserError(str(exc)) from None
    reference = _load_reference(args.reference) if args.reference else None

    def show(r: TaskReplay) -> None:
        orders, users = len(r.changed.get("orders", {})), len(r.changed.get("users", {}))
        errors = sum(out.startswith("Error") for out in r.results)
        line = (f"task {plain(r.task_id)}: {len(r.results)} action{'s' * (len(r.results) != 1)}, "
                f"{errors} error{'s' * (errors != 1)}, changed {orders} order{'s' * (orders != 1)} and "
                f"{users} user{'s' * (users != 1)}")
        if r.blocked:
            line += "; BLOCKED " + ", ".join(f"{plain(b['name'])} by {b['rule']}" for b in r.blocked)
        if reference is not None:
            diff = differences(r, reference[r.task_id]) if r.task_id in reference else ["not in the reference"]
            line += "; same as the reference" if not diff else "; DIFFERS: " + "; ".join(diff)
        print(line, flush=True)

    print(f"Replaying the gold actions of {len(tasks)} tasks on fresh copies of {plain(data.folder)}…",
          file=sys.stderr, flush=True)
    elapsed = timer()
    replays = await replay_tasks(tasks, data=data, on_result=None if args.json else show)
    totals = summary(replays, elapsed(), reference)
    if args.json:
        print(json.dumps({"tasks": [r.to_dict() for r in replays], "summary": totals}, ensure_ascii=False))
    else:
        print(_totals_line(totals))
    failed = totals["blocked"] > 0 or (reference is not None and totals["equal_to_reference"] != totals["tasks"])
    return 1 if failed else 0


def _totals_line(totals: dict[str, Any]) -> str:
    line = (f"{totals['tasks']} tasks, {totals['actions']} actions, {totals['blocked']} blocked, "
            f"{totals['error_results']} error results, {totals['seconds']:.1f} s")
    if "equal_to_reference" in totals:
        line += f"; {totals['equal_to_reference']}/{totals['tasks']} tasks equal to the reference"
    return line


def _load_reference(path: Path) -> dict[Any, dict[str, Any]]:
    """reference/replay.py's JSON lines, by task id."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the reference replay {path}: {exc}") from None
    if not all(isinstance(row, dict) and "task_id" in row for row in rows):
        raise UserError(f"{path}: expected reference/replay.py's output (one JSON object with task_id per line)")
    return {row["task_id"]: row for row in rows}
