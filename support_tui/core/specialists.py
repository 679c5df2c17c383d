"""The support team as data: specialists loaded from ``specialists.toml``."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

SPECIALISTS_FILE = Path(__file__).with_name("specialists.toml")

ROUTABLE = (
    "order_tracking",
    "returns_refunds",
    "product_info",
    "billing_payment",
    "technical_support",
    "account_management",
)
"""The six specialists a customer message can be routed to, in display order."""

ESCALATION_MANAGER = "escalation_manager"


class Specialist(BaseModel):
    """One AI specialist: who it is, what it handles, which tools and model it uses."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    description: str
    model: str
    routable: bool = True
    prompt: str = ""

    def system_prompt(self, customer_name: str, shop: str = "Northwind Goods") -> str:
        return self.prompt.format(title=self.title, customer_name=customer_name, shop=shop).strip()


class Team(BaseModel):
    """All specialists by name."""

    model_config = ConfigDict(frozen=True)

    members: dict[str, Specialist]

    def __getitem__(self, name: str) -> Specialist:
        return self.members[name]

    def __contains__(self, name: object) -> bool:
        return name in self.members

    @property
    def routable(self) -> list[Specialist]:
        return [s for s in self.members.values() if s.routable]


def load_team(path: Path = SPECIALISTS_FILE) -> Team:
    """Read the team from TOML; the common prompt is shared by every specialist."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    common = raw.get("common", {}).get("prompt", "")
    members = {}
    for entry in raw["specialist"]:
        entry = dict(entry)
        entry.pop("tools", None)  # which tools a specialist gets is the shop's to say
        entry.setdefault("prompt", common)
        members[entry["name"]] = Specialist(**entry)
    return Team(members=members)


@lru_cache(maxsize=1)
def default_team() -> Team:
    return load_team()
