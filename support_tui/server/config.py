"""The customer channel's settings: API keys, the token signing secret and limits, from config.toml and the environment."""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

API_KEY_ENV = "SUPPORT_TUI_API_KEY"
"""The server API key the shop's website backend sends to open conversations (wins over ``api_keys``)."""
SECRET_ENV = "SUPPORT_TUI_SERVER_SECRET"
"""The secret customer tokens are signed with (wins over ``server_secret`` and the data directory's file)."""
SECRET_FILE = "server_secret"
"""Where a secret made on first use is kept in the data directory (mode 0600)."""


class ChannelSettings(BaseModel):
    """How the channel behaves; every field can be set in ``config.toml`` next to the engine's settings."""

    model_config = ConfigDict(extra="ignore")

    api_keys: list[str] = Field(default_factory=list)
    """Server API keys allowed to open conversations (``$SUPPORT_TUI_API_KEY`` adds one)."""
    server_secret: str | None = None
    """The token signing secret. Several servers behind one address must share it (or ``$SUPPORT_TUI_SERVER_SECRET``);
    unset, each data directory makes its own on first use."""
    token_ttl_s: float = 24 * 3600.0
    """How long a customer's token is valid."""
    max_body_bytes: int = 64 * 1024
    """Request bodies above this are refused with 413 (a message is cut to ``max_message_chars`` anyway)."""
    rate_per_minute: float = 30.0
    """Messages a token may post per minute, on average."""
    rate_burst: int = 10
    """Messages a token may post at once before the rate applies."""

    @classmethod
    def load(cls, path: Path | None) -> "ChannelSettings":
        """The channel's part of ``config.toml`` (a missing file means defaults), plus ``$SUPPORT_TUI_API_KEY``."""
        data = {}
        if path is not None and path.exists():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        settings = cls.model_validate(data)
        key = os.environ.get(API_KEY_ENV)
        if key:
            settings = settings.model_copy(update={"api_keys": [key, *settings.api_keys]})
        return settings


def signing_secret(settings: ChannelSettings, home: Path) -> bytes:
    """``$SUPPORT_TUI_SERVER_SECRET``, else ``server_secret``, else the data directory's own, made on first use."""
    given = os.environ.get(SECRET_ENV) or settings.server_secret
    if given:
        return given.encode()
    path = home / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by another process starting at the same moment
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            return text.encode()
        import time

        time.sleep(0.01)  # the other process has created the file and is writing it
    raise RuntimeError(f"{path} is empty: delete it and start again")
