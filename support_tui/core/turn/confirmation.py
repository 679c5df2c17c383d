"""The confirmation grammar now lives in the leaf ``support_tui.core.language`` (the model layer reads it too and
must not import the turn); this name stays for code written against it. New code imports ``core.language``."""

from __future__ import annotations

from support_tui.core.language import is_affirmative, is_negative

__all__ = ["is_affirmative", "is_negative"]
