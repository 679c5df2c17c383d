"""What kind of message this is: a greeting, thanks, off-topic, a general question, or a request about the customer's own things."""

from __future__ import annotations

import re
import string
from functools import lru_cache
from dataclasses import dataclass

from .entities import extract
from .wording import holds, tokens
from support_tui.core.shop.offline import OfflineSkill, Request

_GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "greetings"})
_TIMES_OF_DAY = frozenset({"morning", "afternoon", "evening", "day"})
_PLEASED = frozenset({"ok", "okay", "great", "perfect", "awesome", "cool", "brilliant", "lovely", "excellent"})
_THANKS = ("thanks", "thank", "thx", "cheers", "that's all", "thats all", "that is all", "all good", "that help",
           "that helps")
_THANKS_TAIL = frozenset(",!.' ")
_OWN = ("my", "mine", "i bought", "i ordered", "i received", "i got", "i paid", "i purchased", "i was charged",
        "i have been charged", "i was", "i've been", "i'm not getting", "we bought", "we ordered", "this order",
        "that order", "this charge")
_ABOUT_ME = ("my password", "my username", "my personal", "my data")
_QUESTION_OPENERS = frozenset("do does can could is are how what what's which when where why will if should may who".split())
_SHOP_WORDS = (
    "order", "orders", "ship", "shipping", "shipped", "deliver*", "parcel", "package", "return*", "refund*",
    "exchange*", "warranty", "charge*", "pay*", "card", "invoice", "bill*", "price*", "promo", "code", "coupon", "gift",
    "account", "password", "log in", "login", "sign in", "signin", "app", "website", "checkout", "cart", "product*",
    "stock", "size", "colour", "color", "membership", "cancel*", "address", "track*", "store", "shop", "item",
    "items", "buy", "bought", "purchase*", "discount", "fee", "fees", "data", "privacy", "email", "phone", "help",
    "agent", "human", "person", "someone", "somebody", "colleague", "support", "problem", "issue", "broken",
    "damaged", "defective", "carrier", "countries", "country",
)
"""Words that make a message about a shop at all (each shop's skill adds its own ``topic_words``)."""
_POLICY_WORDS = ("warranty", "warranties", "return", "returns", "returned", "refund*", "ship", "shipping", "deliver*",
                 "exchange*", "policy", "policies", "price match", "care", "clean")
_STOCK = ("in stock", "stock", "available", "price", "cost", "how much")
_REQUEST = ("can you", "could you", "would you", "please", "i want", "i need", "i would like", "i'd like", "send me")


def _greeting(words: tuple[str, ...]) -> bool:
    """"hi", "hello there", "good morning Sam": a greeting and at most a name."""
    if words[:1] and words[0] in _GREETINGS:
        rest = words[1:]
    elif len(words) >= 2 and words[0] == "good" and words[1] in _TIMES_OF_DAY:
        rest = words[2:]
    else:
        return False
    rest = rest[1:] if rest[:1] == ("there",) else rest
    return len(rest) <= 1


def _thanks(text: str, words: tuple[str, ...]) -> bool:
    """"thanks", "ok great, thank you!", "that's all": thanks after pleased words, and nothing asked or added."""
    start = 0
    while start < len(words) and words[start] in _PLEASED:
        start += 1
    line = f" {' '.join(words[start:])} "
    if not any(line.startswith(f" {t} ") for t in _THANKS):
        return False
    return all(c.isalnum() or c in _THANKS_TAIL for c in text.strip().lstrip(string.punctuation + " "))


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
def read(text: str, topic_words: frozenset[str] = frozenset(), product_words: tuple[str, ...] = ()) -> Reading:
    """Classify one customer message; ``topic_words`` and ``product_words`` are the shop's own (its skill's)."""
    plain = text.strip()
    words = tokens(plain)
    found = extract(plain, product_words)
    if _greeting(words):
        return Reading(greeting=True)
    if "?" not in plain and _thanks(plain, words):
        return Reading(thanks=True)
    about_shop = holds(words, _SHOP_WORDS) or holds(words, topic_words)
    if not about_shop and not found.intents and not found.products and not found.order_ids:
        return Reading(off_topic=True)
    own = (holds(words, _OWN) and not holds(words, _ABOUT_ME) or bool(found.order_ids or found.amounts)
           or bool(found.intents & _ALWAYS_OWN))
    if holds(words, ("my card",)) and not found.amounts and "charg" not in plain.lower():
        own = False  # "how long do refunds take to reach my card" is about refunds in general
    about_product = bool(found.products) and (not holds(words, _POLICY_WORDS) or holds(words, _STOCK))
    asking_us = holds(words, _REQUEST)  # "can you send me a magic link" asks for an action
    question = bool(words) and words[0] in _QUESTION_OPENERS or plain.endswith("?")
    general = question and not own and not about_product and not asking_us and "human" not in found.intents
    return Reading(general=general, own=own)


def read_for(text: str, skill: OfflineSkill) -> Reading:
    """Classify one customer message with the shop's own words (its skill's topic and product words)."""
    return read(text, skill.topic_words, skill.product_words)


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
    own = names_records(request) or bool(request.said.products) or read_for(request.latest, request.skill).own
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
    return read_for(request.latest, request.skill)
