"""``serve`` and ``worker``: the customer channel (HTTP API and web chat) and the workers that answer its queued turns."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from support_tui.cli import UserError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="the customer channel: an HTTP API, live streams and a web chat at /chat")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--workers", type=int, default=1, metavar="K",
                       help="in-process workers answering queued turns (default 1; 0 leaves it to `support-tui worker`)")
    serve.add_argument("--concurrency", type=int, default=8, metavar="N", help="turns each worker runs at once (default 8)")
    serve.add_argument("--demo", action="store_true",
                       help="demo mode: the offline model (keys ignored); /chat offers the demo customers and opens any"
                       " demo customer's conversation without an API key, so only loopback Host headers (localhost,"
                       " 127.0.0.1, [::1]) are served: other names get 400 (a defence against DNS rebinding)")
    serve.set_defaults(func=serve_command)

    worker = sub.add_parser("worker", help="claim queued turns from the store and run them (any number, on any machine)")
    worker.add_argument("--concurrency", type=int, default=8, metavar="N", help="turns run at once (default 8)")
    worker.add_argument("--lease", type=float, default=30.0, metavar="S",
                        help="seconds a claim lasts unless renewed; a killed worker's turn is re-run after this (default 30)")
    worker.add_argument("--grace", type=float, default=30.0, metavar="S",
                        help="on SIGTERM, seconds to let running turns finish before giving them back (default 30)")
    worker.set_defaults(func=worker_command)


def _check(value: int, name: str, least: int) -> None:
    if value < least:
        raise UserError(f"{name} must be at least {least}")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("LiteLLM", "litellm", "httpx", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def serve_command(args: argparse.Namespace) -> int:
    import uvicorn

    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths
    from support_tui.server.api import Channel, create_app
    from support_tui.server.config import ChannelSettings, signing_secret
    from support_tui.server.tokens import TokenSigner
    from support_tui.server.worker import TurnWorker, worker_name

    _check(args.workers, "--workers", 0)
    _check(args.concurrency, "--concurrency", 1)
    if not 0 < args.port < 65536:
        raise UserError("--port must be between 1 and 65535")
    if args.demo:  # offline whatever the shell holds, as `support-tui demo` is
        for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            os.environ.pop(key, None)
    _logging()
    paths = DataPaths.default().ensure()
    settings = ChannelSettings.load(paths.config)
    try:
        engine = await open_engine(paths, wait=False)
    except RuntimeError as exc:
        raise UserError(str(exc), code=1) from exc
    try:
        store = engine.store
        channel = Channel(engine, store, settings, TokenSigner(signing_secret(settings, paths.home), settings.token_ttl_s),
                          demo=args.demo)
        workers = [TurnWorker(engine, store, name=worker_name(i), concurrency=args.concurrency) for i in range(args.workers)]
        if workers:
            engine.start_background()
        config = uvicorn.Config(create_app(channel, workers), host=args.host, port=args.port, log_level="warning",
                                access_log=False, lifespan="on", timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        print(f"support-tui: serving on http://{args.host}:{args.port} (chat at /chat; {args.workers} in-process"
              f" worker{'s' if args.workers != 1 else ''})", file=sys.stderr, flush=True)
        await server.serve()
    finally:
        await engine.close()
    return 0


async def worker_command(args: argparse.Namespace) -> int:
    from support_tui.core.factory import open_engine
    from support_tui.server.worker import TurnWorker

    _check(args.concurrency, "--concurrency", 1)
    if args.lease <= 0.3 or args.grace < 0:
        raise UserError("--lease must be over 0.3 seconds and --grace at least 0")
    _logging()
    try:
        engine = await open_engine(wait=True)
    except RuntimeError as exc:
        raise UserError(str(exc), code=1) from exc
    try:
        worker = TurnWorker(engine, engine.store, concurrency=args.concurrency, lease_s=args.lease, grace_s=args.grace)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        print(f"support-tui: worker {worker.name} claiming turns ({args.concurrency} at once)", file=sys.stderr, flush=True)
        await worker.run()
        c = worker.counts
        print(f"support-tui: worker {worker.name} stopped: {c.answered} answered, {c.failed} failed,"
              f" {c.released} given back", file=sys.stderr, flush=True)
    finally:
        await engine.close()
    return 0
