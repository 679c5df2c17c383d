"""Knowledge base: chunking, incremental ingest, hybrid search, hostile queries and the shipped articles."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from support_tui.core.kb import Embedder, KnowledgeBase
from support_tui.core.kb import store as kb_store
from support_tui.core.kb.chunking import MAX_CHARS, MIN_CHARS, chunk_document, read_corpus, read_document, split_text
from support_tui.core.kb.store import fts_query, rrf_fuse
from support_tui.core.paths import PROJECT_ROOT

SHIPPED_KB = PROJECT_ROOT / "kb"

CORPUS = {
    "returns": "# Returns\n\n## Window\n\nItems can be sent back within 30 days of delivery if unused.\n\n"
    "## Labels\n\nEvery return gets an RMA number and a prepaid label by email.\n",
    "shipping": "# Shipping\n\nStandard delivery takes 3-5 business days. Express arrives in 1-2 business days.\n",
    "login": "# Signing in\n\nIf the app crashes when you log in, update it and clear its cache.\n",
    "firmware": "# Firmware\n\nThe ZQ-7741 update fixes Bluetooth dropouts on the speaker dock.\n",
    "giftcards": "# Gift cards\n\nGift cards never expire and cannot be exchanged for cash.\n",
}

HOSTILE = [
    '"',
    '"unterminated',
    "refund: status",
    "title:returns",
    "(shipping",
    "[x] {y}",
    "AND",
    "OR NOT AND",
    "returns AND shipping OR NOT",
    "*",
    "ret*",
    "+-~^!",
    "\\",
    "'; DROP TABLE chunks; --",
    "doc_id = 'x'",
    "   ",
    "",
    "🙂🙂",
    "a" * 5000,
    "NEAR(a b)",
]


class CountingEmbedder(Embedder):
    """The real model, counting how many texts it is asked to encode."""

    def __init__(self, model: Embedder) -> None:
        super().__init__()
        self._model = model._model
        self.encoded = 0

    def encode(self, texts, batch_size: int = 64):
        self.encoded += len(texts)
        return super().encode(texts, batch_size)


@pytest.fixture(scope="module")
def model() -> Embedder:
    embedder = Embedder()
    embedder.load()
    return embedder


@pytest.fixture
def embedder(model: Embedder) -> CountingEmbedder:
    return CountingEmbedder(model)


def write_corpus(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, text in docs.items():
        (folder / f"{doc_id}.md").write_text(text, encoding="utf-8")
    return folder


async def ingested(tmp_path: Path, embedder: Embedder) -> tuple[KnowledgeBase, Path]:
    source = write_corpus(tmp_path / "docs", CORPUS)
    kb = KnowledgeBase(tmp_path / "kb.lance", embedder)
    await kb.open()
    await kb.ingest(source)
    return kb, source


# -- chunking -------------------------------------------------------------------------------


def test_title_and_body_come_from_the_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "late-parcels.md"
    path.write_text("# Late parcels\n\n## Wait\n\nGive it two days.\n", encoding="utf-8")
    doc = read_document(path)
    assert (doc.doc_id, doc.title) == ("late-parcels", "Late parcels")
    assert doc.body.startswith("## Wait")
    assert [c.chunk_id for c in chunk_document(doc)] == ["late-parcels#0"]


def test_chunks_are_sized_and_numbered_in_order() -> None:
    paragraphs = [f"## Section {i}\n\n" + " ".join(["Sentence about topic %d." % i] * 12) for i in range(8)]
    pieces = split_text("\n\n".join(paragraphs))
    assert len(pieces) > 1
    assert all(len(p) <= MAX_CHARS + MIN_CHARS for p in pieces)
    assert all(p.startswith("## Section") for p in pieces), "a heading stays with its paragraph"


def test_an_oversized_paragraph_is_split_at_sentences() -> None:
    body = " ".join(f"This is sentence number {i} of a very long paragraph." for i in range(60))
    pieces = split_text(body)
    assert len(pieces) >= 3
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == body


def test_chunk_ids_are_stable_and_hashes_follow_content(tmp_path: Path) -> None:
    path = write_corpus(tmp_path, {"refunds": CORPUS["returns"]}) / "refunds.md"
    first, second = read_document(path), read_document(path)
    assert chunk_document(first) == chunk_document(second)
    assert first.content_hash == second.content_hash
    path.write_text(CORPUS["returns"] + "\nOne more line.\n", encoding="utf-8")
    assert read_document(path).content_hash != first.content_hash


# -- ingest ---------------------------------------------------------------------------------


async def test_ingest_embeds_every_document_and_reports_progress(tmp_path: Path, embedder: CountingEmbedder) -> None:
    source = write_corpus(tmp_path / "docs", CORPUS)
    kb = KnowledgeBase(tmp_path / "kb.lance", embedder)
    await kb.open()
    assert await kb.is_empty()
    calls: list[tuple[int, int, str]] = []
    report = await kb.ingest(source, progress=lambda done, total, doc_id: calls.append((done, total, doc_id)))
    assert (report.added, report.updated, report.removed, report.unchanged) == (5, 0, 0, 0)
    assert report.chunks == report.embedded == await kb.count() == embedder.encoded
    assert calls[-1][:2] == (5, 5)
    assert sorted(c[2] for c in calls if c[2]) == sorted(CORPUS)
    assert not await kb.is_empty()


async def test_reingest_touches_only_changed_documents(tmp_path: Path, embedder: CountingEmbedder) -> None:
    kb, source = await ingested(tmp_path, embedder)
    before = embedder.encoded

    unchanged = await kb.ingest(source)
    assert (unchanged.added, unchanged.updated, unchanged.removed, unchanged.unchanged) == (0, 0, 0, 5)
    assert embedder.encoded == before, "nothing re-embedded"

    (source / "shipping.md").write_text(CORPUS["shipping"] + "\nNext-day delivery costs $24.99.\n", encoding="utf-8")
    (source / "giftcards.md").unlink()
    write_corpus(source, {"warranty": "# Warranty\n\nElectronics carry a one-year warranty from delivery.\n"})
    report = await kb.ingest(source)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 3)
    assert embedder.encoded - before == report.embedded == 2
    assert report.chunks == await kb.count() == 5

    reopened = KnowledgeBase(tmp_path / "kb.lance", embedder)
    hashes = await reopened.doc_hashes()
    assert set(hashes) == {"returns", "shipping", "login", "firmware", "warranty"}


async def test_deleted_documents_leave_search(tmp_path: Path, embedder: Embedder) -> None:
    kb, source = await ingested(tmp_path, embedder)
    assert (await kb.search("do gift cards expire", k=1))[0].doc_id == "giftcards"
    (source / "giftcards.md").unlink()
    report = await kb.ingest(source)
    assert report.removed == 1
    assert all(s.doc_id != "giftcards" for s in await kb.search("do gift cards expire", k=10))


async def test_missing_source_folder_raises(tmp_path: Path, embedder: Embedder) -> None:
    kb = KnowledgeBase(tmp_path / "kb.lance", embedder)
    with pytest.raises(FileNotFoundError):
        await kb.ingest(tmp_path / "nowhere")


# -- search ---------------------------------------------------------------------------------


async def test_empty_knowledge_base_returns_nothing(tmp_path: Path, embedder: Embedder) -> None:
    kb = KnowledgeBase(tmp_path / "kb.lance", embedder)
    assert await kb.search("where is my order") == []
    assert await kb.count() == 0


async def test_paraphrase_finds_the_right_document(tmp_path: Path, embedder: Embedder) -> None:
    kb, _ = await ingested(tmp_path, embedder)
    hits = await kb.search("how many days until my parcel shows up", k=2)
    assert hits[0].doc_id == "shipping"
    assert hits[0].chunk_id == "shipping#0" and hits[0].title == "Shipping"
    assert hits[0].score >= hits[1].score
    assert (await kb.search("the mobile program closes itself when I sign on", k=1))[0].doc_id == "login"


async def test_exact_keyword_finds_the_right_document(tmp_path: Path, embedder: Embedder) -> None:
    kb, _ = await ingested(tmp_path, embedder)
    assert (await kb.search("ZQ-7741", k=1))[0].doc_id == "firmware"
    assert (await kb.search("RMA", k=1))[0].doc_id == "returns"


async def test_a_precomputed_vector_is_not_embedded_again(tmp_path: Path, embedder: CountingEmbedder) -> None:
    kb, _ = await ingested(tmp_path, embedder)
    vector = embedder.encode(["can I send this back"])[0]
    before = embedder.encoded
    hits = await kb.search("can I send this back", k=3, vector=vector)
    assert embedder.encoded == before
    assert hits[0].doc_id == "returns"
    assert len(hits) == 3


async def test_hostile_queries_do_not_raise(tmp_path: Path, embedder: Embedder) -> None:
    kb, _ = await ingested(tmp_path, embedder)
    rows = await kb.count()
    for query in HOSTILE:
        hits = await kb.search(query, k=3)
        assert isinstance(hits, list) and len(hits) <= 3, query
    assert await kb.count() == rows  # nothing was dropped


def test_fts_query_keeps_only_words() -> None:
    assert fts_query('refund: "status" AND (order) [x]') == "refund status order x"
    assert fts_query("OR NOT and") == ""
    assert fts_query("don't panic") == "don't panic"


def test_rrf_rewards_agreement_between_rankings() -> None:
    a, b, c = ({"chunk_id": x} for x in "abc")
    fused = rrf_fuse([[a, b, c], [b, c]], k=3)
    assert [row["chunk_id"] for _, row in fused] == ["b", "c", "a"]
    assert fused[0][0] <= 1.0
    assert rrf_fuse([[a], [a]], k=1)[0][0] == 1.0


async def test_large_tables_get_a_vector_index(tmp_path: Path, embedder: Embedder, monkeypatch) -> None:
    monkeypatch.setattr(kb_store, "VECTOR_INDEX_MIN_ROWS", 300)
    kb, _ = await ingested(tmp_path, embedder)
    assert not kb._indexed
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(400, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [
        {"doc_id": f"noise-{i}", "chunk_id": f"noise-{i}#0", "title": "Noise", "text": f"noise {i}",
         "search_text": f"Noise\nnoise {i}", "doc_hash": "x", "vector": v}
        for i, v in enumerate(vectors)
    ]
    await kb.add_rows(rows)
    assert kb._indexed
    assert (await kb.search("ZQ-7741 update", k=1))[0].doc_id == "firmware"


# -- the shipped articles -------------------------------------------------------------------


def test_shipped_kb_has_enough_titled_documents() -> None:
    docs = read_corpus(SHIPPED_KB)
    assert len(docs) >= 30
    for doc in docs:
        raw = (SHIPPED_KB / f"{doc.doc_id}.md").read_text(encoding="utf-8")
        assert raw.startswith("# "), doc.doc_id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", doc.doc_id)
        assert 150 <= len(doc.body.split()) <= 420, doc.doc_id
        assert chunk_document(doc)


RETRIEVAL_CASES = [
    ("the app keeps crashing when I log in", "mobile-app-troubleshooting"),
    ("I was charged twice for the same order", "duplicate-charges"),
    ("can I still cancel, it hasn't shipped yet", "cancelling-an-order"),
    ("will the Aura headphones work with my iPhone", "headphones-compatibility"),
    ("what size hoodie should I get", "apparel-size-guide"),
    ("my authenticator code is rejected", "two-factor-codes"),
    ("how do I print the RMA label", "starting-a-return"),
    ("cancel Northwind Plus membership", "northwind-plus"),
    ("tracking says delivered but nothing arrived", "late-or-missing-packages"),
    ("delete all my personal data", "privacy-and-data-deletion"),
]


def test_shipped_kb_answers_typical_questions(tmp_path: Path, model: Embedder) -> None:
    async def run() -> list[list[str]]:
        kb = KnowledgeBase(tmp_path / "kb.lance", model)
        await kb.ingest(SHIPPED_KB)
        return [[s.doc_id for s in await kb.search(q, k=3)] for q, _ in RETRIEVAL_CASES]

    results = asyncio.run(run())
    misses = [(q, want, got) for (q, want), got in zip(RETRIEVAL_CASES, results) if want not in got]
    assert not misses
