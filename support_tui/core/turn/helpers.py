"""Small pieces of a turn: which facts to gather before escalating, which snippets a reply used."""

from __future__ import annotations

import re
from typing import Any, Sequence

from support_tui.core.events import Snippet

_ORDER_ID = re.compile(r"\b(?:ORD-?)?(\d{5})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_STOP = set("this that with from your have will when what which there their about into them they then than been were "
            "also just only more most some such very over here please thank thanks could would should".split())


def order_ids(text: str) -> list[str]:
    """Order numbers mentioned in a message (``ORD-67890``, ``#67890``)."""
    return [f"ORD-{m}" for m in dict.fromkeys(_ORDER_ID.findall(text))]


def CASE_FACT_TOOLS(agent: str, text: str) -> list[tuple[str, dict[str, Any]]]:  # noqa: N802 (a table by another name)
    """Read-only lookups that give a person the facts of the case before they pick it up."""
    calls: list[tuple[str, dict[str, Any]]] = [("lookup_order", {"order_id": oid}) for oid in order_ids(text)[:2]]
    by_agent = {
        "billing_payment": [("explain_charges", {})],
        "order_tracking": [("list_orders", {"limit": 5})],
        "returns_refunds": [("list_returns", {}), ("list_orders", {"limit": 5})],
        "product_info": [("list_orders", {"limit": 5})],
        "account_management": [("get_account", {})],
        "technical_support": [("get_account", {})],
    }
    charge_words = re.search(r"\b(charg|bill|paid|pay|refund|money|fee)", text, re.IGNORECASE)
    extra = by_agent.get(agent, [])
    if charge_words and ("explain_charges", {}) not in extra:
        extra = [("explain_charges", {}), *extra]
    return calls + extra


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def snippets_used(reply: str, snippets: Sequence[Snippet], threshold: float = 0.3) -> list[str]:
    """chunk_ids of snippets whose distinctive words make up a good part of the reply."""
    reply_words = _words(reply)
    if not reply_words:
        return []
    used = []
    for s in snippets:
        overlap = reply_words & _words(s.text)
        if len(overlap) >= 4 and len(overlap) / max(1, min(len(reply_words), 40)) >= threshold:
            used.append(s.chunk_id)
    return used
