"""The knowledge base as whole answers: an article's answer section, or a complete numbered list of steps."""

from __future__ import annotations

import re
from dataclasses import dataclass

from support_tui.core.shop.offline import KbSnippet

from .wording import tokens

_ANSWER = re.compile(r"^#{2}\s+Answer\s+(.*?)(?=\s#{1,6}\s|$)", re.DOTALL)
_ANNOUNCES = ("here is", "here's", "here are", "the following", "read on", "see below")
"""A sentence that starts so announces what follows; on its own it answers nothing."""
_STEP = re.compile(r"(?:^|\s)(\d+)[.)]\s+")
_STOP = frozenset(
    "the and for you your with this that what when where which will would could should have from into about there "
    "their they them then than just also been being does doesn't dont don't cant can't can not how why our are was "
    "were its it's i'm i've please hi hello thanks thank want need help get my do is a an to of in on it or if me "
    "any there's who".split()
)


@dataclass(frozen=True)
class KbAnswer:
    """An article's short answer, quoted whole."""

    title: str
    text: str


def _clean(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\*\*|__|`", "", text).strip()


def answers(snippets: list[KbSnippet]) -> list[KbAnswer]:
    """The answer sections among the retrieved snippets, best ranked first."""
    out = []
    for s in snippets:
        match = _ANSWER.match(s.text.strip())
        if match and match.group(1).strip():
            out.append(KbAnswer(s.title, _clean(match.group(1))))
    return out


def _stem(word: str) -> str:
    """A crude stem: "shipping", "ships" and "shipped" all give "ship"."""
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls" else word
    return word


def words(text: str) -> set[str]:
    """The stems of a text's content words."""
    return {_stem(w) for w in tokens(text) if w[0].isalpha() and w not in _STOP and len(w) > 2}


def best_answer(question: str, snippets: list[KbSnippet], minimum: int = 1) -> KbAnswer | None:
    """The answer whose title and text share most words with the question (titles count double)."""
    asked = words(question)
    scored = [(len(asked & words(a.text)) + 2 * len(asked & words(a.title)), -i, a)
              for i, a in enumerate(answers(snippets))]
    scored = [s for s in scored if s[0] >= minimum]
    return max(scored)[2] if scored else None


def steps(snippet: KbSnippet) -> list[str]:
    """A complete numbered list of the snippet (1, 2, 3 ... to its last item), or nothing."""
    text = _clean(snippet.text)
    marks = list(_STEP.finditer(text))
    if len(marks) < 2 or marks[0].group(1) != "1":
        return []
    items = []
    for n, mark in enumerate(marks):
        if int(mark.group(1)) != n + 1:
            break
        end = marks[n + 1].start() if n + 1 < len(marks) else len(text)
        item = re.split(r"\s#{1,6}\s|\s\|", text[mark.end():end])[0].strip()  # a heading or a table ends a step
        if n + 1 == len(marks) or int(marks[n + 1].group(1)) != n + 2:
            # The last step ends with its own sentence; what follows it is another paragraph.
            item = re.split(r"(?<=[.!?])\s+(?=[A-Z])", item)[0]
        items.append(item)
    return items if len(items) >= 2 else []


def best_section(question: str, snippets: list[KbSnippet], minimum: int = 2) -> str | None:
    """When no answer section fits: the closest section's complete steps, or its first whole sentences."""
    asked = words(question)
    best: tuple[int, str] | None = None
    for s in snippets:
        for part in re.split(r"(?:^|\s)#{2,6}\s+", _clean(s.text)):
            heading, body = _heading_and_body(part)
            score = 2 * len(asked & words(heading)) + len(asked & words(body)) + len(asked & words(s.title))
            if body and score >= minimum and (best is None or score > best[0]):
                best = (score, body)
    if best is None:
        return None
    found = steps(KbSnippet("", "", best[1]))
    if found:
        return "\n".join(f"{i}. {step}" for i, step in enumerate(found, 1))
    whole = []
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", best[1]):
        if " - " in sentence or sentence.startswith("-") or "|" in sentence or not sentence.endswith((".", "!", "?")):
            break
        if sentence.lower().startswith(_ANNOUNCES):
            break  # "Here is how we put it right." announces what follows; on its own it answers nothing
        whole.append(sentence)
    return " ".join(whole[:2]) or None


def _heading_and_body(part: str) -> tuple[str, str]:
    """A flattened section: its heading runs until the first word that starts a sentence or a list."""
    match = re.match(r"((?:\S+\s+){1,8}?)(?=(?:[A-Z][a-z]+|\d+[.)])\s)", part)
    if not match or not match.group(1).strip():
        return "", part.strip()
    return match.group(1).strip(), part[match.end():].strip()
