"""Northwind's intents for the offline model: the catalogue, and the tools each flow answers with."""

from __future__ import annotations

from pathlib import Path

from support_tui.core.paths import kb_source_dir
from support_tui.core.understanding.catalog import IntentCatalog, load_catalog

HERE = Path(__file__).resolve().parent
CATALOG = HERE / "intents.toml"
DEV_EXEMPLARS = HERE / "intent_exemplars_abcd.jsonl"
"""Real customer messages (ABCD dev, MIT licence) labelled with this catalogue's intents."""
WRITTEN_EXEMPLARS = HERE / "intent_exemplars_written.jsonl"
"""Exemplars we wrote, fifteen an intent in many styles (eighty off-topic)."""

FLOW_TOOLS: dict[str, frozenset[str]] = {
    "track_order": frozenset({"track_shipment", "lookup_order", "list_orders"}),
    "cancel_order": frozenset({"cancel_order", "list_orders"}),
    "change_delivery_address": frozenset({"change_shipping_address", "list_orders"}),
    "return_item": frozenset({"list_orders", "check_return_eligibility", "create_return"}),
    "exchange_item": frozenset({"list_orders", "check_return_eligibility", "create_return"}),
    "refund_status": frozenset({"list_returns"}),
    "charges": frozenset({"explain_charges", "get_billing_history"}),
    "product_question": frozenset({"search_products", "get_product"}),
    "password_reset": frozenset({"send_login_link"}),
    "change_account_details": frozenset({"get_account", "update_account"}),
}
"""The look-ups and actions each flow runs: what its answer is made of."""


def catalog(kb_dir: Path | None = None) -> IntentCatalog:
    """The catalogue with the knowledge base's article titles and headings, the dev messages and our own."""
    return load_catalog(CATALOG, kb_dir or kb_source_dir(), (DEV_EXEMPLARS, WRITTEN_EXEMPLARS))
