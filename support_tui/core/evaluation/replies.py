"""Checks of one customer-facing reply against what its turn knew: grounding, raw values, KB quoting, coverage."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from support_tui.core.evaluation.routing import DatasetError
from support_tui.core.paths import PROJECT_ROOT
from support_tui.core.turn.summary import TurnSummary

RULES: dict[str, str] = {
    "grounded": "every amount, id and date in the reply appears in the turn's tool results, snippets or message",
    "raw_values": "no raw timestamps, snake_case statuses, SKUs without a name, Python values or '(s)' plurals",
    "kb_quoting": "knowledge-base text is quoted in whole sentences and whole numbered lists, never a glued heading",
    "answered": "every request in the message is answered (the case's must_mention), nothing it must not say",
    "confirmed_amount": "after a yes, the amount the confirmation quoted is the amount the write executed",
    "no_order_details": "general and off-topic questions pull no customer data and show no order details",
    "replied": "the turn completed with a reply",
}
"""Each rule a reply is checked against, with the line the report prints."""

CUSTOMER_DATA_TOOLS = frozenset({
    "list_orders", "lookup_order", "track_shipment", "explain_charges", "get_billing_history", "list_returns",
    "check_return_eligibility", "get_account",
})
"""Tools that read the customer's own records: a general question needs none of them."""

MONEY_WRITES = frozenset({"create_return", "issue_refund"})

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AMOUNT = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+(?:\.\d{2})?|\d+(?:\.\d{2})?)")
_IDS = re.compile(r"\b(?:ORD-\d+|RMA-\d+|rf_\d+|ch_\w+|1Z[0-9A-Z]{10,})\b")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
_PYTHON = re.compile(r"\b(?:None|True|False)\b")
_SKU = re.compile(r"\b[A-Z]{2}-\d{4}(?:-[A-Z]{2,5})?\b")
_URL_OR_EMAIL = re.compile(r"https?://\S+|[\w.+-]+@[\w.-]+\.\w+")
_DAY_MONTH = re.compile(rf"\b(?:({'|'.join(_WEEKDAYS)}),?\s+)?(\d{{1,2}})\s+({'|'.join(_MONTHS)})\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b({'|'.join(_MONTHS)})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_DAYS_AGO = re.compile(r"\b(\d+) days? ago\b")
_WORDS = re.compile(r"[a-z0-9$.,']+")


@dataclass(frozen=True)
class ReplyTurn:
    """One customer message of a case and what its reply must (not) say."""

    text: str
    must_mention: tuple[tuple[str, ...], ...] = ()
    """Each entry is one request of the message: any of its alternatives must appear (case-insensitive)."""
    must_not_mention: tuple[str, ...] = ()
    general: bool = False
    """A general, greeting or off-topic message: no customer data is read and no order details shown."""


@dataclass(frozen=True)
class ReplyCase:
    """A short conversation with one customer."""

    id: str
    customer: str
    turns: tuple[ReplyTurn, ...]


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


@dataclass
class TurnReport:
    """One reply and what it got wrong."""

    case_id: str
    index: int
    text: str
    reply: str
    violations: list[Violation] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case_id, "turn": self.index, "text": self.text, "reply": self.reply, "clean": self.clean,
                "violations": [v.__dict__ for v in self.violations]}


def default_cases_dir() -> Path:
    return PROJECT_ROOT / "fixtures" / "replies"


def load_reply_cases(path: Path | None = None) -> list[ReplyCase]:
    """Cases from a JSONL file, or every ``*.jsonl`` in a folder (default: fixtures/replies)."""
    path = path or default_cases_dir()
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    cases: list[ReplyCase] = []
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                turns = tuple(ReplyTurn(
                    text=t["text"],
                    must_mention=tuple(tuple([m] if isinstance(m, str) else m) for m in t.get("must_mention", ())),
                    must_not_mention=tuple(t.get("must_not_mention", ())),
                    general=bool(t.get("general", False)),
                ) for t in raw["turns"])
                cases.append(ReplyCase(raw["id"], raw["customer"], turns))
            except (ValueError, KeyError, TypeError) as exc:
                raise DatasetError(f"{file.name} line {n}: {exc}") from None
    if not cases:
        raise DatasetError(f"no reply cases in {path}")
    return cases


# what the knowledge base says -----------------------------------------------------------------------


def _plain_markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\*\*|__|`", "", text)


@lru_cache(maxsize=1)
def kb_text() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """The KB's sentences (as word tuples' text), its numbered lists, and its multi-word headings."""
    sentences: list[str] = []
    lists: list[tuple[str, ...]] = []
    headings: list[str] = []
    for path in sorted((PROJECT_ROOT / "kb").glob("*.md")):
        current: list[str] = []
        for line in _plain_markdown(path.read_text(encoding="utf-8")).splitlines():
            stripped = line.strip()
            heading = re.match(r"#{2,6}\s+(.*)", stripped)
            if heading and len(heading.group(1).split()) >= 2:
                headings.append(heading.group(1).strip())
            item = re.match(r"\d+[.)]\s+(.*)", stripped)
            if item:
                current.append(item.group(1))
            elif stripped and current:
                lists.append(tuple(current))
                current = []
            if stripped and not heading:
                body = re.sub(r"^(?:\d+[.)]|[-*])\s+", "", stripped)
                sentences.extend(s for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) >= 7)
        if current:
            lists.append(tuple(current))
    return tuple(sentences), tuple(lists), tuple(headings)


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower().replace("\u2019", "'"))).replace(" .", ".")


def _shingles(words: list[str], n: int = 8) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def kb_quoting(reply: str) -> list[Violation]:
    """KB sentences quoted in part, headings glued to a sentence, numbered lists cut short."""
    sentences, lists, headings = kb_text()
    out: list[Violation] = []
    flat = _norm(reply)
    whole = [n for n in (_norm(s).rstrip(".") for s in sentences) if n in flat]
    rest = flat
    for quoted in sorted(whole, key=len, reverse=True):
        rest = rest.replace(quoted, " | ")
    rest_shingles = _shingles(rest.split())
    for sentence in sentences:
        normal = _norm(sentence).rstrip(".")
        if normal in whole:
            if sentence.rstrip().endswith(":"):
                out.append(Violation("kb_quoting", f"a KB sentence that introduces a list, quoted alone: {sentence[:80]!r}"))
        elif rest_shingles & _shingles(normal.split()):
            out.append(Violation("kb_quoting", f"part of a KB sentence: {sentence[:80]!r}"))
    corpus = " ".join(_norm(x) for x in sentences)
    for piece in re.split(r"(?<=[.!?])\s+|\n+", reply):
        piece = piece.strip()
        if re.match(r"[a-z](?![A-Z])", piece) and len(piece.split()) >= 3 and _norm(piece).rstrip(".") in corpus:
            out.append(Violation("kb_quoting", f"a KB sentence quoted from its middle: {piece[:80]!r}"))
        elif re.search(r"\b(?:here is what|here's what|the following|as follows)\b", piece, re.IGNORECASE) \
                and _norm(piece).rstrip(".") in corpus:
            out.append(Violation("kb_quoting", f"a KB sentence announcing text that is not quoted: {piece[:80]!r}"))
    for heading in headings:
        heading = re.sub(r"^(?:The|A|An)\s+", "", heading)
        if len(heading.split()) >= 2 and re.search(rf"{re.escape(heading)}\s+[A-Z]", reply):
            out.append(Violation("kb_quoting", f"heading glued to a sentence: {heading!r}"))
    numbered = [_norm(m)[:40] for m in re.findall(r"(?m)^\s*\d+[.)]\s+(.*)$", reply)]
    for items in lists:
        keys = [_norm(i)[:40] for i in items]
        shown = [k for k in keys if any(k[:30] in line or line[:30] in k for line in numbered)]
        if shown and len(shown) < len(items):
            out.append(Violation("kb_quoting", f"{len(shown)} of the {len(items)} steps of a KB list"))
    return out


# grounding --------------------------------------------------------------------------------------------


def _values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [value]


def _source_text(summaries: list[TurnSummary], messages: list[str]) -> str:
    parts = [*messages, *(s.text for summary in summaries for s in summary.kb)]
    for call in (c for summary in summaries for c in summary.tool_calls):
        parts.append(json.dumps([call.arguments, call.result, call.error], default=str))
    return "\n".join(parts)


def _source_amounts(summaries: list[TurnSummary], text: str) -> set[float]:
    found = {round(float(m.replace(",", "")), 2) for m in _AMOUNT.findall(text)}
    for call in (c for summary in summaries for c in summary.tool_calls):
        for v in _values([call.arguments, call.result]):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                found.add(round(float(v), 2))
            elif isinstance(v, str):
                found.update(round(float(x), 2) for x in re.findall(r"\d+(?:\.\d+)?", v.replace(",", ""))[:20])
    return found


def _source_dates(text: str) -> set[date]:
    found: set[date] = set()
    for y, m, d in re.findall(r"\b(\d{4})-(\d{2})-(\d{2})", text):
        try:
            found.add(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    for month, day in _MONTH_DAY.findall(text):
        found.add(date(2000, _MONTHS.index(month.lower()) + 1, int(day)))
    for day, month in ((d, m) for _, d, m in _DAY_MONTH.findall(text)):
        found.add(date(2000, _MONTHS.index(month.lower()) + 1, int(day)))
    return found


def grounded(reply: str, summaries: list[TurnSummary], messages: list[str], today: date) -> list[Violation]:
    """Amounts, ids and dates of the reply found in what the conversation's turns so far read or were told."""
    out: list[Violation] = []
    text = _source_text(summaries, messages)
    amounts = _source_amounts(summaries, text)
    for raw in _AMOUNT.findall(reply):
        if round(float(raw.replace(",", "")), 2) not in amounts:
            out.append(Violation("grounded", f"amount ${raw} is in no tool result or snippet"))
    for ident in set(_IDS.findall(reply)):
        if ident not in text:
            out.append(Violation("grounded", f"id {ident} is in no tool result or snippet"))
    dates = _source_dates(text)
    days = {(d.month, d.day) for d in dates}
    for weekday, day, month in _DAY_MONTH.findall(reply):
        key = (_MONTHS.index(month.lower()) + 1, int(day))
        if key not in days:
            out.append(Violation("grounded", f"date {day} {month} is in no tool result or snippet"))
        elif weekday:
            real = [d for d in dates if (d.month, d.day) == key and d.year != 2000]
            if real and all(_WEEKDAYS[d.weekday()] != weekday.lower() for d in real):
                out.append(Violation("grounded", f"{weekday} {day} {month}: wrong day of the week"))
    for month, day in _MONTH_DAY.findall(reply):
        if (_MONTHS.index(month.lower()) + 1, int(day)) not in days:
            out.append(Violation("grounded", f"date {month} {day} is in no tool result or snippet"))
    for n in _DAYS_AGO.findall(reply):
        if today - timedelta(days=int(n)) not in dates and str(n) not in text:
            out.append(Violation("grounded", f"'{n} days ago' matches no date in the tool results"))
    return out


def raw_values(reply: str, summary: TurnSummary) -> list[Violation]:
    out: list[Violation] = []
    words = _URL_OR_EMAIL.sub(" ", reply)
    for stamp in _ISO.findall(words):
        out.append(Violation("raw_values", f"raw date or timestamp {stamp}"))
    for enum in set(_SNAKE.findall(words)):
        out.append(Violation("raw_values", f"snake_case value {enum!r}"))
    for value in set(_PYTHON.findall(words)):
        out.append(Violation("raw_values", f"Python value {value}"))
    if re.search(r"\w\(s\)", words):
        out.append(Violation("raw_values", "a '(s)' plural"))
    repeated = re.search(r"\b([A-Za-z]{3,})\s+\1\b", words, re.IGNORECASE)
    if repeated:
        out.append(Violation("raw_values", f"word repeated: {repeated.group(0)!r}"))
    names: dict[str, str] = {}
    for call in summary.tool_calls:
        _collect_names(call.result, names)
    for sku in set(_SKU.findall(words)):
        name = names.get(sku, "")
        if not name or name.split(" (")[0].lower() not in reply.lower():
            out.append(Violation("raw_values", f"SKU {sku} without its product name"))
    return out


def _collect_names(value: Any, names: dict[str, str]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("sku"), str) and isinstance(value.get("name"), str):
            names[value["sku"]] = value["name"]
        for item in value.values():
            _collect_names(item, names)
    elif isinstance(value, list):
        for item in value:
            _collect_names(item, names)


def answered(reply: str, turn: ReplyTurn) -> list[Violation]:
    low = reply.lower()
    out = [Violation("answered", f"says none of {list(group)}") for group in turn.must_mention
           if not any(alt.lower() in low for alt in group)]
    out += [Violation("answered", f"says {bad!r}") for bad in turn.must_not_mention if bad.lower() in low]
    return out


def executed_amount(summary: TurnSummary) -> float | None:
    """The money a write moved in this turn (a return's refund or a refund), or None."""
    for call in summary.tool_calls:
        if call.name in MONEY_WRITES and call.status == "ok":
            result = call.result if isinstance(call.result, dict) else {}
            amount = result.get("amount", call.arguments.get("amount"))
            if isinstance(amount, (int, float)):
                return round(float(amount), 2)
    return None


def confirmed_amount(summary: TurnSummary, previous_reply: str | None) -> list[Violation]:
    executed = executed_amount(summary)
    if executed is None or previous_reply is None:
        return []
    quoted = [round(float(a.replace(",", "")), 2) for a in _AMOUNT.findall(previous_reply)]
    if not quoted:
        return [Violation("confirmed_amount", f"the confirmation quoted no amount; ${executed:,.2f} was executed")]
    if executed not in quoted or max(quoted) != executed:
        return [Violation("confirmed_amount", f"quoted {', '.join(f'${q:,.2f}' for q in quoted)}; "
                                              f"${executed:,.2f} was executed")]
    return []


def no_order_details(reply: str, summary: TurnSummary) -> list[Violation]:
    used = sorted({c.name for c in summary.tool_calls} & CUSTOMER_DATA_TOOLS)
    out = [Violation("no_order_details", f"read the customer's records: {', '.join(used)}")] if used else []
    ids = sorted(set(re.findall(r"\bORD-\d+\b|\b1Z[0-9A-Z]{10,}\b", reply)))
    if ids:
        out.append(Violation("no_order_details", f"shows order details: {', '.join(ids)}"))
    return out


def check_reply(turn: ReplyTurn, summary: TurnSummary, previous_reply: str | None, today: date,
                earlier: tuple[list[TurnSummary], list[str]] = ([], [])) -> list[Violation]:
    """Everything wrong with this turn's reply; ``earlier`` holds the case's earlier summaries and messages."""
    reply = summary.reply or ""
    if summary.status == "failed" or not reply.strip():
        return [Violation("replied", f"no reply (status {summary.status}: {summary.error})")]
    summaries, messages = [*earlier[0], summary], [*earlier[1], turn.text]
    out = grounded(reply, summaries, messages, today) + raw_values(reply, summary) + kb_quoting(reply)
    out += answered(reply, turn) + confirmed_amount(summary, previous_reply)
    if turn.general:
        out += no_order_details(reply, summary)
    return out


def rule_counts(reports: list[TurnReport]) -> dict[str, int]:
    """How many replies break each rule (a reply counts once per rule)."""
    return {rule: sum(any(v.rule == rule for v in r.violations) for r in reports) for rule in RULES}
