"""The tau-bench retail tools (all 16 of reference/tools: the README counts 15): typed arguments, descriptions, care flags."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from support_tui.core.shop import ShopTool

ORDER_ID = "The order id, such as '#W0000000'; it starts with a '#'."
PAYMENT_ID = "A payment method id of the user, such as 'gift_card_0000000' or 'credit_card_0000000' (see the user's or order's details)."
ITEM_IDS = "Item ids of the order, each such as '1008292230'; repeat an id once per unit."
NEW_ITEM_IDS = "The new item ids, position by position: each an available variant of the same product as the item it replaces."


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ByEmail(_Args):
    email: str = Field(description="The user's email, such as 'something@example.com'.")


class ByNameZip(_Args):
    first_name: str = Field(description="The user's first name, such as 'John'.")
    last_name: str = Field(description="The user's last name, such as 'Doe'.")
    zip: str = Field(description="The zip code of the user's default address, such as '12345'.")


class UserRef(_Args):
    user_id: str = Field(description="The user id, such as 'sara_doe_496'.")


class OrderRef(_Args):
    order_id: str = Field(description=ORDER_ID)


class ProductRef(_Args):
    product_id: str = Field(description="The product id, such as '6086499569' (not an item id).")


class NoArguments(_Args):
    pass


class Thought(_Args):
    thought: str = Field(description="What to think through.")


class Expression(_Args):
    expression: str = Field(description="Arithmetic such as '2 + 2': digits, + - * /, parentheses, dots and spaces.")


class HandOver(_Args):
    summary: str = Field(description="The user's issue in a few sentences, for the person taking over.")


class Cancel(_Args):
    order_id: str = Field(description=ORDER_ID)
    reason: Literal["no longer needed", "ordered by mistake"] = Field(
        description="Why the user cancels: 'no longer needed' or 'ordered by mistake'."
    )


class _Address(_Args):
    address1: str = Field(description="First line, such as '123 Main St'.")
    address2: str = Field(description="Second line, such as 'Apt 1', or ''.")
    city: str = Field(description="The city, such as 'San Francisco'.")
    state: str = Field(description="The state, such as 'CA'.")
    country: str = Field(description="The country, such as 'USA'.")
    zip: str = Field(description="The zip code, such as '12345'.")


class OrderAddress(_Address):
    order_id: str = Field(description=ORDER_ID)


class UserAddress(_Address):
    user_id: str = Field(description="The user id, such as 'sara_doe_496'.")


class Payment(_Args):
    order_id: str = Field(description=ORDER_ID)
    payment_method_id: str = Field(description=PAYMENT_ID)


class ItemSwap(_Args):
    order_id: str = Field(description=ORDER_ID)
    item_ids: list[str] = Field(description=ITEM_IDS)
    new_item_ids: list[str] = Field(description=NEW_ITEM_IDS)
    payment_method_id: str = Field(description=PAYMENT_ID + " It pays or receives the price difference.")


class Return(_Args):
    order_id: str = Field(description=ORDER_ID)
    item_ids: list[str] = Field(description=ITEM_IDS)
    payment_method_id: str = Field(description=PAYMENT_ID + " It receives the refund: the original method or a gift card.")


_CONFIRM = " Explain the details and get the user's explicit yes first."

TOOLS: dict[str, ShopTool] = {
    tool.name: tool
    for tool in (
        ShopTool("find_user_id_by_email", "Find a user's id by email; an error when no user has it.", ByEmail),
        ShopTool(
            "find_user_id_by_name_zip",
            "Find a user's id by first name, last name and zip code. Try the email first; use this when the user "
            "cannot be found by email or does not remember it.",
            ByNameZip,
        ),
        ShopTool("get_user_details", "A user's profile: name, address, email, payment methods and order ids.", UserRef),
        ShopTool("get_order_details", "An order's status, items, address, fulfilments and payment history.", OrderRef),
        ShopTool("get_product_details", "A product's variants: item ids, options, price and availability.", ProductRef),
        ShopTool("list_all_product_types", "Every product type's name and product id (50 types).", NoArguments),
        ShopTool(
            "cancel_pending_order",
            "Cancel a pending order (processed or delivered orders cannot be). Its status becomes 'cancelled' and "
            "what was paid is refunded: at once to a gift card, otherwise in 5-7 business days. Returns the order."
            + _CONFIRM,
            Cancel, writes=True, consequential=True, moves_money=True,
        ),
        ShopTool(
            "modify_pending_order_address",
            "Change the shipping address of a pending order. Returns the order." + _CONFIRM,
            OrderAddress, writes=True, consequential=True,
        ),
        ShopTool(
            "modify_pending_order_payment",
            "Pay a pending order with another of the user's payment methods; the original one is refunded "
            "(a gift card at once, otherwise in 5-7 business days). Returns the order." + _CONFIRM,
            Payment, writes=True, consequential=True, moves_money=True,
        ),
        ShopTool(
            "modify_pending_order_items",
            "Change items of a pending order to other variants of the same products; the price difference is "
            "charged or refunded to the given payment method. Can be done once per order (the status becomes "
            "'pending (item modified)'): collect every item first. Returns the order." + _CONFIRM,
            ItemSwap, writes=True, consequential=True, moves_money=True,
        ),
        ShopTool(
            "return_delivered_order_items",
            "Return items of a delivered order; the status becomes 'return requested' and the user gets an email "
            "on how to send them back. The refund goes to the original payment method or a gift card. Returns the "
            "order." + _CONFIRM,
            Return, writes=True, consequential=True, moves_money=True,
        ),
        ShopTool(
            "exchange_delivered_order_items",
            "Exchange items of a delivered order for other variants of the same products; the status becomes "
            "'exchange requested' and the price difference is paid or refunded with the given payment method. "
            "Return or exchange can be done once per order: collect every item first. Returns the order." + _CONFIRM,
            ItemSwap, writes=True, consequential=True, moves_money=True,
        ),
        ShopTool(
            "modify_user_address",
            "Change a user's default address. Returns the user's profile." + _CONFIRM,
            UserAddress, writes=True, consequential=True,
        ),
        ShopTool(
            "transfer_to_human_agents",
            "Hand the user to a human agent with a summary of the issue: only when the user asks for one or the "
            "request cannot be handled with these tools.",
            HandOver,
        ),
        ShopTool("think", "Think something through; it reads and changes nothing.", Thought),
        ShopTool("calculate", "The value of an arithmetic expression, rounded to cents.", Expression),
    )
}

USER_SCOPED = frozenset(
    {"get_user_details", "get_order_details", "modify_user_address"}
    | {name for name, tool in TOOLS.items() if tool.writes}
)
"""Tools that read or change one user's records: only for the user the conversation identified."""

LOOKUPS = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip"})
"""Tools that identify the user."""
