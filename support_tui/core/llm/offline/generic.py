"""The skill of a shop that brings none: no flows and no tools of its own, so replies come from the knowledge base."""

from __future__ import annotations

from typing import Any, Mapping

from support_tui.core.shop.offline import Act, Flow, OwnTurn, Request, SeenCall
from support_tui.core.shop.saying import dollars


class NoSkill:
    """Answers from the knowledge base and the dialogue acts alone; it names no tool."""

    name = ""
    confirm_tools: frozenset[str] = frozenset()
    read_tools: frozenset[str] = frozenset()
    topic_words: frozenset[str] = frozenset()
    status_words: Mapping[str, str] = {}
    flow_requests: Mapping[str, frozenset[str]] = {}
    flow_details: Mapping[str, frozenset[str]] = {}

    def money(self, amount: Any, currency: Any = None) -> str:
        return dollars(amount, currency)

    def flow(self, specialist: str, request: Request) -> Flow | None:
        return None

    def answered_by(self, specialist: str) -> frozenset[str]:
        return frozenset()

    def facts(self, outcome: SeenCall, request: Request, wanted: frozenset[str]) -> list[Act] | None:
        return None

    def blocked(self, outcome: SeenCall) -> str | None:
        return None

    def own_turn(self, request: Request) -> OwnTurn | None:
        return None


NO_SKILL = NoSkill()
