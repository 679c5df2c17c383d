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
from support_tui.core.shop.offline import OfflineSkill
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


async def _cafe_engine(tmp_path: Path, shop: CafeShop) -> Engine:
    """The café's engine on the real offline model (its skill registered by the caller)."""
    register_offline_provider(offline_skill)
    db = await Database.open(tmp_path / "cafe.db")
    stand = Stand()
    return Engine(settings=Settings(fallback_models=[]), store=SQLSupportStore(db), shop=shop, kb=stand,
                  embedder=stand, router=stand, models=ModelClient(Settings(fallback_models=[])), on_close=db.close)


async def test_a_third_shop_is_its_package_plus_one_registry_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The café's skill, registered by one line, serves its shop through the real offline model: a question
    about the customer's booking runs the café's look-up and is answered in the café's words; a booking is
    proposed, confirmed and made."""
    monkeypatch.setitem(OFFLINE_SKILLS, "cafe", CafeSkill)  # the one registry line
    shop = CafeShop()
    engine = await _cafe_engine(tmp_path, shop)
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


async def test_the_cafe_greets_and_declines_with_its_own_help_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the agent says it helps with is the shop's: the café's greeting and its decline of an off-topic
    message name table bookings, not another shop's orders, refunds and products."""
    monkeypatch.setitem(OFFLINE_SKILLS, "cafe", CafeSkill)
    engine = await _cafe_engine(tmp_path, CafeShop())
    try:
        conv = await engine.open_conversation("guest_1", new=True)
        greeted = next(e for e in await run(engine, conv.id, "hello") if isinstance(e, ReplyCompleted))
        declined = next(e for e in await run(engine, conv.id, "Write me a poem about the moon")
                        if isinstance(e, ReplyCompleted))
    finally:
        await engine.close()
    line = f"I can help with {CafeSkill.help_areas}."
    assert greeted.text == f"Hi Ada! How can I help you today? {line}"
    assert declined.text == f"I'm sorry, Ada, I can't help with that here — {line}"


def _shop_words_hits(folder: Path, skill: OfflineSkill) -> list[str]:
    """A shop's product or device noun, help line, clarifying question or topic, as a string of its own."""
    words = {*skill.product_words, *skill.device_words, skill.help_areas, *skill.specialist_questions.values(),
             *skill.specialist_topics.values()} - _ORDINARY_SHOP_WORDS
    hits = []
    for path in sorted(folder.glob("*.py")):
        strings = {node.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant)}
        hits += [f"{path.name}: {w!r}" for w in sorted(words & strings)]
    return hits


_ORDINARY_SHOP_WORDS = frozenset({"phone"})
"""Words of any shop the generic model may know: "phone" is also the customer's phone number."""


def test_the_generic_offline_model_holds_no_shops_words() -> None:
    """Northwind's product and device nouns, help line, questions and topics are its skill's, not the
    generic model's; retail's product nouns are not there either."""
    northwind = offline_skill("northwind")
    retail = offline_skill("taubench-retail")
    assert northwind is not None and retail is not None
    assert {"phone case", "usb-c", "an order's delivery"} <= {*northwind.product_words, *northwind.device_words,
                                                             *northwind.specialist_topics.values()}
    assert _shop_words_hits(OFFLINE, northwind) == [] and _shop_words_hits(OFFLINE, retail) == []


def test_the_shop_words_check_finds_a_planted_word(tmp_path: Path) -> None:
    northwind = offline_skill("northwind")
    assert northwind is not None
    (tmp_path / "planted.py").write_text(f'NOUNS = ("phone", "phone case")\nHELP = {northwind.help_areas!r}\n')
    assert _shop_words_hits(tmp_path, northwind) == ["planted.py: 'phone case'", f"planted.py: {northwind.help_areas!r}"]


def test_each_shop_reads_its_own_product_nouns() -> None:
    """The entity reader knows no product by itself: Northwind's skill reads "phone case", retail's reads its
    catalogue's names, and a shop that brings no words reads no product (ids and intents still)."""
    from support_tui.core.llm.offline.entities import extract_for
    from support_tui.core.llm.offline.generic import NO_SKILL

    northwind, retail = offline_skill("northwind"), offline_skill("taubench-retail")
    assert northwind is not None and retail is not None
    text = "Does the phone case for ORD-10412 work with my iPhone, and where is my water bottle?"
    assert extract_for(text, northwind).products == ("phone case", "water bottle")
    assert extract_for(text, northwind).devices == ("iphone",)
    assert extract_for(text, retail).products == ("water bottle",) and extract_for(text, retail).devices == ()
    generic = extract_for(text, NO_SKILL)
    assert (generic.products, generic.devices, generic.order_ids) == ((), (), ("ORD-10412",))
    assert "compatible" in generic.intents and NO_SKILL.help_areas == "questions our help articles answer"


def test_retail_product_nouns_come_from_its_catalogue(tmp_path: Path) -> None:
    """Retail's product nouns are its data's product names, a longer name before the shorter one inside it."""
    from support_tui.shops.taubench_retail.offline.skill import PRODUCT_NOUNS, product_nouns

    (tmp_path / "products.json").write_text('{"1": {"name": "Gnome"}, "2": {"name": "Garden Gnome"}, "3": {"name": "T-Shirt"}}')
    assert product_nouns(tmp_path) == ("garden gnome", "t-shirt", "gnome")
    assert len(PRODUCT_NOUNS) == 50 and {"t-shirt", "laptop", "water bottle", "hiking boots"} <= set(PRODUCT_NOUNS)


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
