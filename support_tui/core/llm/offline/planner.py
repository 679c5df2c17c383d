"""Which tools the offline model calls next: shared rules, then the specialist's own flow."""

from __future__ import annotations

from support_tui.core.language import is_affirmative
from support_tui.core.shop.offline import PlannedCall, Request

from .message import flow_requests, intent_flow, read_turn, understood
from .parts import DOMAINS, HANDOVER_OFFERS, OWNERS, SHORT_ANSWER_WORDS, readable, side_parts


MAX_ROUNDS = 4
"""Tool rounds the offline model takes before it writes; the engine allows a few more."""

def intents(request: Request) -> frozenset[str]:
    """The latest message's intents; a bare follow-up ("it's ORD-1") inherits the earlier ones."""
    return request.said.intents or request.remembered.intents


def transfer_target(request: Request) -> str | None:
    """Another specialist the message clearly belongs to, when this one cannot handle it."""
    if request.escalated or request.specialist not in DOMAINS or request.outcomes or understood(request):
        return None
    found = request.said.intents
    if found & DOMAINS[request.specialist]:
        return None
    for intent, owner in OWNERS:
        if intent in found and owner != request.specialist:
            return owner
    return None


def plan(request: Request) -> list[PlannedCall]:
    """The next round of tool calls, or an empty list when it is time to reply."""
    if request.rounds >= MAX_ROUNDS or not request.tools:
        return []
    if any(o.ok and o.name in request.confirm_tools for o in request.outcomes):
        # A write that ran answers the message: after a person approved a call (perhaps with edited
        # arguments) the agent reports it, it does not plan the customer's request over again.
        return []
    if any(o.status == "blocked" and o.rule in ("customer_confirmation", "human_denied") for o in request.outcomes):
        return []  # the customer's yes, or a person's decision, comes first
    proposal = request.proposal_call
    if proposal:
        # The engine's yes grammar, and a yes is not a new question ("ok, but where is my other order?").
        if is_affirmative(request.latest) and ("?" not in request.latest or len(request.latest.split()) <= 4):
            return _offered(request, [proposal])  # exactly the call the customer confirmed
        if request.said.negative:
            return []
    if _accepts_handover(request) and not request.escalated:
        call = ("escalate_to_human", {"reason": "the customer accepted our offer of a colleague", "priority": "normal"})
        return _offered(request, [call])
    reading = read_turn(request)
    if reading.greeting or reading.thanks:
        return []
    if (reading.off_topic or reading.general) and not understood(request):
        return []  # answered from the knowledge base, without the customer's records
    if request.route_clarify and not request.outcomes and not request.said.intents:
        return []
    target = transfer_target(request)
    if target and request.offers("transfer_to_specialist"):
        reason = f"customer asks about {_topic(request.said.intents)}"
        return _offered(request, [("transfer_to_specialist", {"agent": target, "reason": reason})])
    if "human" in request.said.intents and not request.escalated:
        call = ("escalate_to_human", {"reason": "customer asked for a human", "priority": "normal"})
        if _offered(request, [call]):
            return [call]
    if understood(request) and not request.escalated:
        return _understood(request)
    flow = request.skill.flow(request.specialist, request)
    return _offered(request, [*(flow(request, intents(request)) if flow else []), *_side_reads(request)])


def _accepts_handover(request: Request) -> bool:
    """A yes to our last question when it offered a person ("... would you like me to pass your case to them?")."""
    last_question = request.previous_reply.rstrip().lower()
    return (request.said.affirmative and not request.proposal_call and len(request.latest.split()) <= SHORT_ANSWER_WORDS
            and any(last_question.endswith(offer) for offer in HANDOVER_OFFERS))


def _understood(request: Request) -> list[PlannedCall]:
    """The intent layer's reading decides: an article, a question or a decline needs no look-up; a flow runs
    the specialist's flow with the flow's request and whatever else the words name (an order id, a product)."""
    answering = intent_flow(request)
    if request.intent_decision != "answer" or answering is None:
        return []
    flow = request.skill.flow(request.specialist, request)
    return _offered(request, flow(request, flow_requests(request, answering)) if flow else [])


def _side_reads(request: Request) -> list[PlannedCall]:
    """Look-ups for the requests of the message that belong to another specialist but that this one can
    read ("my order is late and I was charged twice" at billing: the order, by its own order tools)."""
    calls: list[PlannedCall] = []
    for part in side_parts(request):
        owner_flow = request.skill.flow(part.owner, request) if part.owner else None
        if owner_flow and readable(request, part):
            calls += [(name, args) for name, args in owner_flow(request, part.intents)
                      if name in request.skill.read_tools and request.offers(name)]
    return calls


def _offered(request: Request, calls: list[PlannedCall]) -> list[PlannedCall]:
    """Only tools on offer, never a call already made this turn with the same arguments."""
    kept: list[PlannedCall] = []
    for name, arguments in calls:
        if request.offers(name) and not request.already(name, arguments) and (name, arguments) not in kept:
            kept.append((name, arguments))
    return kept


def _topic(found: frozenset[str]) -> str:
    for intent, _ in OWNERS:
        if intent in found:
            return intent.replace("_", " ")
    return "another topic"
