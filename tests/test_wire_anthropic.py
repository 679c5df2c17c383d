"""The real LiteLLM client against the loopback server speaking the Anthropic messages API."""

import json

import support_tui.core.llm  # noqa: F401  (environment before litellm)
import litellm
import pytest

from fake_provider import fake_provider, text, tool_call  # noqa: F401

MODEL = "anthropic/claude-sonnet-4-5"
WIRE_MODEL = "claude-sonnet-4-5"
KEY = "sk-ant-test-0123456789"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "create_return",
            "description": "Open a return for an order line.",
            "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}}},
        },
    }
]
QUESTION = [
    {"role": "system", "content": "You are the returns specialist."},
    {"role": "user", "content": "The kettle arrived broken, order NW-1002."},
]
ARGS = {"order_id": "NW-1002", "reason": "damaged"}


@pytest.fixture
def call(fake_provider, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)

    async def call(messages=QUESTION, **kwargs):
        # The anthropic provider appends /v1/messages to the base itself.
        return await litellm.acompletion(
            model=MODEL, messages=messages, api_base=fake_provider.anthropic_base, timeout=5, num_retries=0, **kwargs
        )

    return call


async def test_plain_text(fake_provider, call):
    fake_provider.script(WIRE_MODEL, text("Sorry to hear that."))
    reply = await call()
    assert reply.choices[0].message.content == "Sorry to hear that."
    assert reply.usage.prompt_tokens == 13 and reply.usage.completion_tokens == 9
    sent = fake_provider.requests[0]
    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.body["system"][0]["text"] == "You are the returns specialist."
    assert sent.body["messages"][0]["role"] == "user"


async def test_streamed_text(fake_provider, call):
    fake_provider.script(WIRE_MODEL, text("Sorry to hear that, let me help."))
    stream = await call(stream=True)
    pieces = [c.choices[0].delta.content async for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) == 7
    assert "".join(pieces) == "Sorry to hear that, let me help."


async def test_tool_use_arrives_in_openai_form(fake_provider, call):
    fake_provider.script(WIRE_MODEL, tool_call("create_return", ARGS))
    reply = await call(tools=TOOLS)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    (tc,) = choice.message.tool_calls
    assert (tc.id, tc.type, tc.function.name) == ("toolu_1", "function", "create_return")
    assert json.loads(tc.function.arguments) == ARGS
    assert fake_provider.requests[0].body["tools"][0]["name"] == "create_return"
    assert "input_schema" in fake_provider.requests[0].body["tools"][0]


async def test_streamed_tool_use(fake_provider, call):
    fake_provider.script(WIRE_MODEL, tool_call("create_return", ARGS, text="Opening a return."))
    stream = await call(tools=TOOLS, stream=True)
    chunks = [c async for c in stream]
    built = litellm.stream_chunk_builder(chunks, messages=QUESTION)
    message = built.choices[0].message
    assert message.content == "Opening a return."
    (tc,) = message.tool_calls
    assert tc.id == "toolu_1" and tc.function.name == "create_return"
    assert json.loads(tc.function.arguments) == ARGS
    assert built.choices[0].finish_reason == "tool_calls"


async def test_second_call_carries_the_tool_result(fake_provider, call):
    fake_provider.script(WIRE_MODEL, tool_call("create_return", ARGS), text("Return RMA-7 is open."))
    first = await call(tools=TOOLS)
    tc = first.choices[0].message.tool_calls[0]
    history = [
        *QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": tc.id, "type": "function", "function": {"name": tc.function.name, "arguments": tc.function.arguments}}
        ]},
        {"role": "tool", "tool_call_id": tc.id, "content": json.dumps({"rma": "RMA-7"})},
    ]
    second = await call(messages=history, tools=TOOLS)
    assert second.choices[0].message.content == "Return RMA-7 is open."
    sent = fake_provider.requests[1].body["messages"]
    tool_use = [b for b in sent[1]["content"] if b["type"] == "tool_use"][0]
    assert tool_use["id"] == "toolu_1" and tool_use["input"] == ARGS
    result = [b for b in sent[2]["content"] if b["type"] == "tool_result"][0]
    assert sent[2]["role"] == "user" and result["tool_use_id"] == "toolu_1"
    assert "RMA-7" in json.dumps(result["content"])
