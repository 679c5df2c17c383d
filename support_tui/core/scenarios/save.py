"""A recorded conversation saved as a scenario file: its steps, what the engine did in each, and the shop after it.

What is written, from the conversation's trace (read through the engine's interface only):

- one step per customer message (its first run; a person's route choice becomes ``route_override``),
  and one per decision a person made on a waiting call (approve, or deny with the reason);
- per step: the route, the specialist that answered, every shop tool called with its last status and
  arguments, the first rule that stopped a call, the escalation and its rule, the turn's status;
- reply checks: the amounts ($32.39) and identifiers (ORD-67890) the reply that was sent quotes. A
  person's edited draft is what was sent, so it is the expected reply; ``expected_reply`` replaces the
  last step's;
- the shop after the conversation, through read tools, for each record a successful write touched
  (read from the live shop when saving: a scenario runs on a fresh store, so the values hold when this
  conversation was the only one to write to those records).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from support_tui.core.events import (
    ConversationChanged,
    EscalationRaised,
    Event,
    HandoffMade,
    ReplyCompleted,
    RouteDecided,
    ToolCallFinished,
    TurnCompleted,
    TurnStarted,
)
from support_tui.core.scenarios.check import _MISSING, select
from support_tui.core.scenarios.model import ApproveStep, CustomerStep, DenyStep, FinalExpect, ReadCheck, Scenario, ShopRead, TurnExpect, scenarios_dir

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine

FACT = re.compile(r"\$\d[\d,]*(?:\.\d{2})?|\b[A-Z]{2,5}-\d{3,}[A-Z0-9-]*\b")
"""What a reply check keeps from a reply: money and identifiers, the words that must not change."""


def reply_facts(text: str) -> list[str]:
    """The amounts and identifiers a reply quotes, each once, in order."""
    return list(dict.fromkeys(FACT.findall(text or "")))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "saved"


def _turns(trace: Sequence[Event]) -> list[list[Event]]:
    """The trace cut into turns, in order."""
    turns: dict[str, list[Event]] = {}
    for e in trace:
        turns.setdefault(e.turn_id, []).append(e)
    return list(turns.values())


def _expect(events: Sequence[Event], shop_tools: set[str], reply: str | None, generated: set[str]) -> TurnExpect:
    route = next((e for e in events if isinstance(e, RouteDecided)), None)
    calls = [e for e in events if isinstance(e, ToolCallFinished) and e.name in shop_tools]
    stopped = next((e for e in calls if e.status in ("blocked", "pending_approval") and e.rule), None)
    escalation = next((e for e in events if isinstance(e, EscalationRaised)), None)
    handoff = next((e for e in events if isinstance(e, HandoffMade)), None)
    answered = next((e for e in reversed(events) if isinstance(e, ReplyCompleted)), None)
    done = next((e for e in events if isinstance(e, TurnCompleted)), None)
    status: dict[str, Any] = {}
    arguments: dict[str, dict[str, Any]] = {}
    for call in calls:
        status[call.name] = call.status
        arguments[call.name] = dict(call.arguments)
    return TurnExpect(
        route=route.agent if route else None,
        agent=answered.agent if answered and answered.agent else None,
        handoff_to=handoff.packet.to_agent if handoff else None,
        tools_called=list(dict.fromkeys(c.name for c in calls)),
        tool_status=status,
        tool_args=arguments,
        blocked_rule=stopped.rule if stopped else None,
        escalated=escalation is not None,
        escalation_rule=escalation.rule if escalation else None,
        reply_contains=[f for f in reply_facts(reply or "") if f not in generated],
        status=done.status if done and done.status != "cancelled" else None,  # type: ignore[arg-type]
    )


def _final_checks(calls: Sequence[ToolCallFinished]) -> list[ReadCheck]:
    """Reads that show what the conversation's successful writes changed (the demo shop's tools), without values yet.

    Only fields a replay reproduces are checked: statuses, amounts, addresses, account values; never the
    ids and timestamps a write generates (a new RMA number each run).
    """
    checks: list[ReadCheck] = []
    for call in calls:
        if call.status != "ok":
            continue
        order = call.arguments.get("order_id")
        if call.name in ("create_return", "issue_refund") and order:
            returns = ShopRead(tool="list_returns", arguments={"order_id": order}, path="returns")
            refunds = ShopRead(tool="list_returns", arguments={"order_id": order}, path="refunds")
            checks += [ReadCheck(read=returns, pick="status", equals=None), ReadCheck(read=returns, pick="amount", equals=None),
                       ReadCheck(read=refunds, pick="amount", equals=None)]
        elif call.name in ("cancel_order", "change_shipping_address") and order:
            for path in ("order.status", "order.shipping_address"):
                checks.append(ReadCheck(read=ShopRead(tool="lookup_order", arguments={"order_id": order}, path=path), equals=None))
        elif call.name == "update_account":
            field = str(call.arguments.get("field"))
            if field == "address":
                read = ShopRead(tool="get_account", path="customer.addresses")
                checks.append(ReadCheck(read=read, where={"is_default": True}, pick="street", equals=None))
            else:
                checks.append(ReadCheck(read=ShopRead(tool="get_account", path=f"customer.{field}"), equals=None))
    unique = {json.dumps(c.model_dump(), sort_keys=True): c for c in checks}
    return list(unique.values())


def _value(check: ReadCheck, result: Any) -> Any:
    value = select(result, check.read.path)
    if value is _MISSING or (check.where or check.pick) and not isinstance(value, list):
        return _MISSING
    if check.where:
        value = [item for item in value if all(select(item, k) == v for k, v in check.where.items())]
    if check.pick:
        value = [select(item, check.pick) for item in value]
    return value


def _generated(calls: Sequence[ToolCallFinished]) -> set[str]:
    """Identifiers that successful writes made up (they differ on every run), as reply facts."""
    made = set(FACT.findall(json.dumps([c.result for c in calls if c.status == "ok"], default=str)))
    given = set(FACT.findall(json.dumps([c.arguments for c in calls], default=str)))
    return {f for f in made - given if not f.startswith("$")}


async def scenario_from_conversation(
    engine: "SupportEngine", conversation_id: str, *, name: str | None = None, expected_reply: str | None = None,
) -> Scenario:
    """The conversation as a scenario (see the module's docstring); LookupError for an unknown conversation."""
    conv = await engine.get_conversation(conversation_id)
    trace = await engine.trace(conversation_id)
    sent = {m.id: m.text for m in await engine.messages(conversation_id) if m.role == "ai" and m.status == "sent"}
    from support_tui.shops.northwind.tools import TOOL_NAMES  # scenario files name the demo shop's tools

    shop_tools = set(TOOL_NAMES)
    steps: list[CustomerStep | ApproveStep | DenyStep] = []
    seen: set[int] = set()
    writes = [e for e in trace if isinstance(e, ToolCallFinished) and e.name in shop_tools]
    generated = _generated(writes)
    for events in _turns(trace):
        start = next((e for e in events if isinstance(e, TurnStarted)), None)
        if start is None:
            continue
        replies = [e for e in events if isinstance(e, ReplyCompleted)]
        reply = sent.get(replies[-1].message_id, replies[-1].text) if replies else None
        if start.actor == "customer" and start.message_id is not None and start.message_id not in seen:
            seen.add(start.message_id)
            route = next((e for e in events if isinstance(e, RouteDecided)), None)
            override = route.agent if route is not None and route.method == "override" else None
            steps.append(CustomerStep(customer=start.text, route_override=override, expect=_expect(events, shop_tools, reply, generated)))
            continue
        decision = next((e for e in events if isinstance(e, ConversationChanged) and e.change in ("call_approved", "call_denied")), None)
        if decision is not None:
            expect = _expect(events, shop_tools, reply, generated)
            if decision.change == "call_approved":
                steps.append(ApproveStep(approve_pending=True, expect=expect))
            else:
                reason = decision.detail.split(": ", 1)[1] if ": " in decision.detail else "declined"
                steps.append(DenyStep(deny_pending=reason, expect=expect))
    if not steps:
        raise LookupError(f"conversation {conversation_id} has no customer turn to save")
    if expected_reply is not None:
        last = steps[-1]
        steps[-1] = last.model_copy(update={"expect": last.expect.model_copy(update={"reply_contains": [f for f in reply_facts(expected_reply) if f not in generated]})})
    checks = []
    for check in _final_checks(writes):
        outcome = await engine.read_shop(conv.customer_id, check.read.tool, check.read.arguments)
        value = _value(check, outcome.result) if outcome.status == "ok" else None
        if value is not None and value is not _MISSING:
            checks.append(check.model_copy(update={"equals": value}))
    first = next((s.customer for s in steps if isinstance(s, CustomerStep)), "a saved conversation")
    agents = sorted({s.expect.route for s in steps if s.expect.route})
    return Scenario(
        id=_slug(name or f"saved-{conversation_id}"),
        title=first[:80],
        description=f"Saved from conversation {conversation_id}" + (" with a person's expected reply." if expected_reply else "."),
        customer_id=conv.customer_id,
        mode="supervised" if conv.mode == "supervised" else "auto",
        tags=["saved", *agents],
        steps=steps,
        expect_final=FinalExpect(shop=checks),
    )


def write_scenario(scenario: Scenario, folder: Path | None = None, *, overwrite: bool = False) -> Path:
    """Write ``<folder>/<id>.json`` (default: fixtures/scenarios); FileExistsError unless ``overwrite``."""
    folder = folder or scenarios_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{scenario.id}.json"
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists (choose another --name, or --force)")
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
