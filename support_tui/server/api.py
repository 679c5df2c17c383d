"""The customer channel's HTTP API and web chat (Starlette): ``create_app`` builds it from the engine and the store.

Every write happens only after every check passed (key or token, size, JSON, rate), and a
customer's message is stored and its turn queued in one transaction before 202 is answered, so an
error never leaves anything half-written. Replies come from workers (in this process or others).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from support_tui.core.engine import SupportEngine
from support_tui.core.store.protocol import SupportStore
from support_tui.core.textsafety import EmptyMessage
from support_tui.server.config import ChannelSettings
from support_tui.server.feed import ConversationFeed, customer_visible, message_json
from support_tui.server.limits import RateLimiter, Refused, json_object, text_field
from support_tui.server.tokens import CustomerToken, InvalidToken, TokenSigner
from support_tui.server.worker import TurnWorker

log = logging.getLogger("support_tui.server")

CHAT_DIR = Path(__file__).parent / "chat"
STREAM_WINDOW = 200
"""Messages a live stream reads per wake-up (the latest ones; a customer's conversation is shorter)."""
KEEPALIVE_S = 15.0

PAGE_HEADERS = {
    # The page runs only its own script and talks only to this server; untrusted text is set as text.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class Channel:
    """What the API runs on: the engine and store (through their Protocols), the signer, the limits."""

    engine: SupportEngine
    store: SupportStore
    settings: ChannelSettings
    signer: TokenSigner
    demo: bool = False
    """Demo mode: the chat page offers the demo customers and opens conversations without an API key."""
    feed: ConversationFeed = field(init=False)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.feed = ConversationFeed(self.store)
        self.limiter = RateLimiter(self.settings.rate_per_minute, self.settings.rate_burst)

    # checks ---------------------------------------------------------------------------------

    def require_api_key(self, request: Request) -> None:
        if not self.settings.api_keys:
            raise Refused(401, "this server has no API key configured (set SUPPORT_TUI_API_KEY or api_keys in config.toml)")
        given = _bearer(request).encode()
        if not any(hmac.compare_digest(given, key.encode()) for key in self.settings.api_keys):
            raise Refused(401, "wrong or missing API key", {"WWW-Authenticate": "Bearer"})

    def require_token(self, request: Request, conversation_id: str, *, query: bool = False) -> CustomerToken:
        token = _bearer(request) or (request.query_params.get("token", "") if query else "")
        try:
            return self.signer.verify(token, conversation_id)
        except InvalidToken:
            raise Refused(401, "the token is invalid or expired, or not for this conversation",
                          {"WWW-Authenticate": "Bearer"}) from None

    async def open_conversation(self, customer_id: str) -> JSONResponse:
        try:
            conv = await self.engine.open_conversation(customer_id, new=True)
        except LookupError:
            raise Refused(404, f"no customer {customer_id!r}") from None
        token, expires = self.signer.issue(conv.id)
        return JSONResponse({"conversation_id": conv.id, "token": token, "expires_at": expires}, status_code=201)

    async def visible_messages(self, conversation_id: str, after: int) -> list[dict[str, object]]:
        messages = await self.store.recent_messages(conversation_id, STREAM_WINDOW)
        return [message_json(m) for m in messages if m.id > after and customer_visible(m)]


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _after(request: Request) -> int:
    raw = request.query_params.get("after") or request.headers.get("last-event-id") or "0"
    if not raw.isdigit():
        raise Refused(400, '"after" must be a message id (a whole number)')
    return int(raw)


# routes ---------------------------------------------------------------------------------------------


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def create_conversation(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    channel.require_api_key(request)
    body = await json_object(request, channel.settings.max_body_bytes)
    return await channel.open_conversation(text_field(body, "customer_id"))


async def post_message(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    conversation_id = request.path_params["conversation_id"]
    channel.require_token(request, conversation_id)
    body = await json_object(request, channel.settings.max_body_bytes)
    text = text_field(body, "text")
    # Spent by well-formed messages only: a refused body costs no turn.
    wait = channel.limiter.take(f"conversation:{conversation_id}")
    if wait > 0:
        raise Refused(429, "too many messages; wait a moment", {"Retry-After": str(max(1, round(wait)))})
    try:
        queued = await channel.engine.submit_message(conversation_id, text)
    except EmptyMessage:
        raise Refused(400, "the message is empty") from None
    except LookupError:
        raise Refused(404, "no such conversation") from None
    return JSONResponse({"message_id": queued.message_id, "notices": list(queued.notices)}, status_code=202)


async def list_messages(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    conversation_id = request.path_params["conversation_id"]
    channel.require_token(request, conversation_id)
    return JSONResponse({"messages": await channel.visible_messages(conversation_id, _after(request))})


async def stream_messages(request: Request) -> StreamingResponse:
    """Server-Sent Events: every customer-visible message after ``after`` (or ``Last-Event-ID``), then each new one."""
    channel: Channel = request.app.state.channel
    conversation_id = request.path_params["conversation_id"]
    channel.require_token(request, conversation_id, query=True)
    after = _after(request)

    async def events() -> AsyncIterator[str]:
        seen = after
        async with channel.feed.watching(conversation_id) as changed:
            yield ": stream open\n\n"
            quiet = 0.0
            while True:
                changed.clear()
                fresh = await channel.visible_messages(conversation_id, seen)
                for message in fresh:
                    seen = max(seen, int(str(message["id"])))
                    yield f"id: {message['id']}\nevent: message\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
                try:
                    await asyncio.wait_for(changed.wait(), channel.feed.fallback_s)
                    quiet = 0.0
                except asyncio.TimeoutError:
                    quiet += channel.feed.fallback_s
                    if quiet >= KEEPALIVE_S:
                        quiet = 0.0
                        yield ": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def demo_customers(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    if not channel.demo:
        raise Refused(404, "not in demo mode")
    customers = await channel.engine.customers()
    return JSONResponse({"customers": [{"id": c.id, "name": c.name} for c in customers[:60]]})


async def demo_conversation(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    if not channel.demo:
        raise Refused(404, "not in demo mode")
    body = await json_object(request, channel.settings.max_body_bytes)
    return await channel.open_conversation(text_field(body, "customer_id"))


def _page(name: str, media_type: str) -> Route:
    async def serve(request: Request) -> Response:
        return FileResponse(CHAT_DIR / name, media_type=media_type, headers=PAGE_HEADERS)

    return Route(f"/chat/{name}" if name != "chat.html" else "/chat", serve, methods=["GET"])


# the app --------------------------------------------------------------------------------------------


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _failure(request: Request, exc: Exception) -> Response:
    log.exception("request %s %s failed", request.method, request.url.path)
    return JSONResponse({"error": "the server could not handle this request"}, status_code=500)


def create_app(channel: Channel, workers: Sequence[TurnWorker] = ()) -> Starlette:
    """The channel's ASGI app; its lifespan runs the change feed the live streams wait on, and ``workers``
    (in-process workers: stopped gracefully when the server shuts down)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        channel.feed.start()
        running = [asyncio.create_task(w.run(), name=f"worker {w.name}") for w in workers]
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()
            for task in running:
                try:
                    await task
                except Exception:
                    log.exception("an in-process worker failed")
            await channel.feed.stop()

    routes: Sequence[Route] = [
        Route("/api/health", health, methods=["GET"]),
        Route("/api/conversations", create_conversation, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/messages", post_message, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/messages", list_messages, methods=["GET"]),
        Route("/api/conversations/{conversation_id}/stream", stream_messages, methods=["GET"]),
        Route("/api/demo/customers", demo_customers, methods=["GET"]),
        Route("/api/demo/conversations", demo_conversation, methods=["POST"]),
        _page("chat.html", "text/html; charset=utf-8"),
        _page("chat.js", "text/javascript; charset=utf-8"),
        _page("chat.css", "text/css; charset=utf-8"),
    ]
    app = Starlette(routes=list(routes), lifespan=lifespan, exception_handlers={
        Refused: _refused, HTTPException: _http_error, Exception: _failure,
    })
    app.state.channel = channel
    return app
