"""The offline model on the tau-bench retail shop, through the engine: it finds the user (email, or name and
zip), reads their profile, orders and products, and says plainly that changes need a real model."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import run
from support_tui.core.events import ReplyCompleted, ToolCallFinished
from support_tui.core.settings import Settings
from support_tui.shops.taubench_retail import RetailData

USER = "olivia_ito_3591"


@pytest.fixture
async def retail(tmp_path, retail_kb_index, shared_embedder):
    """The console's engine on the tau-bench shop, offline (the retail knowledge base index, copied)."""
    from support_tui.core.factory import open_engine
    from support_tui.core.paths import DataPaths

    home = tmp_path / "tau-home"
    home.mkdir()
    shutil.copytree(retail_kb_index, home / retail_kb_index.name)
    engine = await open_engine(DataPaths(home), Settings(shop="taubench-retail"), embedder=shared_embedder)
    try:
        yield engine
    finally:
        await engine.close()


async def ask(engine, text: str, conversation_id: str | None = None):
    conv_id = conversation_id or (await engine.open_conversation(USER, new=True)).id
    events = await run(engine, conv_id, text)
    calls = [(e.name, e.arguments, e.status) for e in events if isinstance(e, ToolCallFinished)]
    reply = next(e.text for e in events if isinstance(e, ReplyCompleted))
    return calls, reply, conv_id


async def test_email_then_order_status(retail):
    calls, reply, _ = await ask(retail, "Hi, my email is olivia.ito5204@example.com. What's the status of order #W5442520?")
    assert [(n, s) for n, _, s in calls] == [("find_user_id_by_email", "ok"), ("get_user_details", "ok"),
                                             ("get_order_details", "ok")]
    assert "I found your account" in reply and "Order #W5442520 is pending (not shipped yet)" in reply
    assert "Gaming Mouse" in reply and "$663.85" in reply and "Visa credit card ending 9182" in reply
    assert "Your account:" not in reply  # the email found the user; the profile was not asked for


async def test_name_and_zip_then_every_order(retail):
    calls, reply, _ = await ask(retail, "I'm Olivia Ito, zip code 80218. Where are my orders?")
    assert calls[0] == ("find_user_id_by_name_zip", {"first_name": "Olivia", "last_name": "Ito", "zip": "80218"}, "ok")
    orders = [a["order_id"] for n, a, _ in calls if n == "get_order_details"]
    assert orders == ["#W5866402", "#W5353646", "#W5442520", "#W7941031", "#W3657213"]
    for order_id in orders:
        assert f"Order {order_id} is" in reply
    assert "Tracking number" in reply


async def test_account_details_for_the_chosen_customer(retail):
    calls, reply, _ = await ask(retail, "What payment methods do I have on my account?")
    assert calls == [("get_user_details", {"user_id": USER}, "ok")]
    assert "gift card ($56.00 left)" in reply and "PayPal" in reply and "570 Elm Avenue" in reply


async def test_product_variants(retail):
    calls, reply, _ = await ask(retail, "Do you sell a water bottle? Which colors does it come in?")
    assert [n for n, _, _ in calls] == ["list_all_product_types", "get_product_details"]
    product = RetailData.load().tables["products"][calls[1][1]["product_id"]]
    assert product["name"] == "Water Bottle"
    assert f"Water Bottle: {len(product['variants'])} variants" in reply


async def test_a_change_is_not_planned_offline_and_says_so(retail):
    calls, reply, conv = await ask(retail, "Please cancel order #W5442520, I don't need it any more.")
    assert all(n in ("get_user_details", "get_order_details") for n, _, _ in calls) and calls
    assert "can't make changes in this offline demo" in reply and "needs a real model" in reply
    assert "Order #W5442520 is pending" in reply
    order = json.loads((await retail.read_shop(USER, "get_order_details", {"order_id": "#W5442520"})).result)
    assert order["status"] == "pending"


async def test_unknown_email_asks_again_and_another_users_order_is_refused(retail):
    calls, reply, _ = await ask(retail, "My email is nobody@example.com, can you check my order?")
    assert calls[0][2] == "error" and "couldn't find an account for the email nobody@example.com" in reply
    calls, reply, _ = await ask(retail, "What's the status of order #W2378156?")
    assert ("get_order_details", {"order_id": "#W2378156"}, "blocked") in calls
    assert "not on your account" in reply


def test_where_the_user_must_be_looked_up_first_it_asks_for_email_or_name_and_zip():
    """With the benchmark's strict identification (``eval tau``), the chosen customer does not count: the
    offline model's profile read is blocked, and it asks for what it needs instead of guessing."""
    from support_tui.core.llm.offline.provider import decide
    from support_tui.shops.taubench_retail.offline import RetailSkill
    from support_tui.shops.taubench_retail.offline.reply import NEED_ID
    from support_tui.shops.taubench_retail.tools import TOOLS

    tools = [t.schema() for t in TOOLS.values()]
    chat = [{"role": "system", "content": f"## Context\nspecialist: order_tracking\ncustomer_id: {USER}\n"},
            {"role": "user", "content": "Where is my order?"}]
    first = decide(chat, tools, RetailSkill())
    assert [c["function"]["name"] for c in first.tool_calls] == ["get_user_details"]
    blocked = {"status": "blocked", "result": None, "rule": "identify_user_first",
               "error": "Policy (identify_user_first): find the user first."}
    chat += [{"role": "assistant", "content": None, "tool_calls": first.tool_calls},
             {"role": "tool", "tool_call_id": first.tool_calls[0]["id"], "content": json.dumps(blocked)}]
    answer = decide(chat, tools, RetailSkill())
    assert not answer.tool_calls and answer.text == NEED_ID


def test_giving_an_email_is_not_a_question_about_the_account():
    from support_tui.core.shop.offline import Request
    from support_tui.shops.taubench_retail.offline import RetailSkill
    from support_tui.shops.taubench_retail.offline.plan import read_asks

    asks = read_asks(Request(RetailSkill(), latest="Hi, my email is olivia.ito5204@example.com. What's the status of order #W5442520?"))
    assert not asks.account and asks.orders and asks.order_ids == ("#W5442520",)
    assert asks.email == "olivia.ito5204@example.com"
    assert read_asks(Request(RetailSkill(), latest="Which email address is on my account?")).account


def test_the_same_item_twice_in_an_order_is_counted_not_listed_twice():
    from support_tui.shops.taubench_retail.offline.reply import order_line

    kettle = {"name": "Tea Kettle", "options": {"material": "glass"}, "price": 94.8}
    order = {"order_id": "#W1", "status": "delivered", "items": [kettle, dict(kettle), {"name": "Mug", "price": 9.5}]}
    line = order_line(order, None)
    assert "2 × Tea Kettle (glass), $94.80 each; Mug, $9.50" in line
    assert line.count("Tea Kettle") == 1
