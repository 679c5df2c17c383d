"""``support-tui eval tau``: tau-bench tasks on a shop (``--agent gold`` replays gold actions; a model runs the engine)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_tui.cli import UserError

if TYPE_CHECKING:
    from support_tui.core.evaluation.tau_model import TauTaskRun

SHOPS = ("taubench-retail",)
DEFAULT_USER_MODEL = "openai/gpt-4o"
"""tau-bench's own default user model."""


def register_tau(suites: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``tau`` suite to ``support-tui eval``."""
    tau = suites.add_parser(
        "tau",
        help="tau-bench tasks on a shop (gold replay, or an agent against a simulated user)",
        description="Run tau-bench tasks (JSON lines: task_id, user_id, instruction, actions, outputs) on a fresh copy "
        "of the shop's data per task. --agent gold replays each task's gold actions through the shop's argument "
        "checks, policy rules and tools, each write counted as confirmed by the user, and prints their outputs, "
        "any call a rule blocked, and the orders and users they changed. Exit status 1 when a call was blocked "
        "or a task differs from --reference. --agent MODEL runs the engine with that model on every specialist "
        "against a user simulated by --user-model from each task's instruction, and reports each task's reward "
        "(1 when the orders and users it changed equal the gold replay's and every output string was said), "
        "pass^1, tokens and cost. Needs the models' keys (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...).",
    )
    tau.add_argument("--shop", choices=SHOPS, default="taubench-retail", help="the shop (default: taubench-retail)")
    tau.add_argument("--tasks", type=Path, default=None,
                     help="tasks as JSON lines, gzipped or not (default: the shipped 20 dev tasks; the shop's "
                     "dataset/tasks_train.jsonl.gz holds the 500 train tasks)")
    tau.add_argument("--agent", default="gold", help="gold, or a LiteLLM model string such as openai/gpt-4o")
    tau.add_argument("--user-model", default=DEFAULT_USER_MODEL,
                     help=f"the model simulating the user, with --agent MODEL (default: {DEFAULT_USER_MODEL})")
    tau.add_argument("--max-turns", type=int, default=None, metavar="N",
                     help="customer messages per task before the conversation is cut off (default: 20)")
    tau.add_argument("--limit", type=int, default=None, metavar="N", help="run only the first N tasks")
    tau.add_argument("--data-dir", type=Path, default=None,
                     help="folder with users.json, orders.json, products.json, gzipped or not (default: "
                     "$SUPPORT_TUI_TAUBENCH_DIR, else the data shipped with the shop)")
    tau.add_argument("--reference", type=Path, default=None, metavar="FILE",
                     help="reference/replay.py's output for the same tasks: count the tasks whose results and changes equal it")
    tau.add_argument("--json", action="store_true", help="print one JSON object")
    tau.set_defaults(func=tau_command)


async def tau_command(args: argparse.Namespace) -> int:
    from support_tui.cli._common import plain
    from support_tui.shops.taubench_retail import DEV_TASKS, DataDirError, RetailData
    from support_tui.shops.taubench_retail.replay import (
        TaskFileError, TaskReplay, differences, load_tasks, replay_tasks, summary, timer,
    )

    if args.agent != "gold":
        _check_models(args.agent, args.user_model)
    args.tasks = args.tasks or DEV_TASKS
    try:
        tasks = load_tasks(args.tasks)[:args.limit] if args.limit is not None else load_tasks(args.tasks)
        data = RetailData.load(args.data_dir)
    except (TaskFileError, DataDirError) as exc:
        raise UserError(str(exc)) from None
    if args.agent != "gold":
        return await _model_command(args, tasks, data)
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


def task_line(run: "TauTaskRun") -> str:
    """One task of a model run, in words."""
    from support_tui.cli._common import plain

    said = sum(run.outputs.values())
    cost = run.agent_usage.cost_usd + run.user_usage.cost_usd
    line = (f"task {plain(str(run.task_id))}: reward {run.reward:g} (state "
            f"{'equal to' if run.state_matches else 'differs from'} the gold replay, outputs {said}/{len(run.outputs)}), "
            f"{run.user_turns} customer message{'s' * (run.user_turns != 1)}, {len(run.calls)} tool call"
            f"{'s' * (len(run.calls) != 1)}, ended {run.ended.replace('_', ' ')}, ${cost:.4f}")
    if run.waiting_for_person:
        line += f", {run.waiting_for_person} call(s) left waiting for a person"
    return line + (f"; {plain(run.error)}" if run.error else "")


def _check_models(agent: str, user_model: str) -> None:
    """A usage error, before anything opens, when a model cannot answer here (a key is missing)."""
    from support_tui.core.llm.chain import model_chain
    from support_tui.core.settings import OFFLINE_MODEL, Settings

    if "/" not in agent:
        raise UserError(f"--agent {agent}: a model is provider/name, such as openai/gpt-4o (or gold)")
    if user_model == OFFLINE_MODEL or "/" not in user_model:
        raise UserError(f"--user-model {user_model}: the user is played by a model such as openai/gpt-4o "
                        "(the offline model cannot play a customer)")
    bare = Settings(fallback_models=[])
    for flag, model in (("--agent", agent), ("--user-model", user_model)):
        if model == OFFLINE_MODEL:
            continue
        _, skipped = model_chain(model, bare)
        if skipped:
            missing = skipped[0].split(": ", 1)[-1]
            raise UserError(f"{flag} {model}: {missing}; export the provider's key (and its *_API_BASE for another "
                            "server) to run tau-bench tasks with a model, or use --agent gold")


async def _model_command(args: argparse.Namespace, raw_tasks: list[dict[str, Any]], data: Any) -> int:
    """The engine with ``--agent`` against a user played by ``--user-model``, task by task."""
    from dataclasses import replace

    from pydantic import ValidationError

    from support_tui.cli._common import StderrProgress
    from support_tui.cli.console import shop_home
    from support_tui.core.evaluation.tau_model import (
        MAX_USER_TURNS, TauTask, TauTaskRun, eval_settings, evaluate_tasks, model_summary, policy_team, timer,
    )
    from support_tui.core.evaluation.tau_user import ModelUser
    from support_tui.core.factory import open_engine
    from support_tui.core.store.sql.sqlite import Database
    from support_tui.shops.taubench_retail import open_taubench_shop

    try:
        tasks = [TauTask.model_validate(t) for t in raw_tasks]
    except ValidationError as exc:
        raise UserError(f"{args.tasks}: a task needs task_id, user_id and actions ({exc.errors()[0]['msg']})") from None
    paths, settings = shop_home("taubench-retail")
    try:
        engine = await open_engine(paths, eval_settings(settings), progress=StderrProgress())
    except RuntimeError as exc:
        raise UserError(str(exc), code=1) from exc
    policy = data.policy()
    db = await Database.in_memory()
    try:
        base = await open_taubench_shop(db, data=data, require_lookup=True)
        parts = replace(engine.parts, team=policy_team(engine.parts.team, policy))
        models = engine.parts.models
        if models is None:
            raise UserError("the engine's model client did not load", code=1)

        def user_for(task: TauTask) -> ModelUser:
            return ModelUser(models, args.user_model, task.instruction)

        def show(run: TauTaskRun) -> None:
            print(task_line(run), flush=True)

        print(f"Running {len(tasks)} tasks: agent {args.agent}, user {args.user_model}…", file=sys.stderr, flush=True)
        elapsed = timer()
        runs = await evaluate_tasks(tasks, parts=parts, base=base, agent=args.agent, users=user_for,
                                    max_user_turns=args.max_turns or MAX_USER_TURNS,
                                    on_result=None if args.json else show)
    finally:
        await db.close()
        await engine.close()
    totals = model_summary(runs, elapsed(), args.agent, args.user_model)
    if args.json:
        print(json.dumps({"tasks": [r.to_dict() for r in runs], "summary": totals}, ensure_ascii=False))
    else:
        a, u = totals["agent_usage"], totals["user_usage"]
        print(f"{totals['tasks']} tasks, pass^1 {totals['pass^1']:.3f} ({totals['reward']:g}/{totals['tasks']}), "
              f"agent {a['prompt_tokens']:,}+{a['completion_tokens']:,} tokens, user {u['prompt_tokens']:,}+"
              f"{u['completion_tokens']:,} tokens, cost ${totals['cost_usd']:.4f}, {totals['errors']} errors, "
              f"{totals['transferred']} transferred, {totals['fallback_replies']} replies by a fallback, "
              f"{totals['seconds']:.1f} s")
    return 0
