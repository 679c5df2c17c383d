"""Gold replay: each task's gold actions through the shop's validation, rules and tools on a fresh copy of the data.

Every write counts as confirmed by the user (its quote is made, as for a proposal, then it runs); every
other rule applies. A task whose gold actions find the user (``find_user_id_by_email``,
``find_user_id_by_name_zip``) is bound to whom its first look-up finds, not to its ``user_id`` field;
a task without a look-up is about its ``user_id``. Per task it records the tool outputs, any call a rule blocked, and ``changed``: the
orders and users that differ from the data files afterwards, the same thing tau-bench's
``reference/replay.py`` prints.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from support_tui.core.shop import CallContext, ShopError
from support_tui.core.store.sql.sqlite import Database
from support_tui.shops.taubench_retail.data import RetailData, read_text
from support_tui.shops.taubench_retail.shop import UNIDENTIFIED, TauRetailShop, open_taubench_shop
from support_tui.shops.taubench_retail.tools import LOOKUPS


class TaskFileError(ValueError):
    """A tasks file that is missing or not JSON lines of tasks."""


@dataclass
class TaskReplay:
    """One task's replay."""

    task_id: Any
    results: list[str] = field(default_factory=list)
    """Each gold action's output, as the tool gave it (an error's text for a failed call)."""
    blocked: list[dict[str, str]] = field(default_factory=list)
    """``{"name", "rule"}`` for each call a policy rule stopped."""
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``{"orders": {id: record}, "users": {id: record}}``: what differs from the data files."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_tasks(path: Path | str) -> list[dict[str, Any]]:
    """Tasks from JSON lines, gzipped when the name ends in ``.gz`` (``task_id``, ``user_id``, ``actions``, ...);
    TaskFileError names the bad line."""
    path = Path(path)
    try:
        lines = read_text(path).splitlines()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise TaskFileError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    tasks = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            task = json.loads(line)
        except ValueError as exc:
            raise TaskFileError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(task, dict) or not isinstance(task.get("actions"), list) or "user_id" not in task:
            raise TaskFileError(f"{path}:{number}: a task needs user_id and a list of actions")
        tasks.append(task)
    return tasks


async def gold_call(shop: TauRetailShop, name: str, arguments: dict[str, Any], ctx: CallContext,
                    blocked: list[dict[str, str]]) -> str:
    """One gold action as the engine would run it after the user's yes; returns its output."""
    tool = shop.tools().get(name)
    if tool is None:
        return f"Error: unknown tool {name}"
    try:
        args = tool.args.model_validate(arguments)
    except ValidationError as exc:
        return f"Error: invalid arguments for {name}: {exc.errors()[0]['msg']}"
    try:
        verdict = await shop.check(name, args, ctx)
        if verdict is not None:
            blocked.append({"name": name, "rule": verdict.rule})
            return verdict.message
        if tool.consequential:
            await shop.quote(name, args, ctx)  # the proposal the user says yes to
        return await shop.run(name, args, ctx)
    except ShopError as exc:
        return str(exc)


async def replay_task(shop: TauRetailShop, task: dict[str, Any]) -> TaskReplay:
    """Replay one task, then put the data back as the files have it."""
    replay = TaskReplay(task_id=task.get("task_id"))
    finds_user = any(action.get("name") in LOOKUPS for action in task["actions"])
    ctx = CallContext(customer_id=UNIDENTIFIED if finds_user else str(task["user_id"]),
                      conversation_id=f"tau-gold-{task.get('task_id')}")
    try:
        for action in task["actions"]:
            output = await gold_call(shop, action["name"], action.get("arguments") or {}, ctx, replay.blocked)
            replay.results.append(output)
        replay.changed = await shop.store.changed()
    finally:
        await shop.store.rewind()
    return replay


async def replay_tasks(
    tasks: list[dict[str, Any]],
    data_dir: Path | str | None = None,
    *,
    data: RetailData | None = None,
    on_result: Callable[[TaskReplay], None] | None = None,
) -> list[TaskReplay]:
    """Replay every task on one in-memory database, rewound to the data files between tasks."""
    db = await Database.open(":memory:")
    try:
        shop = await open_taubench_shop(db, data_dir, data=data)
        out = []
        for task in tasks:
            result = await replay_task(shop, task)
            if on_result is not None:
                on_result(result)
            out.append(result)
        return out
    finally:
        await db.close()


def differences(ours: TaskReplay, reference: dict[str, Any]) -> list[str]:
    """How a replay differs from reference/replay.py's line for the same task (empty when identical)."""
    found = []
    if ours.results != reference.get("results"):
        bad = [i for i, (a, b) in enumerate(zip(ours.results, reference.get("results", []))) if a != b]
        found.append(f"results differ (actions {bad or 'count'})")
    for table in ("orders", "users"):
        theirs = reference.get("changed", {}).get(table, {})
        mine = ours.changed.get(table, {})
        if mine != theirs:
            keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            found.append(f"changed {table} differ: {', '.join(keys)}")
    return found


def summary(replays: list[TaskReplay], seconds: float, reference: dict[Any, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Totals: tasks, actions, blocked calls, error outputs, and (given the reference's lines) tasks equal to it."""
    out: dict[str, Any] = {
        "tasks": len(replays),
        "actions": sum(len(r.results) for r in replays),
        "blocked": sum(len(r.blocked) for r in replays),
        "error_results": sum(r.startswith("Error") for rep in replays for r in rep.results),
        "seconds": round(seconds, 3),
    }
    if reference is not None:
        out["equal_to_reference"] = sum(
            1 for r in replays if r.task_id in reference and not differences(r, reference[r.task_id])
        )
        out["missing_from_reference"] = sum(1 for r in replays if r.task_id not in reference)
    return out


def timer() -> Callable[[], float]:
    """Seconds since the call."""
    started = time.perf_counter()
    return lambda: time.perf_counter() - started
