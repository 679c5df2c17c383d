"""The offline skill seam: what the offline model needs from a shop, and the values it gives the shop's skill.

The offline model (``core.llm.offline``) reads a message, decides the dialogue acts and realises them; it
names no tool of any shop. What is a shop's own comes from its :class:`OfflineSkill`: which tools a
specialist's request runs and with which arguments, how each tool's result is said, its status words and
its money. A skill sees the request as the model read it (:class:`Request`) and answers in these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from support_tui.core.shop.saying import dollars

PlannedCall = tuple[str, dict[str, Any]]
"""A tool by name and the arguments the offline model calls it with."""


@dataclass(frozen=True)
class Address:
    """A postal address pulled out of a message."""

    street: str
    city: str
    postal_code: str
    country: str | None = None
    state: str | None = None

    def as_arguments(self) -> dict[str, str]:
        args = {"street": self.street, "city": self.city, "postal_code": self.postal_code}
        if self.country:
            args["country"] = self.country
        if self.state:
            args["state"] = self.state
        return args

    def text(self) -> str:
        parts = (self.street, self.city, self.state, self.postal_code, self.country)
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Entities:
    """Everything extracted from one message."""

    order_ids: tuple[str, ...] = ()
    amounts: tuple[float, ...] = ()
    products: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    name: str | None = None
    address: Address | None = None
    intents: frozenset[str] = field(default_factory=frozenset)
    affirmative: bool = False
    negative: bool = False
    ordinal: int | None = None
    """"the second one" -> 1; "the last one" -> -1: a pick among the choices the agent just offered."""


@dataclass(frozen=True)
class KbSnippet:
    """One knowledge-base chunk as the system prompt lists it."""

    chunk_id: str
    title: str
    text: str


@dataclass(frozen=True)
class SeenCall:
    """A tool call made earlier in this turn, with what came back."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    status: str = "missing"
    result: Any = None
    error: str | None = None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def value(self, key: str, default: Any = None) -> Any:
        return self.result.get(key, default) if isinstance(self.result, dict) else default


@dataclass(frozen=True)
class Act:
    """One thing a reply does: greet, answer, confirm, propose, clarify, apologise, hand over, decline, close."""

    kind: str
    text: str


@dataclass
class Request:
    """Everything the offline model reads from one call, and the skill of the shop it serves."""

    skill: "OfflineSkill"
    specialist: str = ""
    context: dict[str, str] = field(default_factory=dict)
    pending_proposal: dict[str, Any] | None = None
    escalation: dict[str, Any] | None = None
    memory: list[str] = field(default_factory=list)
    snippets: list[KbSnippet] = field(default_factory=list)
    latest: str = ""
    earlier_user: list[str] = field(default_factory=list)
    outcomes: list[SeenCall] = field(default_factory=list)
    rounds: int = 0
    tools: tuple[str, ...] = ()
    calls_so_far: int = 0
    prompt_chars: int = 0
    said: Entities = field(default_factory=Entities)
    remembered: Entities = field(default_factory=Entities)
    previous_reply: str = ""
    """The agent's last reply before the latest message (the question a short answer continues)."""
    offered_order_ids: tuple[str, ...] = ()
    """The orders the previous reply offered as choices: those in its closing question, else all it named."""

    @property
    def picked_order_id(self) -> str | None:
        """The order a short answer picks from the previous reply's choices ("the second one")."""
        choices, n = self.offered_order_ids, self.said.ordinal
        if n is None and len(choices) == 1 and self.said.affirmative and len(self.latest.split()) <= 6:
            n = 0  # "yes" to "Would you like me to return order ORD-1?" takes the one order offered
        if n is None or not choices or n >= len(choices):
            return None
        return choices[n]

    @property
    def today(self) -> date:
        """The shop's day: the context's ``today`` line when the engine sends one, else the clock's."""
        try:
            return date.fromisoformat(self.context.get("today", "")[:10])
        except ValueError:
            return date.today()

    @property
    def confirm_tools(self) -> frozenset[str]:
        """Tools that need the customer's yes, as the engine lists them (else as the shop's skill does)."""
        listed = {t.strip() for t in self.context.get("confirm_tools", "").split(",") if t.strip()}
        return frozenset(listed or self.skill.confirm_tools)

    @property
    def proposal_call(self) -> tuple[str, dict[str, Any]] | None:
        """The pending proposal's exact call: ``{"call": {"tool", "arguments"}}`` (or the older ``name``)."""
        p = self.pending_proposal or {}
        inner = p.get("call")
        call: dict[str, Any] = inner if isinstance(inner, dict) else p
        name = call.get("tool") or call.get("name")
        return (str(name), dict(call.get("arguments") or {})) if name else None

    @property
    def proposal_quote(self) -> dict[str, Any]:
        quote = (self.pending_proposal or {}).get("quote")
        return quote if isinstance(quote, dict) else {}

    @property
    def customer_first_name(self) -> str:
        return (self.context.get("customer_name") or "").split(" ")[0]

    @property
    def escalated(self) -> bool:
        flagged = self.context.get("escalated", "").lower() == "true" or self.escalation is not None
        return flagged or self.specialist == "escalation_manager"

    @property
    def route_clarify(self) -> bool:
        return self.context.get("route_clarify", "").lower() == "true"

    @property
    def route_options(self) -> list[str]:
        return [o.strip() for o in self.context.get("route_options", "").split(",") if o.strip()]

    @property
    def intent_decision(self) -> str | None:
        """What the engine's intent layer decided about the message (answer, ask, rephrase, decline,
        follow_up, several), or None when the shop has no intent catalogue (or an older prompt)."""
        return self.context.get("intent_decision") or None

    @property
    def intent_article(self) -> str | None:
        return self.context.get("intent_article") or None

    @property
    def intent_flow(self) -> str | None:
        return self.context.get("intent_flow") or None

    @property
    def intent_topic_flow(self) -> str | None:
        return self.context.get("intent_topic_flow") or None

    @property
    def intent_options(self) -> list[str]:
        return [o.strip() for o in self.context.get("intent_options", "").split(" | ") if o.strip()]

    def offers(self, tool: str) -> bool:
        return tool in self.tools

    def called(self, name: str) -> list[SeenCall]:
        return [o for o in self.outcomes if o.name == name]

    def last(self, name: str) -> SeenCall | None:
        found = self.called(name)
        return found[-1] if found else None

    def already(self, name: str, arguments: dict[str, Any]) -> bool:
        return any(o.name == name and o.arguments == arguments for o in self.outcomes)


Flow = Callable[[Request, frozenset[str]], list[PlannedCall]]
"""A specialist's flow: the next round of calls for the requests (intent words) a message makes."""


@dataclass(frozen=True)
class OwnTurn:
    """A turn a skill answers whole, in its own way: the calls to make next, else the reply."""

    calls: list[PlannedCall]
    text: str = ""


class OfflineSkill(Protocol):
    """What the offline model needs from one shop. Chosen by the engine's shop (its ``shop:`` context line).

    The generic model reads the message, picks the dialogue acts and asks the skill for the shop's part:
    the flow a specialist runs, the words for each tool's result, the words for a refusal by a rule.
    """

    name: str
    """The shop's machine name (``Shop.name``), as the engine's ``shop:`` context line gives it."""
    confirm_tools: frozenset[str]
    """Tools that need the customer's yes when the engine's context does not list them."""
    read_tools: frozenset[str]
    """Tools that only read: a specialist may call them for a request another specialist owns."""
    topic_words: frozenset[str]
    """Words that make a message about this shop (its name, what it sells): a word, a phrase or a stem ("book*")."""
    status_words: Mapping[str, str]
    """The shop's record statuses as a sentence says them (one table per shop)."""
    flow_requests: Mapping[str, frozenset[str]]
    """For each flow the shop's intent layer names, the request words its specialist's flow starts with."""
    flow_details: Mapping[str, frozenset[str]]
    """For each flow, the request words of a message that refine it (a defect as a return's reason)."""
    product_words: tuple[str, ...]
    """The nouns for what the shop sells ("water bottle", "laptop"): a message naming one asks about a product.
    A phrase comes before the words inside it ("phone case" before "phone"), so the phrase is what is read."""
    device_words: tuple[str, ...]
    """Devices and standards the shop's customers ask whether a product works with ("iphone", "usb-c")."""
    help_areas: str
    """What the agent helps with, as the greeting and a decline list it: "I can help with <help_areas>"."""
    specialist_questions: Mapping[str, str]
    """Each specialist's question when a message lacks what its flow needs (which order, which product);
    a specialist not listed asks the customer to say a little more."""
    specialist_topics: Mapping[str, str]
    """Each specialist's subject as a question between two of them names it ("is this about <a> or <b>?")."""

    def money(self, amount: Any, currency: Any = None) -> str:
        """An amount as the shop says it to its customers."""
        ...

    def flow(self, specialist: str, request: Request) -> Flow | None:
        """The specialist's flow (or, with no specialist named, the one the offered tools suit), or None."""
        ...

    def answered_by(self, specialist: str) -> frozenset[str]:
        """The read-only look-ups that answer a request owned by ``specialist``."""
        ...

    def facts(self, outcome: SeenCall, request: Request, wanted: frozenset[str]) -> list[Act] | None:
        """What a successful call found, said; [] to say nothing of it; None when the tool is not the shop's.

        ``wanted`` is what the message asks to be done (``cancel``, ``return``...), for a list of choices.
        """
        ...

    def blocked(self, outcome: SeenCall) -> str | None:
        """Why a call a shop rule stopped cannot be done, in the customer's words; None for the generic line."""
        ...

    def own_turn(self, request: Request) -> OwnTurn | None:
        """The whole turn, for a shop whose offline model works its own way; None for the generic dialogue."""
        ...


class KnowledgeOnlySkill:
    """A skill with no flows and no tools: replies come from the knowledge base and the dialogue acts.
    The skill of a shop that brings none, and the defaults a shop's skill overrides (it names no tool)."""

    name = ""
    confirm_tools: frozenset[str] = frozenset()
    read_tools: frozenset[str] = frozenset()
    topic_words: frozenset[str] = frozenset()
    status_words: Mapping[str, str] = {}
    flow_requests: Mapping[str, frozenset[str]] = {}
    flow_details: Mapping[str, frozenset[str]] = {}
    product_words: tuple[str, ...] = ()
    device_words: tuple[str, ...] = ()
    help_areas = "questions our help articles answer"
    specialist_questions: Mapping[str, str] = {}
    specialist_topics: Mapping[str, str] = {}

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


@runtime_checkable
class BringsOfflineSkill(Protocol):
    """A shop that hands the offline model its own skill (the engine gives it to the model with the shop)."""

    name: str

    def offline_skill(self) -> OfflineSkill:
        """This shop's part of the offline model."""
        ...
