"""Untrusted text made safe to draw: never markup, and no character sequences whose width terminals disagree on."""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size
from textual.content import Content

# Skin-tone modifiers, zero-width joiners and emoji/text variation selectors: Rich counts 👍🏽 as two
# cells, many terminals (tmux among them) draw four, and every border to its right moved two
# columns out of line. Without them each emoji is drawn as the width both sides agree on.
_WIDTH_DISPUTED = re.compile("[\U0001F3FB-\U0001F3FF\u200d\ufe0e\ufe0f]")


def drawable(text: str) -> str:
    """``text`` without the sequences whose width terminals and Rich disagree on."""
    return _WIDTH_DISPUTED.sub("", text)


def literal(text: object) -> Content:
    """Untrusted text (customer, KB, tools, model) as Content: shown literally, never parsed as markup."""
    return Content(drawable(str(text)))


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` cells (wide characters count two), cut with an ellipsis."""
    text = " ".join(drawable(text).split())
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…"
