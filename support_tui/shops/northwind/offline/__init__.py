"""Northwind's part of the offline model: flows, result wording, statuses and money (``NorthwindSkill``)."""

from support_tui.shops.northwind.offline.skill import NorthwindSkill

__all__ = ["NorthwindSkill"]
