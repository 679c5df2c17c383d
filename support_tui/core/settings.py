"""Engine settings: defaults, overridden by ``config.toml`` in the data directory."""

from __future__ import annotations

import getpass
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OFFLINE_MODEL = "offline/support-agent"
"""The deterministic offline model: always the last link of every fallback chain."""


class Settings(BaseModel):
    """How the engine behaves. Every field can be set in ``config.toml``."""

    model_config = ConfigDict(extra="ignore")

    shop: str = "northwind"
    """Which shop the engine serves: ``northwind`` (the demo shop) or ``taubench-retail``."""
    mode: Literal["auto", "supervised"] = "auto"
    """``auto``: replies go out; ``supervised``: a reply waits as a draft for a person."""
    approval_threshold: float = 200.0
    """Refunds or returns worth more than this need a person's approval."""
    return_window_days: int = 30
    """Returns only within this many days of delivery."""
    fallback_models: list[str] = Field(default_factory=lambda: ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"])
    """Tried in order after a specialist's own model fails; the offline model always ends the chain."""
    model_timeout_s: float = 20.0
    """Per-call timeout for remote models; a dead provider costs seconds."""
    max_tool_rounds: int = 5
    """Bound on model -> tools -> model rounds in one turn."""
    max_message_chars: int = 4000
    """Longer customer messages are truncated, with a notice."""
    redact_pii: bool = False
    """Redact emails, phone numbers and card numbers from what is sent to external providers."""
    kb_top_k: int = 4
    escalation_sentiment: float = -0.5
    """Trend compound at or below which the negative-trend escalation rule fires."""
    route_min_confidence: float = 0.35
    """Below this, the router asks a clarifying question (and repeated low confidence escalates)."""
    database_url: str | None = None
    """Keep the shop's tables (customers, catalogue, orders, refunds) and the support records
    (conversations, messages, turns, trace, approvals, ratings, memory) in PostgreSQL, shared by a
    team: ``postgresql://user@host:port/db``. ``$SUPPORT_TUI_DATABASE_URL`` overrides it. Unset (the
    default): the data directory's SQLite file holds both."""
    kb_path: str | None = None
    """A LanceDB folder for the knowledge base that several workers share (a path on shared storage);
    unset: ``<data dir>/kb.lance``. Either way the index is synced with ``kb/`` by content hash."""

    agent_id: str | None = None
    """Who this person is on a team (their agent id): decisions, take-overs and claims are recorded as
    them. ``--agent`` on the command line wins; unset, ``$SUPPORT_TUI_AGENT``, else the login name."""
    change_poll_s: float = 1.0
    """How often a console on the SQLite file looks for other processes' writes (PostgreSQL pushes them)."""

    @classmethod
    def load(cls, path: Path | None) -> "Settings":
        """Read settings from a TOML file; a missing file means defaults."""
        if path is None or not path.exists():
            return cls()
        with path.open("rb") as fh:
            return cls.model_validate(tomllib.load(fh))


AGENT_ENV = "SUPPORT_TUI_AGENT"
"""The environment variable naming the person, when neither ``--agent`` nor ``agent_id`` does."""


def agent_identity(settings: Settings | None = None, override: str | None = None) -> str:
    """The person decisions are recorded as: ``override`` (``--agent``), else config ``agent_id``, else
    ``$SUPPORT_TUI_AGENT``, else the login name (``agent`` when there is none)."""
    for name in (override, settings.agent_id if settings else None, os.environ.get(AGENT_ENV)):
        if name and name.strip():
            return name.strip()
    try:
        return getpass.getuser() or "agent"
    except (KeyError, OSError):
        return "agent"
