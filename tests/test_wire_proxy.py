"""Models through a LiteLLM proxy (shared budgets and rate limits for a team): ``litellm_proxy/<model>`` and
``openai/<model>`` pointed at the proxy, exercised against the loopback OpenAI-speaking server."""

import support_tui.core.llm  # noqa: F401  (environment before litellm)
import pytest

from fake_provider import fake_provider, text  # noqa: F401
from support_tui.core.llm import ModelClient, ReplyDone, model_chain
from support_tui.core.settings import OFFLINE_MODEL, Settings

pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly. qualifier:UserWarning")

VIRTUAL_KEY = "sk-team-virtual-0123456789"
"""A proxy's virtual key: the proxy holds the providers' keys and the budget and limits set for this one."""


async def reply(chain: list[str]) -> ReplyDone:
    client = ModelClient(Settings(model_timeout_s=5, fallback_models=[]))
    items = [item async for item in client.stream(chain, [{"role": "user", "content": "Where is my order?"}], None)]
    done = items[-1]
    assert isinstance(done, ReplyDone)
    return done


async def test_a_litellm_proxy_model_is_sent_to_the_proxy_with_the_virtual_key(fake_provider, monkeypatch):
    monkeypatch.setenv("LITELLM_PROXY_API_BASE", fake_provider.openai_base)
    monkeypatch.setenv("LITELLM_PROXY_API_KEY", VIRTUAL_KEY)
    model = "litellm_proxy/gpt-4o"
    assert model_chain(model, Settings(fallback_models=[]))[0] == [model, OFFLINE_MODEL]  # no provider key needed
    fake_provider.script("gpt-4o", text("It is out for delivery."))
    done = await reply([model, OFFLINE_MODEL])
    assert done.reply.model == model and done.reply.text == "It is out for delivery."
    sent = fake_provider.requests[0]
    assert sent.path == "/v1/chat/completions" and sent.body["model"] == "gpt-4o"
    assert sent.headers["Authorization"] == f"Bearer {VIRTUAL_KEY}"


async def test_openai_models_reach_the_proxy_through_openai_api_base(fake_provider, monkeypatch):
    monkeypatch.setenv("OPENAI_API_BASE", fake_provider.openai_base)
    monkeypatch.setenv("OPENAI_API_KEY", VIRTUAL_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    fake_provider.script("gpt-4o", text("It shipped."))
    done = await reply(["openai/gpt-4o", OFFLINE_MODEL])
    assert done.reply.model == "openai/gpt-4o" and done.reply.text == "It shipped."
    assert fake_provider.requests[0].headers["Authorization"] == f"Bearer {VIRTUAL_KEY}"


async def test_anthropic_models_reach_the_proxy_through_anthropic_api_base(fake_provider, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_BASE", fake_provider.anthropic_base)
    monkeypatch.setenv("ANTHROPIC_API_KEY", VIRTUAL_KEY)
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    fake_provider.script("claude-sonnet-4-5", text("Your refund is on its way."))
    done = await reply(["anthropic/claude-sonnet-4-5", OFFLINE_MODEL])
    assert done.reply.model == "anthropic/claude-sonnet-4-5" and done.reply.text == "Your refund is on its way."
    sent = fake_provider.requests[0]
    assert sent.path == "/v1/messages" and sent.headers["x-api-key"] == VIRTUAL_KEY
