"""Message routing: embedding and keyword routers, the decision they return, a shop's fitted head."""

from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.routing.embedding import EmbeddingRouter
from support_tui.core.routing.keyword import KeywordRouter

__all__ = ["EmbeddingRouter", "KeywordRouter", "RouteDecision", "RoutingContext"]
