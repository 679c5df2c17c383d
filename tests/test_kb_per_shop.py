"""Each shop brings its knowledge base: tau-bench retail's articles in an index of its own, retrieved for retail
questions on the retail shop, never mixed with Northwind's; ``kb ingest --shop`` and the engine's first ingest
use the chosen shop's articles."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import run
from support_tui.core.events import KnowledgeRetrieved
from support_tui.core.factory import kb_folder
from support_tui.core.kb import KnowledgeBase
from support_tui.core.kb.chunking import ANSWER_HEADING, read_corpus
from support_tui.core.paths import DataPaths, kb_source_dir
from support_tui.core.settings import Settings
from support_tui.shops import kb_dir
from support_tui.shops.taubench_retail import KB_DIR

USER = "olivia_ito_3591"
RETAIL = {doc.doc_id: doc.body for doc in read_corpus(KB_DIR)}
NORTHWIND = {doc.doc_id: doc.body for doc in read_corpus(kb_source_dir())}


def from_retail(snippet) -> bool:
    """The snippet's text is a piece of the retail article it names (not Northwind's article of the same name)."""
    body = RETAIL.get(snippet.doc_id, "")
    return bool(body) and all(line in body for line in snippet.text.splitlines() if line.strip())


def test_each_shop_names_its_articles():
    assert kb_dir("northwind") == kb_source_dir() and kb_dir("taubench-retail") == KB_DIR
    assert KB_DIR != kb_source_dir() and len(RETAIL) >= 12
    for doc in read_corpus(KB_DIR):
        assert doc.title != doc.doc_id and ANSWER_HEADING in doc.body, doc.doc_id
        assert "Northwind" not in doc.body  # written for the retail shop's customers
    with pytest.raises(ValueError):
        kb_dir("no-such-shop")


def test_each_shop_has_its_own_index_folder(tmp_path):
    paths = DataPaths(tmp_path)
    assert kb_folder(paths, Settings()) == tmp_path / "kb.lance"  # Northwind's index keeps its name
    assert kb_folder(paths, Settings(shop="taubench-retail")) == tmp_path / "kb-taubench-retail.lance"
    team = str(tmp_path / "team" / "kb.lance")
    assert kb_folder(paths, Settings(kb_path=team)) == tmp_path / "team" / "kb.lance"
    assert kb_folder(paths, Settings(kb_path=team, shop="taubench-retail")) == tmp_path / "team" / "kb-taubench-retail.lance"


QUESTIONS = {
    "I ordered this by mistake, can you cancel it and when do I get my money back?": "cancelling-a-pending-order",
    "do you need my email or zip code to find my account?": "verifying-your-identity",
    "the boots I received are too small, can I get the same ones a size up instead?": "exchanges",
    "what does processed mean on my order?": "order-statuses",
    "I need the order sent to my new apartment before it ships": "changing-the-shipping-address",
    "can I pay for my pending order with my gift card instead of my credit card?": "changing-how-you-pay",
}


@pytest.fixture
async def retail_kb(tmp_path, retail_kb_index, shared_embedder):
    folder = tmp_path / retail_kb_index.name
    shutil.copytree(retail_kb_index, folder)
    kb = KnowledgeBase(folder, shared_embedder)
    await kb.open()
    return kb


@pytest.mark.parametrize("question", list(QUESTIONS))
async def test_a_retail_question_finds_the_retail_article(retail_kb, question):
    snippets = await retail_kb.search(question, k=3)
    assert QUESTIONS[question] in [s.doc_id for s in snippets]
    assert snippets and all(from_retail(s) for s in snippets)


async def test_the_retail_index_holds_only_retail_articles(retail_kb):
    assert set((await retail_kb.doc_hashes())) == set(RETAIL)
    # Northwind answers this from its own price-match article; the retail shop has none, and says nothing of it.
    snippets = await retail_kb.search("do you price match a lower price from another store?", k=4)
    assert snippets and all(from_retail(s) for s in snippets) and "price-match" not in {s.doc_id for s in snippets}


@pytest.fixture
async def retail_engine(tmp_path, retail_kb_index, shared_embedder):
    from support_tui.core.factory import open_engine

    home = tmp_path / "retail-home"
    home.mkdir()
    shutil.copytree(retail_kb_index, home / retail_kb_index.name)
    engine = await open_engine(DataPaths(home), Settings(shop="taubench-retail"), embedder=shared_embedder)
    try:
        yield engine
    finally:
        await engine.close()


async def test_the_retail_console_shows_retail_snippets(retail_engine):
    conv = await retail_engine.open_conversation(USER, new=True)
    events = await run(retail_engine, conv.id, "How long does a refund take to reach my PayPal after a cancellation?")
    (found,) = [e for e in events if isinstance(e, KnowledgeRetrieved)]
    assert found.snippets and all(from_retail(s) for s in found.snippets)
    assert "payment-methods" in {s.doc_id for s in found.snippets} or "cancelling-a-pending-order" in {s.doc_id for s in found.snippets}
    assert not (retail_engine.paths.home / "kb.lance").exists()  # Northwind's index was never made here


def small_retail_kb(tmp_path: Path) -> Path:
    folder = tmp_path / "retail-articles"
    folder.mkdir()
    for name in ("returns.md", "gift-cards.md"):
        shutil.copy(KB_DIR / name, folder / name)
    return folder


async def test_a_new_retail_data_directory_indexes_the_retail_articles(tmp_path, shared_embedder, monkeypatch):
    """The demo's start on a fresh data directory: the engine ingests the chosen shop's articles (two of them here,
    to keep the test short) into the shop's own index."""
    import support_tui.shops.taubench_retail as retail
    from support_tui.core.factory import open_engine

    monkeypatch.setattr(retail, "KB_DIR", small_retail_kb(tmp_path))
    home = tmp_path / "fresh"
    engine = await open_engine(DataPaths(home), Settings(shop="taubench-retail"), embedder=shared_embedder)
    try:
        kb = engine.parts.kb
        assert kb.path == home / "kb-taubench-retail.lance"
        assert set(await kb.doc_hashes()) == {"returns", "gift-cards"}
        snippets = await kb.search("where does the refund go when I send items back?", k=2)
        assert snippets and all(from_retail(s) for s in snippets)
    finally:
        await engine.close()
    assert not (home / "kb.lance").exists()


def test_kb_ingest_and_search_take_the_shop(tmp_path, shared_embedder, monkeypatch, capsys):
    """``kb ingest --shop taubench-retail`` fills the index ``demo --shop taubench-retail`` reads; the home's
    Northwind index is not touched; ``kb search --shop`` reads it back."""
    import support_tui.core.kb as kb_module
    import support_tui.shops.taubench_retail as retail
    from support_tui.cli import main

    monkeypatch.setattr(retail, "KB_DIR", small_retail_kb(tmp_path))
    monkeypatch.setattr(kb_module, "Embedder", lambda: shared_embedder)
    home = Path(os.environ["SUPPORT_TUI_HOME"])
    assert main(["kb", "ingest", "--shop", "taubench-retail"]) == 0
    assert "2 added" in capsys.readouterr().out
    assert (home / "shops" / "taubench-retail" / "kb-taubench-retail.lance").is_dir()
    assert not (home / "kb.lance").exists()
    assert main(["kb", "search", "--shop", "taubench-retail", "--json", "gift card balance"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["doc_id"] for r in rows} <= {"returns", "gift-cards"} and rows[0]["doc_id"] == "gift-cards"

