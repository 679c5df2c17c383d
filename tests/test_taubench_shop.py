"""tau-bench retail shop: gold replay and every tool against the reference implementation, the policy rules, card and quotes."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from support_tui.core.shop import CallContext, Shop, ShopError
from support_tui.core.store import Database, PostgresShopDatabase
from support_tui.shops.taubench_retail import RetailData, TauRetailShop, open_taubench_shop
from support_tui.shops.taubench_retail.replay import load_tasks, replay_tasks
from tests.pg import BACKENDS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "taubench-retail"
pytestmark = pytest.mark.skipif(not (SHARED / "orders.json").is_file(), reason="no ../shared/taubench-retail")

GOLD_ERRORS = [24, 81, 214, 252, 351]
"""Train tasks whose gold actions include a call the benchmark expects to fail (a gift card short of the amount)."""


def _reference() -> tuple[Any, dict[str, Any]]:
    """The benchmark's own replay and tools, imported from the shared folder (only tests do this)."""
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    import reference.replay as replay  # noqa: PLC0415

    return replay, replay.TOOLS


@pytest.fixture(scope="module")
def data() -> RetailData:
    return RetailData.load(SHARED)


@pytest.fixture(scope="module")
def pristine() -> dict:
    return _reference()[0].load_data()


async def tau_database(backend: str, request, data: RetailData) -> Any:
    """An empty database (SQLite in memory), or a PostgreSQL one already holding the retail records."""
    if backend == "sqlite":
        return await Database.open(":memory:")

    async def fill(url: str) -> None:
        made = PostgresShopDatabase(url)
        try:
            await open_taubench_shop(made, data=data)
        finally:
            await made.close()

    return PostgresShopDatabase(await request.getfixturevalue("pg_cluster").copy_of("taubench", fill))


@pytest.fixture(params=BACKENDS)
async def shop(request, data):
    """The shop on each backend: the tools, rules and quotes run the same SQL on SQLite and PostgreSQL."""
    db = await tau_database(request.param, request, data)
    try:
        yield await open_taubench_shop(db, data=data)
    finally:
        await db.close()


def ctx(customer_id: str, conversation_id: str = "conv-1") -> CallContext:
    return CallContext(customer_id=customer_id, conversation_id=conversation_id)


async def ours(shop: TauRetailShop, tool: str, arguments: dict[str, Any]) -> str:
    """The shop's output for one call run directly (no rules), as the benchmark's text."""
    try:
        return await shop.run(tool, shop.tools()[tool].args.model_validate(arguments), ctx("nobody"))
    except ShopError as exc:
        return str(exc)


def theirs(pristine: dict, tool: str, arguments: dict[str, Any]) -> tuple[str, dict]:
    """The reference's output for one call on a fresh copy, and the records it changed."""
    state = copy.deepcopy(pristine)
    output = _reference()[1][tool].invoke(data=state, **arguments)
    changed = {t: {k: r for k, r in state[t].items() if r != pristine[t].get(k)} for t in ("orders", "users")}
    return output, changed


# --- gold replay -------------------------------------------------------------------------------

async def test_gold_replay_equals_the_reference_on_train_sample_and_all_dev(data, pristine):
    train = load_tasks(SHARED / "tasks_train.jsonl")
    sample = train[::20] + [t for t in train if t["task_id"] in GOLD_ERRORS]
    tasks = sample + load_tasks(SHARED / "tasks_dev.jsonl")
    replay = _reference()[0].replay
    mine = await replay_tasks(tasks, data=data)
    assert len(mine) == len(tasks) == 50
    for task, got in zip(tasks, mine):
        expected = replay(task, pristine)
        assert got.blocked == [], task["task_id"]
        assert got.results == expected["results"], task["task_id"]
        assert got.changed == expected["changed"], task["task_id"]
    assert sum(r.startswith("Error: insufficient gift card") for got in mine for r in got.results) >= len(GOLD_ERRORS)


# --- every tool against the reference ------------------------------------------------------------

def _cases(pristine: dict) -> list[tuple[str, dict[str, Any]]]:
    orders, users, products = pristine["orders"], pristine["users"], pristine["products"]
    by_status = {s: [k for k, o in orders.items() if o["status"] == s] for s in ("pending", "delivered", "processed")}
    pending, delivered = orders[by_status["pending"][0]], orders[by_status["delivered"][0]]
    gc_pending = next(o for o in orders.values() if o["status"] == "pending" and "gift_card" in o["payment_history"][0]["payment_method_id"])
    uid = pending["user_id"]
    user = users[uid]
    item = pending["items"][0]
    variants = products[item["product_id"]]["variants"]
    other_variant = next(v for v, x in variants.items() if x["available"] and v != item["item_id"])
    unavailable = next((v for v, x in variants.items() if not x["available"]), "0000000000")
    foreign = next(iter(next(p for p in products.values() if p["product_id"] != item["product_id"])["variants"]))
    d_item = delivered["items"][0]
    d_variant = next(v for v, x in products[d_item["product_id"]]["variants"].items() if x["available"])
    d_user = users[delivered["user_id"]]
    d_gift = next((m for m in d_user["payment_methods"] if "gift_card" in m), None)
    d_other = next((m for m in d_user["payment_methods"] if m != delivered["payment_history"][0]["payment_method_id"]), None)
    methods = list(user["payment_methods"])
    first_method = pending["payment_history"][0]["payment_method_id"]
    new_method = next((m for m in methods if m != first_method), first_method)
    address = {"address1": "1 Test Road", "address2": "", "city": "Austin", "state": "TX", "country": "USA", "zip": "73301"}
    some_user = next(iter(users))
    cases = [
        ("get_order_details", {"order_id": pending["order_id"]}), ("get_order_details", {"order_id": "W0000000"}),
        ("get_user_details", {"user_id": uid}), ("get_user_details", {"user_id": "nobody_1"}),
        ("get_product_details", {"product_id": item["product_id"]}), ("get_product_details", {"product_id": "1"}),
        ("list_all_product_types", {}),
        ("find_user_id_by_email", {"email": users[some_user]["email"].upper()}), ("find_user_id_by_email", {"email": "x@y.z"}),
        ("find_user_id_by_name_zip", {"first_name": user["name"]["first_name"].lower(), "last_name": user["name"]["last_name"],
                                      "zip": user["address"]["zip"]}),
        ("find_user_id_by_name_zip", {"first_name": "No", "last_name": "One", "zip": "00000"}),
        ("think", {"thought": "hmm"}), ("transfer_to_human_agents", {"summary": "wants a human"}),
        ("cancel_pending_order", {"order_id": pending["order_id"], "reason": "ordered by mistake"}),
        ("cancel_pending_order", {"order_id": gc_pending["order_id"], "reason": "no longer needed"}),
        ("cancel_pending_order", {"order_id": delivered["order_id"], "reason": "no longer needed"}),
        ("cancel_pending_order", {"order_id": "#W0", "reason": "no longer needed"}),
        ("modify_pending_order_address", {"order_id": pending["order_id"], **address}),
        ("modify_pending_order_address", {"order_id": delivered["order_id"], **address}),
        ("modify_user_address", {"user_id": uid, **address}), ("modify_user_address", {"user_id": "nobody_1", **address}),
        ("modify_pending_order_payment", {"order_id": pending["order_id"], "payment_method_id": new_method}),
        ("modify_pending_order_payment", {"order_id": pending["order_id"], "payment_method_id": first_method}),
        ("modify_pending_order_payment", {"order_id": pending["order_id"], "payment_method_id": "paypal_0"}),
        ("modify_pending_order_payment", {"order_id": gc_pending["order_id"], "payment_method_id": next(
            m for m in pristine["users"][gc_pending["user_id"]]["payment_methods"] if m != gc_pending["payment_history"][0]["payment_method_id"])}),
    ]
    swap = {"order_id": pending["order_id"], "payment_method_id": methods[0]}
    cases += [
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": [other_variant]}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": [item["item_id"]]}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": [unavailable]}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": [foreign]}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"], item["item_id"]], "new_item_ids": [other_variant] * 2}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": []}),
        ("modify_pending_order_items", {**swap, "item_ids": [item["item_id"]], "new_item_ids": [other_variant], "payment_method_id": "x"}),
        ("return_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": [d_item["item_id"]],
                                          "payment_method_id": delivered["payment_history"][0]["payment_method_id"]}),
        ("return_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": ["1"], "payment_method_id":
                                          delivered["payment_history"][0]["payment_method_id"]}),
        ("return_delivered_order_items", {"order_id": pending["order_id"], "item_ids": [item["item_id"]], "payment_method_id": methods[0]}),
        ("return_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": [d_item["item_id"]], "payment_method_id": "x"}),
        ("exchange_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": [d_item["item_id"]],
                                            "new_item_ids": [d_variant], "payment_method_id": delivered["payment_history"][0]["payment_method_id"]}),
        ("exchange_delivered_order_items", {"order_id": pending["order_id"], "item_ids": [item["item_id"]],
                                            "new_item_ids": [other_variant], "payment_method_id": methods[0]}),
        ("exchange_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": ["1"], "new_item_ids": ["2"],
                                            "payment_method_id": delivered["payment_history"][0]["payment_method_id"]}),
    ]
    for method in (d_gift, d_other):
        if method:
            cases.append(("return_delivered_order_items", {"order_id": delivered["order_id"], "item_ids": [d_item["item_id"]],
                                                           "payment_method_id": method}))
    expressions = ["2 + 2", "10 / 3", "1/0", "1.0/0", "2 +", "(1+2)*3.555", "abc", "", "()", "2**3", "-5.555", "1 2",
                   "((2)", "7 // 2", "0.1+0.2", "3 * (4 - 1.5) / 2", "..."]
    cases += [("calculate", {"expression": e}) for e in expressions]
    return cases


async def test_every_tool_gives_the_reference_output_and_changes(shop, pristine):
    for tool, arguments in _cases(pristine):
        expected, expected_changed = theirs(pristine, tool, arguments)
        assert await ours(shop, tool, arguments) == expected, (tool, arguments)
        assert await shop.store.changed() == expected_changed, (tool, arguments)
        await shop.store.rewind()


def test_tools_are_the_benchmarks_own_with_the_same_parameters():
    tools = _reference()[1]
    from support_tui.shops.taubench_retail.tools import TOOLS

    assert set(TOOLS) == set(tools) and len(TOOLS) == 16  # the README says 15; reference/tools has 16
    for name, tool in TOOLS.items():
        params = tools[name].get_info()["function"]["parameters"]
        schema = tool.schema()["function"]["parameters"]
        assert set(schema["properties"]) == set(params["properties"]), name
        assert set(schema.get("required", [])) == set(params.get("required", [])), name
    writes = {n for n, t in TOOLS.items() if t.writes}
    assert writes == {n for n, t in TOOLS.items() if t.consequential} == {
        "cancel_pending_order", "modify_pending_order_address", "modify_pending_order_payment", "modify_pending_order_items",
        "return_delivered_order_items", "exchange_delivered_order_items", "modify_user_address"}


# --- policy rules --------------------------------------------------------------------------------

async def verdict(shop: TauRetailShop, tool: str, arguments: dict[str, Any], context: CallContext) -> str | None:
    found = await shop.check(tool, shop.tools()[tool].args.model_validate(arguments), context)
    return found.rule if found else None


def _order(pristine: dict, status: str, **kw: Any) -> dict:
    return next(o for o in pristine["orders"].values() if o["status"] == status and all(o[k] == v for k, v in kw.items()))


async def test_status_rules_block_what_policy_forbids(shop, pristine):
    delivered, pending, processed = (_order(pristine, s) for s in ("delivered", "pending", "processed"))
    c = ctx(delivered["user_id"])
    assert await verdict(shop, "cancel_pending_order", {"order_id": delivered["order_id"], "reason": "no longer needed"}, c) == "pending_only"
    c = ctx(processed["user_id"])
    assert await verdict(shop, "cancel_pending_order", {"order_id": processed["order_id"], "reason": "no longer needed"}, c) == "pending_only"
    c = ctx(pending["user_id"])
    method = pending["payment_history"][0]["payment_method_id"]
    assert await verdict(shop, "return_delivered_order_items", {"order_id": pending["order_id"], "item_ids": [],
                                                                 "payment_method_id": method}, c) == "delivered_only"
    assert await verdict(shop, "modify_pending_order_payment", {"order_id": pending["order_id"], "payment_method_id": method}, c) \
        == "different_payment_method"
    item = pending["items"][0]
    foreign = next(iter(next(p for p in pristine["products"].values() if p["product_id"] != item["product_id"])["variants"]))
    swap = {"order_id": pending["order_id"], "item_ids": [item["item_id"]], "payment_method_id": method}
    assert await verdict(shop, "modify_pending_order_items", {**swap, "new_item_ids": [foreign]}, c) == "same_product_new_items"
    # Items change once: the first change leaves the order 'pending (item modified)', so a second is blocked.
    same = next(v for v, x in pristine["products"][item["product_id"]]["variants"].items() if x["available"])
    assert await verdict(shop, "modify_pending_order_items", {**swap, "new_item_ids": [same]}, c) is None
    assert (await ours(shop, "modify_pending_order_items", {**swap, "new_item_ids": [same]})).startswith("{")
    assert await verdict(shop, "modify_pending_order_items", {**swap, "new_item_ids": [same]}, c) == "pending_only"
    assert await verdict(shop, "cancel_pending_order", {"order_id": pending["order_id"], "reason": "ordered by mistake"}, c) == "pending_only"


async def test_refund_goes_to_the_original_method_or_a_gift_card(shop, pristine):
    users = pristine["users"]
    order = next(o for o in pristine["orders"].values() if o["status"] == "delivered" and any(
        m != o["payment_history"][0]["payment_method_id"] and "gift_card" not in m for m in users[o["user_id"]]["payment_methods"]))
    other = next(m for m in users[order["user_id"]]["payment_methods"]
                 if m != order["payment_history"][0]["payment_method_id"] and "gift_card" not in m)
    args = {"order_id": order["order_id"], "item_ids": [order["items"][0]["item_id"]], "payment_method_id": other}
    assert await verdict(shop, "return_delivered_order_items", args, ctx(order["user_id"])) == "refund_to_original_or_gift_card"


async def test_one_user_per_conversation(shop, pristine):
    users = list(pristine["users"])
    me, other = users[0], users[1]
    c = ctx(me)
    assert await verdict(shop, "find_user_id_by_email", {"email": pristine["users"][other]["email"]}, c) == "one_user_per_conversation"
    assert await verdict(shop, "find_user_id_by_email", {"email": pristine["users"][me]["email"]}, c) is None
    assert await verdict(shop, "get_user_details", {"user_id": other}, c) == "one_user_per_conversation"
    theirs_order = pristine["users"][other]["orders"][0]
    assert await verdict(shop, "get_order_details", {"order_id": theirs_order}, c) == "one_user_per_conversation"
    assert await verdict(shop, "get_order_details", {"order_id": pristine["users"][me]["orders"][0]}, c) is None
    # Once a look-up identified a user, another user's look-up is refused even with no chosen customer.
    anonymous = ctx("", "conv-2")
    await shop.run("find_user_id_by_email", shop.tools()["find_user_id_by_email"].args(email=pristine["users"][me]["email"]), anonymous)
    profile = pristine["users"][other]["name"]
    by_name = {"first_name": profile["first_name"], "last_name": profile["last_name"], "zip": pristine["users"][other]["address"]["zip"]}
    assert await verdict(shop, "find_user_id_by_name_zip", by_name, anonymous) == "one_user_per_conversation"


async def test_identify_the_user_before_acting(shop, pristine, data):
    user_id = next(iter(pristine["users"]))
    order_id = pristine["users"][user_id]["orders"][0]
    anonymous = ctx("", "conv-3")
    assert await verdict(shop, "get_order_details", {"order_id": order_id}, anonymous) == "identify_user_first"
    assert await verdict(shop, "cancel_pending_order", {"order_id": order_id, "reason": "no longer needed"}, anonymous) == "identify_user_first"
    assert await verdict(shop, "get_product_details", {"product_id": "1"}, anonymous) is None  # not about a user
    email = pristine["users"][user_id]["email"]
    assert await shop.run("find_user_id_by_email", shop.tools()["find_user_id_by_email"].args(email=email), anonymous) == user_id
    assert await verdict(shop, "get_order_details", {"order_id": order_id}, anonymous) is None
    # Strict mode: the console's chosen customer does not count; the agent must look them up (as tau-bench asks).
    strict = TauRetailShop(shop.store, require_lookup=True)
    assert await verdict(strict, "get_user_details", {"user_id": user_id}, ctx(user_id, "conv-4")) == "identify_user_first"
    assert set(shop.rules()) >= {"identify_user_first", "one_user_per_conversation", "pending_only", "delivered_only"}


# --- card, customers, quotes, persistence -------------------------------------------------------

async def test_customers_and_card(shop, pristine):
    assert isinstance(shop, Shop)
    customers = await shop.customers()
    assert len(customers) == 500 and [c.id for c in customers] == list(pristine["users"])
    user_id = "noah_brown_6181" if "noah_brown_6181" in pristine["users"] else customers[0].id
    card = await shop.customer_card(user_id)
    user = pristine["users"][user_id]
    assert card.customer.name == f"{user['name']['first_name']} {user['name']['last_name']}"
    assert card.customer.email == user["email"]
    assert [o.order_id for o in card.recent_orders] == user["orders"]
    words = {"pending": "not shipped yet", "delivered": "delivered", "processed": "shipped, on its way", "cancelled": "cancelled"}
    for o in card.recent_orders:
        assert o.status == words[pristine["orders"][o.order_id]["status"]]
    assert any(f.startswith("Address: ") and user["address"]["zip"] in f for f in card.facts)
    assert await shop.customer("nobody_1") is None
    with pytest.raises(LookupError):
        await shop.customer_card("nobody_1")
    assert shop.tools_for("returns_specialist") == tuple(shop.tools())


async def test_quotes_say_what_changes_and_refuse_what_would_fail(shop, pristine):
    order = _order(pristine, "pending")
    c = ctx(order["user_id"])
    cancel = shop.tools()["cancel_pending_order"].args(order_id=order["order_id"], reason="no longer needed")
    quote = await shop.quote("cancel_pending_order", cancel, c)
    assert quote.amount == order["payment_history"][0]["amount"] and quote.order_id == order["order_id"]
    assert order["order_id"] in quote.summary and order["items"][0]["name"] in quote.summary
    assert await shop.store.changed() == {"orders": {}, "users": {}}  # a quote changes nothing
    delivered = _order(pristine, "delivered")
    item = delivered["items"][0]
    variant_id, variant = next((v, x) for v, x in pristine["products"][item["product_id"]]["variants"].items()
                               if x["available"] and v != item["item_id"])
    method = delivered["payment_history"][0]["payment_method_id"]
    swap = shop.tools()["exchange_delivered_order_items"].args(
        order_id=delivered["order_id"], item_ids=[item["item_id"]], new_item_ids=[variant_id], payment_method_id=method)
    quote = await shop.quote("exchange_delivered_order_items", swap, ctx(delivered["user_id"]))
    assert quote.amount == round(abs(variant["price"] - item["price"]), 2)
    assert item["name"] in quote.lines[0].name and "only once" in quote.summary
    with pytest.raises(ShopError, match="^Error: non-pending order cannot be cancelled$"):
        await shop.quote("cancel_pending_order", cancel.model_copy(update={"order_id": delivered["order_id"]}), c)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_state_persists_and_reset_reloads(backend, request, tmp_path, data, pristine):
    order = _order(pristine, "pending")

    async def reopen() -> Any:
        if backend == "sqlite":
            return await Database.open(tmp_path / "tau.db")
        return PostgresShopDatabase(url)

    url = await request.getfixturevalue("pg_cluster").new_database() if backend == "postgres" else ""
    db = await reopen()
    shop = await open_taubench_shop(db, data=data)
    args = shop.tools()["cancel_pending_order"].args(order_id=order["order_id"], reason="no longer needed")
    outcome = json.loads(await shop.run("cancel_pending_order", args, ctx(order["user_id"])))
    assert outcome["status"] == "cancelled"
    await db.close()
    db = await reopen()
    shop = await open_taubench_shop(db, data=data)
    assert (await shop.store.get("orders", order["order_id"]))["status"] == "cancelled"
    assert shop.action_line("cancel_pending_order", args.model_dump(), type("O", (), {"status": "ok"})()).startswith("Cancelled")
    await shop.reset()
    assert (await shop.store.get("orders", order["order_id"]))["status"] == "pending"
    await db.close()


def test_fact_lines_and_case_facts(pristine):
    from support_tui.shops.taubench_retail import card

    order = _order(pristine, "delivered")
    assert card.fact_lines("get_order_details", json.dumps(order))[0].startswith(f"Order {order['order_id']} is delivered")
    assert card.fact_lines("get_order_details", "Error: order not found") == []
    calls = card.case_facts(f"my order {order['order_id']} and email a.b@example.com")
    assert [c.tool for c in calls] == ["find_user_id_by_email", "get_order_details"]


def test_cli_gold_replay_json(capsys):
    from support_tui.cli import main

    assert main(["eval", "tau", "--shop", "taubench-retail", "--tasks", str(SHARED / "tasks_dev.jsonl"), "--agent", "gold", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["tasks"] == 20 and out["summary"]["blocked"] == 0
    assert set(out["tasks"][0]) == {"task_id", "results", "blocked", "changed"}
    assert main(["eval", "tau", "--tasks", str(SHARED / "tasks_dev.jsonl"), "--agent", "some-model"]) == 2


async def test_a_keyed_write_runs_once_and_the_same_key_replays_it(shop, pristine):
    order = _order(pristine, "pending")
    args = shop.tools()["cancel_pending_order"].args.model_validate({"order_id": order["order_id"], "reason": "no longer needed"})
    keyed = CallContext(customer_id=order["user_id"], conversation_id="conv-1", effect_key="fx_cancel_once")
    first = await shop.run("cancel_pending_order", args, keyed)
    assert await shop.run("cancel_pending_order", args, keyed) == first  # replayed: no "non-pending" error
    stored = json.loads(await shop.store.db.scalar("SELECT data FROM tau_orders WHERE id = ?", (order["order_id"],)))
    refunds = [p for p in stored["payment_history"] if p["transaction_type"] == "refund"]
    assert stored["status"] == "cancelled" and len(refunds) == len(order["payment_history"])  # refunded once
    recorded = await shop.recorded("fx_cancel_once")
    assert recorded is not None and recorded.result == first and recorded.tool == "cancel_pending_order"
    with pytest.raises(ShopError, match="non-pending"):  # without the key it would run again, and be refused
        await shop.run("cancel_pending_order", args, ctx(order["user_id"]))
