"""A router that asks a language model (through LiteLLM) to pick the specialist: a comparison baseline."""

from __future__ import annotations

import asyncio
import json
import re
from types import ModuleType
from typing import Sequence

from support_tui.core import offline_env  # noqa: F401  (before litellm is imported)
from support_tui.core.routing.decision import RouteDecision, RoutingContext
from support_tui.core.specialists import ROUTABLE, Team, default_team


class LLMRouterUnavailable(RuntimeError):
    """No usable model: missing keys, an unknown model, or a provider that refuses the call."""


_SYSTEM = """You route customer-support messages for an online store to exactly one specialist.
Specialists:
{specialists}
Answer with JSON only: {{"agent": "<one of: {names}>", "confidence": <0..1>}}"""

_JSON = re.compile(r"\{.*\}", re.S)


def _litellm() -> ModuleType:
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def check_model(model: str) -> None:
    """Raise ``LLMRouterUnavailable`` unless ``model`` can be called (keys present, provider known)."""
    if model.startswith("offline/"):
        raise LLMRouterUnavailable(f"{model} is the offline model and cannot route; pass --model with a real model")
    litellm = _litellm()
    try:
        litellm.get_llm_provider(model)
    except Exception as exc:  # noqa: BLE001 - LiteLLM raises several types for an unknown model
        raise LLMRouterUnavailable(f"unknown model {model!r}: {str(exc).splitlines()[0]}") from None
    env = litellm.validate_environment(model=model)
    keys = [k for k in env.get("missing_keys", []) if k.endswith("_KEY")]
    if keys:
        raise LLMRouterUnavailable(f"model {model} needs {', '.join(keys)} in the environment")


class LLMRouter:
    """Asks ``model`` for one label per message; answers arrive as JSON."""

    def __init__(self, model: str, *, team: Team | None = None, timeout: float = 20.0, concurrency: int = 8) -> None:
        self.model = model
        self.timeout = timeout
        self._semaphore = asyncio.Semaphore(concurrency)
        team = team or default_team()
        lines = "\n".join(f"- {name}: {team[name].description}" for name in ROUTABLE)
        self._system = _SYSTEM.format(specialists=lines, names=", ".join(ROUTABLE))

    async def route(self, text: str, context: RoutingContext | None = None) -> RouteDecision:
        """One message; earlier customer messages, if any, go along as context."""
        litellm = _litellm()
        earlier = (context.previous_texts if context else [])[-3:]
        user = "\n".join([*(f"Earlier: {t}" for t in earlier), f"Message: {text}"])
        async with self._semaphore:
            try:
                response = await litellm.acompletion(
                    model=self.model,
                    messages=[{"role": "system", "content": self._system}, {"role": "user", "content": user}],
                    temperature=0,
                    max_tokens=60,
                    timeout=self.timeout,
                    num_retries=0,
                )
            except (litellm.AuthenticationError, litellm.NotFoundError, litellm.BadRequestError, litellm.APIConnectionError) as exc:
                raise LLMRouterUnavailable(f"{self.model}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
        return parse_answer(response.choices[0].message.content or "", self.model)

    async def route_many(self, texts: Sequence[str]) -> list[RouteDecision]:
        """Route many messages concurrently (bounded); the first fatal error stops them all."""
        return list(await asyncio.gather(*(self.route(t) for t in texts)))


def parse_answer(content: str, model: str) -> RouteDecision:
    """Read ``{"agent": ..., "confidence": ...}``; a label named in plain text also counts."""
    agent, confidence = None, 0.5
    match = _JSON.search(content)
    if match:
        try:
            data = json.loads(match.group(0))
            agent = data.get("agent")
            confidence = float(data.get("confidence", confidence))
        except (ValueError, TypeError, AttributeError):
            agent = None
    if agent not in ROUTABLE:
        agent = next((name for name in ROUTABLE if name in content), None)
    if agent is None:
        scores = {name: 1.0 / len(ROUTABLE) for name in ROUTABLE}
        return RouteDecision(ROUTABLE[0], scores[ROUTABLE[0]], 0.0, scores, f"{model} gave no label", [], "llm", True)
    confidence = min(max(confidence, 0.0), 1.0)
    rest = (1.0 - confidence) / (len(ROUTABLE) - 1)
    scores = {name: (confidence if name == agent else rest) for name in ROUTABLE}
    return RouteDecision(agent, confidence, confidence - rest, scores, f"{model} chose {agent}", [], "llm", False)
