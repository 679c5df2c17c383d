"""The shop seam: what a shop gives the engine (tools, policy rules, quotes, clock, customers).

The engine knows shops only through :class:`Shop`; the demo shop (``support_tui.shops.northwind``)
and tau-bench retail are implementations. Nothing here names a shop's tables or tools.
"""

from support_tui.core.shop.protocol import (
    CallContext,
    CardOrder,
    CustomerCard,
    CustomerSummary,
    Proposal,
    Quote,
    QuoteLine,
    RecordedEffect,
    RuleVerdict,
    Shop,
    ShopError,
    ShopTool,
    ToolCall,
    ToolOutcome,
    canonical_arguments,
    effect_key,
)

__all__ = [
    "CallContext",
    "CardOrder",
    "CustomerCard",
    "CustomerSummary",
    "Proposal",
    "Quote",
    "QuoteLine",
    "RecordedEffect",
    "RuleVerdict",
    "Shop",
    "ShopError",
    "ShopTool",
    "ToolCall",
    "ToolOutcome",
    "canonical_arguments",
    "effect_key",
]
