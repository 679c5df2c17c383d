"""Northwind's offline skill: its specialists' flows, the words for its tools' results, its statuses and money."""

from __future__ import annotations

from typing import Any, Mapping

from support_tui.core.shop.offline import Act, Flow, OfflineSkill, OwnTurn, Request, SeenCall

from . import flows
from .choices import choices
from .facts import RENDERERS
from .words import (DEVICE_WORDS, HELP_AREAS, PRODUCT_WORDS, SPECIALIST_QUESTIONS, SPECIALIST_TOPICS,
                    STATUS_WORDS, money)

_FLOWS: dict[str, Flow] = {
    "order_tracking": flows.order_tracking,
    "returns_refunds": flows.returns_refunds,
    "product_info": flows.product_info,
    "billing_payment": flows.billing_payment,
    "technical_support": flows.technical_support,
    "account_management": flows.account_management,
    "escalation_manager": flows.escalation_manager,
}

_GUESS = (("order_tracking", "track_shipment"), ("returns_refunds", "check_return_eligibility"),
          ("product_info", "search_products"), ("billing_payment", "explain_charges"),
          ("technical_support", "send_login_link"), ("account_management", "update_account"))
"""With no specialist named: the flow of the first specialist whose key tool is on offer."""

_ANSWERED_BY: dict[str, frozenset[str]] = {
    "order_tracking": frozenset({"track_shipment", "lookup_order"}),
    "returns_refunds": frozenset({"list_returns", "check_return_eligibility"}),
    "product_info": frozenset({"get_product"}),
    "billing_payment": frozenset({"explain_charges"}),
    "account_management": frozenset({"get_account"}),
}
"""The read-only look-ups that answer a request of each kind; a specialist offered one of them answers
such a request itself. A technical problem is answered from the knowledge base, or by its specialist."""

_FLOW_REQUESTS: dict[str, frozenset[str]] = {
    "track_order": frozenset({"track"}), "order_history": frozenset({"order_history"}),
    "cancel_order": frozenset({"cancel"}),
    "change_delivery_address": frozenset({"change_address"}), "return_item": frozenset({"return"}),
    "exchange_item": frozenset({"exchange"}), "refund_status": frozenset({"refund_status"}),
    "charges": frozenset({"charge"}), "product_question": frozenset({"product_question"}),
    "password_reset": frozenset({"password"}), "change_account_details": frozenset(),
}
"""The request each flow the intent layer names (``intents.toml``) starts its specialist's flow with."""

_FLOW_DETAILS: dict[str, frozenset[str]] = {
    "track_order": frozenset({"track"}), "order_history": frozenset({"order_history"}),
    "cancel_order": frozenset({"cancel"}),
    "change_delivery_address": frozenset({"change_address"}),
    "return_item": frozenset({"return", "defective", "refund"}), "exchange_item": frozenset({"exchange", "defective"}),
    "refund_status": frozenset({"refund_status"}), "charges": frozenset({"charge", "duplicate_charge", "refund"}),
    "product_question": frozenset({"product_question", "compatible"}), "password_reset": frozenset({"password", "login"}),
    "change_account_details": frozenset({"change_name", "change_email", "change_phone", "change_address"}),
}
"""The words of a message that refine each flow (a duplicate charge, a defect as the reason for a return);
any other request the words seem to make ("returned" in "I returned it, where is my refund?") is not the
flow's: the intent layer decided which request the message makes."""

_POLICY = {
    "return_window": "it is outside our return window", "cancel_before_shipping": "it has already shipped",
    "address_before_shipping": "it has already shipped", "refund_cap": "that is more than can still be refunded on it",
}
"""Why a shop rule stopped a call, in the customer's words."""

_DONE_AS = {"cancel_order": "cancelled", "change_shipping_address": "re-addressed",
            "create_return": "returned", "issue_refund": "refunded"}


class NorthwindSkill:
    """The offline model's Northwind part."""

    name = "northwind"
    confirm_tools = frozenset({"create_return", "issue_refund", "cancel_order", "change_shipping_address", "update_account"})
    read_tools = frozenset({"lookup_order", "list_orders", "track_shipment", "list_returns", "check_return_eligibility",
                            "search_products", "get_product", "explain_charges", "get_billing_history", "get_account"})
    topic_words: frozenset[str] = frozenset({"northwind", "plus"})  # Northwind Plus, its membership
    status_words: Mapping[str, str] = STATUS_WORDS
    flow_requests: Mapping[str, frozenset[str]] = _FLOW_REQUESTS
    flow_details: Mapping[str, frozenset[str]] = _FLOW_DETAILS
    product_words: tuple[str, ...] = PRODUCT_WORDS
    device_words: tuple[str, ...] = DEVICE_WORDS
    help_areas = HELP_AREAS
    specialist_questions: Mapping[str, str] = SPECIALIST_QUESTIONS
    specialist_topics: Mapping[str, str] = SPECIALIST_TOPICS

    def money(self, amount: Any, currency: Any = None) -> str:
        return money(amount, currency)

    def flow(self, specialist: str, request: Request) -> Flow | None:
        if specialist in _FLOWS:
            return _FLOWS[specialist]
        return next((_FLOWS[name] for name, key in _GUESS if request.offers(key)), None)

    def answered_by(self, specialist: str) -> frozenset[str]:
        return _ANSWERED_BY.get(specialist, frozenset())

    def facts(self, outcome: SeenCall, request: Request, wanted: frozenset[str]) -> list[Act] | None:
        render = RENDERERS.get(outcome.name)
        if render is None:
            return None
        if outcome.name == "search_products" and request.last("get_product"):
            return []
        if outcome.name == "list_orders":
            others = any(x.ok and x.name not in ("list_orders", "get_account") for x in request.outcomes)
            return [] if others else choices(request, outcome, wanted)
        return [Act("answer", s) for s in render(outcome, request)]

    def blocked(self, outcome: SeenCall) -> str | None:
        if outcome.rule == "refund_cap" and outcome.error:
            return f"I'm sorry, I can't refund that much: {str(outcome.error).strip()}"
        oid, why = outcome.arguments.get("order_id"), _POLICY.get(str(outcome.rule))
        if oid and why:
            return f"I'm sorry, order {oid} can't be {_DONE_AS.get(outcome.name, 'changed')} because {why}."
        return None

    def own_turn(self, request: Request) -> OwnTurn | None:
        return None


def _is_a_skill(skill: NorthwindSkill) -> OfflineSkill:
    return skill  # mypy checks the structural fit
