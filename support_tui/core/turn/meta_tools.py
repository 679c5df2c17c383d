"""The engine's own tools: hand the conversation to another specialist, or to a person."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.shop import ShopTool
from support_tui.core.specialists import ROUTABLE

Reason = Annotated[str, Field(min_length=1, max_length=500, description="Short reason, in the customer's words.")]


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class TransferToSpecialist(_Args):
    agent: Literal[ROUTABLE] = Field(description="The specialist who should take over.")  # type: ignore[valid-type]
    reason: Reason


class EscalateToHuman(_Args):
    reason: Reason
    priority: Literal["low", "normal", "high", "urgent"] = "normal"


TRANSFER = ShopTool(
    "transfer_to_specialist", "Hand the conversation to another specialist when the request is theirs.", TransferToSpecialist
)
ESCALATE = ShopTool(
    "escalate_to_human",
    "Hand the case to a human colleague (angry customer, legal or safety issue, request for a person, repeated failure).",
    EscalateToHuman,
)
META_TOOLS: dict[str, ShopTool] = {TRANSFER.name: TRANSFER, ESCALATE.name: ESCALATE}
"""The engine's tools by name; a shop's tools never use these names."""
