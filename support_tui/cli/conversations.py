"""``conversations``, ``rate``, ``close`` and ``memory``: the records a supervisor keeps."""

from __future__ import annotations

import argparse
from typing import get_args

from support_tui.cli._common import engine_session, plain, print_json, person, require_conversation, require_customer
from support_tui.core.store.records.values import ConversationStatus


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    convs = sub.add_parser("conversations", help="list conversations (the queue), escalated first")
    convs.add_argument("--status", action="append", choices=get_args(ConversationStatus), metavar="S",
                       help=f"{', '.join(get_args(ConversationStatus))} (repeatable)")
    convs.add_argument("--json", action="store_true")
    convs.set_defaults(func=conversations_command)

    rate = sub.add_parser("rate", help="record the customer's 1-5 rating of a conversation")
    rate.add_argument("conversation")
    rate.add_argument("score", type=int, choices=range(1, 6), metavar="N")
    rate.add_argument("--comment")
    rate.set_defaults(func=rate_command)

    close = sub.add_parser("close", help="close a conversation as resolved or abandoned")
    close.add_argument("conversation")
    close.add_argument("--outcome", default="resolved", choices=["resolved", "abandoned", "escalated"])
    close.set_defaults(func=close_command)

    mem = sub.add_parser("memory", help="what the engine remembers of a customer's earlier conversations")
    mem.add_argument("customer")
    mem.add_argument("--forget", action="store_true", help="forget it all")
    mem.add_argument("--json", action="store_true")
    mem.set_defaults(func=memory_command)


async def conversations_command(args: argparse.Namespace) -> int:
    async with engine_session(wait=False) as engine:
        convs = await engine.conversations(args.status)
    if args.json:
        print_json([c.model_dump() for c in convs])
        return 0
    for c in convs:
        flag = f"ESCALATED {c.priority or ''}".strip() if c.status == "escalated" else c.status
        print(f"{c.id}  {c.customer_id:12} {flag:16} {plain(c.agent or '-'):20} {c.updated_at[:19]}")
    return 0


async def rate_command(args: argparse.Namespace) -> int:
    async with engine_session(wait=False) as engine:
        await require_conversation(engine, args.conversation)
        await engine.rate(args.conversation, args.score, args.comment)
    print(f"Rated {args.conversation}: {args.score}/5")
    return 0


async def close_command(args: argparse.Namespace) -> int:
    async with engine_session(wait=False) as engine:
        await require_conversation(engine, args.conversation)
        await engine.close_conversation(args.conversation, args.outcome, by=person(engine))
    print(f"Closed {args.conversation} as {args.outcome}")
    return 0


async def memory_command(args: argparse.Namespace) -> int:
    async with engine_session(wait=False) as engine:
        await require_customer(engine, args.customer)
        if args.forget:
            n = await engine.forget_customer(args.customer)
            print(f"Forgot {n} remembered conversation(s) of {args.customer}")
            return 0
        memories = await engine.memories(args.customer, limit=50)
    if args.json:
        print_json([m.model_dump() for m in memories])
    else:
        for m in memories:
            print(f"{m.created_at[:10]} {m.conversation_id}: {plain(m.summary)}")
        if not memories:
            print(f"Nothing remembered of {args.customer}.")
    return 0
