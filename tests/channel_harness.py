"""Helpers for the customer-channel tests: the API served by uvicorn on 127.0.0.1 and a free port, and its parts."""

from __future__ import annotations

import asyncio
import socket
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence

import httpx

API_KEY = "test-api-key-0123456789"
SECRET = b"test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def channel_for(engine: Any, *, demo: bool = False, **settings: Any) -> Any:
    """A ``Channel`` on a real engine and its store, with the test API key and secret."""
    from support_tui.server.api import Channel
    from support_tui.server.config import ChannelSettings
    from support_tui.server.tokens import TokenSigner

    config = ChannelSettings(api_keys=[API_KEY], **settings)
    return Channel(engine, engine.store, config, TokenSigner(SECRET, config.token_ttl_s), demo=demo)


@asynccontextmanager
async def served(channel: Any, workers: Sequence[Any] = ()) -> AsyncIterator[str]:
    """The app on loopback for the block; yields its base URL."""
    import uvicorn

    from support_tui.server.api import create_app

    port = free_port()
    config = uvicorn.Config(create_app(channel, workers), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def open_conversation(client: httpx.AsyncClient, customer_id: str = "cust_12345", key: str = API_KEY) -> httpx.Response:
    return await client.post("/api/conversations", json={"customer_id": customer_id},
                             headers={"Authorization": f"Bearer {key}"})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wait_for_reply(client: httpx.AsyncClient, conversation_id: str, token: str, message_id: int,
                         timeout: float = 60.0) -> list[dict]:
    """Poll the visible messages until one replies to ``message_id``; returns every visible message."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = (await client.get(f"/api/conversations/{conversation_id}/messages", headers=bearer(token))).json()
        if any(m["reply_to"] == message_id for m in got["messages"]):
            return got["messages"]
        if loop.time() > deadline:
            raise AssertionError(f"no reply to message {message_id} in {timeout} s: {got}")
        await asyncio.sleep(0.1)
