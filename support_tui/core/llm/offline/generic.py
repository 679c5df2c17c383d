"""The skill of a shop that brings none: no flows and no tools of its own, so replies come from the knowledge base."""

from __future__ import annotations

from support_tui.core.shop.offline import KnowledgeOnlySkill

NO_SKILL = KnowledgeOnlySkill()
