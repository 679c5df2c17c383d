"""Customer sentiment: VADER per message, a conversation trend with hysteresis, frustration signals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_ANALYZER: SentimentIntensityAnalyzer | None = None

# Phrases VADER underrates in support chats: "nobody is helping" reads neutral to it.
_FRUSTRATION = re.compile(
    r"\b(nobody|no one) (is )?(helping|helps|answer(s|ing)?|respond(s|ing)?)\b|\b(again|still) (not|no|nothing)\b"
    r"|\b(third|3rd|fourth|several|many) times?\b|\bfed up\b|\bridiculous\b|\bunacceptable\b|\bworst\b"
    r"|\bwaste of (my )?time\b|\bfurious\b|\bangry\b|\bupset\b",
    re.IGNORECASE,
)
# Having to come back: "already told you", "third time", "asking again" (a bare "again" is not it:
# "the app logged me out again" says nothing about contacting us before).
_REPEAT = re.compile(
    r"\b(already (told|asked|contacted|called|wrote|written|explained|emailed|messaged|sent|chased)"
    r"|(second|third|fourth|fifth|2nd|3rd|4th|5th|umpteenth|hundredth) time|keep (asking|telling|having to)"
    r"|(ask|tell|write|contact|call|email|message|chase|explain|repeat)(ing)? (you |this |it |myself )?(again|over and over)"
    r"|again and again|yet again|once again|how many times)\b",
    re.IGNORECASE,
)
PROFANITY = re.compile(
    r"(?<!\w)(damn(ed|it)?|goddamn\w*|hell|crap(py)?|wtf|bs|shit\w*|bullshit|fuck\w*|f[*#@]+(ck|k)?(ing|ed)?|sh[*#@]+t\w*"
    r"|piss(ed)?|bloody|arse|ass(hole)?s?|bastards?|bitch\w*)(?!\w)",
    re.IGNORECASE,
)
"""Swear words, counted: one in a polite request is an intensifier, two or more is swearing."""
_INSULT = r"(useless|stupid|idiots?|incompetent|pathetic|morons?|clowns?|worthless|dumb|a joke|garbage|trash|hopeless|liars?|thieves|crooks|scammers)"
# Hostility aimed at whoever answers: "you're useless", "stupid bot", "f*** you".
_ABUSE = re.compile(
    r"\b(you|u)('re| are|re| r| guys are| people are| lot are| all are)?\s+"
    r"((so|such|a|an|complete|completely|totally|absolutely|fucking|bloody|the most|really|utterly)\s+)*" + _INSULT + r"(?!\w)"
    r"|\bare (you|u) (stupid|dumb|an idiot|deaf|thick|blind|braindead)\b"
    r"|\b(stupid|useless|dumb|idiotic|pathetic|worthless|fucking|f[*#@]+(ck|k)?ing|bloody|damn|goddamn|crappy|shitty)\s+"
    r"(bot|robot|machine|ai|chatbot|assistant|agent|computer|program)\b"
    r"|(?<!\w)(fuck|f[*#@]+(ck|k)?|screw|damn)\s+(you|u|off|this bot|this chat)\b|\bshut up\b|\bgo to hell\b",
    re.IGNORECASE,
)
_POLITE = re.compile(r"\b(please|pls|plz|thanks?|thank you|thx|appreciate|could you|would you|can you|kindly)\b", re.I)

# Capital words that are not shouting: codes and acronyms customers type in calm messages.
ACRONYMS = frozenset(
    "ID IDS USB HDMI LED LCD OLED TV PC MAC IOS OS UK US USA EU UAE NYC LA FAQ PDF CSV RMA SKU UPS USPS DHL FEDEX TNT"
    " GPS SIM SD SSD HDD RAM CPU GPU ASAP FYI OK OKAY AM PM ETA VAT GST IVA EUR USD GBP CAD AUD AC DC NFC ANC BT"
    " API URL SMS PIN CVV QR XL XXL XS DIY AI PO ZIP APP VPN WIFI ABC BBC CNN".split()
)
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"^[^\w]*([A-Za-z]+(?:'[A-Za-z]+)?)[^\w]*$")


def analyzer() -> SentimentIntensityAnalyzer:
    global _ANALYZER
    if _ANALYZER is None:
        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


def label_for(compound: float) -> str:
    """Five levels on VADER's compound score."""
    if compound <= -0.6:
        return "very_negative"
    if compound <= -0.05:
        return "negative"
    if compound < 0.05:
        return "neutral"
    if compound < 0.6:
        return "positive"
    return "very_positive"


def prose_words(text: str) -> list[str]:
    """The message's words as written, without identifiers: order ids, SKUs, ``cust_12345``, acronyms.

    A token with a digit, an underscore, a hyphen between capitals or a known acronym is a code
    a calm customer copies from an email, not a word they raise their voice with.
    """
    words = []
    for token in _TOKEN.findall(text):
        match = _WORD.match(token)
        if not match:
            continue  # ORD-70030, PC-9002-BLK, cust_12345, #12, e-mail addresses
        word = match.group(1)
        if word.upper() in ACRONYMS and (word.isupper() or len(word) <= 3):
            continue
        words.append(word)
    return words


def is_shouting(text: str) -> bool:
    """Most of the prose in capitals, or three or more capitalised words of three letters or more."""
    words = [w for w in prose_words(text) if len(w) > 1]  # "I" and "A" are capitals in any tone
    letters = [c for w in words for c in w if c.isalpha()]
    shouted = [w for w in words if len(w) >= 3 and w.isupper()]
    if len(letters) < 12:
        return False
    return sum(c.isupper() for c in letters) / len(letters) > 0.6 or len(shouted) >= 3


def profanity_count(text: str) -> int:
    return len(PROFANITY.findall(text))


def is_abusive(text: str) -> bool:
    """Abuse aimed at the agent, or repeated swearing (one swear word in a request is neither)."""
    return bool(_ABUSE.search(text)) or profanity_count(text) >= 2


def frustration_signals(text: str) -> list[str]:
    """Signals VADER does not weigh: shouting, repeated contact, piled-up exclamations, profanity, abuse."""
    signals = []
    if is_shouting(text):
        signals.append("shouting")
    if _REPEAT.search(text):
        signals.append("repeated_contact")
    if text.count("!") >= 2:
        signals.append("exclamations")
    if PROFANITY.search(text):
        signals.append("profanity")
    if _FRUSTRATION.search(text):
        signals.append("frustration_phrase")
    if is_abusive(text):
        signals.append("abuse")
    return signals


def score_message(text: str) -> tuple[float, list[str]]:
    """Compound score in -1..1 adjusted for frustration signals, and the signals found."""
    signals = frustration_signals(text)
    polite_swear = signals == ["profanity"] and profanity_count(text) == 1 and bool(_POLITE.search(text))
    if polite_swear:
        # "Where the hell is my parcel, could you check please?": the swear word intensifies a
        # polite question; read the question without it and add no penalty.
        return max(-1.0, min(1.0, round(analyzer().polarity_scores(PROFANITY.sub("", text))["compound"], 4))), signals
    compound = analyzer().polarity_scores(text)["compound"]
    # Each signal pulls the score down a little: VADER reads "nobody is helping me" as neutral.
    penalty = 0.15 * len(signals)
    if signals and compound > -0.3:
        compound = min(compound, 0.0) - penalty
    elif signals:
        compound -= penalty / 2
    return max(-1.0, min(1.0, round(compound, 4))), signals


# -- the conversation's trend -------------------------------------------------------------------
#
# How the trend label is chosen (the one place this is defined):
#
#   smoothed = ALPHA * message + (1 - ALPHA) * smoothed      (the first message sets it outright)
#
#   Level, with hysteresis so one message does not flip it:
#     "negative"  entered when smoothed <= -ENTER (-0.35); kept while smoothed <= -LEAVE (-0.15)
#     "positive"  entered when smoothed >= +ENTER (+0.35); kept while smoothed >= +LEAVE (+0.15)
#   Between the two zones, the direction of this message's change (at least STEP, 0.10):
#     "worsening" the average fell by STEP or more and is below zero
#     "improving" the average rose by STEP or more and is above zero
#     "steady"    anything else (also a recovery that has not yet crossed zero)
#
#   So a label never contradicts its number: negative and worsening are always below zero,
#   positive and improving always above; improving means it rose, worsening that it fell.

TREND_ALPHA = 0.5
"""Weight of the newest message in the smoothed average."""
TREND_ENTER = 0.35
"""How far from zero the average must go to enter the negative or positive level."""
TREND_LEAVE = 0.15
"""How close to zero it must come back to leave that level (the gap is the hysteresis)."""
TREND_STEP = 0.10
"""The smallest change in the average that counts as improving or worsening."""
TREND_WINDOW = 20
"""Recent message scores kept; older ones live in the smoothed value and the count."""


@dataclass
class SentimentTrend:
    """A conversation's mood in bounded state: the smoothed score, a count and a recent window."""

    history: list[float] = field(default_factory=list)
    """The most recent message scores, oldest first (at most ``TREND_WINDOW``)."""
    smoothed: float = 0.0
    label: str = "steady"
    count: int = 0
    """Messages scored in the whole conversation."""

    def update(self, compound: float) -> str:
        previous = self.smoothed
        first = self.count == 0
        self.smoothed = compound if first else TREND_ALPHA * compound + (1 - TREND_ALPHA) * self.smoothed
        self.count += 1
        self.history.append(compound)
        del self.history[:-TREND_WINDOW]
        self.label = next_label(self.label, previous, self.smoothed, first)
        return self.label

    def to_state(self) -> dict[str, Any]:
        return {"smoothed": self.smoothed, "count": self.count, "recent": list(self.history), "label": self.label}

    @classmethod
    def from_state(cls, state: dict[str, Any] | None) -> "SentimentTrend":
        """Read ``to_state``'s shape, or the older unbounded one (``history`` of every message)."""
        state = state or {}
        recent = [float(x) for x in (state.get("recent") if "recent" in state else state.get("history")) or []]
        count = int(state.get("count", len(recent)))
        label = state.get("label", "steady")
        return cls(
            history=recent[-TREND_WINDOW:],
            smoothed=float(state.get("smoothed", 0.0)),
            label=label if label in TREND_LABELS else "steady",
            count=max(count, len(recent)),
        )


TREND_LABELS = ("negative", "worsening", "steady", "improving", "positive")


def next_label(label: str, previous: float, smoothed: float, first: bool = False) -> str:
    """The trend label after the average moved from ``previous`` to ``smoothed`` (see the table above)."""
    if smoothed <= -TREND_ENTER or (label == "negative" and smoothed <= -TREND_LEAVE):
        return "negative"
    if smoothed >= TREND_ENTER or (label == "positive" and smoothed >= TREND_LEAVE):
        return "positive"
    if first:
        return "steady"
    change = smoothed - previous
    if change <= -TREND_STEP and smoothed < 0:
        return "worsening"
    if change >= TREND_STEP and smoothed > 0:
        return "improving"
    return "steady"
