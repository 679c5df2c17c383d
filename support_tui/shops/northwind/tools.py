"""Northwind's tools: what the model is told, their typed arguments, how careful to be, what runs them."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from pydantic import BaseModel

from support_tui.core.shop import ShopTool
from support_tui.shops.northwind import actions, queries
from support_tui.shops.northwind import args as a
from support_tui.shops.northwind.context import ToolContext

Runner = Callable[[ToolContext, Any], Awaitable[dict[str, Any]]]


def _read(name: str, description: str, args: type[BaseModel]) -> ShopTool:
    return ShopTool(name, description, args)


def _write(name: str, description: str, args: type[BaseModel], *, money: bool = False, confirm: bool = True) -> ShopTool:
    return ShopTool(name, description, args, writes=True, consequential=confirm, moves_money=money)


TOOLS: dict[str, ShopTool] = {t.name: t for t in (
    _read("lookup_order", "Look up one of the customer's orders: status, items, totals, carrier, tracking number, delivery dates and address.", a.LookupOrder),
    _read("list_orders", "List the customer's recent orders, newest first, optionally only those in one status.", a.ListOrders),
    _read("track_shipment", "Carrier tracking of an order: tracking number, estimated delivery and every scan so far.", a.TrackShipment),
    _read("search_products", "Search the catalogue by keywords (name, category, specs, compatibility).", a.SearchProducts),
    _read("get_product", "Full details of one product: specs, compatibility, warranty, stock and variants (sizes, colours).", a.GetProduct),
    _read("check_return_eligibility", "Whether an order (or one item of it) can be returned, why, and how much would be refunded.", a.CheckReturnEligibility),
    _write("create_return", "Start a return (refund or exchange) and send a prepaid label. Needs the customer's confirmation first.", a.CreateReturn, money=True),
    _read("list_returns", "The customer's returns (RMA numbers, status) and refunds, optionally for one order.", a.ListReturns),
    _write("issue_refund", "Refund money on an order (for example a duplicate charge). Needs the customer's confirmation first.", a.IssueRefund, money=True),
    _write("cancel_order", "Cancel an order that has not shipped yet; anything paid is refunded. Needs the customer's confirmation first.", a.CancelOrder),
    _write("change_shipping_address", "Change where an order that has not shipped yet will be delivered. Needs the customer's confirmation first.", a.ChangeShippingAddress),
    _read("explain_charges", "The customer's card charges, with possible duplicate charges detected, optionally for one order.", a.ExplainCharges),
    _read("get_billing_history", "Recent charges, refunds and the saved payment methods (brand and last 4 digits).", a.GetBillingHistory),
    _read("get_account", "The customer's account: name, email, phone, tier, addresses and preferences.", a.GetAccount),
    _write("update_account", "Change the customer's name, email, phone or default address. Needs the customer's confirmation first.", a.UpdateAccount),
    _write("send_login_link", "Email the customer a password-reset link or a one-time sign-in (magic) link.", a.SendLoginLink, confirm=False),
)}
"""Every tool by name, in a stable order."""

TOOL_NAMES: tuple[str, ...] = tuple(TOOLS)

RUNNERS: dict[str, Runner] = {
    "lookup_order": queries.lookup_order,
    "list_orders": queries.list_orders,
    "track_shipment": queries.track_shipment,
    "search_products": queries.search_products,
    "get_product": queries.get_product,
    "check_return_eligibility": queries.check_return_eligibility,
    "create_return": actions.create_return,
    "list_returns": queries.list_returns,
    "issue_refund": actions.issue_refund,
    "cancel_order": actions.cancel_order,
    "change_shipping_address": actions.change_shipping_address,
    "explain_charges": queries.explain_charges,
    "get_billing_history": queries.get_billing_history,
    "get_account": queries.get_account,
    "update_account": actions.update_account,
    "send_login_link": actions.send_login_link,
}
"""What runs each tool once it passed every rule."""

SPECIALIST_TOOLS: dict[str, tuple[str, ...]] = {
    "order_tracking": ("lookup_order", "list_orders", "track_shipment", "cancel_order", "change_shipping_address"),
    "returns_refunds": ("lookup_order", "list_orders", "check_return_eligibility", "create_return", "list_returns", "issue_refund"),
    "product_info": ("search_products", "get_product", "list_orders"),
    "billing_payment": ("explain_charges", "get_billing_history", "lookup_order", "list_orders", "issue_refund"),
    "technical_support": ("get_account", "send_login_link"),
    "account_management": ("get_account", "update_account", "change_shipping_address"),
    "escalation_manager": ("lookup_order", "list_orders", "explain_charges", "get_billing_history", "list_returns", "get_account"),
}
"""Which of the shop's tools each specialist may call."""
