"""Redaction of personal data sent to external models, and of API keys in error messages."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?!\w)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEYLIKE = re.compile(
    r"(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}"  # OpenAI/Anthropic style keys
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|(?i:(?:api[_-]?key|x-api-key)[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._-]{8,}"
    r"|AIza[0-9A-Za-z_-]{20,}"  # Google
)


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum that card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    digits = re.sub(r"\D", "", found)
    if _ISO_DATE.fullmatch(found) or not 7 <= len(digits) <= 15:
        return found
    # A bare run of digits is an order or tracking number more often than a phone number.
    if found.isdigit() and len(digits) not in (10, 11):
        return found
    return "[phone]"


def redact_pii(text: str) -> str:
    """Replace emails, phone numbers and card numbers (Luhn-checked) with [email]/[phone]/[card]."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)


def redact_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A redacted copy of chat messages: text content and tool-call arguments; the input is untouched."""
    out = copy.deepcopy(messages)
    for message in out:
        content = message.get("content")
        if isinstance(content, str):
            message["content"] = redact_pii(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"] = redact_pii(part["text"])
        for call in message.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                function["arguments"] = redact_pii(function["arguments"])
    return out


def scrub_secrets(text: str, env: Mapping[str, str] | None = None) -> str:
    """Remove API keys: the values of ``*_API_KEY`` variables and anything shaped like a key."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if name.endswith(("_API_KEY", "_AUTH_TOKEN")) and len(value) >= 6:
            text = text.replace(value, "[key]")
    return _KEYLIKE.sub("[key]", text)
