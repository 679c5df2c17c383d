"""One knowledge base for many workers: the same kb/ gives the same index everywhere, named by its content hash,
and a shared LanceDB folder is built once however many workers start on it together."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from support_tui.core.kb import KnowledgeBase
from support_tui.core.kb.shared import corpus_hash, index_hash, source_hash, sync
from support_tui.core.paths import PROJECT_ROOT
from tests.test_kb import CORPUS, CountingEmbedder, write_corpus

SHIPPED_KB = PROJECT_ROOT / "kb"


@pytest.fixture
def embedder(shared_embedder) -> CountingEmbedder:
    return CountingEmbedder(shared_embedder)


async def rows(kb: KnowledgeBase) -> list[dict]:
    table = await kb._table.query().select(["doc_id", "chunk_id", "title", "text", "doc_hash", "vector"]).to_arrow()
    return sorted(table.to_pylist(), key=lambda r: r["chunk_id"])


async def test_two_data_directories_ingesting_kb_hold_the_same_index(tmp_path, embedder):
    one = KnowledgeBase(tmp_path / "worker1" / "kb.lance", embedder)
    two = KnowledgeBase(tmp_path / "worker2" / "kb.lance", embedder)
    for kb in (one, two):
        await kb.open()
        await kb.ingest(SHIPPED_KB)
    assert await index_hash(one) == await index_hash(two) == source_hash(SHIPPED_KB)
    first, second = await rows(one), await rows(two)
    assert len(first) == len(second) > 30
    for a, b in zip(first, second):
        assert {k: v for k, v in a.items() if k != "vector"} == {k: v for k, v in b.items() if k != "vector"}
        assert np.allclose(a["vector"], b["vector"], atol=1e-5)


def test_the_hash_names_documents_and_model_not_their_order():
    assert corpus_hash({"a": "1", "b": "2"}) == corpus_hash({"b": "2", "a": "1"})
    assert corpus_hash({"a": "1", "b": "2"}) != corpus_hash({"a": "1", "b": "3"})
    assert corpus_hash({"a": "1"}) != corpus_hash({"a": "1", "b": "2"})


async def test_sync_embeds_nothing_when_the_hashes_match_and_only_the_changed_document_otherwise(tmp_path, embedder):
    source = write_corpus(tmp_path / "kb", CORPUS)
    kb = KnowledgeBase(tmp_path / "kb.lance", embedder)
    await kb.open()
    built = await sync(kb, source)
    assert built is not None and built.added == len(CORPUS)
    embedder.encoded = 0
    assert await sync(kb, source) is None and embedder.encoded == 0
    (source / "shipping.md").write_text(CORPUS["shipping"] + "\nSaturday delivery costs $9.\n", encoding="utf-8")
    report = await sync(kb, source)
    assert report is not None and (report.updated, report.added, report.unchanged) == (1, 0, len(CORPUS) - 1)
    assert embedder.encoded == report.embedded == 1
    assert await index_hash(kb) == source_hash(source)


async def test_workers_starting_together_on_one_shared_folder_build_it_once(tmp_path, embedder):
    source = write_corpus(tmp_path / "kb", CORPUS)
    shared = tmp_path / "shared" / "kb.lance"
    workers = [KnowledgeBase(shared, embedder) for _ in range(3)]
    for kb in workers:
        await kb.open()
    reports = await asyncio.gather(*(sync(kb, source) for kb in workers))
    assert sum(r is not None for r in reports) == 1  # the others waited on the lock, then found it built
    assert embedder.encoded == len(CORPUS)
    for kb in workers:
        await kb.reload()
        assert await index_hash(kb) == source_hash(source)
        assert (await kb.search("gift cards expire", k=1))[0].doc_id == "giftcards"


async def test_a_worker_without_kb_reads_the_shared_index_as_it_is(tmp_path, embedder):
    source = write_corpus(tmp_path / "kb", CORPUS)
    shared = tmp_path / "shared" / "kb.lance"
    builder = KnowledgeBase(shared, embedder)
    await builder.open()
    await sync(builder, source)
    reader = KnowledgeBase(shared, embedder)
    await reader.open()
    assert await sync(reader, tmp_path / "no-checkout") is None
    assert await index_hash(reader) == source_hash(source)
    with pytest.raises(FileNotFoundError):
        empty = KnowledgeBase(tmp_path / "empty.lance", embedder)
        await empty.open()
        await sync(empty, tmp_path / "no-checkout")


def test_kb_path_points_the_engine_at_a_shared_folder(tmp_path):
    from support_tui.core.factory import kb_folder
    from support_tui.core.paths import DataPaths
    from support_tui.core.settings import Settings

    paths = DataPaths(tmp_path / "home")
    assert kb_folder(paths, Settings()) == paths.lancedb
    assert kb_folder(paths, Settings(kb_path=str(tmp_path / "team" / "kb.lance"))) == tmp_path / "team" / "kb.lance"


def test_kb_ingest_names_the_index_hash(tmp_path, monkeypatch, capsys):
    from support_tui.cli import main

    source = write_corpus(tmp_path / "kb", {"giftcards": CORPUS["giftcards"]})
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'kb_path = "{tmp_path / "team.lance"}"\n')
    monkeypatch.setenv("SUPPORT_TUI_HOME", str(home))
    assert main(["kb", "ingest", "--source", str(source)]) == 0
    assert capsys.readouterr().out.strip().endswith(f"index {source_hash(source)}")
    assert (tmp_path / "team.lance").is_dir() and not (home / "kb.lance").exists()
