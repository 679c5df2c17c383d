"""``fork``, ``compare`` and ``scenario save``: debug an agent from a recorded conversation."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support_tui.cli import UserError
from support_tui.cli._common import engine_session, plain, print_json, require_conversation

if TYPE_CHECKING:
    from support_tui.core.turn.compare import Comparison, SideRun


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fork = sub.add_parser(
        "fork", help="run turn N of a conversation again, as a new linked conversation, on a copy of the shop as it was then",
        description="The fork copies the messages before turn N (the N-th customer message, from 1) into a new "
        "conversation linked to its parent, rebuilds the shop on a sandbox by replaying this conversation's "
        "successful tool calls before turn N (other conversations' writes are not replayed), and runs turn N again. "
        "The parent and the live shop are not changed.",
    )
    fork.add_argument("conversation")
    fork.add_argument("--turn", type=int, required=True, help="the customer message to run again, from 1")
    fork.add_argument("--model", help="the model for the fork, e.g. anthropic/claude-sonnet-4-5")
    fork.add_argument("--route", help="send turn N to this specialist instead of the router's choice")
    fork.add_argument("--json", action="store_true", help="print one JSON object")
    fork.set_defaults(func=fork_command)

    compare = sub.add_parser(
        "compare", help="one customer message on two models (or specialists), side by side, on copies of the same state",
        description="Turn N runs once per side, each on its own copy of the shop rebuilt as for a fork, with nothing "
        "stored. Differences are marked with '≠' (latency is shown, never marked).",
    )
    compare.add_argument("conversation")
    compare.add_argument("--turn", type=int, required=True, help="the customer message to compare, from 1")
    compare.add_argument("--models", help="two models, comma-separated, e.g. openai/gpt-4o,anthropic/claude-sonnet-4-5")
    compare.add_argument("--routes", help="two specialists, comma-separated, e.g. returns_refunds,order_tracking")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.add_argument("--view", action="store_true", help="show both sides in the console's compare screen")
    compare.set_defaults(func=compare_command)

    scenario = sub.add_parser("scenario", help="scripted scenarios made from conversations")
    actions = scenario.add_subparsers(dest="scenario_command", metavar="ACTION")
    scenario.set_defaults(func=lambda args: _missing("scenario needs an action: `support-tui scenario save CONVERSATION`"))
    save = actions.add_parser("save", help="save a conversation as a scenario file that `eval scenarios` runs")
    save.add_argument("conversation")
    save.add_argument("--name", help="the scenario's id and file name (default: saved-CONVERSATION)")
    save.add_argument("--expected-reply", help="the reply the last step should give (a person's edit): its amounts and ids are checked")
    save.add_argument("--dir", type=Path, default=None, help="where to write (default: fixtures/scenarios)")
    save.add_argument("--force", action="store_true", help="overwrite a scenario file of the same name")
    save.set_defaults(func=scenario_save_command)


def _missing(message: str) -> int:
    raise UserError(message)


def _model(value: str | None) -> str | None:
    if value is not None and "/" not in value:
        raise UserError(f"a model is provider/name, e.g. openai/gpt-4o (got {value!r})")
    return value


def _pair(value: str | None, what: str) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if value is not None and len(items) != 2:
        raise UserError(f"--{what} takes two names separated by a comma (got {value!r})")
    return items


async def fork_command(args: argparse.Namespace) -> int:
    from support_tui.core.events import Notice
    from support_tui.core.turn.summary import summarise_turn

    async with engine_session() as engine:
        await require_conversation(engine, args.conversation)
        try:
            fork = await engine.fork(args.conversation, turn=args.turn, model=_model(args.model), route=args.route)
        except (LookupError, ValueError) as exc:
            raise UserError(str(exc)) from None
    summary = summarise_turn(fork.turn_events)
    if args.json:
        print_json({"conversation_id": fork.conversation_id, "parent_id": fork.parent_id, "forked_at_turn": fork.turn,
                    "text": fork.text, "model": fork.model, "route": fork.route,
                    "replayed": [r.model_dump() for r in fork.replayed], "turn": summary.to_json()})
        return 1 if summary.status == "failed" else 0
    notice = next((e for e in fork.events if isinstance(e, Notice) and e.code == "forked"), None)
    print(f"Fork {fork.conversation_id} of {fork.parent_id} at turn {fork.turn}", file=sys.stderr)
    if notice is not None:
        print(f"  {plain(notice.message)}", file=sys.stderr)
    route = summary.route
    print(f"[{plain(route.agent if route else None)} · {plain(summary.model)}] customer: {plain(fork.text)}", file=sys.stderr)
    for call in summary.tool_calls:
        print(f"  tool {plain(call.name)} {plain(call.arguments)} -> {call.status}"
              + (f" ({plain(call.rule)})" if call.rule else ""), file=sys.stderr)
    print(plain(summary.reply or ""))
    return 1 if summary.status == "failed" else 0


async def compare_command(args: argparse.Namespace) -> int:
    models = [_model(m) for m in _pair(args.models, "models")]
    routes = _pair(args.routes, "routes")
    if not models and not routes:
        raise UserError("compare needs --models A,B or --routes A,B")
    async with engine_session() as engine:
        await require_conversation(engine, args.conversation)
        try:
            comparison = await engine.compare(args.conversation, turn=args.turn, models=models or None, routes=routes or None)
        except (LookupError, ValueError) as exc:
            raise UserError(str(exc)) from None
    if args.view:
        from support_tui.tui.screens.compare import CompareApp, CompareScreen

        await CompareApp(CompareScreen(comparison=comparison)).run_async()
    elif args.json:
        print_json(comparison.to_dict())
    else:
        print(render_comparison(comparison, width=shutil.get_terminal_size((160, 40)).columns))
    return 0


def _brief(value: Any, limit: int = 160) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def side_rows(run: SideRun) -> dict[str, list[str]]:
    """One side's values as lines, by aspect (the rows of the side-by-side print)."""
    from support_tui.core.turn.compare import aspects

    turn, values = run.summary, aspects(run.summary)
    calls = [f"{c.name}({_brief(c.arguments, 80)}) -> {c.status}" + (f" [{c.rule}]" if c.rule else "")
             + f": {_brief(c.result if c.status == 'ok' else c.error)}" for c in turn.tool_calls]
    usage = turn.usage
    return {
        "route": [str(values["route"])], "agent": [str(values["agent"])], "model": [str(values["model"])],
        "tool_calls": calls or ["(none)"],
        "policy": [f"{p['name']}: {p['status']} by {p['rule']}" for p in values["policy"]] or ["(none)"],
        "escalation": [str(values["escalation"] or "no")],
        "reply": [turn.reply or ""],
        "tokens": [f"{usage.prompt_tokens} in / {usage.completion_tokens} out"],
        "cost": [f"${usage.cost_usd:.4f}"],
        "latency": [f"{run.latency_ms:.0f} ms"],
    }


def render_comparison(comparison: Comparison, width: int = 160) -> str:
    """Both sides in two columns, one row per aspect; '≠' marks the aspects that differ."""
    sides = comparison.runs
    label_w = 13
    col = max(20, (width - label_w - 3 * len(sides)) // len(sides))
    rows = [side_rows(s) for s in sides]
    out = [f"Turn {comparison.turn} of {comparison.parent_id}: {plain(comparison.text)}"]
    replayed = comparison.replayed
    if replayed:
        writes = sum(1 for r in replayed if r.writes)
        failed = sum(1 for r in replayed if r.status != "ok")
        out.append(f"State rebuilt by replaying {len(replayed)} earlier call(s), {writes} write(s)"
                   + (f"; {failed} failed" if failed else ""))
    out.append(" " * (label_w + 2) + " │ ".join(plain(s.side.label)[:col].ljust(col) for s in sides))
    differ = set(comparison.differences) | ({"tool_calls"} if "tool_results" in comparison.differences else set())
    for aspect in ("route", "agent", "model", "tool_calls", "policy", "escalation", "reply", "tokens", "cost", "latency"):
        cells = [[w for line in r[aspect] for w in (textwrap.wrap(plain(line), col) or [""])] for r in rows]
        height = max(len(c) for c in cells)
        mark = "≠" if aspect in differ else " "
        for i in range(height):
            label = f"{mark} {aspect.replace('_', ' ')}" if i == 0 else ""
            out.append(label.ljust(label_w + 2) + " │ ".join((c[i] if i < len(c) else "").ljust(col) for c in cells).rstrip())
    out.append("differences: " + (", ".join(comparison.differences) or "none"))
    return "\n".join(out)


async def scenario_save_command(args: argparse.Namespace) -> int:
    from support_tui.core.scenarios.model import ScenarioError
    from support_tui.core.scenarios.save import scenario_from_conversation, write_scenario

    async with engine_session() as engine:
        await require_conversation(engine, args.conversation)
        try:
            scenario = await scenario_from_conversation(engine, args.conversation, name=args.name,
                                                        expected_reply=args.expected_reply)
        except (LookupError, ValueError, ScenarioError) as exc:
            raise UserError(str(exc)) from None
    try:
        path = write_scenario(scenario, args.dir, overwrite=args.force)
    except FileExistsError as exc:
        raise UserError(str(exc)) from None
    print(path)
    print(f"{len(scenario.steps)} step(s), {len(scenario.expect_final.shop)} shop check(s); "
          f"run it with `support-tui eval scenarios --only {scenario.id}`", file=sys.stderr)
    return 0
