"""``support-tui store reset|status`` and ``support-tui customers``: the demo store in the configured database.

That is PostgreSQL when ``database_url`` is set (config.toml or ``$SUPPORT_TUI_DATABASE_URL``), so a
reset there reloads the one shop every console and worker on that database serves; otherwise the
data directory's SQLite file.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING

from support_tui.cli import UserError
from support_tui.core.paths import DataPaths

if TYPE_CHECKING:
    from support_tui.core.store.sql.database import ShopDatabase
    from support_tui.shops.northwind.shop import NorthwindShop


def database_problems() -> tuple[type[BaseException], ...]:
    """What opening a configured database can fail with that the user fixes (shown as one line): a server
    that is down, a database that does not exist, a bad URL. (asyncpg is imported only when needed.)"""
    import asyncpg

    return (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    store = sub.add_parser("store", help="manage the demo store (customers, products, orders)")
    store.set_defaults(func=lambda args: store.print_help())
    actions = store.add_subparsers(dest="store_command", metavar="ACTION")
    reset = actions.add_parser("reset", help="reload the store's fixtures (generated orders and demo customers)")
    reset.add_argument("--today", type=_day, default=None, help="the store's day, YYYY-MM-DD (default: today)")
    reset.set_defaults(func=reset_store)
    status = actions.add_parser("status", help="when the store was created and how many rows it holds")
    status.set_defaults(func=store_status)

    customers = sub.add_parser("customers", help="list the store's customers")
    customers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    customers.set_defaults(func=list_customers)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from None


async def _open(*, load: bool = False) -> tuple[ShopDatabase, NorthwindShop]:
    """The shop's database with the support records migrated and the demo shop's tables (loaded when ``load``)."""
    from support_tui.core.settings import Settings
    from support_tui.core.store import open_shop_database, open_support_store
    from support_tui.shops.northwind.shop import NorthwindShop

    paths = DataPaths.default().ensure()
    try:
        settings = Settings.load(paths.config)
    except ValueError as exc:  # malformed TOML, or a field of the wrong type
        raise UserError(f"{paths.config}: {exc}") from None
    try:
        db = await open_shop_database(settings, paths.database)
    except Exception as exc:
        raise UserError(f"cannot open the database at {paths.database}: {exc}") from exc
    try:
        store = open_support_store(settings, db)
        try:
            await store.migrate()
        finally:
            await store.close()
        shop = await NorthwindShop.open(db, load=load)
    except database_problems() as exc:
        await db.close()
        raise UserError(f"cannot open the store at {db.location}: {exc}") from exc
    except BaseException:
        await db.close()
        raise
    return db, shop


async def reset_store(args: argparse.Namespace) -> int:
    db, shop = await _open()
    try:
        counts = await shop.reset(today=args.today)
    finally:
        await db.close()
    print(f"Store reloaded in {db.location}: {counts['customers']} customers, {counts['products']} products, "
          f"{counts['orders']} orders, {counts['charges']} charges, {counts['returns']} returns.")
    return 0


async def store_status(args: argparse.Namespace) -> int:
    db, shop = await _open()
    try:
        day = await shop.loaded_for()
        if day is None:
            print(f"No store in {db.location} yet; run `support-tui store reset`.")
            return 0
        counts = await shop.counts()
    finally:
        await db.close()
    print(f"Store in {db.location}, created for {day.isoformat()}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


async def list_customers(args: argparse.Namespace) -> int:
    db, shop = await _open(load=True)  # a fresh data directory gets its store on first use
    try:
        people, orders = await shop.customers(), await shop.order_counts()
    finally:
        await db.close()
    customers = [
        {"customer_id": c.id, "name": c.name, "tier": c.tier, "lifetime_value": c.lifetime_value, "orders": orders.get(c.id, 0)}
        for c in people
    ]
    if args.json:
        print(json.dumps(customers, indent=2))
        return 0
    header = f"{'ID':<12} {'NAME':<22} {'TIER':<9} {'LIFETIME VALUE':>14} {'ORDERS':>6}"
    print(header)
    print("-" * len(header))
    for p in people:
        print(f"{p.id:<12} {p.name[:22]:<22} {p.tier:<9} {p.lifetime_value:>14,.2f} {orders.get(p.id, 0):>6}")
    return 0
