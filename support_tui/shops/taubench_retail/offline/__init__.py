"""τ-bench retail's part of the offline model (``RetailSkill``): look-ups and replies of its own."""

from support_tui.shops.taubench_retail.offline.skill import RetailSkill

__all__ = ["RetailSkill"]
