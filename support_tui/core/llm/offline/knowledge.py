"""Knowledge-base snippet text turned into steps and sentences a reply can quote."""

from __future__ import annotations

import re

from .request import KbSnippet, Request

_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\s+(?=\d+[.)]\s)|\s+[-•*]\s+|\n+")
_NUMBERED = re.compile(r"(?:^|\s)\d+[.)]\s+")
_NUMBERING = re.compile(r"^\s*(?:step\s*)?\d+\s*[.):]\s*", re.IGNORECASE)
# Snippets arrive on one line, so a markdown heading runs into the next sentence: it ends where a
# word starts with a capital, a digit or a list mark ("## Tracking not updating A new number ...").
_HEADING = re.compile(r"#{1,6}\s+\S+(?:\s+(?![A-Z0-9*\-•|])\S+)*")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_STOP = frozenset(
    "the and for you your with this that what when where which will would could should have from into "
    "about there their they them then than just also been being does doesn't dont don't cant can't can "
    "not how why our are was were its it's i'm i've please hi hello thanks thank want need help get my".split()
)


def clean(text: str) -> str:
    """Snippet text without markdown: headings, emphasis and links dropped to their words."""
    text = _LINK.sub(r"\1", text or "")
    text = _HEADING.sub(" ", text)
    text = re.sub(r"\|[^.!?]*", " ", text)  # table rows, flattened onto the line, up to the next sentence
    return re.sub(r"\*\*|__|`", "", text)


def sentences(text: str, min_words: int = 4) -> list[str]:
    """The snippet's sentences, numbering removed, each ending with punctuation; table rows left out."""
    out = []
    for piece in _SPLIT.split(clean(text)):
        piece = _NUMBERING.sub("", piece).strip(" -•*\t")
        # "... shows one of these steps:" introduces a list a quote of whole sentences leaves out.
        if len(piece.split()) < min_words or "|" in piece or piece.endswith(":"):
            continue
        # "Return started: we emailed your RMA ..." is a row of a status list; quoted alone it
        # reads as a fact about the customer's own order.
        if ":" in " ".join(piece.split()[:5]):
            continue
        out.append(piece if piece.endswith((".", "!", "?")) else piece.rstrip(":;,") + ".")
    return out


def steps(snippet: KbSnippet, limit: int = 3) -> list[str]:
    """The first few steps of a troubleshooting snippet in its own words: its numbered items when it has them."""
    text = clean(snippet.text)
    items = _NUMBERED.split(text)[1:]
    if len(items) >= 2:
        found = [sentences(item, min_words=2)[:1] for item in items]
        return [s[0] for s in found if s][:limit]
    return sentences(text)[:limit]


def _stem(word: str) -> str:
    """A crude stem so "charged", "charges" and "charge" meet."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _STOP}


def relevant(request: Request) -> KbSnippet | None:
    """The first snippet close enough to what the customer wrote: shared words, a title's counting double."""
    intents = " ".join(i.replace("_", " ") for i in request.said.intents)
    asked = _words(" ".join([request.latest, *request.earlier_user[-1:], intents]))
    for snippet in request.snippets:
        score = len(asked & _words(snippet.text)) + 2 * len(asked & _words(snippet.title))
        if score >= 3:
            return snippet
    return None


def relevant_sentences(request: Request, limit: int = 2) -> list[str]:
    snippet = relevant(request)
    return sentences(snippet.text)[:limit] if snippet else []
