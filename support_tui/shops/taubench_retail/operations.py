"""Running one retail tool on the store: the reads, and each write in one transaction; results are tau-bench's text."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from support_tui.core.shop import ShopError, canonical_arguments
from support_tui.shops.taubench_retail import actions
from support_tui.shops.taubench_retail.calculator import calculate
from support_tui.shops.taubench_retail.data import Record
from support_tui.shops.taubench_retail.store import RetailStore, Tx


async def run_tool(store: RetailStore, name: str, args: BaseModel, *, key: str | None = None, conversation_id: str = "") -> str:
    """The tool's result exactly as tau-bench returns it; ShopError carries its ``Error: ...`` text.

    A write with an idempotency ``key`` stores the key and its result in the write's transaction; a
    key already stored returns that result and writes nothing.
    """
    if name not in actions.ORDER_WRITES and name != "modify_user_address":
        return await _read(store, name, args)
    async with store.transaction() as tx:
        if key is None:
            return await _write(tx, name, args)
        return await tx.once(key, conversation_id, name, canonical_arguments(args), lambda: _write(tx, name, args))


async def _write(tx: Tx, name: str, args: Any) -> str:
    if name in actions.ORDER_WRITES:
        return await _write_order(tx, name, args)
    user = await tx.get("users", args.user_id)
    if user is None:
        raise ShopError("Error: user not found")
    actions.modify_user_address(user, args)
    await tx.put("users", args.user_id, user)
    return json.dumps(user)


async def load_order_case(reader: Any, order_id: str, name: str) -> tuple[Record, Record, dict[str, Record]]:
    """The order a write aims at, its user and (for item changes) the products of its items."""
    order = await reader.get("orders", order_id)
    if order is None:
        raise ShopError("Error: order not found")
    user = await reader.get("users", order["user_id"])
    if user is None:
        raise ShopError("Error: user not found")
    products: dict[str, Record] = {}
    if name in actions.NEEDS_PRODUCTS:
        for product_id in {item["product_id"] for item in order["items"]}:
            product = await reader.get("products", product_id)
            if product is not None:
                products[product_id] = product
    return order, user, products


async def _write_order(tx: Tx, name: str, args: Any) -> str:
    order, user, products = await load_order_case(tx, args.order_id, name)
    user_before = json.dumps(user)
    actions.ORDER_WRITES[name](order, user, products, args)
    await tx.put("orders", args.order_id, order)
    if json.dumps(user) != user_before:
        await tx.put("users", order["user_id"], user)
    return json.dumps(order)


async def find_user(store: RetailStore, name: str, args: Any) -> str | None:
    """The id of the first user a look-up matches, in the data file's order, or None."""
    for user_id, user in await store.scan("users"):
        if name == "find_user_id_by_email":
            if user["email"].lower() == args.email.lower():
                return user_id
        elif (
            user["name"]["first_name"].lower() == args.first_name.lower()
            and user["name"]["last_name"].lower() == args.last_name.lower()
            and user["address"]["zip"] == args.zip
        ):
            return user_id
    return None


async def _read(store: RetailStore, name: str, args: Any) -> str:
    if name in ("find_user_id_by_email", "find_user_id_by_name_zip"):
        user_id = await find_user(store, name, args)
        if user_id is None:
            raise ShopError("Error: user not found")
        return user_id
    if name == "get_user_details":
        return _found(await store.get("users", args.user_id), "user")
    if name == "get_order_details":
        return _found(await store.get("orders", args.order_id), "order")
    if name == "get_product_details":
        return _found(await store.get("products", args.product_id), "product")
    if name == "list_all_product_types":
        names = {product["name"]: product["product_id"] for _, product in await store.scan("products")}
        return json.dumps(dict(sorted(names.items())))
    if name == "think":
        return ""
    if name == "calculate":
        return calculate(args.expression)
    if name == "transfer_to_human_agents":
        return "Transfer successful"
    raise ShopError(f"Error: unknown tool {name}")


def _found(record: Record | None, what: str) -> str:
    if record is None:
        raise ShopError(f"Error: {what} not found")
    return json.dumps(record)
