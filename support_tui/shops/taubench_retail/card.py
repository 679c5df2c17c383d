"""A tau-bench user as the console shows them, and tool results and writes told in words."""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from support_tui.core.shop import CardOrder, CustomerCard, CustomerSummary, ToolCall, ToolOutcome
from support_tui.shops.taubench_retail.data import Record
from support_tui.shops.taubench_retail.words import (
    address_words, full_name, item_words, method_words, money, order_total, paid, status_words,
)

ORDER_ID = re.compile(r"#W\d{7}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def summary(user_id: str, user: Record, orders: list[Record] | None = None) -> CustomerSummary:
    """The picker's line for a user (lifetime value: what their orders were paid, net of refunds)."""
    value = round(sum(paid(o) for o in orders), 2) if orders is not None else None
    return CustomerSummary(id=user_id, name=full_name(user), email=user.get("email"), lifetime_value=value)


def visitor(customer_id: str) -> CustomerSummary:
    """Someone not identified yet: no name, no orders."""
    return CustomerSummary(id=customer_id, name="Customer (not identified yet)")


def card(user_id: str, user: Record, orders: list[Record]) -> CustomerCard:
    """The customer card: name, email, address, payment methods and every order with its status in words."""
    recent = [CardOrder(order_id=o["order_id"], status=status_words(o["status"]), total=order_total(o)) for o in orders]
    facts = [f"Address: {address_words(user['address'])}"]
    facts += [f"Pays with: {method_words(user, method_id)}" for method_id in user.get("payment_methods", {})]
    facts += [f"{o['order_id']}: {', '.join(item_words(i) for i in o['items'])}" for o in orders]
    return CustomerCard(customer=summary(user_id, user, orders), recent_orders=recent, facts=facts)


def case_facts(text: str) -> list[ToolCall]:
    """Look-ups for the orders and the email a message names."""
    calls = [ToolCall(tool="get_order_details", arguments={"order_id": oid}) for oid in dict.fromkeys(ORDER_ID.findall(text))]
    email = EMAIL.search(text)
    if email:
        calls.insert(0, ToolCall(tool="find_user_id_by_email", arguments={"email": email.group(0)}))
    return calls


def fact_lines(tool: str, result: Any) -> list[str]:
    """What a successful read found, in words (results are tau-bench's text; other values say nothing)."""
    if not isinstance(result, str) or not result or result.startswith("Error"):
        return []
    if tool in ("find_user_id_by_email", "find_user_id_by_name_zip"):
        return [f"The user's id is {result}."]
    if tool not in ("get_order_details", "get_user_details", "get_product_details"):
        return []
    try:
        record = json.loads(result)
    except ValueError:
        return []
    if tool == "get_order_details":
        items = ", ".join(item_words(i) for i in record.get("items", []))
        return [f"Order {record.get('order_id')} is {status_words(record.get('status', ''))} ('{record.get('status')}'): {items}; "
                f"{money(order_total(record))}."]
    if tool == "get_user_details":
        return [f"{full_name(record)} ({record.get('email')}), {len(record.get('orders', []))} orders, "
                f"address {address_words(record.get('address', {}))}."]
    variants = record.get("variants", {}).values()
    available = [v["price"] for v in variants if v.get("available")]
    span = f", {money(min(available))}-{money(max(available))}" if available else ""
    return [f"{record.get('name')}: {len(available)} of {len(variants)} variants available{span}."]


_ACTIONS = {
    "cancel_pending_order": ("Cancelled order {order_id} ({reason})", "cancel order {order_id}"),
    "modify_pending_order_address": ("Changed the shipping address of order {order_id}", "change the address of order {order_id}"),
    "modify_pending_order_payment": ("Moved order {order_id}'s payment to {payment_method_id}", "change the payment of order {order_id}"),
    "modify_pending_order_items": ("Changed {n} item(s) of order {order_id}", "change items of order {order_id}"),
    "return_delivered_order_items": ("Started a return of {n} item(s) from order {order_id}, refund to {payment_method_id}",
                                     "return items of order {order_id}"),
    "exchange_delivered_order_items": ("Started an exchange of {n} item(s) from order {order_id}", "exchange items of order {order_id}"),
    "modify_user_address": ("Changed {user_id}'s default address", "change {user_id}'s default address"),
    "transfer_to_human_agents": ("Handed the user to a human agent", "hand the user to a human agent"),
}


def action_line(tool: str, arguments: Mapping[str, Any], outcome: ToolOutcome) -> str | None:
    """What a write did, or why it did not, in one line; None for reads."""
    forms = _ACTIONS.get(tool)
    if forms is None:
        return None
    values = {"order_id": "", "reason": "", "payment_method_id": "", "user_id": "", **arguments,
              "n": len(arguments.get("item_ids") or [])}
    if outcome.status == "ok":
        return forms[0].format(**values) + "."
    if outcome.status == "pending_approval":
        return f"Waiting for approval to {forms[1].format(**values)}."
    return f"Could not {forms[1].format(**values)}: {outcome.error or outcome.rule or outcome.status}"
