"""The embedding router: nearest exemplars per specialist, a lexical nudge, calibrated probabilities."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import numpy as np

from support_tui.core.events import RouteEvidence
from support_tui.core.kb.embedder import Embedder
from support_tui.core.routing import scoring
from support_tui.core.routing.decision import RouteDecision, RoutingContext, quote, ranked
from support_tui.core.routing.exemplars import (
    EXEMPLARS_FILE, Exemplars, PreparedOffLoop, embed_cached, load_exemplars,
)
from support_tui.core.routing.fitted import FittedHead
from support_tui.core.routing.lexical import CharNgramIndex
from support_tui.core.specialists import ROUTABLE

MIN_CONFIDENCE = 0.35
"""Below this probability the decision asks for clarification."""
CLARIFY_MARGIN = 0.12
"""The top two closer than this (in probability) also ask for clarification."""
STICKY_PRIOR = 3.0
"""Prior odds that a message continues with the current specialist rather than any other one."""
SWITCH_CONFIDENCE = 0.55
SWITCH_MARGIN = 0.2
CONTEXT_WEIGHT = 0.5
"""Weight of earlier messages' scores when no specialist holds the conversation yet."""
TEMPERATURE_SHRINK = 1.5
"""Exemplars are cleaner than real messages: soften the temperature fitted on them."""
EVIDENCE = 3
_MEMO_SIZE = 512
_FOLLOW_UP = re.compile(r"^\s*(and|also|ok(ay)?|yes|yeah|yep|no|nope|thanks?|thank you|great|sure|what about|so)\b", re.I)


def model_id_of(embedder: Embedder) -> str:
    """A stable name for the embedder's model, for cache keys and fitted heads."""
    explicit = getattr(embedder, "model_id", None)
    if explicit:
        return str(explicit)
    try:
        from support_tui.core.kb.embedder import model_path

        return Path(model_path()).name or "all-MiniLM-L6-v2"
    except Exception:  # noqa: BLE001 - an unusual install still routes, just with a generic key
        return type(embedder).__name__


class EmbeddingRouter(PreparedOffLoop):
    """Routes a customer message to one of the routable specialists."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        fitted_dir: Path | None = None,
        exemplars_file: Path = EXEMPLARS_FILE,
        cache_dir: Path | None = None,
    ) -> None:
        self.embedder = embedder
        self.fitted_dir = fitted_dir
        self.exemplars: Exemplars = load_exemplars(exemplars_file)
        self._labels = np.array([ROUTABLE.index(a) for a in self.exemplars.agents])
        self._lexical = CharNgramIndex(self.exemplars.texts)
        self._cache_dir = cache_dir
        self._matrix: np.ndarray | None = None
        self.temperature = 0.05
        self.head: FittedHead | None = None
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def ready(self) -> bool:
        return self._matrix is not None

    def prepare_sync(self) -> None:
        """Embed the exemplars (or read them from the cache), calibrate, and load a fitted head; ``await
        prepare()`` runs this off the event loop."""
        if self._matrix is not None:
            return
        model_id = model_id_of(self.embedder)
        matrix = embed_cached(self.embedder.encode, self.exemplars.texts, self.exemplars.digest(model_id), self._cache_dir)
        self._calibrate(matrix)
        head = FittedHead.load(self.fitted_dir)
        self.head = head if head is not None and head.model_id == model_id else None
        self._matrix = matrix

    def _calibrate(self, matrix: np.ndarray) -> None:
        emb = matrix @ matrix.T
        lex = np.stack([self._lexical.similarities(t) for t in self.exemplars.texts])
        loo = scoring.leave_one_out_scores(emb, lex, self._labels, len(ROUTABLE))
        self.temperature = scoring.fit_temperature(loo, self._labels, shrink=TEMPERATURE_SHRINK)

    # -- scoring ---------------------------------------------------------------------------

    def _raw_scores(self, vector: np.ndarray, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Class scores (before the softmax) and the embedding similarity to every exemplar."""
        assert self._matrix is not None, "call prepare() first"
        sims = self._matrix @ np.asarray(vector, dtype=np.float32)
        lex = self._lexical.similarities(text)
        n = len(ROUTABLE)
        scores = scoring.class_scores(sims, self._labels, n)
        scores = scores + scoring.LEXICAL_WEIGHT * np.clip(scoring.class_scores(lex, self._labels, n), 0, None)
        return scores, sims

    def probabilities(self, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
        """Calibrated probabilities for many messages at once (evaluation and fitting)."""
        assert self._matrix is not None, "call prepare() first"
        sims = vectors @ self._matrix.T
        n = len(ROUTABLE)
        lex = np.stack([self._lexical.similarities(t) for t in texts]) if texts else np.zeros((0, len(self._labels)))
        scores = scoring.class_scores(sims, self._labels, n)
        scores = scores + scoring.LEXICAL_WEIGHT * np.clip(scoring.class_scores(lex, self._labels, n), 0, None)
        probs = scoring.temper_by_match(scoring.softmax(scores, self.temperature), sims.max(axis=1))
        return self.head.combine(probs, vectors) if self.head is not None else probs

    def _remember(self, text: str, scores: np.ndarray) -> None:
        self._memo[text] = scores
        self._memo.move_to_end(text)
        while len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)

    def _context_scores(self, previous: list[str]) -> np.ndarray | None:
        """Recency-weighted class scores of earlier messages this router has seen."""
        total, weight_sum = None, 0.0
        for age, text in enumerate(reversed(previous[-3:])):
            scores = self._memo.get(text)
            if scores is None:
                continue
            weight = 0.5**age
            total = scores * weight if total is None else total + scores * weight
            weight_sum += weight
        return None if total is None else total / weight_sum

    # -- routing ---------------------------------------------------------------------------

    def route_vector(self, vector: np.ndarray, text: str, context: RoutingContext | None = None) -> RouteDecision:
        """Route one message whose embedding the caller already has."""
        context = context or RoutingContext()
        scores, sims = self._raw_scores(vector, text)
        self._remember(text, scores)
        current = context.current_agent if context.current_agent in ROUTABLE else None
        if current is None and context.previous_texts:
            earlier = self._context_scores(context.previous_texts)
            if earlier is not None:
                scores = (scores + CONTEXT_WEIGHT * earlier) / (1.0 + CONTEXT_WEIGHT)
        probs = scoring.temper_by_match(scoring.softmax(scores, self.temperature), float(sims.max()))
        method = "embedding"
        if self.head is not None:
            probs = self.head.combine(probs, vector)
            method = "fitted"
        if current is None:
            return self._decide(probs, sims, method)
        return self._decide_in_conversation(probs, sims, method, current, text, self._support(current, context))

    def _support(self, current: str, context: RoutingContext) -> float | None:
        """How strongly the earlier messages point at ``current`` (None when they are unknown)."""
        earlier = self._context_scores(context.previous_texts) if context.previous_texts else None
        if earlier is None:
            return None
        return float(scoring.softmax(earlier, self.temperature)[ROUTABLE.index(current)])

    async def route(self, text: str, context: RoutingContext | None = None) -> RouteDecision:
        """Embed ``text`` and route it."""
        await self.prepare()
        vectors = await self.embedder.aencode([text])
        return self.route_vector(vectors[0], text, context)

    def _evidence(self, sims: np.ndarray, agent: str) -> list[RouteEvidence]:
        """The chosen specialist's nearest exemplar first, then the nearest of any specialist."""
        order = np.argsort(-sims)
        own = next(i for i in order if self.exemplars.agents[i] == agent)
        top = [own, *[i for i in order[:EVIDENCE] if i != own]][:EVIDENCE]
        return [
            RouteEvidence(agent=self.exemplars.agents[i], text=self.exemplars.texts[i], similarity=round(float(sims[i]), 4))
            for i in top
        ]

    def _decide(self, probs: np.ndarray, sims: np.ndarray, method: str) -> RouteDecision:
        table = {name: round(float(p), 4) for name, p in zip(ROUTABLE, probs)}
        (agent, conf), (second, second_p) = ranked(table)[:2]
        evidence = self._evidence(sims, agent)
        margin = conf - second_p
        clarify = conf < MIN_CONFIDENCE or margin < CLARIFY_MARGIN
        return RouteDecision(
            agent=agent, confidence=conf, margin=round(margin, 4), scores=table,
            reason=_reason(agent, evidence, margin, second, clarify), evidence=evidence, method=method, clarify=clarify,
        )

    def _decide_in_conversation(
        self, probs: np.ndarray, sims: np.ndarray, method: str, current: str, text: str, support: float | None
    ) -> RouteDecision:
        """Keep the current specialist unless another one clearly wins despite a prior for staying.

        The prior is dropped when the earlier messages themselves did not point at the current
        specialist (it was a guess on a vague opening), so a first clear request can still move.
        """
        cur = ROUTABLE.index(current)
        prior = np.ones(len(ROUTABLE))
        # A short follow-up ("and when will it arrive?") says little on its own: lean harder on the thread.
        prior[cur] = STICKY_PRIOR * (2.0 if _FOLLOW_UP.match(text) or len(text.split()) <= 3 else 1.0)
        if support is not None and support < MIN_CONFIDENCE:
            prior[cur] = 1.0
        posterior = probs * prior
        posterior /= posterior.sum()
        table = {name: round(float(p), 4) for name, p in zip(ROUTABLE, posterior)}
        best, best_p = ranked(table)[0]
        if best != current:
            margin = best_p - table[current]
            if best_p >= SWITCH_CONFIDENCE and margin >= SWITCH_MARGIN:
                evidence = self._evidence(sims, best)
                reason = f"new request: {_closest(evidence, best)}; {margin:.2f} ahead of {current} (current)"
                return RouteDecision(best, best_p, round(margin, 4), table, reason, evidence, method, False)
        evidence = self._evidence(sims, current)
        others = [(n, p) for n, p in ranked(table) if n != current]
        margin = table[current] - others[0][1]
        if int(np.argmax(probs)) == cur and probs[cur] >= MIN_CONFIDENCE:
            reason = f"continues with {current}: {_closest(evidence, current)}"
            return RouteDecision(current, table[current], round(margin, 4), table, reason, evidence, method, False)
        reason = f"follow-up kept with {current}: no clear new request (best other {others[0][0]} {others[0][1]:.2f})"
        return RouteDecision(current, table[current], round(margin, 4), table, reason, evidence, "sticky", False)


def _closest(evidence: list[RouteEvidence], agent: str) -> str:
    item = evidence[0]  # the chosen specialist's nearest exemplar comes first
    return f"closest to '{quote(item.text)}' ({item.similarity:.2f})"


def _reason(agent: str, evidence: list[RouteEvidence], margin: float, second: str, clarify: bool) -> str:
    line = f"{_closest(evidence, agent)}; {margin:.2f} ahead of {second}"
    return line + " - too close to call, ask the customer" if clarify else line
