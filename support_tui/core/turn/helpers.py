"""Small pieces of a turn: order numbers in a message, which snippets a reply used."""

from __future__ import annotations

import re
from typing import Sequence

from support_tui.core.events import Snippet

_ORDER_ID = re.compile(r"\b(?:ORD-?)?(\d{5})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_STOP = set("this that with from your have will when what which there their about into them they then than been were "
            "also just only more most some such very over here please thank thanks could would should".split())


def order_ids(text: str) -> list[str]:
    """Order numbers mentioned in a message (``ORD-67890``, ``#67890``)."""
    return [f"ORD-{m}" for m in dict.fromkeys(_ORDER_ID.findall(text))]


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def snippets_used(reply: str, snippets: Sequence[Snippet], threshold: float = 0.3) -> list[str]:
    """chunk_ids of snippets whose distinctive words make up a good part of the reply."""
    reply_words = _words(reply)
    if not reply_words:
        return []
    used = []
    for s in snippets:
        overlap = reply_words & _words(s.text)
        if len(overlap) >= 4 and len(overlap) / max(1, min(len(reply_words), 40)) >= threshold:
            used.append(s.chunk_id)
    return used
