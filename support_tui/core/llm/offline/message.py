"""What kind of message this is: a greeting, thanks, off-topic, a general question, or a request about the customer's own things."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from .entities import extract
from support_tui.core.shop.offline import Request

_GREETING = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening|day))(?:\s+there)?"
    r"(?:\s+\w+)?\W*$", re.IGNORECASE)
_THANKS = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|great|perfect|awesome|cool|brilliant|lovely|excellent)\W+)*(?:thanks?|thank you|thx|cheers|"
    r"that'?s all|that is all|all good|that helps?)\b[\w\s,!.']*$", re.IGNORECASE)
_OWN = re.compile(
    r"\b(?:my|mine|i (?:bought|ordered|received|got|paid|purchased|was charged|have been charged)|"
    r"i was|i've been|i'm not getting|we (?:bought|ordered)|this order|that order|this charge)\b",
    re.IGNORECASE)
_ABOUT_ME = re.compile(r"\bmy (?:password|username|personal|data)\b", re.IGNORECASE)
_QUESTION = re.compile(
    r"^\W*(?:do|does|can|could|is|are|how|what|what's|which|when|where|why|will|if|should|may|who)\b|\?\s*$",
    re.IGNORECASE)
_SHOP_WORDS = re.compile(
    r"\b(?:order|orders|ship|shipping|shipped|deliver\w*|parcel|package|return\w*|refund\w*|exchange\w*|warranty|"
    r"charge\w*|pay\w*|card|invoice|bill\w*|price\w*|promo|code|coupon|gift|account|password|log ?in|sign ?in|app|"
    r"website|checkout|cart|product\w*|stock|size|colou?r|plus|membership|cancel\w*|address|track\w*|store|shop|"
    r"northwind|item|items|buy|bought|purchase\w*|discount|fee|fees|data|privacy|email|phone|help|agent|human|"
    r"person|someone|somebody|colleague|support|problem|issue|broken|damaged|defective|carrier|countries|country)\b",
    re.IGNORECASE)


_POLICY_WORDS = re.compile(r"\b(?:warranty|warranties|return|returns|returned|refund\w*|ship|shipping|deliver\w*|"
                           r"exchange\w*|policy|policies|price match|care|clean)\b", re.IGNORECASE)


_STOCK = re.compile(r"\b(?:in stock|stock|available|price|cost|how much)\b", re.IGNORECASE)
_REQUEST = re.compile(r"\b(?:can|could|would) you\b|\bplease\b|\bi (?:want|need|would like|'d like)\b|\bsend me\b",
                      re.IGNORECASE)


_ALWAYS_OWN = frozenset({"duplicate_charge", "refund_status", "human"})
"""Intents that are always about the customer's own case ("why was I charged twice?")."""


@dataclass(frozen=True)
class Reading:
    """The kind of message, as the writer and planner need it."""

    greeting: bool = False
    thanks: bool = False
    off_topic: bool = False
    general: bool = False
    """A question about the shop's policies or how things work, not about the customer's own orders."""
    own: bool = False
    """About the customer's own orders, charges or account ("my order", an order id, an amount)."""


def clauses(text: str) -> list[str]:
    """The separate questions or requests in a message ("Do you ship to Canada, and how long ...?")."""
    parts = re.split(r"\?|(?:,\s*|\s+)(?:and|also|plus)\s+(?=(?:what|how|do|does|can|could|is|are|which|when|where|why|"
                     r"i|my|please|also)\b)|[.;!]\s+", text, flags=re.IGNORECASE)
    return [p.strip(" ,.!") for p in parts if p and len(p.split()) >= 2]


@lru_cache(maxsize=512)
def read(text: str) -> Reading:
    """Classify one customer message."""
    plain = text.strip()
    found = extract(plain)
    if _GREETING.match(plain):
        return Reading(greeting=True)
    if _THANKS.match(plain) and "?" not in plain:
        return Reading(thanks=True)
    if not _SHOP_WORDS.search(plain) and not found.intents and not found.products and not found.order_ids:
        return Reading(off_topic=True)
    own = (bool(_OWN.search(plain)) and not _ABOUT_ME.search(plain) or bool(found.order_ids or found.amounts)
           or bool(found.intents & _ALWAYS_OWN))
    if re.search(r"\bmy card\b", plain, re.IGNORECASE) and not found.amounts and not re.search(r"charg", plain, re.I):
        own = False  # "how long do refunds take to reach my card" is about refunds in general
    about_product = bool(found.products) and (not _POLICY_WORDS.search(plain) or bool(_STOCK.search(plain)))
    asking_us = bool(_REQUEST.search(plain))  # "can you send me a magic link" asks for an action
    general = (bool(_QUESTION.search(plain)) and not own and not about_product and not asking_us
               and "human" not in found.intents)
    return Reading(general=general, own=own)


def understood(request: Request) -> bool:
    """The intent layer's reading decides this message: it read it on its own (not a follow-up, not a pick
    among offered orders, not one of several requests, each of which is read on its own). Entities only fill
    in the arguments of what it decided: a product named in a question ("is the mug dishwasher safe?") does not
    turn a care question into a catalogue look-up. Only an order id, an amount or a new account value makes an
    unsure reading (or an article's) a request about the customer's own records, read with its entities."""
    decision = request.intent_decision
    if decision in (None, "follow_up", "several") or request.picked_order_id is not None:
        return False
    sure_flow = decision == "decline" or decision == "answer" and not request.intent_article
    return sure_flow or not names_records(request)


def names_records(request: Request) -> bool:
    """The message names one of the customer's records, or a new value for one: an order id, an
    email address, a phone number, a name or a postal address."""
    said = request.said
    return bool(said.order_ids or said.email or said.phone or said.name or said.address)


def intent_flow(request: Request) -> str | None:
    """The flow that answers an understood message: its intent's flow, or for an article intent asked about
    the customer's own things or a product it names ("can I change the address on my order?", "do the
    AeroSound headphones work with iPhone?"), the flow of the article's topic (or its own look-up): what
    answers it for them, said beside the article."""
    if request.intent_flow:
        return request.intent_flow
    own = names_records(request) or bool(request.said.products) or read(request.latest).own
    if request.intent_article and request.intent_topic_flow and own:
        return request.intent_topic_flow
    return None


def flow_requests(request: Request, flow: str) -> frozenset[str]:
    """The requests an understood message makes of its flow's specialist: those its words make that belong
    to the flow ("please refund 1402.92 for ORD-70001" asks the returns specialist for a refund, not a
    return), else the flow's own request."""
    skill = request.skill
    return request.said.intents & skill.flow_details.get(flow, frozenset()) or skill.flow_requests.get(flow, frozenset())


def requested(request: Request) -> frozenset[str]:
    """What the message asks to be done or looked up: the understood flow's requests, else the keywords
    of the message and of the conversation before it."""
    flow = intent_flow(request) if understood(request) else None
    return flow_requests(request, flow) if flow else request.said.intents | request.remembered.intents


def read_turn(request: Request) -> Reading:
    """The message in its conversation: a pick among the choices just offered ("the second one") continues
    that question, whatever it looks like on its own."""
    if request.picked_order_id:
        return Reading()
    return read(request.latest)
