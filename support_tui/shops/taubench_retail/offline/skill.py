"""τ-bench retail's offline skill: the whole turn its own way (find the user, read, never write)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from support_tui.core.shop.offline import KnowledgeOnlySkill, OfflineSkill, OwnTurn, Request
from support_tui.shops.taubench_retail.data import SHIPPED_DIR, data_file, default_data_dir, read_text

from .plan import plan_retail
from .reply import RETAIL_STATUS, money, write_retail


def product_nouns(folder: Path) -> tuple[str, ...]:
    """The kinds of item the shop sells, as its product names say them ("t-shirt", "water bottle"), from the
    data's ``products.json`` (the shipped one when the folder has none); a longer name comes first, so a
    name is read whole before a shorter one inside it."""
    path = data_file(folder, "products.json") or data_file(SHIPPED_DIR, "products.json")
    products = json.loads(read_text(path)) if path is not None else {}
    names = {str(p.get("name") or "").strip().lower() for p in products.values() if isinstance(p, dict)}
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


PRODUCT_NOUNS = product_nouns(default_data_dir())
"""The retail catalogue's product names in lower case: 50 kinds of item in the shipped data."""

HELP_AREAS = ("your account, your orders and their delivery, cancelling or changing a pending order, returns and "
              "exchanges, payment methods and gift cards, and our products and their options")
"""What the agent helps with, as its greeting and its decline say it (the topics of the shop's help articles)."""


class RetailSkill(KnowledgeOnlySkill):
    """The offline model's τ-bench retail part: look-ups only, and a reply that says what they found."""

    name = "taubench-retail"
    read_tools = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip", "get_user_details",
                            "get_order_details", "get_product_details", "list_all_product_types"})
    status_words: Mapping[str, str] = RETAIL_STATUS
    product_words: tuple[str, ...] = PRODUCT_NOUNS
    help_areas = HELP_AREAS

    def money(self, amount: Any, currency: Any = None) -> str:
        return money(amount, currency)

    def own_turn(self, request: Request) -> OwnTurn | None:
        if not (request.offers("find_user_id_by_email") and request.offers("get_order_details")):
            return None  # a specialist without the look-ups (a colleague's case): the generic dialogue
        calls = plan_retail(request)
        return OwnTurn(calls) if calls else OwnTurn([], write_retail(request))


def _is_a_skill(skill: RetailSkill) -> OfflineSkill:
    return skill  # mypy checks the structural fit
