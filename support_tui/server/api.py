"""The customer channel's HTTP API and web chat (Starlette): ``create_app`` builds it from the engine and the store.

Every write happens only after every check passed (key or token, size, JSON, rate), and a
customer's message is stored and its turn queued in one transaction before 202 is answered, so an
error never leaves anything half-written. Replies come from workers (in this process or others).

While the database cannot be reached, every request that needs it is answered 503 with a
Retry-After (never 500), ``/api/health/ready`` says so, and live streams end cleanly (the page
reconnects). A refused request costs no rate. In demo mode (no API key needed to open any demo
customer's conversation) only loopback ``Host`` headers are served, so a web page elsewhere cannot
reach the server through DNS rebinding.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from support_tui.core.engine import SupportEngine
from support_tui.core.store.sql.faults import store_unavailable
from support_tui.core.store.protocol import SupportStore
from support_tui.core.textsafety import EmptyMessage
from support_tui.server.config import ChannelSettings
from support_tui.server.feed import VISIBLE_ROLES, ConversationFeed, message_json
from support_tui.server.limits import RateLimiter, Refused, json_object, text_field
from support_tui.server.tokens import CustomerToken, InvalidToken, TokenSigner
from support_tui.server.worker import TurnWorker

log = logging.getLogger("support_tui.server")

CHAT_DIR = Path(__file__).parent / "chat"
PAGE = 200
"""Messages one read returns at most (``GET .../messages`` says ``more`` when another page follows; a stream
reads page after page)."""
KEEPALIVE_S = 15.0
RETRY_AFTER_S = 2
"""What a 503 tells the client to wait while the database is away."""
READY_TIMEOUT_S = 2.0
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
"""The only ``Host`` names a demo server answers."""

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
        """The first ``PAGE`` messages the customer may see with an id above ``after``, oldest first."""
        messages = await self.store.messages_after(conversation_id, after, PAGE, roles=VISIBLE_ROLES, status="sent")
        return [message_json(m) for m in messages]


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _after(request: Request) -> int:
    raw = request.query_params.get("after") or request.headers.get("last-event-id") or "0"
    # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise Refused(400, '"after" must be a message id (a whole number)')
    return int(raw)


def _unavailable() -> JSONResponse:
    return JSONResponse({"error": "the service is briefly unavailable; try again in a moment"}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_S)})


class StoreOutage:
    """ASGI middleware: a request that failed because the database is away gets 503 and a Retry-After, not 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started or not store_unavailable(exc):
                raise
            log.warning("%s %s: the database is away (%s: %s); answered 503", scope.get("method"), scope.get("path"),
                        type(exc).__name__, exc)
            await _unavailable()(scope, receive, send)


class LoopbackHostsOnly:
    """ASGI middleware for demo mode: 400 unless the ``Host`` header names this machine (DNS-rebinding defence)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").strip().lower()
            if _host_name(host) not in LOOPBACK_HOSTS:
                response = JSONResponse({"error": "a demo server answers only to localhost, 127.0.0.1 or [::1]"},
                                        status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _host_name(host: str) -> str:
    """The name part of a ``Host`` header (``[::1]:8080`` -> ``[::1]``, ``localhost:8080`` -> ``localhost``)."""
    if host.startswith("["):
        end = host.find("]")
        name, rest = (host[: end + 1], host[end + 1:]) if end > 0 else (host, "")
    else:
        name, _, port = host.partition(":")
        rest = f":{port}" if port else ""
    if rest and not (rest.startswith(":") and rest[1:].isascii() and rest[1:].isdigit()):
        return ""
    return name


# routes ---------------------------------------------------------------------------------------------


async def health(request: Request) -> JSONResponse:
    """Liveness: the process answers (the database is not asked)."""
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    """Readiness: the database answers within ``READY_TIMEOUT_S`` (200), or not (503 with Retry-After)."""
    channel: Channel = request.app.state.channel
    try:
        await asyncio.wait_for(channel.store.ping(), READY_TIMEOUT_S)
    except Exception as exc:
        log.warning("readiness: the database cannot be reached (%s: %s)", type(exc).__name__, exc)
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})
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
    # Spent by stored messages only: a refused body, an empty message or an outage costs nothing.
    key = f"conversation:{conversation_id}"
    wait = channel.limiter.take(key)
    if wait > 0:
        raise Refused(429, "too many messages; wait a moment", {"Retry-After": str(max(1, round(wait)))})
    try:
        queued = await channel.engine.submit_message(conversation_id, text)
    except EmptyMessage:
        channel.limiter.give_back(key)
        raise Refused(400, "the message is empty") from None
    except LookupError:
        channel.limiter.give_back(key)
        raise Refused(404, "no such conversation") from None
    except BaseException:
        channel.limiter.give_back(key)
        raise
    return JSONResponse({"message_id": queued.message_id, "notices": list(queued.notices)}, status_code=202)


async def list_messages(request: Request) -> JSONResponse:
    channel: Channel = request.app.state.channel
    conversation_id = request.path_params["conversation_id"]
    channel.require_token(request, conversation_id)
    page = await channel.visible_messages(conversation_id, _after(request))
    # ``more``: another page may follow; ask again with ``after`` set to the last message's id.
    return JSONResponse({"messages": page, "more": len(page) >= PAGE})


async def stream_messages(request: Request) -> Response:
    """Server-Sent Events: every customer-visible message after ``after`` (or ``Last-Event-ID``), then each new one.

    The first page is read before the response starts, so a stream asked for while the database is away
    gets 503 with a Retry-After. Later, the stream ends cleanly (an ``unavailable`` event) when the
    database goes away, and with an ``expired`` event when its token expires; the client reconnects
    with ``Last-Event-ID`` and misses nothing.
    """
    channel: Channel = request.app.state.channel
    conversation_id = request.path_params["conversation_id"]
    token = channel.require_token(request, conversation_id, query=True)
    after = _after(request)
    first = await channel.visible_messages(conversation_id, after)

    async def events() -> AsyncIterator[str]:
        seen, quiet = after, 0.0
        fresh: list[dict[str, object]] | None = first
        async with channel.feed.watching(conversation_id) as changed:
            changed.set()  # a change between the first read and watching is read at once
            yield f"retry: {RETRY_AFTER_S * 1000}\n: stream open\n\n"
            while fresh is not None:
                for message in fresh:
                    seen = max(seen, int(str(message["id"])))
                    yield f"id: {message['id']}\nevent: message\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
                if len(fresh) < PAGE:  # a full page means more waits: read on at once
                    left = token.expires_at - time.time()
                    if left <= 0:
                        yield "event: expired\ndata: {}\n\n"
                        return
                    wait = min(channel.feed.fallback_s, left)
                    try:
                        await asyncio.wait_for(changed.wait(), wait)
                        quiet = 0.0
                    except asyncio.TimeoutError:
                        quiet += wait
                        if quiet >= KEEPALIVE_S:
                            quiet = 0.0
                            yield ": keep-alive\n\n"
                    changed.clear()
                fresh = await _next_page(channel, conversation_id, seen)
            yield "event: unavailable\ndata: {}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _next_page(channel: Channel, conversation_id: str, after: int) -> list[dict[str, object]] | None:
    """The next page of a stream, or None when the database is away (the stream then ends)."""
    try:
        return await channel.visible_messages(conversation_id, after)
    except Exception as exc:
        if not store_unavailable(exc):
            raise
        log.warning("a stream of %s ends: the database is away (%s: %s)", conversation_id, type(exc).__name__, exc)
        return None


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
        Route("/api/health/ready", ready, methods=["GET"]),
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
    middleware = [Middleware(LoopbackHostsOnly)] if channel.demo else []
    middleware.append(Middleware(StoreOutage))
    app = Starlette(routes=list(routes), lifespan=lifespan, middleware=middleware, exception_handlers={
        Refused: _refused, HTTPException: _http_error, Exception: _failure,
    })
    app.state.channel = channel
    return app
