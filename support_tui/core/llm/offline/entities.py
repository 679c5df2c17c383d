"""What a customer's words contain: order ids, amounts, products, contact details and intents."""

from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable
from typing import TypeVar

from support_tui.core.shop.offline import Address, Entities, OfflineSkill

from .wording import holds, tokens

T = TypeVar("T")

_ORDER_PATTERNS = (
    re.compile(r"\bORD[-\s]?(\d{3,})\b", re.IGNORECASE),
    re.compile(r"#\s?(\d{3,})\b"),
    re.compile(r"\border\s+(?:number\s+|no\.?\s*|num\s+|id\s+)?#?\s?(\d{3,})\b", re.IGNORECASE),
)
_AMOUNT_PATTERNS = (
    re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"),
    re.compile(r"\b(\d+(?:\.\d{1,2})?)\s*(?:dollars|usd|bucks)\b", re.IGNORECASE),
    # A bare number with cents ("refund 1402.92") is money; versions and ids rarely have two decimals.
    re.compile(r"(?<![\w.$-])(\d{1,6}\.\d{2})(?![\d.])"),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w#-])\+?\d[\d\s().-]{6,}\d(?![\w-])")
_NAME_CHANGE = re.compile(r"\bname\s+(?:to|is|should be)\s+([A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3})")
_STREET = re.compile(
    r"(?<![\w#-])(\d+[A-Za-z]?\s+(?:(?:[A-Za-z.'-]+|\d+(?:st|nd|rd|th))\s+)+?(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|"
    r"way|court|ct|place|pl|terrace|close|square|sq|parkway|pkwy|highway|hwy)\b\.?)",
    re.IGNORECASE,
)
_POSTAL = re.compile(r"^(?:([A-Z]{2})\s+)?(\d{4,6}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})$")

_INTENTS: dict[str, tuple[str, ...]] = {
    "human": ("human", "real person", "supervisor", "manager", "speak to someone", "talk to someone"),
    "duplicate_charge": ("charged twice", "double charged", "double-charged", "duplicate", "two charges",
                         "charged me twice", "billed twice", "charged two times"),
    "charge": ("charge", "charged", "billing", "bill ", "invoice", "fee", "payment", "statement",
               "promo", "coupon", "discount code", "voucher", "gift card", "store credit"),
    "refund_status": ("refund status", "status of my refund", "where is my refund", "refund yet",
                      "received my refund", "receive my refund", "my refund", "refund been"),
    "refund": ("refund", "money back", "reimburse"),
    "return": ("return", "send back", "send it back", "rma"),
    "exchange": ("exchange", "swap", "different size", "another size", "different colour", "different color",
                 "bigger size", "smaller size"),
    "defective": ("defective", "broken", "damaged", "faulty", "stopped working", "doesn't work",
                  "does not work", "not working", "cracked", "dead on arrival"),
    "cancel": ("cancel",),
    "track": ("track", "where is", "where's", "when will", "arrive", "delivery", "deliver", "shipped",
              "shipping", "package", "parcel", "status"),
    "compatible": ("compatible", "compatibility", "work with", "works with", "fit my", "fits my", "support"),
    "product_question": ("spec", "specs", "warranty", "in stock", "stock", "battery", "size", "material",
                         "how much is", "price", "weigh", "dimensions", "colours", "colors", "available"),
    "password": ("password", "reset link", "login link", "log-in link", "magic link", "locked out"),
    "login": ("log in", "login", "sign in", "signin", "log into", "logged out"),
    "crash": ("crash", "closes", "freez", "error", "bug", "slow", "not loading", "won't load", "checkout",
              "blank screen"),
    "change_address": ("change my address", "change the address", "update my address", "new address",
                       "shipping address", "delivery address", "change address", "wrong address", "address to"),
    "change_name": ("change my name", "update my name", "name to", "my name is wrong", "misspelled"),
    "change_email": ("change my email", "update my email", "new email", "email to", "email address to"),
    "change_phone": ("change my phone", "update my phone", "new phone", "phone number to", "phone to",
                     "new number", "mobile number"),
}

_LATE = ("late", "delayed", "overdue", "still waiting",
         *(f"never {v}" for v in ("came", "arrived", "turned up", "showed up")),
         *(f"{n} {v}" for n in ("hasn't", "has not", "haven't", "have not", "didn't", "did not", "not")
           for v in ("come", "arrived", "received", "got", "turned up")))
"""Words that say a delivery is late: a delivery question, though no tracking word is in it."""
_TWICE = ("twice", "two times", "double", "2x", "same amount again")

_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|sure|ok|okay|please do|go ahead|confirm|confirmed|do it|correct|"
    r"that's right|that is right|sounds good|y)\b|\b(?:go ahead|yes please|please proceed|i confirm)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(?:no|nope|nah|don't|do not|never mind|nevermind|stop|not now|hold off)\b|\b(?:don't do|do not do|"
    r"don't go ahead|changed my mind)\b",
    re.IGNORECASE,
)

_NOT_REFUSALS = ("no problem", "no worries", "no rush")
_YES_WORDS = frozenset({"yes", "yeah", "yep", "sure", "ok", "okay"})


_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}


def ordinal(text: str) -> int | None:
    """The position a short answer picks ("the second one", "last one please"), or None."""
    picked = next((w for w in tokens(text) if w in _ORDINALS), None)
    if picked is None or len(text.split()) > 8:
        return None
    return _ORDINALS[picked]


def order_ids(text: str) -> tuple[str, ...]:
    """Order ids in the text, normalised to ``ORD-<digits>``, first mention first."""
    found: list[tuple[int, str]] = []
    for pattern in _ORDER_PATTERNS:
        found.extend((m.start(), f"ORD-{m.group(1)}") for m in pattern.finditer(text))
    return _unique(oid for _, oid in sorted(found))


def amounts(text: str) -> tuple[float, ...]:
    found: list[tuple[int, float]] = []
    for pattern in _AMOUNT_PATTERNS:
        found.extend((m.start(), float(m.group(1).replace(",", ""))) for m in pattern.finditer(text))
    return _unique(a for _, a in sorted(found))


def product_words(text: str, vocabulary: tuple[str, ...]) -> tuple[str, ...]:
    """The shop's product nouns (``vocabulary``, its skill's) mentioned, in the order the text names them;
    a phrase hides the words inside it: the vocabulary lists "phone case" before "phone"."""
    low, words = text.lower(), tokens(text)
    taken: list[str] = []
    for word in vocabulary:
        phrase = " ".join(tokens(word))
        if holds(words, (phrase, phrase + "s")) and not any(word in t for t in taken):
            taken.append(word)
    return tuple(sorted(taken, key=low.find))


def intents(text: str) -> frozenset[str]:
    # A model name is not a request: "the Charge 20K Power Bank" asks about a product, not a charge.
    low = " " + " ".join(_without_model_names(text.split())).lower() + " "
    words = tokens(low)
    found = {name for name, cues in _INTENTS.items() if any(cue in low for cue in cues)}
    if "charg" in low and holds(words, _TWICE):
        found.add("duplicate_charge")
    if holds(words, _LATE) and not found & {"refund", "refund_status", "return", "exchange"}:
        found.add("track")  # "my order is late": a delivery question, though no tracking word is in it
    return frozenset(found)


def _without_model_names(words: list[str]) -> list[str]:
    """The words without model names: a capitalised word and the number after it ("Charge 20K")."""
    kept: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        following = (words[i + 1] if i + 1 < len(words) else "").rstrip(",.;:!?)")
        if word[:1].isupper() and word[1:].islower() and word.isalpha() and following[:1].isdigit() and following.isalnum():
            skip = True
            continue
        kept.append(word)
    return kept


def address(text: str) -> Address | None:
    """A comma-separated address starting with a street number: street, city, [state] postcode[, country]."""
    match = _STREET.search(text)
    if not match:
        return None
    rest = [p.strip(" .") for p in text[match.end():].split(",")]
    rest = [p for p in rest if p][:3]
    if len(rest) < 2:
        return None
    city, postal_part = rest[0], rest[1]
    postal = _POSTAL.match(postal_part)
    if not postal:
        return None
    # The country ends where the sentence goes on in lower case ("..., USA instead.").
    named = re.match(r"[A-Z][\w]*(?:\s+(?:of\s+)?[A-Z][\w]*)*", rest[2]) if len(rest) > 2 else None
    country = named.group(0) if named else None
    return Address(match.group(1).strip(" ."), city, postal.group(2), country or None, postal.group(1))


def extract_for(text: str, skill: OfflineSkill) -> Entities:
    """Everything ``text`` says, its products and devices read with the words of the shop's skill."""
    return extract(text, skill.product_words, skill.device_words)


@lru_cache(maxsize=512)
def extract(text: str, products: tuple[str, ...] = (), devices: tuple[str, ...] = ()) -> Entities:
    """Everything this module can read from ``text``: ``products`` and ``devices`` are a shop's words for
    what it sells and what customers use it with (none by default: only ids, amounts, contacts, intents)."""
    words = tokens(text)
    named_devices = tuple(d for d in devices if holds(words, (" ".join(tokens(d)),)))
    name = _NAME_CHANGE.search(text)
    phone = _PHONE.search(_EMAIL.sub(" ", text))
    phone_text = phone.group(0).strip() if phone and sum(c.isdigit() for c in phone.group(0)) >= 7 else None
    if phone is not None and phone_text and "ORD" in text[max(0, phone.start() - 4):phone.start()].upper():
        phone_text = None
    # A question is not a yes ("ok, but what about the other order?"), unless it is a very short one.
    yes = bool(_YES.search(text)) and ("?" not in text or len(text.split()) <= 4)
    heard = text.lower()
    for phrase in _NOT_REFUSALS:
        heard = heard.replace(phrase, "")
    no = bool(_NO.search(heard)) and not (words[:1] and words[0] in _YES_WORDS)
    email = _EMAIL.search(text)
    return Entities(
        order_ids=order_ids(text),
        amounts=amounts(text),
        products=product_words(text, products),
        devices=named_devices,
        email=email.group(0) if email else None,
        phone=phone_text,
        name=name.group(1).strip() if name else None,
        address=address(text),
        intents=intents(text) | ({"change_address"} if address(text) else set()),
        affirmative=yes and not no,
        negative=no,
        ordinal=ordinal(text),
    )


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    seen: list[T] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)
