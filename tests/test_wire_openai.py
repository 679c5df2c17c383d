"""The real LiteLLM client against the loopback server speaking the OpenAI chat-completions API."""

import json

import support_tui.core.llm  # noqa: F401  (environment before litellm)
import litellm
import pytest

from fake_provider import fake_provider, text, tool_call  # noqa: F401

MODEL = "openai/gpt-4o"
KEY = "sk-test-openai-0123456789"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Look up an order by number.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
        },
    }
]
QUESTION = [{"role": "user", "content": "Where is order NW-1001?"}]


@pytest.fixture
def call(fake_provider, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    async def call(messages=QUESTION, **kwargs):
        return await litellm.acompletion(
            model=MODEL, messages=messages, api_base=fake_provider.openai_base, timeout=5, num_retries=0, **kwargs
        )

    return call


async def test_plain_text(fake_provider, call):
    fake_provider.script("gpt-4o", text("It shipped yesterday."))
    reply = await call()
    assert reply.choices[0].message.content == "It shipped yesterday."
    assert reply.usage.prompt_tokens == 11 and reply.usage.completion_tokens == 7
    sent = fake_provider.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.body["model"] == "gpt-4o" and sent.body["messages"] == QUESTION


async def test_streamed_text(fake_provider, call):
    fake_provider.script("gpt-4o", text("It shipped yesterday from Leeds."))
    stream = await call(stream=True)
    pieces = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) == 5
    assert "".join(pieces) == "It shipped yesterday from Leeds."
    assert fake_provider.requests[0].body["stream"] is True


async def test_tool_call(fake_provider, call):
    fake_provider.script("gpt-4o", tool_call("lookup_order", {"order_id": "NW-1001"}))
    reply = await call(tools=TOOLS)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    (tc,) = choice.message.tool_calls
    assert (tc.id, tc.function.name, json.loads(tc.function.arguments)) == ("call_1", "lookup_order", {"order_id": "NW-1001"})
    assert fake_provider.requests[0].body["tools"] == TOOLS


async def test_streamed_tool_call(fake_provider, call):
    fake_provider.script("gpt-4o", tool_call("lookup_order", {"order_id": "NW-1001"}, text="Let me check."))
    stream = await call(tools=TOOLS, stream=True)
    chunks = [c async for c in stream]
    built = litellm.stream_chunk_builder(chunks, messages=QUESTION)
    message = built.choices[0].message
    assert message.content == "Let me check."
    (tc,) = message.tool_calls
    assert tc.function.name == "lookup_order"
    assert json.loads(tc.function.arguments) == {"order_id": "NW-1001"}
    assert built.choices[0].finish_reason == "tool_calls"


async def test_second_call_carries_the_tool_result(fake_provider, call):
    fake_provider.script("gpt-4o", tool_call("lookup_order", {"order_id": "NW-1001"}), text("It arrives Friday."))
    first = await call(tools=TOOLS)
    tc = first.choices[0].message.tool_calls[0]
    history = [
        *QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": tc.id, "type": "function", "function": {"name": tc.function.name, "arguments": tc.function.arguments}}
        ]},
        {"role": "tool", "tool_call_id": tc.id, "content": json.dumps({"status": "shipped", "eta": "Friday"})},
    ]
    second = await call(messages=history, tools=TOOLS)
    assert second.choices[0].message.content == "It arrives Friday."
    sent = fake_provider.requests[1].body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == "call_1"
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped", "eta": "Friday"}'}
