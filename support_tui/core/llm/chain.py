"""Which models a call may try, in order: the specialist's own, the fallbacks, the offline model."""

from __future__ import annotations

import os
from collections.abc import Mapping

from support_tui.core.settings import OFFLINE_MODEL, Settings
from support_tui.core.specialists import default_team

PROVIDER_KEYS: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "cohere": "COHERE_API_KEY",
    "xai": "XAI_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
}
"""The environment variable holding each hosted provider's key. Other providers (local servers,
``ollama/``, ``hosted_vllm/``, the offline model) are tried without a key check."""

BASE_URL_VARS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_BASE", "OPENAI_BASE_URL"),
    "anthropic": ("ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"),
}
"""Environment variables that point a provider at another server (a proxy, a test server)."""


def provider_of(model: str) -> str:
    """The LiteLLM provider prefix of a model string; bare names are guessed from their family."""
    if "/" in model:
        return model.split("/", 1)[0]
    if model.startswith("claude"):
        return "anthropic"
    if model.startswith(("gpt-", "o1", "o3", "o4", "chatgpt")):
        return "openai"
    return ""


def api_base_for(model: str, env: Mapping[str, str] | None = None) -> str | None:
    """The base URL to send ``model`` to, from the provider's environment variables, if set."""
    env = os.environ if env is None else env
    for name in BASE_URL_VARS.get(provider_of(model), ()):
        if env.get(name):
            return env[name].rstrip("/")
    return None


def _dedupe(models: list[str]) -> list[str]:
    return list(dict.fromkeys(m for m in models if m))


def model_chain(
    primary: str, settings: Settings, *, env: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """The models to try, in order, and the ones skipped with why (``"openai/gpt-4o: OPENAI_API_KEY not set"``).

    The primary comes first, then ``settings.fallback_models``, then the offline model, which is always
    last and needs no key. A model whose provider's key is missing from ``env`` is skipped.
    """
    env = os.environ if env is None else env
    chain: list[str] = []
    skipped: list[str] = []
    for model in _dedupe([primary, *settings.fallback_models]):
        if model == OFFLINE_MODEL:
            continue
        key_var = PROVIDER_KEYS.get(provider_of(model))
        if key_var and not env.get(key_var, "").strip():
            skipped.append(f"{model}: {key_var} not set")
        else:
            chain.append(model)
    return [*chain, OFFLINE_MODEL], skipped


def available_models(settings: Settings) -> list[str]:
    """Every model the console's switcher offers: specialists' defaults, fallbacks, then offline."""
    defaults = [s.model for s in default_team().members.values()]
    remote = [m for m in _dedupe([*defaults, *settings.fallback_models]) if m != OFFLINE_MODEL]
    return [*remote, OFFLINE_MODEL]
