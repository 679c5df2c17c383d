"""Grading the reply to a customer's first message against an answer key: right, clarify, refused, escalated, wrong."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

from support_tui.core.evaluation.routing import DatasetError, json_lines

Outcome = Literal["right", "clarify", "wrong", "refused", "escalated"]
OUTCOMES: tuple[Outcome, ...] = ("right", "clarify", "wrong", "refused", "escalated")
"""Every class a reply can get, in the order reports print them."""

OFF_TOPIC_INTENT = "off_topic"
"""The intent of lines the shop should decline: right only as the bare decline."""

DECLINE_MARK = "can't help with that here"
"""The words of the offline model's off-topic decline ("I'm sorry, I can't help with that here — ...")."""

MIN_QUOTE_WORDS = 8
"""A knowledge-base sentence counts as quoted only when it has at least this many words."""

_ENDS = " \t\n.,;:!?\"'()[]"
_EMPHASIS = re.compile(r"\*+|`+|(?<!\w)_{1,2}|_{1,2}(?!\w)")
_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|[-*+][ \t]+|\d{1,2}[.)][ \t]+)", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)])\s+")
_WORD = re.compile(r"\w")
_CLOSER = re.compile(r"\banything else\b", re.IGNORECASE)
_WHICH = re.compile(
    r"\bwhich\b|\border number\b|\bis this about\b|\bwhat would you like to change\b|\bwhat should the new\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ToolKey:
    """One accepted tool: it ran (ok), and with ``word`` the reply also says that word."""

    name: str
    word: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "ToolKey":
        name, _, word = spec.partition("~")
        return cls(name.strip(), word.strip() or None)


@dataclass(frozen=True)
class AnswerLine:
    """One customer message and what answers it (its key)."""

    text: str
    intent: str
    source: str | None = None
    accept_articles: tuple[str, ...] = ()
    """kb/ file stems whose text answers the message."""
    accept_tools: tuple[ToolKey, ...] = ()


@dataclass(frozen=True)
class ToolRun:
    """A tool the turn called, and whether it ran (status ``ok``)."""

    name: str
    ok: bool


@dataclass(frozen=True)
class TurnSeen:
    """What grading needs of a turn: the reply, the tools it called and whether it went to a person."""

    reply: str
    tools: tuple[ToolRun, ...] = ()
    escalated: bool = False


@dataclass(frozen=True)
class AnswerVerdict:
    """The class of one reply and the evidence for it."""

    outcome: Outcome
    quoted: tuple[str, ...] = ()
    """Article stems with a sentence (8+ words) in the reply."""
    reason: str = ""


def normalise(text: str) -> str:
    """Text as quotes are compared: lowercase, markdown markers and list numbers gone, one space, no end punctuation."""
    text = _LINK.sub(r"\1", text.translate(_QUOTES))
    text = _EMPHASIS.sub("", _LINE_MARK.sub(" ", text))
    return " ".join(text.lower().split()).strip(_ENDS)


def is_decline(reply: str) -> bool:
    """The off-topic decline, recognised by ``DECLINE_MARK`` in the reply (case, curly quotes and spacing ignored)."""
    return DECLINE_MARK in " ".join(reply.translate(_QUOTES).lower().split())


def asks_question(reply: str) -> bool:
    """A question other than the closing "anything else I can help with?"."""
    return any(s.rstrip().endswith("?") and not _CLOSER.search(s) for s in _sentences(reply))


def asks_which(reply: str) -> bool:
    """A question asking which order, item, product, charge or topic is meant (or the value to change to)."""
    return any(s.rstrip().endswith("?") and _WHICH.search(s) for s in _sentences(reply))


def _sentences(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in _SENTENCE_END.split(line.strip()) if s.strip()]


def article_sentences(markdown: str) -> frozenset[str]:
    """The normalised sentences of 8+ words of one article (headings and table rows left out)."""
    units: list[str] = []
    for block in re.split(r"\n\s*\n", markdown):
        current: list[str] = []
        for line in block.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", "|")):
                continue
            if _LIST_ITEM.match(stripped) and current:
                units.append(" ".join(current))
                current = []
            current.append(stripped)
        if current:
            units.append(" ".join(current))
    out = set()
    for unit in units:
        for sentence in _SENTENCE_END.split(_LIST_ITEM.sub("", unit)):
            norm = normalise(sentence)
            if sum(1 for w in norm.split() if _WORD.search(w)) >= MIN_QUOTE_WORDS:
                out.add(norm)
    return frozenset(out)


def load_articles(kb_dir: Path) -> dict[str, frozenset[str]]:
    """Every article of a knowledge-base folder (``*.md``) by file stem, as its quotable sentences."""
    return {p.stem: article_sentences(p.read_text(encoding="utf-8")) for p in sorted(kb_dir.glob("*.md"))}


def quoted_articles(reply: str, articles: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """The articles with at least one sentence in the reply, and which of their sentences."""
    norm = normalise(reply)
    found = {stem: frozenset(s for s in sentences if s in norm) for stem, sentences in articles.items()}
    return {stem: hits for stem, hits in found.items() if hits}


def classify(line: AnswerLine, turn: TurnSeen, articles: Mapping[str, frozenset[str]]) -> AnswerVerdict:
    """One reply's class; the first that holds of escalated, right, refused, clarify, wrong.

    Right: the reply quotes a sentence of an accepted article; or an accepted tool ran (for ``tool~word``
    the reply also says the word) and no sentence found only in other articles is quoted. For an
    off-topic line, right is the bare decline: no article quoted, no tool called. Clarify: a real
    question (not the closing "anything else?") with no article quoted and no tool that ran, or a
    question asking which order, product or topic is meant.
    """
    quotes = quoted_articles(turn.reply, articles)
    quoted = tuple(sorted(quotes))
    ran = {t.name for t in turn.tools if t.ok}
    if turn.escalated:
        return AnswerVerdict("escalated", quoted, "the turn handed the case to a person")
    if line.intent == OFF_TOPIC_INTENT:
        if is_decline(turn.reply) and not quotes and not turn.tools:
            return AnswerVerdict("right", quoted, "declined with no shop facts")
        return AnswerVerdict("wrong", quoted, "an off-topic message got more than the decline")
    accepted = set(line.accept_articles)
    if accepted & set(quotes):
        return AnswerVerdict("right", quoted, f"quotes {', '.join(sorted(accepted & set(quotes)))}")
    accepted_sentences = frozenset().union(*(articles.get(a, frozenset()) for a in accepted))
    foreign = sorted(stem for stem, hits in quotes.items() if hits - accepted_sentences)
    reply = turn.reply.lower()
    tool = next((k for k in line.accept_tools if k.name in ran and (k.word is None or k.word.lower() in reply)), None)
    if tool is not None and not foreign:
        return AnswerVerdict("right", quoted, f"{tool.name} ran" + (f" and the reply says '{tool.word}'" if tool.word else ""))
    if is_decline(turn.reply):
        return AnswerVerdict("refused", quoted, "the off-topic decline")
    if (asks_question(turn.reply) and not quotes and not ran) or asks_which(turn.reply):
        return AnswerVerdict("clarify", quoted, "asks what is meant")
    if foreign:
        return AnswerVerdict("wrong", quoted, f"quotes another article: {', '.join(foreign)}")
    return AnswerVerdict("wrong", quoted, "no accepted article quoted and no accepted tool ran" if not ran
                         else f"tools that ran are not accepted: {', '.join(sorted(ran))}")


def load_answer_lines(path: Path) -> list[AnswerLine]:
    """The lines of an answers file; a missing file or a line without ``text`` and ``intent`` raises ``DatasetError``."""
    lines: list[AnswerLine] = []
    for number, row in json_lines(path, "an object with 'text', 'intent', 'accept_articles' and 'accept_tools'"):
        text, intent = row.get("text"), row.get("intent")
        articles, tools = row.get("accept_articles", []), row.get("accept_tools", [])
        if not isinstance(text, str) or not text.strip() or not isinstance(intent, str) or not intent:
            raise DatasetError(f"{path}:{number}: needs a non-empty 'text' and 'intent'")
        if not _strings(articles) or not _strings(tools):
            raise DatasetError(f"{path}:{number}: 'accept_articles' and 'accept_tools' must be lists of strings")
        source = row.get("source")
        lines.append(AnswerLine(text, intent, source if isinstance(source, str) else None, tuple(articles),
                                tuple(ToolKey.parse(t) for t in tools)))
    if not lines:
        raise DatasetError(f"{path}: no lines")
    return lines


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def unknown_articles(lines: Iterable[AnswerLine], articles: Mapping[str, Any]) -> list[str]:
    """Article stems the keys name that the knowledge base does not have (a renamed or removed article)."""
    return sorted({a for line in lines for a in line.accept_articles} - set(articles))


@dataclass(frozen=True)
class AnswerReport:
    """Shares of each class overall and per intent."""

    n: int
    counts: Mapping[Outcome, int]
    per_intent: Mapping[str, Mapping[Outcome, int]] = field(default_factory=dict)

    def share(self, outcome: Outcome) -> float:
        return self.counts[outcome] / self.n if self.n else 0.0

    def intent_share(self, intent: str, outcome: Outcome) -> float:
        counts = self.per_intent[intent]
        total = sum(counts.values())
        return counts[outcome] / total if total else 0.0

    def intents_weakest_first(self) -> list[str]:
        return sorted(self.per_intent, key=lambda i: (self.intent_share(i, "right"), -sum(self.per_intent[i].values()), i))

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            **{o: round(self.share(o), 3) for o in OUTCOMES},
            "per_intent": {
                intent: {"n": sum(self.per_intent[intent].values()),
                         **{o: round(self.intent_share(intent, o), 3) for o in OUTCOMES}}
                for intent in self.intents_weakest_first()
            },
        }


def answer_report(graded: Sequence[tuple[AnswerLine, AnswerVerdict]]) -> AnswerReport:
    """Count the classes over graded lines, overall and per intent."""
    counts: Counter[Outcome] = Counter({o: 0 for o in OUTCOMES})
    per_intent: dict[str, Counter[Outcome]] = {}
    for line, verdict in graded:
        counts[verdict.outcome] += 1
        per_intent.setdefault(line.intent, Counter({o: 0 for o in OUTCOMES}))[verdict.outcome] += 1
    return AnswerReport(len(graded), dict(counts), {i: dict(c) for i, c in per_intent.items()})
