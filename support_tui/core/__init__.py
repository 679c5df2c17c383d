"""The headless support engine: never imports textual or rich."""

from support_tui.core import offline_env as _offline_env  # noqa: F401  (sets env before heavy imports)
