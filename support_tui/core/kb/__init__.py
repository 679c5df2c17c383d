"""The knowledge base: the only place that imports lancedb and sentence-transformers."""

from support_tui.core.kb.embedder import Embedder
from support_tui.core.kb.store import IngestReport, KnowledgeBase

__all__ = ["Embedder", "IngestReport", "KnowledgeBase"]
