"""The engine's chat request read back into parts: context, memory, snippets, history and this turn's tools."""

from __future__ import annotations

import json
import re
from typing import Any

from support_tui.core.shop.offline import KbSnippet, OfflineSkill, Request, SeenCall

from .entities import extract_for, order_ids
from .generic import NO_SKILL as _NO_SKILL

_SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
_SNIPPET = re.compile(r"^\[kb:([^\]]+)\]\s*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!])\s+")

__all__ = ["KbSnippet", "Request", "SeenCall", "as_plain", "read_request", "shop_of", "text_of"]


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


def _outcome_for(call: dict[str, Any], results: dict[str, dict[str, Any]]) -> SeenCall:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    parsed_args = _loads(arguments) if isinstance(arguments, str) else arguments
    message = results.get(call.get("id") or "")
    outcome = SeenCall(str(call.get("id") or ""), str(function.get("name") or ""), parsed_args or {})
    if message is None:
        return outcome
    body = _loads(text_of(message.get("content")))
    if not isinstance(body, dict) or "status" not in body:
        return SeenCall(outcome.call_id, outcome.name, outcome.arguments, "ok", body)
    return SeenCall(
        outcome.call_id, outcome.name, outcome.arguments, str(body.get("status")),
        body.get("result"), body.get("error"), body.get("rule"),
    )


def shop_of(messages: list[Any]) -> str:
    """The shop the engine's system prompt names on its ``shop:`` context line ("" when it names none)."""
    request = Request(skill=_NO_SKILL)
    _read_system(request, _system_text([as_plain(m) for m in messages or []]))
    return request.context.get("shop", "")


def _system_text(plain: list[dict[str, Any]]) -> str:
    return "\n".join(text_of(m.get("content")) for m in plain if m.get("role") == "system")


def read_request(messages: list[Any], tools: list[Any] | None, skill: OfflineSkill) -> Request:
    """Split the engine's messages into the parts the planner and writer use, for the shop's skill."""
    plain = [as_plain(m) for m in messages or []]
    request = Request(skill=skill, prompt_chars=sum(len(text_of(m.get("content"))) for m in plain))
    request.tools = tuple(
        str((t.get("function") or {}).get("name") or t.get("name") or "") for t in as_plain(tools or [])
    )
    request.prompt_chars += len(json.dumps(as_plain(tools or []), sort_keys=True, default=str))
    _read_system(request, _system_text(plain))
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
    request.said = extract_for(request.latest, skill)
    request.remembered = extract_for("\n".join(reversed(request.earlier_user)), skill)
    request.offered_order_ids = offered_order_ids(request.previous_reply)
    return request


def offered_order_ids(reply: str) -> tuple[str, ...]:
    """The orders a reply offered as choices: those in its closing question, else all it named."""
    question = next((s for s in reversed(_SENTENCE_END.split(reply)) if s.rstrip().endswith("?")), "")
    return order_ids(question) or order_ids(reply)
