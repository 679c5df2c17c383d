"""Where support-tui keeps its state: one data directory, ``SUPPORT_TUI_HOME`` overrides it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout (holds kb/ and fixtures/)."""


def data_home() -> Path:
    """The data directory: ``$SUPPORT_TUI_HOME`` or the platform's user data directory."""
    env = os.environ.get("SUPPORT_TUI_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("support-tui", appauthor=False))


@dataclass(frozen=True)
class DataPaths:
    """The files and folders under one data directory."""

    home: Path

    @property
    def database(self) -> Path:
        return self.home / "support.db"

    @property
    def lancedb(self) -> Path:
        return self.home / "kb.lance"

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def router_dir(self) -> Path:
        return self.home / "router"

    @classmethod
    def default(cls) -> "DataPaths":
        return cls(data_home())

    def ensure(self) -> "DataPaths":
        self.home.mkdir(parents=True, exist_ok=True)
        return self


def kb_source_dir() -> Path:
    """Markdown documents of the knowledge base (``$SUPPORT_TUI_KB_DIR`` overrides)."""
    return Path(os.environ.get("SUPPORT_TUI_KB_DIR") or PROJECT_ROOT / "kb")


def fixtures_dir() -> Path:
    """Hand-written demo customers and scripted scenarios (``$SUPPORT_TUI_FIXTURES`` overrides)."""
    return Path(os.environ.get("SUPPORT_TUI_FIXTURES") or PROJECT_ROOT / "fixtures")
