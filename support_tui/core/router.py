"""The router the engine codes against: ``EmbeddingRouter``, ``KeywordRouter`` and their decision."""

from support_tui.core.routing import EmbeddingRouter, KeywordRouter, RouteDecision, RoutingContext

__all__ = ["EmbeddingRouter", "KeywordRouter", "RouteDecision", "RoutingContext"]
