"""What a turn searches the knowledge base for: each request of the message, merged so none is crowded out.

"Do you ship to Canada, and how long do I have to return something?" asks two things; one search
for the whole message returned four shipping snippets and nothing on returns.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Sequence

from support_tui.core.events import Snippet
from support_tui.core.turn.parts import Encoder, Retriever

FOLLOW_UP_WORDS = 3
"""A message this short is read with the one before it when searching the knowledge base."""
MIN_REQUEST_WORDS = 3
"""A part of a message shorter than this is not a request of its own."""
MAX_REQUESTS = 3
PER_REQUEST = 3
"""With several requests, each keeps its best three snippets (an answer section is often second or third)."""
MAX_SNIPPETS = 8

_SENTENCE = re.compile(r"(?<=[?.!])\s+")
_JOINED = re.compile(r",?\s+(?:and|also|plus)\s+(?=(?:how|what|when|where|why|which|who|can|could|do|does|is|are|will|would|should|i|my)\b)",
                     re.IGNORECASE)


def requests_in(text: str) -> list[str]:
    """The separate requests of a message: its sentences, and questions joined by "and"."""
    parts: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        parts.extend(p.strip(" ,") for p in _JOINED.split(sentence))
    requests = [p for p in parts if len(p.split()) >= MIN_REQUEST_WORDS]
    return requests[:MAX_REQUESTS] if len(requests) > 1 else [text]


def search_query(text: str, earlier: Sequence[str]) -> str:
    """A bare follow-up ("yes", "ok thanks") is searched together with the customer's previous message."""
    return f"{earlier[-1]} {text}" if len(text.split()) <= FOLLOW_UP_WORDS and earlier else text


async def embed(embedder: Encoder, text: str, query: str) -> tuple[Any, list[str], list[Any]]:
    """One encode call for the message (routing) and every search query; returns (message vector, queries, their vectors)."""
    queries = requests_in(query)
    texts = [text, *[q for q in queries if q != text]]
    vectors = await embedder.aencode(texts)
    by_text = dict(zip(texts, vectors))
    return vectors[0], queries, [by_text[q] for q in queries]


async def retrieve(kb: Retriever, queries: Sequence[str], vectors: Sequence[Any], k: int) -> list[Snippet]:
    """The best ``k`` snippets; with several requests, every request's best three are among them.

    Rank by rank (each request's best, then each one's second ...), the more relevant first within
    a rank: a request whose snippets score lower overall still gets its answer in.
    """
    if len(queries) == 1:
        return await kb.search(queries[0], k=k, vector=vectors[0])
    found = await asyncio.gather(*(kb.search(q, k=k, vector=v) for q, v in zip(queries, vectors)))
    merged: list[Snippet] = []
    seen: set[str] = set()
    for rank in range(k):
        for snippet in sorted((hits[rank] for hits in found if rank < len(hits)), key=lambda s: -s.score):
            if snippet.chunk_id not in seen:
                seen.add(snippet.chunk_id)
                merged.append(snippet)
    return merged[: min(max(k, PER_REQUEST * len(queries)), MAX_SNIPPETS)]
