"""``ask``, ``chat`` and ``trace``: run turns and read the stored trace from the command line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from support_tui.cli import UserError
from support_tui.cli._common import engine_session, plain, print_json, require_conversation, require_customer

if TYPE_CHECKING:
    from support_tui.core.events import Event
    from support_tui.core.turn.summary import TurnSummary


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser("ask", help="run one customer turn and print the reply (or --json)")
    ask.add_argument("text", help="the customer's message")
    ask.add_argument("--customer", required=True, help="customer id, e.g. cust_12345")
    ask.add_argument("--conversation", help="continue this conversation (default: a new one)")
    ask.add_argument("--model", help="model for this conversation, e.g. openai/gpt-4o or offline/support-agent")
    ask.add_argument("--route", help="send the message to this specialist instead of the router's choice")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.set_defaults(func=ask_command)

    chat = sub.add_parser("chat", help="a plain line-by-line chat as a customer")
    chat.add_argument("--customer", required=True)
    chat.add_argument("--conversation")
    chat.add_argument("--model")
    chat.set_defaults(func=chat_command)

    trace = sub.add_parser("trace", help="every event of every turn of a conversation (default: the latest)")
    trace.add_argument("conversation", nargs="?", help="conversation id (default: the most recently active one)")
    trace.add_argument("--json", action="store_true")
    trace.set_defaults(func=trace_command)


def _check_text(text: str) -> None:
    from support_tui.core.textsafety import EmptyMessage, clean_message

    try:
        clean_message(text, 10**9)
    except EmptyMessage:
        raise UserError("the message is empty; write what the customer says") from None


async def _conversation(engine: Any, args: argparse.Namespace) -> Any:
    await require_customer(engine, args.customer)
    if args.conversation:
        conv = await require_conversation(engine, args.conversation, args.customer)
    else:
        conv = await engine.open_conversation(args.customer, new=True)
    if args.model:
        if "/" not in args.model:
            raise UserError(f"a model is provider/name, e.g. openai/gpt-4o (got {args.model!r})")
        await engine.set_model(conv.id, args.model)
    return conv


async def ask_command(args: argparse.Namespace) -> int:
    from support_tui.core.turn.summary import summarise_turn

    _check_text(args.text)
    async with engine_session() as engine:
        conv = await _conversation(engine, args)
        try:
            events = [e async for e in engine.run_turn(conv.id, args.text, route_override=args.route)]
        except ValueError as exc:
            raise UserError(str(exc)) from None
    summary = summarise_turn(events)
    if args.json:
        print_json(summary.to_json())
    else:
        _print_human(summary)
    return 1 if summary.status == "failed" else 0


def ask_json(events: list[Event]) -> None:
    """What ``ask --json`` prints for a turn's events (the seed-scenario check compares it before and after a change)."""
    from support_tui.core.turn.summary import summarise_turn

    print_json(summarise_turn(events).to_json())


def _print_human(s: TurnSummary) -> None:
    route = s.route
    print(f"[{plain(route.agent if route else None)} {route.confidence if route else 0:.2f} · {plain(s.model)}]", file=sys.stderr)
    if s.escalation.escalated:
        print(f"Escalated ({s.escalation.priority}): {plain(s.escalation.reason)}", file=sys.stderr)
    for call in s.tool_calls:
        print(f"  tool {plain(call.name)} -> {call.status}" + (f" ({plain(call.rule)})" if call.rule else ""), file=sys.stderr)
    for f in s.fallbacks:
        print(f"  fallback: {plain(f.model)} failed: {plain(f.error)}", file=sys.stderr)
    for notice in s.notices:
        if notice.level != "info":  # e.g. a message cut to the length limit
            print(f"  note: {plain(notice.message)}", file=sys.stderr)
    if s.error:
        print(f"The turn failed: {plain(s.error)}", file=sys.stderr)
    print(plain(s.reply or ""))
    print(f"(conversation {s.conversation_id})", file=sys.stderr)


def _read_line(interactive: bool) -> str | None:
    """The next customer line: prompted at a terminal; piped input is read without a prompt."""
    if interactive:
        try:
            return input("you> ")
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line.rstrip("\n") if line else None


async def chat_command(args: argparse.Namespace) -> int:
    from support_tui.core.events import EscalationRaised, ReplyCompleted, ReplyDelta, ReplyReset, RouteDecided, TurnCompleted

    interactive = sys.stdin.isatty()
    async with engine_session() as engine:
        conv = await _conversation(engine, args)
        customer = await engine.customer_brief(args.customer)
        stop = "Empty line or Ctrl-D to stop." if interactive else "Reading messages from standard input."
        print(f"Chatting as {plain(customer.name)} in {conv.id}. {stop}", file=sys.stderr)
        while True:
            line = _read_line(interactive)
            if line is None:
                break
            if not line.strip():
                if interactive:
                    break
                continue
            if not interactive:
                print(f"you> {plain(line)}")
            try:
                _check_text(line)
            except UserError:
                print("[nothing to send: the line holds only control characters]", file=sys.stderr)
                continue
            agent, started = "support", False
            async for event in engine.run_turn(conv.id, line):
                match event:
                    case RouteDecided():
                        agent = event.agent
                        print(f"[{event.agent} {event.confidence:.2f}]", file=sys.stderr)
                    case EscalationRaised():
                        print(f"[escalated, {event.priority}: {plain(event.reason)}]", file=sys.stderr)
                    case ReplyDelta():
                        if not started:  # every reply starts on its own line with who wrote it
                            sys.stdout.write(f"{plain(agent)}> ")
                            started = True
                        sys.stdout.write(plain(event.text))
                        sys.stdout.flush()
                    case ReplyReset():
                        sys.stdout.write("\n[the model failed; another answers]\n")
                        started = False
                    case ReplyCompleted():
                        if not started:
                            sys.stdout.write(f"{plain(event.agent)}> {plain(event.text)}")
                        if event.draft:
                            sys.stdout.write("  [draft: waits for a person]")
                        print()
                    case TurnCompleted() if event.status == "failed":
                        print(f"[turn failed: {plain(event.error)}]", file=sys.stderr)
    return 0


async def trace_command(args: argparse.Namespace) -> int:
    from support_tui.core.events import TurnStarted

    async with engine_session(wait=False) as engine:
        if args.conversation:
            conv = await require_conversation(engine, args.conversation)
        else:
            every = await engine.conversations(["open", "escalated", "resolved", "abandoned", "closed"])
            if not every:
                raise UserError("no conversations yet; `support-tui ask` or the console starts one")
            # Real conversations before the generated history (whose dates are moved up to today).
            conv = max(every, key=lambda c: (not c.is_fixture, c.updated_at))
            print(f"(latest conversation {conv.id}, customer {conv.customer_id})", file=sys.stderr)
        events = await engine.trace(conv.id)
        messages = await engine.messages(conv.id)
    if args.json:
        print_json([e.model_dump() for e in events])
        return 0
    # Turn N as `fork --turn N` and `compare --turn N` count it: the N-th customer message (a re-run keeps its N).
    number = {m.id: i for i, m in enumerate((m for m in messages if m.role == "customer"), start=1)}
    turn_of = {e.turn_id: number[e.message_id] for e in events
               if isinstance(e, TurnStarted) and e.message_id is not None and e.message_id in number}
    start = events[0].at if events else 0
    for e in events:
        data = e.model_dump(exclude={"turn_id", "conversation_id", "at", "kind"})
        brief = ", ".join(f"{k}={plain(v)[:60]}" for k, v in data.items() if v not in (None, [], {}, ""))
        n = turn_of.get(e.turn_id)
        print(f"+{(e.at - start) / 1000:8.3f}s {f'turn {n}' if n else '      -':>8} {e.turn_id} {e.kind:20} {brief}")
    return 0
