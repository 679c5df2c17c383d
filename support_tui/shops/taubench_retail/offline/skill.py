"""τ-bench retail's offline skill: the whole turn its own way (find the user, read, never write)."""

from __future__ import annotations

from typing import Any, Mapping

from support_tui.core.shop.offline import KnowledgeOnlySkill, OfflineSkill, OwnTurn, Request

from .plan import plan_retail
from .reply import RETAIL_STATUS, money, write_retail


class RetailSkill(KnowledgeOnlySkill):
    """The offline model's τ-bench retail part: look-ups only, and a reply that says what they found."""

    name = "taubench-retail"
    read_tools = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip", "get_user_details",
                            "get_order_details", "get_product_details", "list_all_product_types"})
    status_words: Mapping[str, str] = RETAIL_STATUS

    def money(self, amount: Any, currency: Any = None) -> str:
        return money(amount, currency)

    def own_turn(self, request: Request) -> OwnTurn | None:
        if not (request.offers("find_user_id_by_email") and request.offers("get_order_details")):
            return None  # a specialist without the look-ups (a colleague's case): the generic dialogue
        calls = plan_retail(request)
        return OwnTurn(calls) if calls else OwnTurn([], write_retail(request))


def _is_a_skill(skill: RetailSkill) -> OfflineSkill:
    return skill  # mypy checks the structural fit
