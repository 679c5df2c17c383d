"""``approvals``, ``approve`` and ``deny``: a person's decisions on waiting tool calls, from the command line."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from support_tui.cli._common import engine_session, person, plain, print_json

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.core.store.records.values import PendingToolCall
    from support_tui.core.team import WaitingCall

AGENT_HELP = ("who you are on the team: the decision is recorded as NAME (default: config.toml's agent_id, "
              "else $SUPPORT_TUI_AGENT, else your login)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("approvals", help="tool calls waiting for a person, across conversations")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=approvals_command)

    p = sub.add_parser("approve", help="approve a waiting tool call (perhaps with edited arguments); the agent replies")
    p.add_argument("call_id", metavar="ID", help="the call's id (see `support-tui approvals`)")
    p.add_argument("--args", dest="arguments", metavar="JSON",
                   help="edited arguments, a JSON object checked against the tool's schema and the shop's rules")
    p.add_argument("--agent", metavar="NAME", help=AGENT_HELP)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=decide_command, approve=True, reason=None)

    p = sub.add_parser("deny", help="deny a waiting tool call with a reason (for the agent and the trace only)")
    p.add_argument("call_id", metavar="ID", help="the call's id (see `support-tui approvals`)")
    p.add_argument("--reason", required=True, help="why; the agent reads it, the customer never sees these words")
    p.add_argument("--agent", metavar="NAME", help=AGENT_HELP)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=decide_command, approve=False, arguments=None)


def age(created_at: str, now: datetime | None = None) -> tuple[float, str]:
    """Seconds since ``created_at`` and the same in a few characters: ``45s``, ``12m``, ``3h 5m``, ``2d 4h``."""
    try:
        then = datetime.fromisoformat(created_at)
    except ValueError:
        return 0.0, "?"
    seconds = max(0.0, ((now or datetime.now(timezone.utc)) - then).total_seconds())
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if days:
        return seconds, f"{days}d {hours % 24}h"
    if hours:
        return seconds, f"{hours}h {minutes % 60}m"
    return seconds, f"{minutes}m" if minutes else f"{int(seconds)}s"


def waiting_json(item: WaitingCall) -> dict[str, Any]:
    call, quote = item.call, item.quote
    seconds, _ = age(call.created_at)
    return {
        "id": call.call_id, "conversation_id": call.conversation_id, "customer_id": item.customer_id,
        "customer": item.customer, "tool": call.name, "arguments": call.arguments,
        "quote": quote.model_dump(mode="json") if quote else None,
        "amount": quote.amount if quote else None, "currency": quote.currency if quote else None,
        "why": item.why, "rule": call.rule, "agent": call.agent, "held_by": item.held_by,
        "created_at": call.created_at, "age_s": round(seconds, 1),
    }


async def approvals_command(args: argparse.Namespace) -> int:
    async with engine_session(wait=False) as engine:
        waiting = await engine.approvals()
    if args.json:
        print_json([waiting_json(w) for w in waiting])
        return 0
    if not waiting:
        print("Nothing waits for a person.")
        return 0
    from support_tui.core.turn.tools import money

    for item in waiting:
        call, quote = item.call, item.quote
        amount = ("no amount" if quote.amount is None else money(quote.amount, quote.currency)) if quote else "no quote"
        print(f"{plain(call.call_id)}  {plain(call.name)}  {amount}  waiting {age(call.created_at)[1]}")
        held = f" · held by {plain(item.held_by)}" if item.held_by else ""
        print(f"  conversation {plain(call.conversation_id)} · {plain(item.customer)} ({plain(item.customer_id)}){held}")
        print(f"  arguments {plain(json.dumps(call.arguments, sort_keys=True, ensure_ascii=False))}")
        if quote:
            print(f"  quote: {plain(quote.summary)}")
        print(f"  why: {plain(item.why)}")
    print(f"{len(waiting)} waiting. `support-tui approve ID [--args JSON]` or `support-tui deny ID --reason TEXT`.")
    return 0


def edited_arguments(text: str | None) -> dict[str, Any] | None:
    """``--args`` as a JSON object (None when not given); a clear usage error otherwise."""
    from support_tui.cli import UserError

    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"--args is not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(value, dict):
        raise UserError("--args must be a JSON object of the tool's arguments, e.g. '{\"amount\": 120.0}'")
    return value


async def waiting_call(engine: SupportEngine, call_id: str) -> PendingToolCall:
    """The call, still waiting; a usage error naming why not."""
    from support_tui.cli import UserError

    call = await engine.pending_call(call_id)
    if call is None:
        raise UserError(f"no tool call {call_id!r} (see `support-tui approvals`)")
    if call.status != "pending":
        who = f" by {call.decided_by}" if call.decided_by else ""
        raise UserError(f"tool call {call_id!r} was already {call.status}{who}; nothing changed")
    return call


async def decide_command(args: argparse.Namespace) -> int:
    from support_tui.cli import UserError
    from support_tui.core.events import ReplyCompleted, ToolCallFinished, TurnCompleted
    from support_tui.core.team import CallDecided

    arguments = edited_arguments(args.arguments)
    if not args.approve and not args.reason.strip():
        raise UserError("--reason must say why (the agent reads it; the customer never sees it)")
    async with engine_session() as engine:
        call = await waiting_call(engine, args.call_id)
        if arguments is not None:
            problems = await engine.check_tool_arguments(call.conversation_id, call.call_id, arguments)
            if problems:
                raise UserError("the edited arguments cannot run: " + "; ".join(problems))
        who = person(engine, args.agent)
        try:
            events = [e async for e in engine.resolve_tool_call(
                call.conversation_id, call.call_id, approve=args.approve, arguments=arguments,
                reason=args.reason.strip() if args.reason else None, by=who)]
        except CallDecided as exc:
            raise UserError(f"{exc}; nothing changed") from None
        except ValueError as exc:  # edited arguments that a rule refused after all
            raise UserError(f"the edited arguments cannot run: {exc}") from None
    finished = next((e for e in events if isinstance(e, ToolCallFinished) and e.call_id == call.call_id), None)
    reply = next((e for e in reversed(events) if isinstance(e, ReplyCompleted)), None)
    done = next((e for e in events if isinstance(e, TurnCompleted)), None)
    outcome = {
        "id": call.call_id, "conversation_id": call.conversation_id, "decision": "approved" if args.approve else "denied",
        "by": who, "tool": call.name, "arguments": finished.arguments if finished else (arguments or call.arguments),
        "status": finished.status if finished else None, "result": finished.result if finished else None,
        "error": finished.error if finished else None, "reply": reply.text if reply else None,
        "draft": reply.draft if reply else False, "turn_status": done.status if done else None,
    }
    if args.json:
        print_json(outcome)
        return 0
    verb = "Approved" if args.approve else "Denied"
    print(f"{verb} {plain(call.name)} ({plain(call.call_id)}) as {plain(who)}: {outcome['status'] or 'no outcome'}")
    if finished is not None and finished.status == "error" and finished.error:
        print(f"  error: {plain(finished.error)}")
    if reply is not None:
        print(f"  {'draft reply (waits for a person)' if reply.draft else 'reply to the customer'}: {plain(reply.text)}")
    return 0
