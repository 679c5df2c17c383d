"""The keyword baseline: the first rule whose word stem appears decides, else order tracking."""

from __future__ import annotations

import re

from support_tui.core.routing.decision import RouteDecision
from support_tui.core.specialists import ROUTABLE

KEYWORD_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("order_tracking", ("track", "shipping", "delivery")),
    ("returns_refunds", ("return", "refund", "exchange", "defective")),
    ("product_info", ("product", "specification", "compatib")),
    ("billing_payment", ("billing", "payment", "charge", "invoice")),
    ("technical_support", ("app", "website", "login", "technical")),
)
"""Specialist and word stems, in the order the rules are tried."""

DEFAULT_AGENT = "order_tracking"

# Stems match at the start of a word ("tracking", "refunded"); "app" only as a whole word,
# so "happy" and "apply" do not count as app problems.
_WHOLE_WORDS = {"app"}


def _pattern(stem: str) -> re.Pattern[str]:
    tail = r"s?\b" if stem in _WHOLE_WORDS else ""
    return re.compile(rf"\b{re.escape(stem)}{tail}", re.IGNORECASE)


_COMPILED = tuple((agent, tuple(_pattern(stem) for stem in stems)) for agent, stems in KEYWORD_RULES)


class KeywordRouter:
    """Routes by fixed keyword rules; the baseline the embedding router is measured against."""

    def route_text(self, text: str) -> RouteDecision:
        hits: dict[str, list[str]] = {}
        for agent, patterns in _COMPILED:
            found = [m.group(0).lower() for p in patterns if (m := p.search(text))]
            if found:
                hits[agent] = found
        if not hits:
            scores = {name: 1.0 / len(ROUTABLE) for name in ROUTABLE}
            return RouteDecision(
                agent=DEFAULT_AGENT,
                confidence=scores[DEFAULT_AGENT],
                margin=0.0,
                scores=scores,
                reason=f"no keyword matched; default {DEFAULT_AGENT}",
                evidence=[],
                method="keyword",
                clarify=True,
            )
        agent = next(iter(hits))  # rule order decides
        total = sum(len(words) for words in hits.values())
        scores = {name: len(hits.get(name, ())) / total for name in ROUTABLE}
        others = sorted((s for name, s in scores.items() if name != agent), reverse=True)
        return RouteDecision(
            agent=agent,
            confidence=scores[agent],
            margin=scores[agent] - others[0],
            scores=scores,
            reason=f"keyword {', '.join(repr(w) for w in hits[agent])} -> {agent}",
            evidence=[],
            method="keyword",
            clarify=len(hits) > 1,
        )
