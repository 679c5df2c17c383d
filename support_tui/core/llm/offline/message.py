"""What kind of message this is: a greeting, thanks, off-topic, a general question, or a request about the customer's own things."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from .entities import extract
from .request import Request

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
    among offered orders, not one of several requests, each of which is read on its own). A sure flow or
    decline always decides; an article answer, a question or a request for more words only for a message
    that names nothing of the customer's own (one that does is read with its entities)."""
    decision = request.intent_decision
    if decision in (None, "follow_up", "several") or request.picked_order_id is not None:
        return False
    said = request.said
    # An order, a product or a new account value named in the message makes it about the customer's own
    # case: a general article ("how do returns work") does not answer "can I return ORD-123?".
    own_case = bool(said.order_ids or said.products or said.email or said.phone or said.name or said.address)
    sure_flow = decision == "decline" or decision == "answer" and not request.intent_article
    return sure_flow or not own_case


def intent_flow(request: Request) -> str | None:
    """The flow that answers an understood message: its intent's flow, or for an article intent asked about
    the customer's own things, the flow of the article's topic (the look-up that answers it for them)."""
    if request.intent_flow:
        return request.intent_flow
    if request.intent_article and request.intent_topic_flow and read(request.latest).own:
        return request.intent_topic_flow
    return None


def read_turn(request: Request) -> Reading:
    """The message in its conversation: a pick among the choices just offered ("the second one") continues
    that question, whatever it looks like on its own."""
    if request.picked_order_id:
        return Reading()
    return read(request.latest)
