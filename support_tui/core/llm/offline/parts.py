"""The separate requests in one customer message, whose each one is, and whether this specialist can read it."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from .entities import extract, extract_for
from support_tui.core.shop.offline import Request

DOMAINS: dict[str, frozenset[str]] = {
    "order_tracking": frozenset({"track", "cancel", "change_address"}),
    "returns_refunds": frozenset({"return", "exchange", "refund", "refund_status", "defective"}),
    "product_info": frozenset({"compatible", "product_question"}),
    "billing_payment": frozenset({"charge", "duplicate_charge", "refund"}),
    "technical_support": frozenset({"password", "login", "crash"}),
    "account_management": frozenset({"change_name", "change_email", "change_phone", "change_address"}),
}
"""The intents each specialist handles itself."""

OWNERS = (
    ("duplicate_charge", "billing_payment"), ("refund_status", "returns_refunds"),
    ("return", "returns_refunds"), ("exchange", "returns_refunds"), ("defective", "returns_refunds"),
    ("refund", "returns_refunds"), ("cancel", "order_tracking"), ("track", "order_tracking"),
    ("password", "technical_support"), ("login", "technical_support"), ("crash", "technical_support"),
    ("change_name", "account_management"), ("change_email", "account_management"),
    ("change_phone", "account_management"), ("compatible", "product_info"),
    ("product_question", "product_info"), ("charge", "billing_payment"),
)
"""Which specialist a stray intent belongs to, strongest signal first."""

_JOIN = re.compile(r"\?+|[.;!]+(?=\s|$)|,?\s+(?:and|plus|but)\s+(?:also\s+)?|,\s*(?:also|plus)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One request of a message: its words, its intents and the specialist it belongs to."""

    text: str
    intents: frozenset[str]
    owner: str | None


def owner_of(found: frozenset[str]) -> str | None:
    return next((owner for intent, owner in OWNERS if intent in found), None)


@lru_cache(maxsize=512)
def split(text: str) -> tuple[Part, ...]:
    """The message cut at sentence ends and joining words; a piece with no request of its own ("and the
    socks") stays with the piece before it, so only pieces that ask for something stand alone."""
    marks = list(_JOIN.finditer(text))
    starts, ends = [0, *(m.end() for m in marks)], [*(m.start() for m in marks), len(text)]
    spans = [(a, b) for a, b in zip(starts, ends) if text[a:b].strip(" ,.!?;")]
    merged: list[tuple[int, int, frozenset[str]]] = []
    for a, b in spans:
        found = extract(text[a:b]).intents - {"human"}  # intents name no shop's products
        if merged and (not found or not merged[-1][2]):
            start, _, before = merged.pop()
            merged.append((start, b, before | found))
        else:
            merged.append((a, b, found))
    return tuple(Part(text[a:b].strip(" ,.;"), found, owner_of(found)) for a, b, found in merged if found)


def own(part: Part, specialist: str) -> bool:
    return bool(part.intents & DOMAINS.get(specialist, frozenset())) or part.owner == specialist


def side_parts(request: Request, text: str | None = None) -> list[Part]:
    """The requests of a message with several that belong to another specialist than this one."""
    if request.specialist not in DOMAINS:
        return []
    parts = split(request.latest if text is None else text)
    if len(parts) < 2 or not any(own(p, request.specialist) for p in parts):
        return []
    side: list[Part] = []
    for part in parts:
        if not own(part, request.specialist) and part.owner and all(p.owner != part.owner for p in side):
            side.append(part)
    return side


ACTIONS = frozenset({"cancel", "change_address", "return", "exchange", "refund", "defective", "change_name",
                     "change_email", "change_phone", "password", "login"})
"""Intents that ask for something to be done, not only looked up: those are their specialist's to do."""


def readable(request: Request, part: Part) -> bool:
    """The request only asks what is so, and this specialist is offered a look-up that answers it."""
    answering = request.skill.answered_by(part.owner) if part.owner else frozenset()
    return not part.intents & ACTIONS and any(request.offers(t) for t in answering)


SHORT_ANSWER_WORDS = 6
"""A yes this short answers our last question; a longer one says something of its own."""

HANDOVER_OFFERS = ("would you like me to pass your case to them?", "would you like me to pass this to a colleague?")
"""Our questions that offer a person: a yes to one of them hands the case over."""

OFFER = "Shall I pass you to {team} for that now?"
"""The question that offers to take another specialist's request next; a yes to it continues that request."""
PROMISE = "I'll pass you to {team} for that once this is done."
"""Said instead of the offer when the reply already asks something (a confirmation comes first)."""


def team_name(agent: str) -> str:
    """A specialist as the customer hears of them: "our billing and payment specialist"."""
    from support_tui.core.specialists import default_team

    team = default_team()
    title = team[agent].title if agent in team else "the right specialist"
    return title.replace("the ", "our ", 1)


def _offered_team(reply: str, sentence: str) -> str | None:
    """The specialist our earlier reply offered (or promised) to pass the customer to."""
    for agent in DOMAINS:
        if sentence.format(team=team_name(agent)) in reply:
            return agent
    return None


def earlier_part(request: Request, agent: str) -> Part | None:
    """The request of an earlier message that belongs to ``agent`` (the one our offer was about)."""
    for text in reversed(request.earlier_user):
        found = next((p for p in split(text) if p.owner == agent), None)
        if found:
            return found
    return None


def promised(request: Request) -> Part | None:
    """A request our previous reply promised to pass on once the confirmed action was done."""
    agent = _offered_team(request.previous_reply, PROMISE)
    return earlier_part(request, agent) if agent else None


def take_up_offer(request: Request) -> None:
    """A yes to "Shall I pass you to ... for that now?" asks that request again: it becomes the message
    the specialist reads, as a pick among offered orders continues the question that offered them."""
    if not request.said.affirmative or request.proposal_call or len(request.latest.split()) > SHORT_ANSWER_WORDS:
        return
    question = next((s for s in reversed(re.split(r"(?<=[.!?])\s+", request.previous_reply.strip()))
                     if s.endswith("?")), "")
    agent = _offered_team(question, OFFER)
    part = earlier_part(request, agent) if agent else None
    if part is not None:
        request.latest = part.text
        request.said = extract_for(part.text, request.skill)
