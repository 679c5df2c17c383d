"""Each shop brings its offline skill: the generic offline model names no shop's tool, reads words with few
regexes, and a third shop is its package plus one registry line, answered offline end to end."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from support_tui.core.engine import Engine
from support_tui.core.events import ReplyCompleted, ToolCallFinished
from support_tui.core.llm.client import ModelClient
from support_tui.core.llm.offline import register_offline_provider
from support_tui.core.settings import Settings
from support_tui.core.store import Database, SQLSupportStore
from support_tui.shops import OFFLINE_SKILLS, SHOPS, offline_skill
from support_tui.shops.northwind.tools import TOOLS as NORTHWIND_TOOLS
from support_tui.shops.taubench_retail.tools import TOOLS as RETAIL_TOOLS
from tests.conftest import run
from tests.tiny_shop import TOOLS as CAFE_TOOLS, CafeShop, CafeSkill, Stand

OFFLINE = Path(__file__).resolve().parent.parent / "support_tui" / "core" / "llm" / "offline"
REGEX_CALL = re.compile(r"\bre\.(?:compile|search|match|fullmatch|findall|sub|finditer|split)\(")
MAX_REGEX_CALLS = 30
"""Regexes read entities (order ids, emails, amounts, dates, yes/no) and the prompt's layout, not words."""


def _tool_names() -> set[str]:
    return {*NORTHWIND_TOOLS, *RETAIL_TOOLS, *CAFE_TOOLS}


def test_every_registered_shop_has_its_skill() -> None:
    assert set(SHOPS) == set(OFFLINE_SKILLS)
    for name in SHOPS:
        skill = offline_skill(name)
        assert skill is not None and skill.name == name


def _tool_hits(folder: Path, names: set[str]) -> list[str]:
    """A tool name with an underscore is a hit anywhere (code, comment, docstring); a one-word name
    ("think", "calculate") is a hit as a string of its own."""
    hits = []
    for path in sorted(folder.glob("*.py")):
        source = path.read_text()
        hits += [f"{path.name}: {n}" for n in sorted(names) if "_" in n and re.search(rf"\b{re.escape(n)}\b", source)]
        strings = {node.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Constant)}
        hits += [f"{path.name}: {n!r}" for n in sorted(names) if "_" not in n and n in strings]
    return hits


def test_the_generic_offline_model_names_no_tool_of_any_shop() -> None:
    names = _tool_names()
    assert {"track_shipment", "get_order_details", "book_table", "think"} <= names
    assert _tool_hits(OFFLINE, names) == []


def test_the_tool_name_check_finds_a_planted_name(tmp_path: Path) -> None:
    (tmp_path / "planted.py").write_text('"""Looks at the tracking."""\nCALLS = [("think", {}), ("track_shipment", {})]\n')
    assert _tool_hits(tmp_path, _tool_names()) == ["planted.py: track_shipment", "planted.py: 'think'"]


def _regex_calls(paths: list[Path]) -> int:
    return sum(len(REGEX_CALL.findall(p.read_text())) for p in paths)


def test_the_offline_model_reads_words_without_regexes() -> None:
    assert _regex_calls(sorted(OFFLINE.glob("*.py"))) <= MAX_REGEX_CALLS


async def test_a_third_shop_is_its_package_plus_one_registry_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The café's skill, registered by one line, serves its shop through the real offline model: a question
    about the customer's booking runs the café's look-up and is answered in the café's words; a booking is
    proposed, confirmed and made."""
    monkeypatch.setitem(OFFLINE_SKILLS, "cafe", CafeSkill)  # the one registry line
    register_offline_provider(offline_skill)
    db = await Database.open(tmp_path / "cafe.db")
    shop, stand = CafeShop(), Stand()
    engine = Engine(settings=Settings(fallback_models=[]), store=SQLSupportStore(db), shop=shop, kb=stand,
                    embedder=stand, router=stand, models=ModelClient(Settings(fallback_models=[])), on_close=db.close)
    try:
        conv = await engine.open_conversation("guest_1", new=True)
        asked = await run(engine, conv.id, "Is my table booked for tonight?")
        looked = [e.name for e in asked if isinstance(e, ToolCallFinished)]
        reply = next(e for e in asked if isinstance(e, ReplyCompleted))
        assert looked == ["find_booking"] and "You have no table booked tonight." in reply.text
        booking = await run(engine, conv.id, "Please book a table at 19")
        proposed = next(e for e in booking if isinstance(e, ReplyCompleted))
        assert "I'll book a table for 2 at 19:00 tonight. Shall I go ahead?" in proposed.text
        done = await run(engine, conv.id, "yes")
        said = next(e for e in done if isinstance(e, ReplyCompleted))
        assert shop.bookings == {"B1": {"hour": 19, "guests": 2}}
        assert "Done — your table is booked, booking B1." in said.text
    finally:
        await engine.close()


def test_a_shop_that_brings_its_skill_is_served_with_it_without_the_factorys_lookup() -> None:
    """An engine built without the factory (a test, a harness, a library user) still gets its shop's part of
    the offline model: the turn hands the shop over, and the model uses the skill it brought."""
    from support_tui.core.llm.offline import OfflineSupportModel, bring_skill
    from support_tui.core.llm.offline.provider import _BROUGHT
    from support_tui.shops.northwind.offline import NorthwindSkill
    from support_tui.shops.northwind import NorthwindShop

    messages = [{"role": "system", "content": "You are the support agent.\n\n## Context\nshop: northwind"},
                {"role": "user", "content": "where is my order?"}]
    model = OfflineSupportModel()  # no lookup: the factory never ran
    _BROUGHT.pop("northwind", None)
    assert not isinstance(model.skill_for(messages), NorthwindSkill)
    bring_skill(NorthwindShop(db=None))  # type: ignore[arg-type]  # the skill needs no database
    assert isinstance(model.skill_for(messages), NorthwindSkill)
    bring_skill(object())  # a shop that brings none changes nothing
    assert isinstance(model.skill_for(messages), NorthwindSkill)
