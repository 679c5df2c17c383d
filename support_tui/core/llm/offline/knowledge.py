"""Knowledge-base snippet text turned into steps and sentences a reply can quote."""

from __future__ import annotations

import re

from .request import KbSnippet, Request

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\s+(?=\d+[.)]\s)|\n+")
_NUMBERING = re.compile(r"^\s*(?:step\s*)?\d+\s*[.):]\s*", re.IGNORECASE)
_STOP = frozenset(
    "the and for you your with this that what when where which will would could should have from into "
    "about there their they them then than just also been being does doesn't dont don't cant can't can "
    "not how why our are was were its it's i'm i've please hi hello thanks thank want need help get my".split()
)


def sentences(text: str) -> list[str]:
    """The snippet's sentences, numbering removed, each ending with punctuation."""
    out = []
    for piece in _SPLIT.split(text or ""):
        piece = _NUMBERING.sub("", piece).strip(" -•*\t")
        if len(piece) < 3:
            continue
        out.append(piece if piece.endswith((".", "!", "?", ":")) else piece + ".")
    return out


def steps(snippet: KbSnippet, limit: int = 3) -> list[str]:
    """The first few steps of a troubleshooting snippet, in its own words."""
    return sentences(snippet.text)[:limit]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _STOP}


def relevant(request: Request) -> KbSnippet | None:
    """The first snippet sharing at least two content words with what the customer wrote."""
    asked = _words(request.latest + " " + " ".join(request.earlier_user[-1:]))
    for snippet in request.snippets:
        if len(asked & _words(snippet.title + " " + snippet.text)) >= 2:
            return snippet
    return None


def relevant_sentences(request: Request, limit: int = 2) -> list[str]:
    snippet = relevant(request)
    return sentences(snippet.text)[:limit] if snippet else []
