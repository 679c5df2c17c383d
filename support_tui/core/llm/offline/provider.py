"""The offline model as a LiteLLM custom provider: deterministic tool calls and replies, plain or streamed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import support_tui.core.offline_env  # noqa: F401  (must run before litellm is imported)

import litellm
from litellm import CustomLLM
from litellm.types.llms.openai import ChatCompletionUsageBlock
from litellm.types.utils import GenericStreamingChunk, ModelResponse

from support_tui.core.shop.offline import BringsOfflineSkill, OfflineSkill

from .generic import NO_SKILL
from .parts import take_up_offer
from .planner import plan
from .request import read_request, shop_of
from .writer import write_reply

litellm.suppress_debug_info = True

PROVIDER = "offline"
"""The provider prefix: the model string is ``offline/support-agent``."""

WORDS_PER_CHUNK = 3
"""Streamed replies arrive a few words at a time, like a remote model's."""

_SAFE_REPLY = ("I'm sorry, I couldn't work out an answer to that. Could you tell me a little more, "
               "or ask for a human colleague?")


@dataclass(frozen=True)
class OfflineAnswer:
    """What the offline model decided for one request: tool calls, or reply text."""

    text: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


def _tokens(chars: int) -> int:
    return max(1, (chars + 3) // 4)


SkillLookup = Callable[[str], OfflineSkill | None]
"""The offline skill of a shop by its name (``Shop.name``), or None for a shop that brings none."""


def decide(messages: list[Any], tools: list[Any] | None, skill: OfflineSkill = NO_SKILL) -> OfflineAnswer:
    """Plan the next tool calls for these messages, or write the reply when none are left."""
    request = read_request(messages, tools, skill)
    try:
        own = skill.own_turn(request)
        if own is not None:
            calls = own.calls
            text = "" if calls else own.text
        else:
            take_up_offer(request)
            calls = plan(request)
            text = "" if calls else write_reply(request)
    except Exception:  # the last link of every fallback chain must always answer
        calls, text = [], _SAFE_REPLY
    tool_calls: list[dict[str, Any]] = [
        {
            "id": f"call_{request.calls_so_far + i}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, sort_keys=True)},
        }
        for i, (name, arguments) in enumerate(calls, start=1)
    ]
    written = len(text) + sum(len(c["function"]["name"]) + len(c["function"]["arguments"]) for c in tool_calls)
    return OfflineAnswer(text or ("" if tool_calls else _SAFE_REPLY), tool_calls,
                         _tokens(request.prompt_chars), _tokens(written))


def text_pieces(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """The text cut into pieces of a few words; joined they give back the text exactly."""
    tokens = re.findall(r"\s+|\S+\s*", text)
    return ["".join(tokens[i:i + words]) for i in range(0, len(tokens), words)]


def stream_chunks(answer: OfflineAnswer) -> list[GenericStreamingChunk]:
    """The answer as LiteLLM generic streaming chunks; each tool call's arguments arrive in two parts."""
    chunks: list[GenericStreamingChunk] = []
    for index, call in enumerate(answer.tool_calls):
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        for first, part in ((True, arguments[:half]), (False, arguments[half:])):
            chunks.append(GenericStreamingChunk(
                text="",
                tool_use={
                    "id": call["id"] if first else None,
                    "type": "function",
                    "function": {"name": call["function"]["name"] if first else None, "arguments": part},
                    "index": index,
                },
                is_finished=False, finish_reason="", usage=None, index=0,
            ))
    for piece in text_pieces(answer.text) if not answer.tool_calls else []:
        chunks.append(GenericStreamingChunk(text=piece, tool_use=None, is_finished=False, finish_reason="",
                                            usage=None, index=0))
    chunks.append(GenericStreamingChunk(text="", tool_use=None, is_finished=True, finish_reason=answer.finish_reason,
                                        usage=ChatCompletionUsageBlock(prompt_tokens=answer.prompt_tokens,
                                                                       completion_tokens=answer.completion_tokens,
                                                                       total_tokens=answer.usage()["total_tokens"]),
                                        index=0))
    return chunks


def to_model_response(answer: OfflineAnswer, model: str, messages: list[Any]) -> ModelResponse:
    digest = hashlib.sha256(json.dumps([answer.text, answer.tool_calls, len(messages)]).encode()).hexdigest()[:24]
    message: dict[str, Any] = {"role": "assistant", "content": None if answer.tool_calls else answer.text}
    if answer.tool_calls:
        message["tool_calls"] = answer.tool_calls
    return ModelResponse(
        id=f"chatcmpl-offline-{digest}",
        model=model if model.startswith(f"{PROVIDER}/") else f"{PROVIDER}/{model}",
        choices=[{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        usage=answer.usage(),
    )


def _tools(optional_params: dict[str, Any] | None) -> list[Any] | None:
    tools = (optional_params or {}).get("tools")
    return tools if isinstance(tools, list) else None


class OfflineSupportModel(CustomLLM):
    """A deterministic support agent: reads the engine's prompt and tool results, answers without a network.

    The shop's part comes from its offline skill, looked up by the shop the engine's prompt names
    (its ``shop:`` context line); a prompt that names none, or a shop without a skill, gets the
    generic model (knowledge-base answers and dialogue acts, no tools).
    """

    def __init__(self, skills: SkillLookup | None = None) -> None:
        super().__init__()
        self.skills: SkillLookup = skills or (lambda name: None)

    def skill_for(self, messages: list[Any]) -> OfflineSkill:
        """The skill of the shop the engine's prompt names: the one the shop brought, else the lookup's."""
        name = shop_of(messages)
        if not name:
            return NO_SKILL
        return _BROUGHT.get(name) or self.skills(name) or NO_SKILL

    def _decide(self, messages: list[Any], optional_params: dict[str, Any] | None) -> OfflineAnswer:
        return decide(messages, _tools(optional_params), self.skill_for(messages))

    def completion(self, model: str, messages: list[Any], *args: Any, optional_params: dict[str, Any] | None = None,
                   **kwargs: Any) -> ModelResponse:
        return to_model_response(self._decide(messages, optional_params), model, messages)

    async def acompletion(self, model: str, messages: list[Any], *args: Any, optional_params: dict[str, Any] | None = None,
                          **kwargs: Any) -> ModelResponse:
        return self.completion(model, messages, optional_params=optional_params)

    def streaming(self, model: str, messages: list[Any], *args: Any, optional_params: dict[str, Any] | None = None,
                  **kwargs: Any) -> Iterator[GenericStreamingChunk]:
        yield from stream_chunks(self._decide(messages, optional_params))

    # LiteLLM iterates astreaming's result with ``async for``; its stub types it as a coroutine.
    async def astreaming(self, model: str, messages: list[Any], *args: Any,  # type: ignore[override]
                         optional_params: dict[str, Any] | None = None, **kwargs: Any) -> AsyncIterator[GenericStreamingChunk]:
        for chunk in stream_chunks(self._decide(messages, optional_params)):
            yield chunk
            await asyncio.sleep(0)


_BROUGHT: dict[str, OfflineSkill] = {}
"""The skills shops handed over with the engine that serves them, by shop name."""


def bring_skill(shop: object) -> None:
    """Give the offline model the skill of ``shop`` if it brings one (once per shop name): an engine built
    without the factory's lookup still gets its shop's part of the model, not the generic one."""
    if isinstance(shop, BringsOfflineSkill) and shop.name not in _BROUGHT:
        _BROUGHT[shop.name] = shop.offline_skill()


def register_offline_provider(skills: SkillLookup | None = None) -> OfflineSupportModel:
    """Put the offline model in ``litellm.custom_provider_map`` under ``offline``; safe to call again.

    ``skills`` finds a shop's offline skill by name; a later call with one gives it to the registered model.
    """
    for item in litellm.custom_provider_map:
        handler = item.get("custom_handler")
        if item.get("provider") == PROVIDER and isinstance(handler, OfflineSupportModel):
            if skills is not None:
                handler.skills = skills
            return handler
    handler = OfflineSupportModel(skills)
    others = [item for item in litellm.custom_provider_map if item.get("provider") != PROVIDER]
    litellm.custom_provider_map = [*others, {"provider": PROVIDER, "custom_handler": handler}]
    litellm.utils.custom_llm_setup()  # type: ignore[no-untyped-call]
    return handler
