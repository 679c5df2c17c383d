"""The Northwind demo shop: its tables, tools, hard policy rules, quotes and card, as a ``Shop``."""

from support_tui.shops.northwind.shop import NorthwindShop

__all__ = ["NorthwindShop"]
