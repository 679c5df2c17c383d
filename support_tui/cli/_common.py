"""What the subcommands share: opening the engine with progress on stderr, printing untrusted text safely."""

from __future__ import annotations

import json
import re
import sys
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

from support_tui.cli import UserError

if TYPE_CHECKING:
    from support_tui.core.engine import SupportEngine
    from support_tui.core.shop import CustomerSummary
    from support_tui.core.store.records.values import ConversationInfo

_UNSAFE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b.|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: Any) -> str:
    """Untrusted text for a terminal: no escape sequences or control characters."""
    return _UNSAFE.sub("", str(text))


def person(engine: SupportEngine | None = None, agent: str | None = None) -> str:
    """Who a person's actions are recorded as: ``--agent``, else config ``agent_id``, else
    ``$SUPPORT_TUI_AGENT``, else the login name."""
    from support_tui.core.settings import agent_identity

    return agent_identity(engine.settings if engine is not None else None, agent)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str, ensure_ascii=False))


class StderrProgress:
    """First-run set-up progress on stderr (only when something slow actually happens)."""

    def __init__(self) -> None:
        self._last = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        labels = {"fixtures": "Loading the demo store", "model": "Loading the embedding model", "kb": "Indexing the knowledge base"}
        if stage == "ready":
            # Clear only what was drawn: piped or logged stderr got a carriage return and 60 spaces
            # in front of every error line.
            if self._last:
                sys.stderr.write("\r" + " " * 60 + "\r")
                sys.stderr.flush()
                self._last = ""
            return
        label = labels.get(stage, stage)
        line = f"{label}… {done}/{total}" if stage == "kb" and total else f"{label}…"
        if line != self._last and sys.stderr.isatty():
            sys.stderr.write("\r" + line.ljust(60))
            sys.stderr.flush()
            self._last = line


@asynccontextmanager
async def engine_session(wait: bool = True) -> AsyncIterator[SupportEngine]:
    """An engine on the default data directory, closed afterwards; start-up failures are user errors."""
    from support_tui.core.factory import open_engine

    try:
        engine = await open_engine(wait=wait, progress=StderrProgress())
    except RuntimeError as exc:
        raise UserError(str(exc), code=1) from exc
    try:
        yield engine
    finally:
        await engine.close()


async def require_customer(engine: SupportEngine, customer_id: str) -> CustomerSummary:
    try:
        return await engine.customer_brief(customer_id)
    except LookupError:
        raise UserError(f"unknown customer {customer_id!r} (see `support-tui customers`)") from None


async def require_conversation(engine: SupportEngine, conversation_id: str, customer_id: str | None = None) -> ConversationInfo:
    """The conversation, or a usage error naming what is missing."""
    try:
        conv = await engine.get_conversation(conversation_id)
    except LookupError:
        conv = None
    if conv is None or (customer_id is not None and conv.customer_id != customer_id):
        owner = f" for customer {customer_id!r}" if customer_id is not None else ""
        raise UserError(f"no conversation {conversation_id!r}{owner} (see `support-tui conversations`)")
    return conv
