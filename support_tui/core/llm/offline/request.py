"""The engine's chat request read back into parts: context, memory, snippets, history and this turn's tools."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .entities import Entities, extract

_CONFIRM_DEFAULT = ("create_return", "issue_refund", "cancel_order", "change_shipping_address", "update_account")
"""Used only when the engine's context carries no ``confirm_tools`` line."""

_SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
_SNIPPET = re.compile(r"^\[kb:([^\]]+)\]\s*(.*)$")


@dataclass(frozen=True)
class KbSnippet:
    """One knowledge-base chunk as the system prompt lists it."""

    chunk_id: str
    title: str
    text: str


@dataclass(frozen=True)
class ToolOutcome:
    """A tool call made earlier in this turn, with what came back."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    status: str = "missing"
    result: Any = None
    error: str | None = None
    rule: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def value(self, key: str, default: Any = None) -> Any:
        return self.result.get(key, default) if isinstance(self.result, dict) else default


@dataclass
class Request:
    """Everything the offline model reads from one call."""

    specialist: str = ""
    context: dict[str, str] = field(default_factory=dict)
    pending_proposal: dict[str, Any] | None = None
    escalation: dict[str, Any] | None = None
    memory: list[str] = field(default_factory=list)
    snippets: list[KbSnippet] = field(default_factory=list)
    latest: str = ""
    earlier_user: list[str] = field(default_factory=list)
    outcomes: list[ToolOutcome] = field(default_factory=list)
    rounds: int = 0
    tools: tuple[str, ...] = ()
    calls_so_far: int = 0
    prompt_chars: int = 0
    said: Entities = field(default_factory=Entities)
    remembered: Entities = field(default_factory=Entities)
    previous_reply: str = ""
    """The agent's last reply before the latest message (the question a short answer continues)."""

    @property
    def offered_order_ids(self) -> tuple[str, ...]:
        """The orders the previous reply offered as choices: those in its closing question, else all it named."""
        question = next((s for s in reversed(re.split(r"(?<=[.!])\s+", self.previous_reply)) if s.rstrip().endswith("?")), "")
        return extract(question).order_ids or extract(self.previous_reply).order_ids

    @property
    def picked_order_id(self) -> str | None:
        """The order a short answer picks from the previous reply's choices ("the second one")."""
        choices, n = self.offered_order_ids, self.said.ordinal
        if n is None and len(choices) == 1 and self.said.affirmative and len(self.latest.split()) <= 6:
            n = 0  # "yes" to "Would you like me to return order ORD-1?" takes the one order offered
        if n is None or not choices or n >= len(choices):
            return None
        return choices[n]

    @property
    def today(self) -> date:
        """The shop's day: the context's ``today`` line when the engine sends one, else the clock's."""
        try:
            return date.fromisoformat(self.context.get("today", "")[:10])
        except ValueError:
            return date.today()

    @property
    def confirm_tools(self) -> frozenset[str]:
        """Tools that need the customer's yes, as the engine lists them."""
        listed = {t.strip() for t in self.context.get("confirm_tools", "").split(",") if t.strip()}
        return frozenset(listed or _CONFIRM_DEFAULT)

    @property
    def proposal_call(self) -> tuple[str, dict[str, Any]] | None:
        """The pending proposal's exact call: ``{"call": {"tool", "arguments"}}`` (or the older ``name``)."""
        p = self.pending_proposal or {}
        inner = p.get("call")
        call: dict[str, Any] = inner if isinstance(inner, dict) else p
        name = call.get("tool") or call.get("name")
        return (str(name), dict(call.get("arguments") or {})) if name else None

    @property
    def proposal_quote(self) -> dict[str, Any]:
        quote = (self.pending_proposal or {}).get("quote")
        return quote if isinstance(quote, dict) else {}

    @property
    def customer_first_name(self) -> str:
        return (self.context.get("customer_name") or "").split(" ")[0]

    @property
    def escalated(self) -> bool:
        flagged = self.context.get("escalated", "").lower() == "true" or self.escalation is not None
        return flagged or self.specialist == "escalation_manager"

    @property
    def route_clarify(self) -> bool:
        return self.context.get("route_clarify", "").lower() == "true"

    @property
    def route_options(self) -> list[str]:
        return [o.strip() for o in self.context.get("route_options", "").split(",") if o.strip()]

    @property
    def intent_decision(self) -> str | None:
        """What the engine's intent layer decided about the message (answer, ask, rephrase, decline,
        follow_up, several), or None when the shop has no intent catalogue (or an older prompt)."""
        return self.context.get("intent_decision") or None

    @property
    def intent_article(self) -> str | None:
        return self.context.get("intent_article") or None

    @property
    def intent_flow(self) -> str | None:
        return self.context.get("intent_flow") or None

    @property
    def intent_topic_flow(self) -> str | None:
        return self.context.get("intent_topic_flow") or None

    @property
    def intent_options(self) -> list[str]:
        return [o.strip() for o in self.context.get("intent_options", "").split(" | ") if o.strip()]

    def offers(self, tool: str) -> bool:
        return tool in self.tools

    def called(self, name: str) -> list[ToolOutcome]:
        return [o for o in self.outcomes if o.name == name]

    def last(self, name: str) -> ToolOutcome | None:
        found = self.called(name)
        return found[-1] if found else None

    def already(self, name: str, arguments: dict[str, Any]) -> bool:
        return any(o.name == name and o.arguments == arguments for o in self.outcomes)


def as_plain(value: Any) -> Any:
    """Dicts and lists all the way down (messages may arrive as pydantic objects)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    elif hasattr(value, "dict") and not isinstance(value, dict):
        value = value.dict()
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    return value


def text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _read_system(request: Request, system: str) -> None:
    marks = list(_SECTION.finditer(system))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(system)
        body = system[mark.end():end].strip("\n")
        header = mark.group(1).lower()
        if header.startswith("context"):
            for line in body.splitlines():
                key, sep, value = line.partition(":")
                if sep and key.strip():
                    request.context[key.strip()] = value.strip()
        elif header.startswith("memory"):
            request.memory = [ln.strip()[2:].strip() for ln in body.splitlines() if ln.strip().startswith("- ")]
        elif header.startswith("knowledge"):
            request.snippets = _read_snippets(body)
    request.specialist = request.context.get("specialist", "")
    for key in ("pending_proposal", "escalation"):
        parsed = _loads(request.context.get(key, ""))
        setattr(request, key, parsed if isinstance(parsed, dict) else None)


def _read_snippets(body: str) -> list[KbSnippet]:
    snippets: list[list[str]] = []
    for line in body.splitlines():
        match = _SNIPPET.match(line.strip())
        if match:
            snippets.append([match.group(1), match.group(2)])
        elif snippets and line.strip():
            snippets[-1][1] += " " + line.strip()
    out = []
    for chunk_id, rest in snippets:
        title, sep, text = rest.partition(": ")
        # Titles may hold a colon themselves ("Headphones compatibility: iPhone, Android and Bluetooth").
        head, more, tail = text.partition(": ")
        if sep and more and "." not in head and len(head.split()) <= 5:
            title, text = f"{title}: {head}", tail
        out.append(KbSnippet(chunk_id, title.strip() if sep else "", (text if sep else rest).strip()))
    return out


def _outcome_for(call: dict[str, Any], results: dict[str, dict[str, Any]]) -> ToolOutcome:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    parsed_args = _loads(arguments) if isinstance(arguments, str) else arguments
    message = results.get(call.get("id") or "")
    outcome = ToolOutcome(str(call.get("id") or ""), str(function.get("name") or ""), parsed_args or {})
    if message is None:
        return outcome
    body = _loads(text_of(message.get("content")))
    if not isinstance(body, dict) or "status" not in body:
        return ToolOutcome(outcome.call_id, outcome.name, outcome.arguments, "ok", body)
    return ToolOutcome(
        outcome.call_id, outcome.name, outcome.arguments, str(body.get("status")),
        body.get("result"), body.get("error"), body.get("rule"),
    )


def read_request(messages: list[Any], tools: list[Any] | None) -> Request:
    """Split the engine's messages into the parts the planner and writer use."""
    plain = [as_plain(m) for m in messages or []]
    request = Request(prompt_chars=sum(len(text_of(m.get("content"))) for m in plain))
    request.tools = tuple(
        str((t.get("function") or {}).get("name") or t.get("name") or "") for t in as_plain(tools or [])
    )
    request.prompt_chars += len(json.dumps(as_plain(tools or []), sort_keys=True, default=str))
    system = "\n".join(text_of(m.get("content")) for m in plain if m.get("role") == "system")
    _read_system(request, system)
    user_at = max((i for i, m in enumerate(plain) if m.get("role") == "user"), default=-1)
    if user_at >= 0:
        request.latest = text_of(plain[user_at].get("content"))
        request.earlier_user = [text_of(m.get("content")) for m in plain[:user_at] if m.get("role") == "user"]
        request.previous_reply = next((text_of(m.get("content")) for m in reversed(plain[:user_at])
                                       if m.get("role") == "assistant" and m.get("content")), "")
    results = {str(m.get("tool_call_id")): m for m in plain[user_at + 1:] if m.get("role") == "tool"}
    for message in plain[user_at + 1:]:
        if message.get("role") == "assistant" and message.get("tool_calls"):
            request.rounds += 1
            request.outcomes.extend(_outcome_for(c, results) for c in message["tool_calls"])
    request.calls_so_far = sum(len(m.get("tool_calls") or []) for m in plain if m.get("role") == "assistant")
    request.said = extract(request.latest)
    request.remembered = extract("\n".join(reversed(request.earlier_user)))
    return request
