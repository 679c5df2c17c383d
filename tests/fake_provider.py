"""A loopback HTTP server speaking the OpenAI and Anthropic chat APIs, with scripted replies and faults."""

from __future__ import annotations

import asyncio
import json
import socket
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web


@dataclass
class Behaviour:
    """What the server does for one request: reply with text or a tool call, or fail."""

    kind: str = "text"
    """``text``, ``tool``, ``error``, ``hang``, ``empty`` or ``cut`` (stream some text, then hang)."""
    text: str = ""
    tool: str = ""
    arguments: str = "{}"
    """Raw JSON text of the tool-call arguments (may be malformed on purpose)."""
    status: int = 500
    retry_after: float | None = None


def text(s: str) -> Behaviour:
    return Behaviour("text", text=s)


def tool_call(name: str, arguments: dict | str, text: str = "") -> Behaviour:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Behaviour("tool", text=text, tool=name, arguments=raw)


def error(status: int = 500, retry_after: float | None = None) -> Behaviour:
    return Behaviour("error", status=status, retry_after=retry_after)


def hang() -> Behaviour:
    return Behaviour("hang")


def empty() -> Behaviour:
    return Behaviour("empty")


def cut(s: str) -> Behaviour:
    return Behaviour("cut", text=s)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeProvider:
    """The running server: script replies per model name, read back what was sent."""

    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    scripts: dict[str, deque[Behaviour]] = field(default_factory=lambda: defaultdict(deque))
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    delay_s: float = 0.0
    """Seconds every request waits before it is answered (a slow model)."""
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    """Requests wait while this is clear (a model that answers nobody until the test lets it); set at start."""

    def __post_init__(self) -> None:
        self.gate.set()

    @property
    def openai_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, model: str, *behaviours: Behaviour) -> None:
        """Queue replies for ``model`` (the name on the wire, e.g. ``gpt-4o``); the last one repeats."""
        self.scripts[model].extend(behaviours)

    def calls(self, model: str) -> list[Recorded]:
        return [r for r in self.requests if r.body.get("model") == model]

    def _next(self, model: str) -> Behaviour:
        queue = self.scripts.get(model)
        if not queue:
            return text(f"Hello from {model}.")
        return queue.popleft() if len(queue) > 1 else queue[0]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(request.path, dict(request.headers), body))
        wire = "anthropic" if request.path.endswith("/messages") else "openai"
        await self.gate.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        b = self._next(body.get("model", ""))
        if b.kind == "error":
            key = request.headers.get("x-api-key") or request.headers.get("Authorization", "")
            message = f"scripted failure for key {key.removeprefix('Bearer ')}"
            headers = {"Retry-After": str(b.retry_after)} if b.retry_after is not None else {}
            payload = (
                {"type": "error", "error": {"type": "api_error", "message": message}}
                if wire == "anthropic"
                else {"error": {"message": message, "type": "server_error", "code": None}}
            )
            return web.json_response(payload, status=b.status, headers=headers)
        if b.kind == "hang":
            await self.closing.wait()
            return web.Response(status=503)
        if not body.get("stream"):
            reply = _anthropic_json(body, b) if wire == "anthropic" else _openai_json(body, b)
            return web.json_response(reply)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        events = _anthropic_sse(body, b) if wire == "anthropic" else _openai_sse(body, b)
        for event in events:
            await resp.write(event.encode())
            await asyncio.sleep(0)
        if b.kind == "cut":
            await self.closing.wait()
            return resp
        await resp.write_eof()
        return resp


def _openai_message(b: Behaviour) -> tuple[dict, str]:
    message: dict[str, Any] = {"role": "assistant", "content": b.text or None}
    if b.kind == "tool":
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": b.tool, "arguments": b.arguments}}
        ]
        return message, "tool_calls"
    return message, "stop"


def _openai_json(body: dict, b: Behaviour) -> dict:
    message, finish = _openai_message(b)
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def _openai_sse(body: dict, b: Behaviour) -> list[str]:
    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
        data = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data)}\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    words = b.text.split(" ") if b.text else []
    out += [chunk({"content": w if i == 0 else " " + w}) for i, w in enumerate(words)]
    if b.kind == "cut":
        return out
    finish = "stop"
    if b.kind == "tool":
        finish = "tool_calls"
        head = {"index": 0, "id": "call_1", "type": "function", "function": {"name": b.tool, "arguments": ""}}
        out.append(chunk({"tool_calls": [head]}))
        half = len(b.arguments) // 2
        for piece in (b.arguments[:half], b.arguments[half:]):
            out.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    out.append(chunk({}, finish, usage=usage))
    return out + ["data: [DONE]\n\n"]


def _anthropic_json(body: dict, b: Behaviour) -> dict:
    content: list[dict] = [{"type": "text", "text": b.text}] if b.text else []
    if b.kind == "tool":
        content.append({"type": "tool_use", "id": "toolu_1", "name": b.tool, "input": json.loads(b.arguments)})
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": content,
        "stop_reason": "tool_use" if b.kind == "tool" else "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 13, "output_tokens": 9},
    }


def _anthropic_sse(body: dict, b: Behaviour) -> list[str]:
    def event(kind: str, data: dict) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": body["model"], "content": [],
               "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 13, "output_tokens": 1}}
    out = [event("message_start", {"message": message})]
    index = 0
    if b.text:
        out.append(event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}))
        for i, w in enumerate(b.text.split(" ")):
            delta = {"type": "text_delta", "text": w if i == 0 else " " + w}
            out.append(event("content_block_delta", {"index": 0, "delta": delta}))
        if b.kind == "cut":
            return out
        out.append(event("content_block_stop", {"index": 0}))
        index = 1
    if b.kind == "tool":
        block = {"type": "tool_use", "id": "toolu_1", "name": b.tool, "input": {}}
        out.append(event("content_block_start", {"index": index, "content_block": block}))
        half = len(b.arguments) // 2
        for piece in (b.arguments[:half], b.arguments[half:]):
            delta = {"type": "input_json_delta", "partial_json": piece}
            out.append(event("content_block_delta", {"index": index, "delta": delta}))
        out.append(event("content_block_stop", {"index": index}))
    stop = "tool_use" if b.kind == "tool" else "end_turn"
    out.append(event("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                       "usage": {"output_tokens": 9}}))
    return out + [event("message_stop", {})]


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def fake_provider():
    """Start the fake provider on an ephemeral loopback port for one test."""
    fake = FakeProvider()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    app.router.add_post("/v1/messages", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.port = site._server.sockets[0].getsockname()[1]
    try:
        yield fake
    finally:
        fake.closing.set()
        fake.gate.set()
        await runner.cleanup()
