"""Sentences about catalogue products: search hits, specs, stock, warranty and compatibility answers."""

from __future__ import annotations

import re
from typing import Any

from support_tui.core.shop.saying import join, product

from .words import device_model, model_name, money
from support_tui.core.shop.offline import Request, SeenCall

_DEVICE_ALIASES = {"iphone": ("iphone", "ios"), "ipad": ("ipad", "ipados", "ios"), "galaxy": ("galaxy", "samsung", "android"),
                   "samsung": ("samsung", "android"), "pixel": ("pixel", "android"), "macbook": ("macbook", "mac", "macos"),
                   "mac": ("mac", "macos")}
_DEVICE_NAMES = {"iphone": "iPhone", "ios": "iOS", "ipad": "iPad", "macbook": "MacBook", "usb-c": "USB-C",
                 "ps5": "PS5", "xbox": "Xbox"}


def search_products(o: SeenCall, request: Request) -> list[str]:
    found = [p for p in o.value("products") or [] if isinstance(p, dict)]
    if not found:
        return [f"I couldn't find a product matching \"{o.arguments.get('query', '')}\" in our catalogue."]
    shown = "; ".join(f"{p.get('name')} ({money(p.get('price'))})" if p.get("price") is not None else str(p.get("name"))
                      for p in found[:3])
    return [f"I found: {shown}."]


def _device_hits(devices: tuple[str, ...], compatibility: list[str]) -> tuple[str | None, list[str]]:
    low = [c.lower() for c in compatibility]
    for device in devices:
        hits = [compatibility[i] for i, c in enumerate(low) if any(a in c for a in _DEVICE_ALIASES.get(device, (device,)))]
        if hits:
            return device, hits
    return (devices[0] if devices else None), []


def _compatibility(name: str, compat: list[str], request: Request) -> str:
    verb = "work" if name.lower().endswith("s") else "works"
    asked = device_model(request.latest)
    listed = [(c, m) for c in compat if (m := device_model(c)) is not None]
    if asked and any(m == asked for _, m in listed):
        return f"Yes — the {name} {verb} with the {model_name(asked)}: its compatibility list includes {', '.join(compat)}."
    family = _DEVICE_ALIASES.get(asked.split()[0], ()) if asked else ()
    generic = [c for c in compat if device_model(c) is None and any(a in c.lower() for a in family)]
    if asked and listed and not generic:
        # The list names exact device models and nothing wider ("iOS 16+"): only those very models fit.
        made_for = join([f"the {model_name(m)}" for _, m in listed], "and")
        return (f"No — the {name} is made for {made_for}, not the {model_name(asked)}: its compatibility list is "
                f"{', '.join(compat)}.")
    devices = request.said.devices or request.remembered.devices
    device, hits = _device_hits(devices, compat)
    label = _DEVICE_NAMES.get(device or "", device.title() if device else "your device")
    if hits:
        return f"Yes — the {name} {verb} with {label}: its compatibility list includes {', '.join(compat)}."
    if compat:
        return f"I can't confirm the {name} {verb} with {label}: its compatibility list is {', '.join(compat)}."
    return f"The product details for the {name} don't list compatibility, so I can't confirm it."


def _variants(name: str, variants: list[dict[str, Any]], asked: set[str]) -> list[str]:
    """Sizes and colours the customer named, with stock; or every variant when the one asked for is missing."""
    def label(v: dict[str, Any]) -> str:
        return " ".join(str(v[k]) for k in ("colour", "size") if v.get(k))

    named = {w for v in variants for k in ("colour", "size") if v.get(k) for w in _question_words(str(v[k]))}
    if not asked & named and not asked & _SIZE_WORDS:
        return []
    hits = [v for v in variants if asked & _question_words(label(v))]
    shown = hits or variants
    listed = "; ".join(f"{label(v)}: {v['stock']} in stock" if v.get("stock") is not None else label(v)
                       for v in shown[:8])
    return [f"The {name} {'comes in' if hits else 'is available in'}: {listed}."]


def _spec(key: str, value: object) -> str:
    """One spec as a customer reads it: "noise cancelling: yes", not "noise_cancelling: True"."""
    shown = ("yes" if value else "no") if isinstance(value, bool) else value
    return f"{key.replace('_', ' ')}: {shown}"


def get_product(o: SeenCall, request: Request) -> list[str]:
    p = o.value("product") or {}
    name = product(p.get("name") or "this product")
    compat = [str(c) for c in p.get("compatibility") or []] if isinstance(p.get("compatibility"), list) else []
    variants = [v for v in p.get("variants") or [] if isinstance(v, dict)]
    asked = _question_words(request.latest)
    out = []
    asked_compat = "compatible" in request.said.intents or bool(request.said.devices)
    if asked_compat:
        out.append(_compatibility(name, compat, request))
    out += _variants(name, variants, asked)
    ports = [c for c in compat if asked & _question_words(c) - {"usb", "wi", "fi"}] if not asked_compat else []
    if ports:  # "does it have Thunderbolt 4?" is answered by the listing's connections
        out.append(f"Yes — the {name} has {join(ports)}.")
    specs: dict[str, Any] = p["specs"] if isinstance(p.get("specs"), dict) else {}
    answered = [k for k, v in specs.items() if asked & _question_words(f"{k.replace('_', ' ')} {v}")]
    if answered and not asked_compat:
        out.append(f"The {name} listing says: " + "; ".join(_spec(k, specs[k]) for k in answered) + ".")
    extras = []
    if p.get("price") is not None and (asked & _PRICE_WORDS or not out):
        extras.append(f"costs {money(p['price'])}")
    if p.get("stock") is not None and not variants and (asked & _STOCK_WORDS or not out):
        extras.append("is in stock" if p["stock"] else "is currently out of stock")
    if p.get("warranty_months") and "warranty" in asked:
        extras.append(f"comes with a {p['warranty_months']}-month warranty")
    if not out and not extras and p.get("description"):
        description = str(p["description"]).rstrip(".")
        out.append(f"The {name}: {description[0].lower() + description[1:]}.")
    if extras:
        out.append(f"The {name} " + join(extras) + ".")
    return out


_PRICE_WORDS = frozenset("price cost costs much expensive cheap".split())
_STOCK_WORDS = frozenset("stock available availability have sell".split())


_SIZE_WORDS = frozenset("xxs xs s m l xl xxl 2xl 3xl small medium large size sizes colour colours color colors".split())
_QUESTION_STOP = frozenset("the and does with for have has this that what how are can will you your its".split())


def _question_words(text: str) -> set[str]:
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    return {w for w in words if (len(w) > 2 or w in _SIZE_WORDS) and w not in _QUESTION_STOP}
