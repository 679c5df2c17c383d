"""Clean customer text before it is stored: no terminal escapes or control characters, bounded length."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# CSI, OSC (to BEL or ST), other ESC sequences, and C1 controls.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?|\x1b[@-Z\\-_]|[\x80-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class EmptyMessage(ValueError):
    """The message is empty or only whitespace once cleaned."""


@dataclass
class CleanText:
    text: str
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(code, message) pairs for what was changed."""


def clean_message(text: str, max_chars: int) -> CleanText:
    """Strip escape sequences and control characters, normalise, truncate with a notice."""
    if not isinstance(text, str):
        raise EmptyMessage("a message must be text")
    notices: list[tuple[str, str]] = []
    # Lone surrogates (from undecodable input) cannot be stored as UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    stripped = _CONTROL.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    stripped = unicodedata.normalize("NFC", stripped)
    if stripped != text.replace("\r\n", "\n").replace("\r", "\n"):
        notices.append(("control_characters_removed", "Terminal escape sequences or control characters were removed."))
    stripped = stripped.strip()
    if not stripped:
        raise EmptyMessage("the message is empty")
    if len(stripped) > max_chars:
        notices.append(
            ("message_truncated", f"The message was {len(stripped):,} characters; only the first {max_chars:,} were kept.")
        )
        stripped = stripped[:max_chars].rstrip()
    return CleanText(stripped, notices)
