"""Checking one turn against its expectations: each miss becomes a precise, readable failure."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Sequence

from support_tui.core.scenarios.model import ReadCheck, TurnExpect
from support_tui.core.turn.summary import ToolCallSummary, TurnSummary

_MISSING: Any = object()


def _has(haystack: str, needle: str) -> bool:
    return needle.lower() in haystack.lower()


def _cited(reply: str, value: Any) -> bool:
    """The value is in the reply as given, or (a date or timestamp) the way a customer reads it: "2 December"."""
    text = str(value)
    if _has(reply, text):
        return True
    try:
        day = date.fromisoformat(text[:10]) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        day = None
    return day is not None and any(_has(reply, form) for form in (f"{day.day} {day:%B}", f"{day:%B} {day.day}"))


def _dig(value: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def select(value: Any, path: str) -> Any:
    """The value at a dotted ``path``: keys, list indexes, ``*`` for every item of a list; ``_MISSING`` if absent."""
    if not path:
        return value
    key, _, rest = path.partition(".")
    if key == "*":
        if not isinstance(value, list):
            return _MISSING
        return [select(item, rest) for item in value]
    if isinstance(value, list) and key.isdigit():
        return select(value[int(key)], rest) if int(key) < len(value) else _MISSING
    if isinstance(value, dict) and key in value:
        return select(value[key], rest)
    return _MISSING


def check_read(check: ReadCheck, result: Any) -> str | None:
    """Why the shop's ``result`` fails the check, or None when it passes."""
    what = check.describe()
    value = select(result, check.read.path)
    if value is _MISSING:
        return f"{what}: the result has no {check.read.path!r}"
    if check.where or check.pick:
        if not isinstance(value, list):
            return f"{what}: {check.read.path!r} is not a list ({value!r})"
        if check.where:
            value = [item for item in value if all(select(item, k) == v for k, v in check.where.items())]
        if check.pick:
            value = [select(item, check.pick) for item in value]
            if any(v is _MISSING for v in value):
                return f"{what}: some item has no {check.pick!r}"
    if check.count is not None:
        if not isinstance(value, list):
            return f"{what}: cannot count {value!r}"
        if len(value) != check.count:
            return f"{what}: {len(value)} item(s), expected {check.count}: {json.dumps(value, default=str)[:300]}"
        return None
    if value != check.equals:
        return f"{what} was {value!r}, expected {check.equals!r}"
    return None


def _dump(value: Any) -> str:
    return json.dumps(value or {}, ensure_ascii=False, default=str)


def check_turn(expect: TurnExpect, turn: TurnSummary, used_snippets: Sequence[str] = ()) -> list[str]:
    """Failed expectations of one turn (``used_snippets``: the reply's, from its ``ReplyCompleted``)."""
    out: list[str] = []
    route = turn.route
    calls = turn.tool_calls
    names = [c.name for c in calls]
    done = ", ".join(f"{c.name}:{c.status}" + (f"({c.rule})" if c.rule else "") for c in calls) or "none"
    reply = turn.reply or ""
    esc = turn.escalation
    handoff = turn.handoff

    def want(label: str, expected: Any, actual: Any) -> None:
        if expected is not None and expected != actual:
            out.append(f"{label} was {actual!r}, expected {expected!r}")

    def last_ok(tool: str) -> ToolCallSummary | None:
        return next((c for c in reversed(calls) if c.name == tool and c.status == "ok"), None)

    want("route", expect.route, route.agent if route else None)
    want("route method", expect.route_method, route.method if route else None)
    want("replying agent", expect.agent, turn.agent)
    want("turn status", expect.status, turn.status)
    want("draft", expect.draft, turn.draft)
    want("escalated", expect.escalated, esc.escalated)
    if expect.escalation_rule is not None:
        want("escalation rule", expect.escalation_rule, esc.rule)
    want("hand-off", expect.handoff, handoff is not None)
    if expect.handoff_to is not None:
        want("hand-off to", expect.handoff_to, handoff.to_agent if handoff else None)
    for name in expect.tools_called:
        if name not in names:
            out.append(f"{name} was not called (calls: {done})")
    for name in expect.tools_not_called:
        if name in names:
            out.append(f"{name} was called but should not be (calls: {done})")
    for name, status in expect.tool_status.items():
        last = next((c for c in reversed(calls) if c.name == name), None)
        if last is None:
            out.append(f"{name} was not called, expected it to end {status!r} (calls: {done})")
        elif last.status != status:
            why = f": {last.error}" if last.error else ""
            out.append(f"{name} ended {last.status!r}, expected {status!r}{why}")
    for name, args in expect.tool_args.items():
        seen = [c.arguments for c in calls if c.name == name]
        if not any(all(a.get(k) == v for k, v in args.items()) for a in seen):
            out.append(f"no {name} call with {args} (saw {seen or 'no call'})")
    for name, values in expect.tool_results.items():
        ok = last_ok(name)
        if ok is None:
            out.append(f"no successful {name} call to check {values} (calls: {done})")
            continue
        for path, expected in values.items():
            actual = _dig(ok.result, path.split("."))
            if actual is _MISSING or actual != expected:
                shown = "missing" if actual is _MISSING else repr(actual)
                out.append(f"{name} returned {path} = {shown}, expected {expected!r}")
    if expect.blocked_rule is not None:
        rules = [c.rule for c in calls if c.status in ("blocked", "pending_approval")]
        if expect.blocked_rule not in rules:
            out.append(f"nothing was stopped by {expect.blocked_rule!r} (calls: {done})")
    for label, packet, mentions in (("escalation", esc.packet, expect.packet_mentions),
                                    ("hand-off", handoff, expect.handoff_mentions)):
        for text in mentions:
            if not packet:
                out.append(f"no {label} packet to mention {text!r}")
            elif not _has(_dump(packet.model_dump()), text):
                out.append(f"the {label} packet does not mention {text!r}")
    for text in expect.reply_contains:
        if not _has(reply, text):
            out.append(f"the reply does not contain {text!r}: {reply[:300]!r}")
    for text in expect.reply_excludes:
        if _has(reply, text):
            out.append(f"the reply contains {text!r}: {reply[:300]!r}")
    for cite in expect.reply_cites:
        tool, *keys = cite.split(".")
        ok = last_ok(tool)
        value = _dig(ok.result, keys) if ok else _MISSING
        if value is _MISSING or value in (None, ""):
            out.append(f"no successful {tool} call with {'.'.join(keys)} to cite (calls: {done})")
        elif not _cited(reply, value):
            out.append(f"the reply does not cite {cite} ({value!r}): {reply[:300]!r}")
    docs = {k.doc_id for k in turn.kb}
    for doc in expect.kb_docs:
        if doc not in docs:
            out.append(f"knowledge-base document {doc!r} was not retrieved (got {sorted(docs)})")
    want("reply drew on the knowledge base", expect.kb_used, bool(used_snippets))
    if turn.error and expect.status != "failed":
        out.append(f"the turn failed: {turn.error}")
    return out
