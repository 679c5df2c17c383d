"""What a turn runs on: the store, the shop, the team, and the loaded retrieval, routing and model parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Protocol, Sequence

from support_tui.core.events import IntentReading, Snippet
from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.settings import Settings
from support_tui.core.shop import Shop
from support_tui.core.specialists import Team
from support_tui.core.store.protocol import SupportStore
from support_tui.core.store.records.values import MemoryEntry
from support_tui.core.turn.meta_tools import ESCALATE, TRANSFER


class Retriever(Protocol):
    """The knowledge base as a turn uses it."""

    async def search(self, query: str, k: int = 4, *, vector: Any = None) -> list[Snippet]:
        """The best snippets for a query (``vector``: its embedding, when the caller has it)."""
        ...

    async def document(self, doc_id: str, limit: int = 2) -> list[Snippet]:
        """The first chunks of one article, in order: what an intent that the article answers quotes."""
        ...


class Encoder(Protocol):
    """Sentence embeddings (the router's and the KB's model)."""

    async def aencode(self, texts: Sequence[str]) -> Any:
        """Normalised vectors, one row per text."""
        ...


class Router(Protocol):
    """Picks the specialist for a message."""

    def route_vector(self, vector: Any, text: str, context: RoutingContext | None = None) -> RouteDecision:
        """The decision for a message whose embedding is ``vector``."""
        ...


class Models(Protocol):
    """The model chain: streams a reply, falling back along ``chain``."""

    def stream(self, chain: list[str], messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> AsyncIterator[Any]:
        """Text deltas, failures and the finished reply."""
        ...


class Memory(Protocol):
    """What is remembered of a customer's conversations (the store's, or a fork's view of it)."""

    async def remember(self, customer_id: str, conversation_id: str, summary: str) -> None:
        """Keep the line remembered about a conversation."""
        ...

    async def memories(self, customer_id: str, limit: int = 5) -> list[MemoryEntry]:
        """The latest lines remembered about a customer's conversations."""
        ...


class HumanRequests(Protocol):
    """Recognises a request for a person by meaning."""

    async def detect(self, text: str, vector: Any) -> bool:
        """True when the message asks for a person."""
        ...


class IntentReader(Protocol):
    """Reads what a message asks from its vector (a shop's intent catalogue, learned from exemplars)."""

    async def prepare(self) -> None:
        """Embed (or read from the cache) the exemplars and fit the classifier; later calls return at once."""
        ...

    def read(self, vector: Any) -> IntentReading:
        """The intent reading of one message vector."""
        ...


@dataclass
class TurnParts:
    """Everything a turn needs; the heavy parts arrive after the engine got ready."""

    settings: Settings
    store: SupportStore
    shop: Shop
    team: Team
    kb: Retriever | None = None
    embedder: Encoder | None = None
    router: Router | None = None
    models: Models | None = None
    human_requests: HumanRequests | None = None
    intents: IntentReader | None = None
    """The shop's intent classifier; None for a shop without an intent catalogue."""
    memory: Memory | None = None
    """Customer memory; None: the store's own (a fork reads only the past and writes nothing)."""

    @property
    def remembered(self) -> Memory:
        return self.memory if self.memory is not None else self.store

    def offered_tools(self, specialist: str) -> tuple[str, ...]:
        """The shop's tools for a specialist, then the engine's own (transfer only between routable ones)."""
        own = (TRANSFER.name, ESCALATE.name) if specialist in self.team and self.team[specialist].routable else (ESCALATE.name,)
        return (*self.shop.tools_for(specialist), *own)

    def confirm_tools(self, offered: Sequence[str]) -> tuple[str, ...]:
        """Which of these tools need the customer's yes."""
        tools = self.shop.tools()
        return tuple(name for name in offered if name in tools and tools[name].consequential)

    def loaded(self) -> tuple[Retriever, Encoder, Router, Models]:
        if self.kb is None or self.embedder is None or self.router is None or self.models is None:
            raise RuntimeError("the engine is not ready yet")
        return self.kb, self.embedder, self.router, self.models
