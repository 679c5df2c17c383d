"""Typed arguments of every store tool; their JSON schemas are what the model sees."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator



def normalise_order_id(value: Any) -> Any:
    """Accept ``67890``, ``#67890``, ``ord 67890`` and ``ORD-67890`` alike."""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return value
    text = value.strip().upper().lstrip("#").strip()
    if text.isdigit():
        return f"ORD-{text}"
    match = re.fullmatch(r"ORD(?:ER)?[\s#_-]*(\d+)", text)
    return f"ORD-{match.group(1)}" if match else text


OrderId = Annotated[
    str,
    BeforeValidator(normalise_order_id),
    Field(min_length=1, max_length=40, description="The order number, e.g. ORD-67890."),
]
Money = Annotated[float, Field(gt=0, le=100_000, description="Amount in US dollars, e.g. 49.99.")]
Reason = Annotated[str, Field(min_length=1, max_length=500, description="Short reason, in the customer's words.")]
OrderStatus = Literal["pending", "processing", "shipped", "delivered", "cancelled"]


class Args(BaseModel):
    # Models sometimes add stray keys (a customer_id, say); every tool is scoped anyway.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class OrderArgs(Args):
    order_id: OrderId


class LookupOrder(OrderArgs):
    pass


class ListOrders(Args):
    status: OrderStatus | None = Field(None, description="Only orders in this status.")
    limit: int = Field(10, ge=1, le=50, description="Most recent orders first; at most this many.")


class TrackShipment(OrderArgs):
    pass


class SearchProducts(Args):
    query: str = Field(min_length=1, max_length=200, description="Keywords, e.g. 'wireless headphones iPhone'.")
    limit: int = Field(5, ge=1, le=20)


class GetProduct(Args):
    product_id: str | None = Field(None, description="Product id (P-1001) or SKU.")
    name: str | None = Field(None, description="Product name, if the id is not known.")

    @model_validator(mode="after")
    def _one_of(self) -> "GetProduct":
        if not (self.product_id or self.name):
            raise ValueError("give product_id or name")
        return self


class CheckReturnEligibility(OrderArgs):
    sku: str | None = Field(None, description="One item of the order; all items when omitted.")


class CreateReturn(OrderArgs):
    reason: Reason
    kind: Literal["refund", "exchange"] = Field(description="Refund the money, or exchange for another item.")
    skus: list[str] | None = Field(None, description="SKUs of the items to return; every returnable item when omitted.")
    exchange_sku: str | None = Field(None, description="For an exchange: the SKU wanted instead (another size or colour).")


class ListReturns(Args):
    order_id: OrderId | None = None


class IssueRefund(OrderArgs):
    amount: Money
    reason: Reason

    @field_validator("amount")
    @classmethod
    def _cents(cls, value: float) -> float:
        return round(value, 2)


class CancelOrder(OrderArgs):
    reason: Reason


class ChangeShippingAddress(OrderArgs):
    street: str = Field(min_length=3, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=2, max_length=20)
    country: str = Field(min_length=2, max_length=60)
    state: str | None = Field(None, max_length=60)


class ExplainCharges(Args):
    order_id: OrderId | None = Field(None, description="Only this order's charges; all recent charges when omitted.")


class GetBillingHistory(Args):
    limit: int = Field(10, ge=1, le=50)


class GetAccount(Args):
    pass


class UpdateAccount(Args):
    field: Literal["name", "email", "phone", "address"]
    value: str = Field(min_length=1, max_length=300, description="New value; an address as 'street, city, [state,] postal code, country'.")


class SendLoginLink(Args):
    kind: Literal["password_reset", "magic_link"] = "password_reset"
