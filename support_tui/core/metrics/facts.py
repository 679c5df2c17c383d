"""The rules that turn stored conversations, turns and events into one fact sheet per conversation."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from support_tui.shops.northwind.policy import CONSEQUENTIAL
from support_tui.core.store.sqlite import Database
from support_tui.core.turn.helpers import order_ids

REOPEN_WINDOW = timedelta(hours=72)
"""A customer coming back on the same topic within this time after a conversation ended reopens it."""
WRITE_TOOLS = CONSEQUENTIAL | {"send_login_link"}
"""Tools that change something for the customer: one of them succeeding is how an action request is done."""
HAND_OFF_TOOLS = frozenset({"transfer_to_specialist", "escalate_to_human"})
"""Tools that move the case rather than read or change anything."""
EVENT_KINDS = ("route_decided", "escalation_raised", "tool_call_finished", "reply_completed", "sentiment_scored")

_SCOPE = "SELECT id FROM conversations WHERE created_at >= ? AND (is_fixture = 0 OR ?)"
QUERIES: dict[str, str] = {
    "conversations": "SELECT id, customer_id, status, handled_by, agent, escalation_reason, outcome, is_fixture,"
    " created_at, updated_at, closed_at FROM conversations WHERE created_at >= ? AND (is_fixture = 0 OR ?)"
    " ORDER BY created_at, id",
    "messages": "SELECT conversation_id, id, role, status, text, created_at FROM messages"
    f" WHERE conversation_id IN ({_SCOPE}) ORDER BY conversation_id, id",
    "turns": "SELECT conversation_id, model, prompt_tokens, completion_tokens, cost_usd FROM turns"
    f" WHERE conversation_id IN ({_SCOPE}) ORDER BY conversation_id, started_at",
    "events": "SELECT conversation_id, kind, data FROM events"
    f" WHERE kind IN ({','.join(repr(k) for k in EVENT_KINDS)}) AND conversation_id IN ({_SCOPE})"
    " ORDER BY conversation_id, id",
    "ratings": f"SELECT conversation_id, score, created_at FROM ratings WHERE conversation_id IN ({_SCOPE})",
}
"""The only reads metrics make; the async and the read-only sqlite3 paths run the same SQL."""

Records = dict[str, list[dict[str, Any]]]
"""Rows of each query in ``QUERIES``, as plain dicts."""


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def stored_time(moment: datetime) -> str:
    """A datetime in the form the support tables store, so SQL can compare it as text."""
    aware = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return aware.isoformat(timespec="milliseconds")


def _params(since: datetime | None, include_fixture: bool) -> tuple[str, int]:
    return (stored_time(since) if since else "", int(include_fixture))


async def read_records(db: Database, since: datetime | None, include_fixture: bool) -> Records:
    """Every row metrics need for conversations created since ``since`` (later ones too, for reopens)."""
    params = _params(since, include_fixture)
    return {name: [dict(r) for r in await db.fetchall(sql, params)] for name, sql in QUERIES.items()}


def read_records_sync(path: Path | str, since: datetime | None, include_fixture: bool) -> Records:
    """The same rows through a private read-only sqlite3 connection (safe from any thread)."""
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=10, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        params = _params(since, include_fixture)
        return {name: [dict(r) for r in conn.execute(sql, params).fetchall()] for name, sql in QUERIES.items()}
    finally:
        conn.close()


@dataclass
class ConversationFacts:
    """What the rules decided about one conversation."""

    id: str
    customer_id: str
    created: datetime
    ended: datetime | None
    """``closed_at``; None while the conversation is open or waits in the human queue."""
    is_fixture: bool
    specialist: str
    """The specialist the router first chose (``RouteDecided``), else the conversation's agent, else ``unrouted``."""
    model: str
    """The model of the conversation's first turn that has one, else ``none``."""
    outcome: str = "open"
    """resolved, escalated, abandoned, unresolved (a resolved claim the rules reject) or open."""
    claimed_resolved: bool = False
    evidence: str | None = None
    """Why a resolved claim holds: ``write``, ``read`` or ``person``; None when nothing supports it."""
    escalated: bool = False
    escalation_rule: str | None = None
    human_involved: bool = False
    reopened_by: str | None = None
    """The later conversation that reopened this one."""
    fcr: bool = False
    first_reply_s: float | None = None
    resolution_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    usage_by_model: dict[str, list[float]] = field(default_factory=dict)
    """model -> [prompt tokens, completion tokens, cost] of this conversation's turns."""
    sentiments: Counter = field(default_factory=Counter)
    orders: set[str] = field(default_factory=set)
    rating: int | None = None
    rated_on: date | None = None


def conversation_facts(records: Records, window: timedelta = REOPEN_WINDOW) -> list[ConversationFacts]:
    """Apply the rules below to every conversation in ``records``, oldest first.

    Escalated: an ``EscalationRaised`` event, status ``escalated`` or outcome ``escalated``;
    its rule is the first ``EscalationRaised.rule`` (``manual`` by hand), else ``unrecorded``.

    Human involved: ``handled_by = 'human'``, any message with role ``human``, or escalated.

    A resolved claim (outcome ``resolved``) holds when one piece of evidence supports it:

    - ``write``: the conversation asked for an action (a write tool was tried: create_return,
      issue_refund, cancel_order, change_shipping_address, update_account, send_login_link) and
      the last attempt of every write tool tried finished ``ok``;
    - ``read``: no write was tried, a sent ai reply exists, and either a read tool finished ``ok``
      (not a case-fact lookup made for a hand-off, ids ``case_*``) or a reply drew on KB snippets;
    - ``person``: a person took part (human messages or ``handled_by = 'human'``): their close stands;

    and the conversation was not reopened: no later conversation of the same customer created
    after it and at most ``window`` (72 h) after it ended, on the same topic: sharing an order
    number (tool arguments or customer text), or, when either names no order, the same specialist.

    Outcome, first match wins: resolved (claim holds) > escalated > unresolved (claim rejected)
    > abandoned > open. First-contact resolution: outcome resolved, no human involved, not reopened.

    First reply: the first customer message to the first ``sent`` ai/human message after it.
    Resolution time: ``created_at`` to ``closed_at`` of resolved conversations.
    """
    by_conv = {name: _group(rows) for name, rows in records.items() if name != "conversations"}
    facts = [_facts(row, by_conv) for row in records["conversations"]]
    _mark_reopens(facts, window)
    for f in facts:
        _decide(f)
    return facts


def _group(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["conversation_id"], []).append(row)
    return grouped


def _facts(row: dict[str, Any], by_conv: dict[str, dict[str, list[dict[str, Any]]]]) -> ConversationFacts:
    cid = row["id"]
    messages, turns = by_conv["messages"].get(cid, []), by_conv["turns"].get(cid, [])
    events = [(e["kind"], json.loads(e["data"])) for e in by_conv["events"].get(cid, [])]
    routed = next((d["agent"] for k, d in events if k == "route_decided"), None)
    f = ConversationFacts(
        id=cid, customer_id=row["customer_id"], created=parse_time(row["created_at"]),  # type: ignore[arg-type]
        ended=parse_time(row["closed_at"]), is_fixture=bool(row["is_fixture"]),
        specialist=routed or row["agent"] or "unrouted",
        model=next((t["model"] for t in turns if t["model"]), None) or "none",
    )
    for t in turns:
        usage = f.usage_by_model.setdefault(t["model"] or "none", [0, 0, 0.0])
        usage[0] += t["prompt_tokens"]
        usage[1] += t["completion_tokens"]
        usage[2] += t["cost_usd"]
    f.prompt_tokens = sum(int(u[0]) for u in f.usage_by_model.values())
    f.completion_tokens = sum(int(u[1]) for u in f.usage_by_model.values())
    f.cost_usd = sum(u[2] for u in f.usage_by_model.values())
    rules = [d.get("rule") for k, d in events if k == "escalation_raised"]
    f.escalated = bool(rules) or row["status"] == "escalated" or row["outcome"] == "escalated"
    f.escalation_rule = (rules[0] or "unrecorded") if rules else ("unrecorded" if f.escalated else None)
    f.human_involved = row["handled_by"] == "human" or any(m["role"] == "human" for m in messages) or f.escalated
    f.claimed_resolved = row["outcome"] == "resolved"
    f.outcome = row["outcome"] or "open"
    f.sentiments = Counter(d["label"] for k, d in events if k == "sentiment_scored")
    f.orders = {d["arguments"]["order_id"] for k, d in events
                if k == "tool_call_finished" and isinstance(d.get("arguments", {}).get("order_id"), str)}
    f.orders |= {o for m in messages if m["role"] == "customer" for o in order_ids(m["text"])}
    f.evidence = _evidence(row, messages, events)
    f.first_reply_s = _first_reply(messages)
    for rating in by_conv["ratings"].get(cid, []):
        f.rating, f.rated_on = int(rating["score"]), parse_time(rating["created_at"]).date()  # type: ignore[union-attr]
    return f


def _evidence(row: dict[str, Any], messages: list[dict], events: list[tuple[str, dict]]) -> str | None:
    calls = [d for k, d in events if k == "tool_call_finished"]
    last_write: dict[str, str] = {}
    for call in calls:
        if call["name"] in WRITE_TOOLS:
            last_write[call["name"]] = call["status"]
    if last_write and all(status == "ok" for status in last_write.values()):
        return "write"
    if not last_write and any(m["role"] == "ai" and m["status"] == "sent" for m in messages):
        read_ok = any(
            c["status"] == "ok" and c["name"] not in WRITE_TOOLS | HAND_OFF_TOOLS
            and not str(c.get("call_id", "")).startswith("case_")
            for c in calls
        )
        drew_on_kb = any(k == "reply_completed" and d.get("used_snippets") for k, d in events)
        if read_ok or drew_on_kb:
            return "read"
    if row["handled_by"] == "human" or any(m["role"] == "human" for m in messages):
        return "person"
    return None


def _first_reply(messages: list[dict[str, Any]]) -> float | None:
    first = next((m for m in messages if m["role"] == "customer"), None)
    if first is None:
        return None
    reply = next((m for m in messages if m["id"] > first["id"] and m["role"] in ("ai", "human") and m["status"] == "sent"), None)
    if reply is None:
        return None
    return max(0.0, (parse_time(reply["created_at"]) - parse_time(first["created_at"])).total_seconds())  # type: ignore[operator]


def _mark_reopens(facts: list[ConversationFacts], window: timedelta) -> None:
    by_customer: dict[str, list[ConversationFacts]] = {}
    for f in facts:
        by_customer.setdefault(f.customer_id, []).append(f)
    for convs in by_customer.values():
        for i, earlier in enumerate(convs):
            if earlier.ended is None:
                continue
            for later in convs[i + 1:]:
                if later.created <= earlier.created or later.created - earlier.ended > window:
                    continue
                if later.created >= earlier.ended and _same_topic(earlier, later):
                    earlier.reopened_by = later.id
                    break


def _same_topic(a: ConversationFacts, b: ConversationFacts) -> bool:
    if a.orders and b.orders:
        return bool(a.orders & b.orders)
    return a.specialist == b.specialist


def _decide(f: ConversationFacts) -> None:
    holds = f.claimed_resolved and f.evidence is not None and f.reopened_by is None
    if holds:
        f.outcome = "resolved"
    elif f.escalated:
        f.outcome = "escalated"
    elif f.claimed_resolved:
        f.outcome = "unresolved"
    elif f.outcome != "abandoned":
        f.outcome = "open"
    f.fcr = holds and not f.human_involved
    if holds and f.ended is not None:
        f.resolution_s = max(0.0, (f.ended - f.created).total_seconds())

