"""The store tools the specialists call: their schemas for the model and ``run_tool``, policy included."""

from __future__ import annotations

import copy
import functools

import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable

from pydantic import BaseModel, ValidationError

from support_tui.shops.northwind import actions, policy, queries
from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext, ToolError, ToolOutcome
from support_tui.shops.northwind.policy import RULES

log = logging.getLogger(__name__)

__all__ = ["RULES", "TOOLS", "TOOL_NAMES", "ToolContext", "ToolOutcome", "ToolSpec", "run_tool", "tool_schemas"]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what the model is told, its arguments and what runs it."""

    name: str
    description: str
    args: type[BaseModel]
    run: Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]

    @property
    def writes(self) -> bool:
        return self.name in policy.CONSEQUENTIAL

    def schema(self) -> dict[str, Any]:
        """The OpenAI function-calling form of this tool."""
        params = _strip_titles(self.args.model_json_schema())
        params.setdefault("properties", {})
        params["additionalProperties"] = False
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": params}}


def _strip_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_titles(v) for k, v in node.items() if k != "title" or not isinstance(v, str)}
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


_SPECS = (
    ToolSpec("lookup_order", "Look up one of the customer's orders: status, items, totals, carrier, tracking number, delivery dates and address.", a.LookupOrder, queries.lookup_order),
    ToolSpec("list_orders", "List the customer's recent orders, newest first, optionally only those in one status.", a.ListOrders, queries.list_orders),
    ToolSpec("track_shipment", "Carrier tracking of an order: tracking number, estimated delivery and every scan so far.", a.TrackShipment, queries.track_shipment),
    ToolSpec("search_products", "Search the catalogue by keywords (name, category, specs, compatibility).", a.SearchProducts, queries.search_products),
    ToolSpec("get_product", "Full details of one product: specs, compatibility, warranty, stock and variants (sizes, colours).", a.GetProduct, queries.get_product),
    ToolSpec("check_return_eligibility", "Whether an order (or one item of it) can be returned, why, and how much would be refunded.", a.CheckReturnEligibility, queries.check_return_eligibility),
    ToolSpec("create_return", "Start a return (refund or exchange) and send a prepaid label. Needs the customer's confirmation first.", a.CreateReturn, actions.create_return),
    ToolSpec("list_returns", "The customer's returns (RMA numbers, status) and refunds, optionally for one order.", a.ListReturns, queries.list_returns),
    ToolSpec("issue_refund", "Refund money on an order (for example a duplicate charge). Needs the customer's confirmation first.", a.IssueRefund, actions.issue_refund),
    ToolSpec("cancel_order", "Cancel an order that has not shipped yet; anything paid is refunded. Needs the customer's confirmation first.", a.CancelOrder, actions.cancel_order),
    ToolSpec("change_shipping_address", "Change where an order that has not shipped yet will be delivered. Needs the customer's confirmation first.", a.ChangeShippingAddress, actions.change_shipping_address),
    ToolSpec("explain_charges", "The customer's card charges, with possible duplicate charges detected, optionally for one order.", a.ExplainCharges, queries.explain_charges),
    ToolSpec("get_billing_history", "Recent charges, refunds and the saved payment methods (brand and last 4 digits).", a.GetBillingHistory, queries.get_billing_history),
    ToolSpec("get_account", "The customer's account: name, email, phone, tier, addresses and preferences.", a.GetAccount, queries.get_account),
    ToolSpec("update_account", "Change the customer's name, email, phone or default address. Needs the customer's confirmation first.", a.UpdateAccount, actions.update_account),
    ToolSpec("send_login_link", "Email the customer a password-reset link or a one-time sign-in (magic) link.", a.SendLoginLink, actions.send_login_link),
    ToolSpec("transfer_to_specialist", "Hand the conversation to another specialist when the request is theirs.", a.TransferToSpecialist, actions.transfer_to_specialist),
    ToolSpec("escalate_to_human", "Hand the case to a human colleague (angry customer, legal or safety issue, request for a person, repeated failure).", a.EscalateToHuman, actions.escalate_to_human),
)

TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in _SPECS}
TOOL_NAMES: tuple[str, ...] = tuple(TOOLS)
"""Every tool name, in a stable order."""


def tool_schemas(names: Iterable[str]) -> list[dict[str, Any]]:
    """OpenAI-format schemas of the named tools (unknown names are skipped)."""
    return [copy.deepcopy(_schema(name)) for name in names if name in TOOLS]


@functools.lru_cache(maxsize=None)
def _schema(name: str) -> dict[str, Any]:
    # Building a JSON schema from a pydantic model costs ~2 ms; every model call needs them.
    return TOOLS[name].schema()


def _parse_arguments(arguments: dict | str | None) -> dict[str, Any]:
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ToolError(f"The arguments are not valid JSON ({exc.msg} at position {exc.pos}).") from None
    if not isinstance(arguments, dict):
        raise ToolError("The arguments must be a JSON object.")
    return arguments


def _explain(name: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        problems.append(f"{where}: {err['msg']}")
    return f"Invalid arguments for {name}: " + "; ".join(problems)


async def run_tool(name: str, arguments: dict | str, ctx: ToolContext, *, approved: bool = False) -> ToolOutcome:
    """Validate, scope, apply the policies and run one tool call. Never raises for bad input.

    ``approved=True`` means a person approved the call: only the human-approval rule is skipped.
    """
    spec = TOOLS.get(name)
    if spec is None:
        return ToolOutcome(status="error", error=f"Unknown tool '{name}'. Available tools: {', '.join(TOOL_NAMES)}.")
    try:
        args = spec.args.model_validate(_parse_arguments(arguments))
    except ToolError as exc:
        return ToolOutcome(status="error", error=str(exc))
    except ValidationError as exc:
        return ToolOutcome(status="error", error=_explain(name, exc))
    try:
        if spec.writes:
            verdict = await policy.evaluate(name, args, ctx, approved=approved)
            if verdict is not None:
                return ToolOutcome(status=verdict.status, error=verdict.message, rule=verdict.rule)
        result = await spec.run(ctx, args)
        if spec.writes:
            policy.settle(name, args, ctx)
        return ToolOutcome(status="ok", result=result)
    except ToolError as exc:
        return ToolOutcome(status="error", error=str(exc))
    except Exception as exc:  # a bug or a database fault must not end the turn
        log.exception("tool %s failed", name)
        return ToolOutcome(status="error", error=f"The {name} tool failed unexpectedly ({type(exc).__name__}).")
