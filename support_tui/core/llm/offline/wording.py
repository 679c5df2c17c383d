"""Words of a message as lower-case tokens, and whether they hold a word, a word's stem or a phrase."""

from __future__ import annotations

import string
from collections.abc import Iterable

_SPACES = str.maketrans({c: " " for c in string.punctuation if c != "'"})


def tokens(text: str) -> tuple[str, ...]:
    """The message's words in lower case; punctuation (but the apostrophe) separates them."""
    return tuple(w.strip("'") for w in text.lower().translate(_SPACES).split() if w.strip("'"))


def holds(words: tuple[str, ...], vocabulary: Iterable[str]) -> bool:
    """Whether the words hold any entry: a word, a phrase ("log in"), or a stem ("deliver*")."""
    line = f" {' '.join(words)} "
    for entry in vocabulary:
        if entry.endswith("*"):
            stem = entry[:-1]
            if any(w.startswith(stem) for w in words):
                return True
        elif f" {entry} " in line:
            return True
    return False
