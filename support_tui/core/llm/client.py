"""Streaming model calls through LiteLLM, moving down a fallback chain until a model answers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

import litellm

from support_tui.core.events import FallbackAttempt, Usage
from support_tui.core.llm.chain import api_base_for, provider_of
from support_tui.core.llm.redact import redact_messages, scrub_secrets
from support_tui.core.settings import Settings

MAX_RETRY_AFTER_S = 1.0
"""A 429 asking to wait longer than this moves on to the next model instead of waiting."""
GUARD_SLACK_S = 5.0
"""Beyond the model timeout, how long a call may go silent before we give up on our own. Generous:
LiteLLM's first call to a provider spends about a second importing its code."""
LOCAL_PROVIDERS = frozenset({"offline"})
"""Providers that run on this machine: no redaction, no cost."""


@dataclass
class ToolCallRequest:
    """A tool call the model asked for, with its arguments parsed."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str


@dataclass
class ModelReply:
    """What a model answered, and which models failed before it."""

    model: str
    """The model that answered."""
    text: str
    """The reply's text ("" when it only called tools)."""
    tool_calls: list[ToolCallRequest]
    usage: Usage
    """Tokens and cost (priced by LiteLLM where it knows the model; 0 offline)."""
    fallbacks: list[FallbackAttempt] = field(default_factory=list)
    """Models tried before this one that failed, each with its error."""


@dataclass
class TextDelta:
    """A piece of reply text as it streams."""

    text: str
    model: str


@dataclass
class ModelFailure:
    """A model failed; ``next_model`` (if any) is tried next."""

    model: str
    error: str
    """Short and human: ``HTTP 500 from openai/gpt-4o``, ``timed out after 2.0 s``, ``empty reply``."""
    next_model: str | None
    partial_text: bool
    """It had already streamed text, which is now void (the view must reset)."""


@dataclass
class ReplyDone:
    """The last item of a stream: the full reply."""

    reply: ModelReply


class ModelChainExhausted(RuntimeError):
    """Every model in the chain failed, the offline model included."""

    def __init__(self, failures: list[FallbackAttempt]) -> None:
        self.failures = failures
        detail = "; ".join(f"{f.model}: {f.error}" for f in failures) or "the chain was empty"
        super().__init__(f"no model could answer ({detail})")


class UnusableReply(Exception):
    """A model answered, but with something the engine cannot use."""


class ModelClient:
    """Calls models through LiteLLM with streaming, tools and a fallback chain."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def stream(
        self, chain: list[str], messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> AsyncIterator[TextDelta | ModelFailure | ReplyDone]:
        """Try each model of ``chain`` in turn; yield text as it streams, failures, then the reply."""
        failures: list[FallbackAttempt] = []
        for index, model in enumerate(chain):
            next_model = chain[index + 1] if index + 1 < len(chain) else None
            streamed = False
            reply: ModelReply | None = None
            try:
                async with aclosing(self._attempt(model, messages, tools)) as items:
                    async for item in items:
                        if isinstance(item, TextDelta):
                            streamed = True
                            yield item
                        else:
                            reply = item
                if reply is None:
                    raise UnusableReply("empty reply")
            except Exception as exc:  # noqa: BLE001 - any failure moves on to the next model
                # Scrubbed here too, whatever the description quoted from the provider.
                error = scrub_secrets(describe_error(exc, model, self.settings.model_timeout_s))
                failures.append(FallbackAttempt(model=model, error=error))
                yield ModelFailure(model=model, error=error, next_model=next_model, partial_text=streamed)
                continue
            reply.fallbacks = list(failures)
            yield ReplyDone(reply)
            return
        raise ModelChainExhausted(failures)

    async def _attempt(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> AsyncGenerator[TextDelta | ModelReply, None]:
        """One model, with one short wait when a 429 asks for at most a second."""
        for attempt in (1, 2):
            streamed = False
            try:
                async with aclosing(self._call(model, messages, tools)) as items:
                    async for item in items:
                        streamed = streamed or isinstance(item, TextDelta)
                        yield item
                return
            except litellm.RateLimitError as exc:
                wait = retry_after_s(exc)
                if attempt == 2 or streamed or wait is None or wait > MAX_RETRY_AFTER_S:
                    raise
                await asyncio.sleep(wait)

    async def _call(
        self, model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
    ) -> AsyncGenerator[TextDelta | ModelReply, None]:
        local = provider_of(model) in LOCAL_PROVIDERS
        timeout = self.settings.model_timeout_s
        sent = redact_messages(messages) if self.settings.redact_pii and not local else messages
        kwargs: dict[str, Any] = {"timeout": timeout, "num_retries": 0, "stream": True}
        if tools:
            kwargs["tools"] = tools
        if base := api_base_for(model):
            kwargs["api_base"] = base
        if provider_of(model) == "openai" or local:
            kwargs["stream_options"] = {"include_usage": True}
        # LiteLLM's timeout covers connect and each read; this guard covers anything that ignores it.
        guard = timeout + GUARD_SLACK_S
        response = await asyncio.wait_for(litellm.acompletion(model=model, messages=sent, **kwargs), guard)
        chunks: list[Any] = []
        try:
            iterator = response.__aiter__()
            while True:
                try:
                    # Once a stream flows, silence longer than the timeout is a stall, imports or not.
                    wait = guard if not chunks else timeout + 0.25
                    chunk = await asyncio.wait_for(iterator.__anext__(), wait)
                except StopAsyncIteration:
                    break
                chunks.append(chunk)
                delta = chunk.choices[0].delta if chunk.choices else None
                if delta is not None and delta.content:
                    yield TextDelta(text=delta.content, model=model)
        finally:
            if hasattr(response, "aclose"):
                await response.aclose()
        yield build_reply(model, chunks, sent, tools, priced=not local)


def build_reply(
    model: str, chunks: list[Any], messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, *, priced: bool
) -> ModelReply:
    """Reassemble streamed chunks into a reply; raise ``UnusableReply`` if the engine cannot use it."""
    if not priced:
        # The local model: assemble the chunks directly (LiteLLM's builder re-counts tokens,
        # several milliseconds a call, for usage the provider already reported).
        return _assemble_local(model, chunks, tools)
    # LiteLLM's reply objects are typed as unions of chat and text completions: read them as Any.
    built: Any = litellm.stream_chunk_builder(chunks, messages=messages) if chunks else None
    if built is None or not built.choices:
        raise UnusableReply("empty reply")
    message = built.choices[0].message
    text = message.content or ""
    raw_calls = [(c.id, c.function.name or "", c.function.arguments or "") for c in message.tool_calls or []]
    try:
        cost = float(litellm.completion_cost(completion_response=built, model=model) or 0.0)
    except Exception:  # noqa: BLE001 - an unpriced model costs what we cannot know
        cost = 0.0
    return _usable_reply(model, text, _checked_calls(raw_calls, tools), getattr(built, "usage", None), cost)


def _assemble_local(model: str, chunks: list[Any], tools: list[dict[str, Any]] | None) -> ModelReply:
    text_parts: list[str] = []
    pieces: dict[int, list[str]] = {}
    usage = None
    for chunk in chunks:
        usage = getattr(chunk, "usage", None) or usage
        delta = chunk.choices[0].delta if chunk.choices else None
        if delta is None:
            continue
        if delta.content:
            text_parts.append(delta.content)
        for tc in delta.tool_calls or []:
            index = getattr(tc, "index", None) or 0
            slot = pieces.setdefault(index, ["", "", ""])
            slot[0] = tc.id or slot[0]
            if tc.function is not None:
                slot[1] = tc.function.name or slot[1]
                slot[2] += tc.function.arguments or ""
    text = "".join(text_parts)
    calls = _checked_calls([tuple(pieces[i]) for i in sorted(pieces)], tools)  # type: ignore[misc]
    return _usable_reply(model, text, calls, usage, 0.0)


def _usable_reply(model: str, text: str, calls: list[ToolCallRequest], usage: Any, cost: float) -> ModelReply:
    """A reply the engine can use: words or tool calls (else ``UnusableReply``), with its usage."""
    if not text.strip() and not calls:
        raise UnusableReply("empty reply")
    return ModelReply(
        model=model,
        text=text,
        tool_calls=calls,
        usage=Usage(
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            cost_usd=round(cost, 8),
        ),
    )


def _checked_calls(
    raw_calls: list[tuple[str | None, str, str]], tools: list[dict[str, Any]] | None
) -> list[ToolCallRequest]:
    """Tool calls the engine can run: offered names, JSON-object arguments."""
    offered = {t.get("function", {}).get("name") for t in tools or []}
    calls: list[ToolCallRequest] = []
    for i, (call_id, name, raw) in enumerate(raw_calls):
        if name not in offered:
            raise UnusableReply(f"unknown tool {name!r}")
        try:
            arguments = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            raise UnusableReply("malformed tool-call arguments") from None
        if not isinstance(arguments, dict):
            raise UnusableReply("malformed tool-call arguments")
        calls.append(ToolCallRequest(id=call_id or f"call_{i}", name=name, arguments=arguments, raw_arguments=raw))
    return calls


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds a rate-limited provider asked us to wait, if it said so in seconds."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or getattr(
        exc, "litellm_response_headers", None
    )
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP date: far enough away to move on


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [e.__cause__, e.__context__, getattr(e, "original_exception", None)]
    return seen


def describe_error(exc: BaseException, model: str, timeout: float) -> str:
    """A short, key-free, human description of why a model call failed."""
    chain = _causes(exc)
    text = " ".join(str(e) for e in chain)
    if isinstance(exc, UnusableReply):
        message = str(exc)
    elif any(isinstance(e, (litellm.Timeout, TimeoutError)) for e in chain) or "Timeout on reading" in text:
        message = f"timed out after {timeout:.1f} s"
    elif any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connect call failed" in text:
        message = f"connection refused by {model}"
    elif "Connection error" in text or "Cannot connect" in text:
        message = f"cannot connect to {model}"
    elif isinstance(exc, litellm.RateLimitError):
        wait = retry_after_s(exc)
        message = f"HTTP 429 from {model}" + (f" (retry after {wait:g} s)" if wait is not None else "")
    elif isinstance(status := getattr(exc, "status_code", None), int):
        message = f"HTTP {status} from {model}"
    else:
        first = (str(exc).strip().splitlines() or [""])[0]
        message = f"{type(exc).__name__} from {model}: {first[:160]}".rstrip(": ")
    return scrub_secrets(message)
