"""Whether a customer asks for a person: a linear head learned from exemplars, plus plain wordings.

The line: a message that asks for a person to take the case (talk to a person, a transfer, "can someone
call me back") is a request; a question about how to reach us (the phone number, opening hours, "can I
call you?") is not: the knowledge base answers it. Both kinds, and ordinary messages, are exemplars in
``human_request_exemplars.toml``.

Chosen by measurement on the dev set (``fixtures/eval/escalation.jsonl``, 640 openings, recall of all its
hand-overs): the head alone reaches 0.850 at 1.2% false hand-overs and 0.807 at 0.6% (MiniLM puts
"what's your number" and "call me back" close); with the plain wordings, 0.979 at 0.6%. A contrast of the
nearest exemplars on top, and the sentence-by-sentence reading of a long message (one more encode per
sentence), gained nothing in five folds with the dev set as exemplars, so the head reads the turn's one
vector.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from support_tui.core.kb.embedder import Embedder
from support_tui.core.routing.exemplars import PreparedOffLoop, embed_cached

EXEMPLARS_FILE = Path(__file__).resolve().with_name("human_request_exemplars.toml")

PROBABILITY = 0.9
"""The head's probability of "asks for a person" at or above which a message counts. Calibrated on the dev
set (``benchmarks/human_request.py``, with the plain wordings): 0.8 hands over 1.0% of its ordinary
messages (recall 0.986), 0.9 0.6% (0.979), 0.95 0.4% (0.964)."""
STRENGTH = 32.0
"""Inverse L2 strength of the head (larger fits the exemplars more closely; 8 and 32 measure alike)."""
ROUTER_EXEMPLARS = Path(__file__).resolve().with_name("routing_exemplars.toml")
"""The router's exemplars: hundreds more ordinary support messages to fit the head against."""
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|,\s+(?=(?:but|so|and|or|please|pls|can|could|i)\b)", re.I)
MAX_SEGMENTS = 6
"""The plain wordings are also looked for sentence by sentence (the last few): the request is often at the end."""

_WHO = (
    r"(a |an |the |your |some |one |any |one of your )?(real |live |actual |human |reel |rael |sales |senior |billing |support |tech |technical )?"
    r"(human( being| agent| operator| assistant)?|humm?an|humen|huamn|humn|person|persn|people|some(one|body)|somone|someon|"
    r"sum1|sumone|sombody|any(one|body)|agent|agnet|operator|rep|reps|representative|reprisentative|representitive|"
    r"supervisor|manager|staff|employee|colleague|advisor|adviser|consultant|specialist|expert|"
    r"member of (staff|your team)|team member|customer (service|care|support)( team| agent| rep)?|support (team|staff|agent))"
)
_STAFF = (
    r"(real |actual |live )?(human|person|agent|representative|rep|advisor|adviser|specialist|staff member|"
    r"member of (staff|your team)|employee|colleague|operator|supervisor|manager)s?"
)
_RULE = re.compile(
    r"\b(speak|speek|spek|spk|talk|tlk|tlak|chat|converse)(ing)?\s+(to|with|wth|2)?\s*" + _WHO + r"\b"
    r"|\bput me (through|thru)\b"
    r"|\b(connect|transfer|put|pass|forward|hand|send|escalate)\s+(me|this|my (case|chat|conversation))\s+"
    r"(through |over )?(to|with)\s+" + _WHO + r"\b"
    r"|\b(get|give|find)\s+me\s+" + _WHO + r"\b"
    r"|\b(can|could|would|will|may)\s+(a|an|one of your|any|your)\s+" + _STAFF + r"\s+(please\s+)?"
    r"(help|look|check|review|assist|call|ring|phone|contact|email|handle|deal|sort|take)\b"
    r"|\b(some(one|body)|human|person|agent|advisor|adviser|representative|rep|specialist|colleague|team|staff|support"
    r"|customer service)\b(?!\s+from\s+(the\s+)?(carrier|courier|bank|post|delivery))(\s+\w+){0,4}\s+(call|ring|phone|contact)"
    r"\s+(me|us|my \w+)\b"
    r"|\b(want|like|need|prefer)\s+(a|an|some|one of your)\s+" + _STAFF + r"\s+to\s+(review|check|look|handle|help|call|contact"
    r"|deal|sort|go over)\b|\b(give|gimme)\s+(me|us)\s+a\s+(ring|call|buzz|bell)\b"
    r"|\b(want|like|need|request|arrange|book|schedule|have|get)\s+(a |an )?(call ?back|phone call|call|ring)\b"
    r"(?!\s+(from|with)\s+(the |my )?(courier|driver|carrier|bank))"
    r"|\b(any|a|are there)\s+(humans?|real people|real persons?|live agents?|staff|agents?)\s+"
    r"(working|available|online|around|there|here|on shift)\b|\b(anyone|anybody|someone|somebody) real\b"
    r"|\bnot (a |an |with a |with an |to a |to an )?(bot|robot|machine|ai|chatbot)\b|\bescalate (this|it|my case|me)\b"
    r"|\b(done|finished|fed up|sick|tired)\s+(with|of)\s+(the |this |your |talking to (a |the |this )?)?"
    r"(bot|robot|machine|ai|chatbot|automated (replies|answers|system))\b"
    r"|\b(any(one|body)|some(one|body))\s+(actually|really|even)\s+(there|here|reading|listening|on the other end)\b"
    r"|^\W*(human|agent|operator|representative|rep|real person|live agent|person|manager|supervisor)s?\W*"
    r"(please|pls|plz|now|asap)?\W*$",
    re.IGNORECASE,
)
"""Plain wordings of a request for a person; meaning catches what these miss."""
_NOT_A_REQUEST = re.compile(
    r"\bhuman[- ]readable\b|\bin person\b|\bhuman (hair|error|body|skin|use|consumption)\b"
    r"|\b(person|someone|somebody|anyone|anybody|neighbou?r|friend)\s+(else\s+)?(can|could|may|to|will)\s+"
    r"(pick|collect|sign|receive|accept)\b"
    r"|\b(delivery|courier|shipping|travel|estate|insurance) (person|agent|guy|driver)\b"
    r"|\b(my|our) (son|daughter|wife|husband|partner|mum|mom|dad|father|mother|kid|child|boss|manager|supervisor)\b"
    r"(?!.*\b(speak|talk|chat)\b)"
    r"|\b(don'?t|do not|no need to) (need to |want to )?(call|speak|talk)\b"
    r"|\b(i am|i'?m|we are|we'?re) (the|a|an|your) (\w+ ){0,2}(manager|supervisor|representative|rep|agent|operator|employee)\b",
    re.IGNORECASE,
)
"""Surface look-alikes: "human-readable", "can a person pick it up", "my son ordered it"."""


@dataclass(frozen=True)
class HumanRequestExemplars:
    requests: tuple[str, ...]
    """Asks for a person to take the case."""
    contact: tuple[str, ...]
    """Asks how to reach us (a number, hours, an email address): answered, not handed over."""
    ordinary: tuple[str, ...]
    """Anything else, above all the look-alikes ("a person can pick it up", "the wrong colour")."""

    @property
    def counter(self) -> tuple[str, ...]:
        """Every exemplar that is not a request."""
        return (*self.contact, *self.ordinary)

    def digest(self, model_id: str) -> str:
        payload = json.dumps(["human_request", model_id, list(self.requests), list(self.contact), list(self.ordinary)],
                             ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def load_human_request_exemplars(path: Path = EXEMPLARS_FILE) -> HumanRequestExemplars:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    requests, contact, ordinary = raw.get("requests") or [], raw.get("contact") or [], raw.get("ordinary") or []
    if not requests or not ordinary:
        raise ValueError(f"{path.name}: needs both `requests` and `ordinary` exemplars")
    return HumanRequestExemplars(tuple(map(str, requests)), tuple(map(str, contact)), tuple(map(str, ordinary)))


def rule_says_request(text: str) -> bool:
    """The wording alone asks for a person (and is not a look-alike such as "in person"), in the whole
    message or in one of its sentences ("im done with the bot. human. now.")."""
    return any(bool(_RULE.search(t)) and not _NOT_A_REQUEST.search(t) for t in (text, *segments(text)))


def segments(text: str) -> list[str]:
    """The last few sentences of a message with more than one (none for a single sentence)."""
    parts = [p.strip() for p in _SENTENCES.split(text) if p and p.strip()]
    return parts[-MAX_SEGMENTS:] if len(parts) > 1 else []


def fit_head(positives: np.ndarray, negatives: np.ndarray, strength: float = STRENGTH) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression with an L2 penalty, fitted by Newton's method (exact, quick)."""
    x = np.vstack([positives, negatives]).astype(np.float64)
    x = np.hstack([x, np.ones((len(x), 1))])
    y = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    weight = np.where(y == 1, len(y) / (2 * len(positives)), len(y) / (2 * len(negatives))) * strength
    penalty = np.eye(x.shape[1])
    penalty[-1, -1] = 0.0  # the intercept is not shrunk
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (weight * (p - y)) + penalty @ w
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w[:-1].astype(np.float32), float(w[-1])


class HumanRequestDetector(PreparedOffLoop):
    """Recognises a request for a person by meaning, over the turn's one vector.

    A class-balanced logistic head fitted on the request exemplars against everything else: the contact
    questions, the ordinary exemplars and the router's exemplars (those the exemplars alone do not read
    as requests). Plain wordings (``rule_says_request``) count on their own; surface look-alikes
    ("human-readable", "a person can pick it up") never do.

    ``await prepare()`` once, then per message ``await detect(text, vector)`` or ``is_request(text, vector)``.
    """

    def __init__(
        self, embedder: Embedder, *, exemplars_file: Path = EXEMPLARS_FILE, router_exemplars: Path | None = ROUTER_EXEMPLARS,
        cache_dir: Path | None = None, threshold: float = PROBABILITY,
    ) -> None:
        self.embedder = embedder
        self.exemplars = load_human_request_exemplars(exemplars_file)
        self.extra_ordinary = _router_messages(router_exemplars) if router_exemplars else ()
        self.threshold = threshold
        self._cache_dir = cache_dir
        self._coef: np.ndarray | None = None
        self._intercept = 0.0

    @property
    def ready(self) -> bool:
        return self._coef is not None

    def prepare_sync(self) -> None:
        """``prepare`` for synchronous callers (the CLI, tests)."""
        if self.ready:
            return
        from support_tui.core.routing.embedding import model_id_of

        texts = [*self.exemplars.requests, *self.exemplars.counter, *self.extra_ordinary]
        key = hashlib.sha256(f"{self.exemplars.digest(model_id_of(self.embedder))}{self.extra_ordinary}".encode()).hexdigest()[:20]
        self.fit(embed_cached(self.embedder.encode, texts, key, self._cache_dir))

    def fit(self, matrix: np.ndarray) -> None:
        """Fit the head on the exemplar vectors (requests, counter-examples, router messages, in that order).

        A router message is a counter-example only when a head fitted on this file's exemplars alone
        does not read it as a request ("I'd like to talk to someone about a charge" is one).
        """
        n, m = len(self.exemplars.requests), len(self.exemplars.requests) + len(self.exemplars.counter)
        requests, counter, router = matrix[:n], matrix[n:m], matrix[m:]
        self._coef, self._intercept = fit_head(requests, counter)
        if len(router):
            kept = router[self._probabilities(router) < 0.5]
            self._coef, self._intercept = fit_head(requests, np.vstack([counter, kept]))

    def _probabilities(self, vectors: np.ndarray) -> np.ndarray:
        assert self._coef is not None, "call prepare() first"
        z = np.clip(np.asarray(vectors, dtype=np.float32) @ self._coef + self._intercept, -50.0, 50.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def probability(self, vector: np.ndarray) -> float:
        """The head's probability that the message asks for a person."""
        return float(self._probabilities(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0])

    def is_request(self, text: str, vector: np.ndarray) -> bool:
        """The customer asks for a person: by wording, or by the meaning of the message."""
        if _NOT_A_REQUEST.search(text) and not _RULE.search(text):
            return False
        return rule_says_request(text) or self.probability(vector) >= self.threshold

    async def detect(self, text: str, vector: np.ndarray | None = None) -> bool:
        """``is_request`` on the turn's vector (``text`` is embedded only when there is none)."""
        await self.prepare()
        if vector is None:
            vector = (await self.embedder.aencode([text]))[0]
        return self.is_request(text, vector)


def _router_messages(path: Path) -> tuple[str, ...]:
    """The router's exemplar messages (``fit`` leaves out those that read as a request for a person)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except OSError:
        return ()
    texts = [str(t) for section in raw.values() if isinstance(section, dict) for t in section.get("exemplars", [])]
    return tuple(texts)
