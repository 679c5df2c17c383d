"""Shop implementations behind ``support_tui.core.shop.Shop``: the Northwind demo shop and tau-bench retail."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from support_tui.core.shop import Shop
    from support_tui.core.shop.offline import OfflineSkill
    from support_tui.core.understanding.catalog import IntentCatalog
    from support_tui.core.store.sql.database import ShopDatabase

SHOPS = ("northwind", "taubench-retail")
"""The shops this build can serve, by the name ``config.toml`` and ``--shop`` use."""


async def open_shop(name: str, db: "ShopDatabase", *, return_window_days: int = 30) -> "Shop":
    """Open a shop by name on a database (its tables are created and loaded on first use)."""
    if name == "northwind":
        from support_tui.shops.northwind import NorthwindShop

        return await NorthwindShop.open(db, return_window_days=return_window_days)
    if name == "taubench-retail":
        from support_tui.shops.taubench_retail import open_taubench_shop

        return await open_taubench_shop(db)
    raise ValueError(f"unknown shop {name!r}; this build has {', '.join(SHOPS)}")


def kb_dir(name: str) -> Path:
    """The folder of markdown articles a shop's knowledge base is built from (each shop has its own index)."""
    if name == "northwind":
        from support_tui.core.paths import kb_source_dir

        return kb_source_dir()
    if name == "taubench-retail":
        from support_tui.shops.taubench_retail import KB_DIR

        return KB_DIR
    raise ValueError(f"unknown shop {name!r}; this build has {', '.join(SHOPS)}")


def intent_catalog(name: str) -> "IntentCatalog | None":
    """The intents a shop's offline model understands, learned from its exemplars; None for a shop without."""
    if name == "northwind":
        from support_tui.shops.northwind.intents import catalog

        return catalog()
    return None


def _northwind_skill() -> "OfflineSkill":
    from support_tui.shops.northwind.offline import NorthwindSkill

    return NorthwindSkill()


def _retail_skill() -> "OfflineSkill":
    from support_tui.shops.taubench_retail.offline import RetailSkill

    return RetailSkill()


OFFLINE_SKILLS: dict[str, Callable[[], "OfflineSkill"]] = {
    "northwind": _northwind_skill,
    "taubench-retail": _retail_skill,
}
"""Each shop's offline skill (its part of the offline model), by the shop's name; one line per shop."""


def offline_skill(name: str) -> "OfflineSkill | None":
    """The offline model's part for a shop, or None for a shop that brings none (the generic model serves it)."""
    make = OFFLINE_SKILLS.get(name)
    return make() if make is not None else None
