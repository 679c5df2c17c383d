"""Shared language helpers: the confirmation grammar, what counts as a customer's explicit yes or no (every model
and rule reads this one). A leaf: it imports nothing of the project, so the model layer and the turn both use it."""

from __future__ import annotations

import re

_NEGATIVE = re.compile(r"\b(no|nope|nah|not|don'?t|do not|never|stop|wait|hold on|cancel that|changed my mind)\b")
_AFFIRMATIVE = re.compile(
    r"^(?:\w+\W+){0,3}?(yes|yeah|yep|yup|ya|sure|ok|okay|k|confirm|confirmed|correct|absolutely|definitely|"
    r"go ahead|please do|do it|proceed|sounds good|that'?s fine|that works|fine|alright|all right|affirmative|"
    r"please go ahead|y)\b"
)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("\u2019", "'")).strip()


def is_affirmative(text: str) -> bool:
    """A short explicit yes ("yes please", "go ahead", "ok do it"); any "no"/"don't" makes it not one."""
    text = _normal(text)
    if not text or _NEGATIVE.search(text):
        return False
    return _AFFIRMATIVE.search(text) is not None


def is_negative(text: str) -> bool:
    """An explicit no to a proposal ("no", "don't", "wait")."""
    return bool(_NEGATIVE.search(_normal(text)))
