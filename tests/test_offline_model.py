"""The offline model through LiteLLM's real call path: planned tool calls, grounded replies, streaming."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Callable

import pytest

import support_tui.core.offline_env  # noqa: F401

import litellm

from support_tui.core.llm.offline import PROVIDER, OfflineSupportModel, register_offline_provider
from support_tui.core.llm.offline.entities import extract
from support_tui.core.settings import OFFLINE_MODEL
from support_tui.core.shop import CustomerSummary
from support_tui.core.specialists import default_team
from support_tui.core.turn.meta_tools import META_TOOLS
from support_tui.core.turn.prompts import system_prompt
from support_tui.shops import offline_skill
from support_tui.shops.northwind.tools import SPECIALIST_TOOLS, TOOLS

register_offline_provider(offline_skill)

ToolResult = dict[str, Any]


TODAY = "2026-11-26"
"""The shop's day in these prompts: the tool results below are dated around it."""


def tools_for(specialist: str) -> list[dict[str, Any]]:
    """What the engine offers a specialist: the shop's tools for it, then the engine's transfer and escalate."""
    own = ("transfer_to_specialist", "escalate_to_human") if default_team()[specialist].routable else ("escalate_to_human",)
    return [({**TOOLS, **META_TOOLS})[name].schema() for name in (*SPECIALIST_TOOLS[specialist], *own)]


def system(specialist: str, *extra: str, snippets: tuple[str, ...] = (), memory: tuple[str, ...] = ()) -> dict:
    """The engine's system prompt for this specialist (prompts.system_prompt), with extra context lines."""
    offered = [t["function"]["name"] for t in tools_for(specialist)]
    prompt = system_prompt(
        default_team()[specialist], shop_title="Northwind Goods", shop="northwind",
        customer=CustomerSummary(id="cust_12345", name="Sarah Johnson", tier="premium"), mode="autonomous",
        escalated=specialist == "escalation_manager", today=date.fromisoformat(TODAY),
        confirm_tools=[n for n in offered if n in TOOLS and TOOLS[n].consequential], memories=memory,
    )
    context, sep, rest = prompt.partition("\nroute_clarify: false")
    if any(line.startswith("route_clarify:") for line in extra):
        sep = ""
    sections = [context + sep + "".join(f"\n{line}" for line in extra) + rest]
    if snippets:
        sections.append("## Knowledge base\n" + "\n".join(snippets))
    return {"role": "system", "content": "\n\n".join(sections)}


def proposal(tool: str, arguments: dict[str, Any], summary: str, amount: float | None = None) -> str:
    """A ``pending_proposal`` context line as the engine writes it: the exact call and the shop's quote."""
    return "pending_proposal: " + json.dumps({"call": {"tool": tool, "arguments": arguments},
                                              "quote": {"action": tool, "summary": summary, "amount": amount}})


def ok(result: Any) -> ToolResult:
    return {"status": "ok", "result": result, "error": None, "rule": None}


def not_ok(status: str, error: str, rule: str | None = None) -> ToolResult:
    return {"status": status, "result": None, "error": error, "rule": rule}


async def call(messages: list[dict], tools: list[dict] | None, stream: bool = False):
    """One model call; returns (tool calls as dicts, text, finish_reason, response)."""
    kwargs = {"tools": tools} if tools else {}
    if stream:
        chunks = [c async for c in await litellm.acompletion(model=OFFLINE_MODEL, messages=messages,
                                                             stream=True, **kwargs)]
        assert len(chunks) >= 2
        response = litellm.stream_chunk_builder(chunks, messages=messages)
    else:
        response = await litellm.acompletion(model=OFFLINE_MODEL, messages=messages, **kwargs)
    choice = response.choices[0]
    calls = [{"id": c.id, "name": c.function.name, "arguments": json.loads(c.function.arguments)}
             for c in choice.message.tool_calls or []]
    return calls, choice.message.content or "", choice.finish_reason, response


async def run(messages: list[dict], tools: list[dict], answer: Callable[[str, dict], ToolResult],
              stream: bool = False) -> tuple[list[dict], str, list[dict]]:
    """The engine's loop in miniature: model -> tools -> model, until the model replies."""
    made: list[dict] = []
    for _ in range(6):
        calls, text, finish, _ = await call(messages, tools, stream)
        if not calls:
            assert finish == "stop"
            return made, text, messages
        assert finish == "tool_calls"
        messages = messages + [{"role": "assistant", "content": None, "tool_calls": [
            {"id": c["id"], "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}} for c in calls]}]
        for c in calls:
            made.append(c)
            messages.append({"role": "tool", "tool_call_id": c["id"], "name": c["name"],
                             "content": json.dumps(answer(c["name"], c["arguments"]))})
    raise AssertionError("the model never replied")


TRACK_TEXT = "Hi, I need to track my order #ORD-67890. When will it arrive?"
TRACKING = {"order_id": "ORD-67890", "status": "shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456784",
            "estimated_delivery": "2026-11-28",
            "events": [{"at": "2026-11-24T08:00:00", "location": "Memphis, TN", "description": "Departed facility"}]}
ORDER = {"order": {"order_id": "ORD-67890", "status": "shipped", "total": 249.99, "currency": "USD",
                   "items": [{"sku": "AUR-HP-BLK", "name": "Aurora Wireless Headphones", "quantity": 1, "price": 249.99}]}}


def tracking_answer(name: str, arguments: dict) -> ToolResult:
    return ok({"track_shipment": TRACKING, "lookup_order": ORDER}[name])


@pytest.mark.parametrize("stream", [False, True])
async def test_tracking_question_plans_track_shipment(stream: bool) -> None:
    messages = [system("order_tracking"), {"role": "user", "content": TRACK_TEXT}]
    calls, text, finish, _ = await call(messages, tools_for("order_tracking"), stream)
    assert finish == "tool_calls" and text == ""
    assert calls[0]["name"] == "track_shipment"
    assert calls[0]["arguments"] == {"order_id": "ORD-67890"}
    assert all(re.fullmatch(r"call_\d+", c["id"]) for c in calls)


@pytest.mark.parametrize("stream", [False, True])
async def test_tracking_reply_quotes_tracking_number_and_delivery_date(stream: bool) -> None:
    messages = [system("order_tracking"), {"role": "user", "content": TRACK_TEXT}]
    made, reply, _ = await run(messages, tools_for("order_tracking"), tracking_answer, stream)
    assert [c["name"] for c in made] == ["track_shipment", "lookup_order"]
    assert "1Z999AA10123456784" in reply and "on Saturday 28 November" in reply and "UPS" in reply
    assert "Aurora Wireless Headphones" in reply and "2026-11-28" not in reply and "on its way" in reply


async def test_streamed_tool_calls_reassemble_to_the_plain_ones() -> None:
    messages = [system("order_tracking"), {"role": "user", "content": TRACK_TEXT}]
    plain = await call(messages, tools_for("order_tracking"))
    streamed = await call(messages, tools_for("order_tracking"), stream=True)
    assert streamed[0] == plain[0]
    assert streamed[2] == "tool_calls"


async def test_streamed_reply_arrives_in_pieces_and_matches_the_plain_reply() -> None:
    messages = [system("technical_support"), {"role": "user", "content": "The app keeps crashing."}]
    chunks = [c async for c in await litellm.acompletion(model=OFFLINE_MODEL, messages=messages, stream=True)]
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3
    assert all(len(p.split()) <= 3 for p in pieces)
    _, plain, _, _ = await call(messages, None)
    assert "".join(pieces) == plain


async def test_usage_is_estimated_and_free() -> None:
    messages = [system("order_tracking"), {"role": "user", "content": TRACK_TEXT}]
    _, _, _, response = await call(messages, tools_for("order_tracking"))
    assert response.usage.prompt_tokens > 100 and response.usage.completion_tokens > 0
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens


ORDERS = {"orders": [
    {"order_id": "ORD-11111", "status": "delivered", "placed_at": "2026-11-01", "total": 59.0,
     "items": ["Trailblazer Jacket"], "delivered_at": "2026-11-05"},
    {"order_id": "ORD-22222", "status": "delivered", "placed_at": "2026-10-20", "total": 24.99,
     "items": ["Slim Phone Case"], "delivered_at": "2026-10-25"},
]}
ELIGIBLE = {"order_id": "ORD-22222", "eligible": True, "reason": "Delivered 12 days ago, within the 30-day return window.",
            "days_since_delivery": 12, "window_days": 30, "refundable_amount": 24.99,
            "items": [{"sku": "CASE-SLIM-BLU", "name": "Slim Phone Case", "quantity": 1, "price": 24.99}]}
QUOTE = {"action": "return for a refund", "order_id": "ORD-22222", "amount": 24.99, "currency": "USD",
         "lines": [{"name": "Slim Phone Case", "quantity": 1, "amount": 24.99}],
         "summary": "I'll start a return of the Slim Phone Case from order ORD-22222; $24.99 goes back to your card."}
CONFIRM = {"status": "blocked", "result": {"proposal": QUOTE}, "rule": "customer_confirmation",
           "error": "Not done yet. Tell the customer exactly what will happen and ask them to confirm."}
RMA = {"rma_id": "RMA-4821", "status": "label_sent", "label_url": "https://labels.example/RMA-4821",
       "order_id": "ORD-22222", "kind": "refund", "amount": 24.99}


@pytest.mark.parametrize("stream", [False, True])
async def test_return_flow_asks_to_confirm_then_creates_the_return_on_yes(stream: bool) -> None:
    def first_turn(name: str, arguments: dict) -> ToolResult:
        if name == "create_return":
            return CONFIRM
        return ok({"list_orders": ORDERS, "check_return_eligibility": ELIGIBLE}[name])

    text = "My phone case arrived defective, I'd like to return it for a refund."
    tools = tools_for("returns_refunds")
    made, reply, _ = await run([system("returns_refunds"), {"role": "user", "content": text}], tools, first_turn, stream)
    assert [c["name"] for c in made] == ["list_orders", "check_return_eligibility", "create_return"]
    assert made[1]["arguments"] == {"order_id": "ORD-22222"}
    proposal = made[2]["arguments"]
    assert proposal == {"order_id": "ORD-22222", "reason": "defective", "kind": "refund", "skus": ["CASE-SLIM-BLU"]}
    # The confirmation is the shop's quote, whole, then one yes/no question.
    assert QUOTE["summary"] in reply and reply.endswith("Shall I go ahead?") and reply.count("$") == 1

    pending = proposal_line = globals()["proposal"]("create_return", proposal, QUOTE["summary"], 24.99)
    history = [system("returns_refunds", pending), {"role": "user", "content": text},
               {"role": "assistant", "content": reply}, {"role": "user", "content": "Yes, go ahead."}]
    made, reply, _ = await run(history, tools, lambda name, arguments: ok(RMA), stream)
    assert [(c["name"], c["arguments"]) for c in made] == [("create_return", proposal)]
    assert "RMA-4821" in reply and "$24.99" in reply and "https://labels.example/RMA-4821" in reply

    # What the knowledge base returns for "yes" is noise: the confirmation quotes none of it.
    snippet = ("[kb:price-match#1] Price match: To ask for a price match on a phone case, contact support; "
               "a refund of the difference arrives within 14 days.")
    history[0] = system("returns_refunds", proposal_line, snippets=(snippet,))
    made, reply, _ = await run(history, tools, lambda name, arguments: ok(RMA), stream)
    assert "RMA-4821" in reply and "price" not in reply.lower() and "match" not in reply


async def test_a_return_naming_a_product_finds_its_order_not_the_one_tracked_earlier() -> None:
    """The seed scenarios played in one conversation: a tracking question about ORD-67890 (the
    headphones), then a defective phone case. The return is for the order holding the case."""
    def answer(name: str, arguments: dict) -> ToolResult:
        if name == "create_return":
            return CONFIRM
        return ok({"list_orders": ORDERS, "check_return_eligibility": ELIGIBLE}[name])

    history = [system("returns_refunds"), {"role": "user", "content": TRACK_TEXT},
               {"role": "assistant", "content": "Your order ORD-67890 has shipped with UPS."},
               {"role": "user", "content": "I received a defective phone case and want to return it for a refund"}]
    made, reply, _ = await run(history, tools_for("returns_refunds"), answer)
    assert [c["name"] for c in made] == ["list_orders", "check_return_eligibility", "create_return"]
    assert made[1]["arguments"] == {"order_id": "ORD-22222"}
    assert "ORD-67890" not in reply


async def test_a_declined_proposal_calls_nothing() -> None:
    pending = proposal("cancel_order", {"order_id": "ORD-11111", "reason": "customer request"}, "I'll cancel order ORD-11111.")
    messages = [system("order_tracking", pending), {"role": "user", "content": "No, leave it."}]
    calls, reply, _, _ = await call(messages, tools_for("order_tracking"))
    assert calls == [] and "I won't go ahead, so order ORD-11111 stays as it is" in reply


PRODUCT = {"product": {"product_id": "P-1001", "name": "Aurora Wireless Headphones", "price": 249.99, "stock": 14,
                       "specs": {"bluetooth": "5.3", "battery_hours": 30, "noise_cancelling": True, "foldable": False},
                       "compatibility": ["iOS", "Android", "Bluetooth 5.0+ devices"], "warranty_months": 24}}


async def test_product_compatibility_answer_comes_from_the_product_record() -> None:
    def answer(name: str, arguments: dict) -> ToolResult:
        if name == "list_orders":
            return ok(ORDERS)  # the customer owns no headphones: the catalogue answers
        if name == "search_products":
            return ok({"products": [{"product_id": "P-2002", "name": "Studio Headphones Cable", "price": 19.0},
                                    {"product_id": "P-1001", "name": "Aurora Wireless Headphones", "price": 249.99}]})
        return ok(PRODUCT)

    text = "Will the Aurora headphones work with my iPhone?"
    made, reply, _ = await run([system("product_info"), {"role": "user", "content": text}],
                               tools_for("product_info"), answer)
    assert [c["name"] for c in made] == ["list_orders", "search_products", "get_product"]
    assert made[1]["arguments"]["query"] == "Aurora headphones"  # the named model narrows the search
    assert made[2]["arguments"] == {"product_id": "P-1001"}
    assert reply.count("Yes — the Aurora Wireless Headphones work with iPhone") == 1
    assert "iOS, Android" in reply and "True" not in reply and "ORD-" not in reply
    # What was asked, not the spec sheet: a compatibility question gets no warranty or battery lines.
    assert "warranty" not in reply and "battery" not in reply


CASE = {"product_id": "P-1043", "name": "Shell Case for iPhone 15", "price": 24.0, "compatibility": ["iPhone 15", "MagSafe"]}
AURORA = {"product_id": "P-1001", "name": "Aurora Wireless Headphones", "price": 249.99,
          "compatibility": ["iPhone 15", "iOS 16+", "Android 10+"]}


async def _ask_about_products(text: str) -> tuple[list[dict], str]:
    """A product question where the catalogue holds the headphones and an iPhone 15 case (the customer owns neither)."""
    def answer(name: str, arguments: dict) -> ToolResult:
        if name == "list_orders":
            return ok(ORDERS)
        if name == "search_products":
            return ok({"products": [AURORA, CASE]})
        return ok({"product": CASE if arguments.get("product_id") == "P-1043" else AURORA})

    made, reply, _ = await run([system("product_info"), {"role": "user", "content": text}], tools_for("product_info"), answer)
    return made, reply


@pytest.mark.parametrize(("text", "product", "says"), [
    # A case lists exact models: only the very model fits, and another one is said not to.
    ("Will the shell case fit my iPhone 15 Pro?", "P-1043", "No — the Shell Case for iPhone 15 is made for the iPhone 15, not the iPhone 15 Pro"),
    ("Will the shell case fit my iPhone 15?", "P-1043", "Yes — the Shell Case for iPhone 15 works with the iPhone 15"),
    # Headphones list wider entries too ("iOS 16+"): an older iPhone is not refused. The device model named
    # does not choose the product: the headphones are asked about, not the iPhone 15 case.
    ("Do the Aurora headphones work with my iPhone 13?", "P-1001", "Yes — the Aurora Wireless Headphones work with iPhone"),
    ("does the aurora work with my iphone 15", "P-1001", "Yes — the Aurora Wireless Headphones work with the iPhone 15"),
])
async def test_compatibility_is_answered_for_the_exact_device_model(text: str, product: str, says: str) -> None:
    made, reply = await _ask_about_products(text)
    assert (made[-1]["name"], made[-1]["arguments"]) == ("get_product", {"product_id": product}), made
    assert says in reply, reply


KB_APP = ("[kb:mobile-app-troubleshooting#0] Mobile app troubleshooting: If the app closes when you log in, first "
          "update it from your app store. Then restart your phone. If it still closes, clear the app's cache.")


async def test_technical_support_reply_quotes_the_knowledge_base_in_whole_sentences() -> None:
    messages = [system("technical_support", snippets=(KB_APP,)),
                {"role": "user", "content": "The app crashes every time I log in."}]
    made, reply, _ = await run(messages, tools_for("technical_support"), lambda n, a: ok({}))
    assert made == []
    assert "If the app closes when you log in, first update it from your app store. Then restart your phone." in reply
    # Prose is not cut into invented steps, and no sentence is quoted from its middle.
    assert "1." not in reply and reply.count("first update it") == 1


async def test_forgotten_password_sends_a_reset_link() -> None:
    messages = [system("technical_support"), {"role": "user", "content": "I forgot my password and can't log in"}]
    made, reply, _ = await run(messages, tools_for("technical_support"),
                               lambda n, a: ok({"sent_to": "s***@example.com", "kind": "password_reset",
                                                "expires_in_minutes": 30}))
    assert made == [{"id": "call_1", "name": "send_login_link", "arguments": {"kind": "password_reset"}}]
    assert "s***@example.com" in reply and "30 minutes" in reply


async def test_duplicate_charge_is_named_and_its_refund_proposed() -> None:
    charges = {"charges": [{"charge_id": "ch_1", "order_id": "ORD-33333", "amount": 249.99, "created_at": "2026-11-20T10:00:00"},
                           {"charge_id": "ch_2", "order_id": "ORD-33333", "amount": 249.99, "created_at": "2026-11-20T10:02:00"}],
               "duplicates": [{"order_id": "ORD-33333", "charge_ids": ["ch_1", "ch_2"], "amount": 249.99}],
               "summary": "2 charge(s)."}

    quote = {"action": "refund", "order_id": "ORD-33333", "amount": 249.99,
             "summary": "I'll refund $249.99 on order ORD-33333 to your Visa ending 4242."}

    def answer(name: str, arguments: dict) -> ToolResult:
        if name == "issue_refund":
            return {"status": "blocked", "result": {"proposal": quote}, "error": "Not done yet.", "rule": "customer_confirmation"}
        return ok(charges)

    messages = [system("billing_payment"), {"role": "user", "content": "I was charged twice for the same order!"}]
    made, reply, _ = await run(messages, tools_for("billing_payment"), answer)
    assert [c["name"] for c in made] == ["explain_charges", "issue_refund"]
    assert made[1]["arguments"] == {"order_id": "ORD-33333", "amount": 249.99, "reason": "duplicate charge"}
    assert "$249.99 twice on Friday 20 November" in reply and "2026-11-20" not in reply
    assert quote["summary"] in reply and reply.endswith("Shall I go ahead?")


@pytest.mark.parametrize(("outcome", "expected"), [
    (not_ok("error", "Order ORD-99999 was not found for this customer."),
     "I couldn't find order ORD-99999 on your account. Could you double-check the number"),
    (not_ok("pending_approval", "Amount above the approval threshold.", "human_approval"), "needs a colleague's approval"),
    (not_ok("blocked", "ORD-99999 was delivered 45 days ago; returns are accepted within 30 days of delivery.",
            "return_window"), "order ORD-99999 can't be refunded because it is outside our return window"),
])
async def test_policy_outcomes_are_explained(outcome: ToolResult, expected: str) -> None:
    messages = [system("returns_refunds"), {"role": "user", "content": "Please refund $80 for order ORD-99999"}]
    made, reply, _ = await run(messages, tools_for("returns_refunds"), lambda n, a: outcome)
    assert made[0]["name"] == "issue_refund" and made[0]["arguments"]["amount"] == 80.0
    assert expected in reply and reply.count("?") <= 1
    assert "45 days ago;" not in reply and "approval threshold" not in reply  # the rule's wording is for the model


async def test_a_message_for_another_specialist_is_transferred() -> None:
    messages = [system("order_tracking"), {"role": "user", "content": "Why was I charged twice this month?"}]
    calls, _, _, _ = await call(messages, tools_for("order_tracking"))
    assert [(c["name"], c["arguments"]["agent"]) for c in calls] == [("transfer_to_specialist", "billing_payment")]


async def test_route_clarify_asks_one_question_naming_both_options() -> None:
    messages = [system("order_tracking", "route_clarify: true", "route_options: order_tracking, billing_payment"),
                {"role": "user", "content": "Something is wrong with my order"}]
    messages[0]["content"] = messages[0]["content"].replace("route_clarify: false\n", "")
    calls, reply, _, _ = await call(messages, tools_for("order_tracking"))
    assert calls == []
    assert "is this about an order's delivery or a charge or payment?" in reply and reply.count("?") == 1


async def test_escalated_reply_summarises_and_hands_over() -> None:
    escalation = json.dumps({"rule": "negative_trend", "reason": "customer upset", "priority": "high"})
    messages = [system("escalation_manager", f"escalation: {escalation}"),
                {"role": "user", "content": "This is ridiculous, you charged me twice for ORD-33333!"}]
    made, reply, _ = await run(messages, tools_for("escalation_manager"),
                               lambda n, a: ok(ORDER if n == "lookup_order" else {"duplicates": [], "summary": "1 charge(s)."}))
    assert {c["name"] for c in made} == {"lookup_order", "explain_charges"}
    assert "sorry" in reply and "human colleague" in reply and "high priority" in reply
    assert "Aurora Wireless Headphones" in reply and "ORD-67890" in reply  # the facts gathered for the hand-over


async def test_account_change_with_and_without_the_new_value() -> None:
    account = ok({"customer": {"name": "Sarah Johnson", "email": "sarah@example.com"}})
    tools = tools_for("account_management")
    messages = [system("account_management"), {"role": "user", "content": "Please change my email to sj@new.example"}]
    made, _, _ = await run(messages, tools, lambda n, a: account)
    assert [c["name"] for c in made] == ["get_account", "update_account"]
    assert made[1]["arguments"] == {"field": "email", "value": "sj@new.example"}
    messages = [system("account_management"), {"role": "user", "content": "I need to change my phone number"}]
    made, reply, _ = await run(messages, tools, lambda n, a: account)
    assert [c["name"] for c in made] == ["get_account"] and "What should the new phone number be?" in reply


async def test_same_input_gives_the_same_output() -> None:
    messages = [system("returns_refunds", snippets=(KB_APP,)), {"role": "user", "content": "Return my jacket please"}]
    first = await call(messages, tools_for("returns_refunds"))
    second = await call(messages, tools_for("returns_refunds"))
    assert first[:3] == second[:3] and first[3].id == second[3].id
    made_a, reply_a, _ = await run(messages, tools_for("returns_refunds"), lambda n, a: ok(ORDERS))
    made_b, reply_b, _ = await run(messages, tools_for("returns_refunds"), lambda n, a: ok(ORDERS))
    assert (made_a, reply_a) == (made_b, reply_b)


NO_FACTS = [
    ("order_tracking", "Where is my package? It's been ages."),
    ("returns_refunds", "I want to send something back"),
    ("product_info", "Do you have anything good for running?"),
    ("billing_payment", "There is a weird charge on my card"),
    ("technical_support", "The checkout page shows an error"),
    ("account_management", "I'd like to update my details"),
    ("order_tracking", "Order 4471 still hasn't come after 12 days"),
    ("escalation_manager", "I am furious and want a manager"),
]


@pytest.mark.parametrize(("specialist", "text"), NO_FACTS)
@pytest.mark.parametrize("stream", [False, True])
async def test_without_facts_the_reply_invents_no_numbers(specialist: str, text: str, stream: bool) -> None:
    messages = [system(specialist), {"role": "user", "content": text}]
    calls, reply, finish, _ = await call(messages, None, stream)
    assert calls == [] and finish == "stop"
    assert reply.strip()
    given = set(re.findall(r"\d", json.dumps(messages)))
    assert set(re.findall(r"\d", reply)) <= given, reply


@pytest.mark.parametrize(("specialist", "text"), NO_FACTS)
async def test_every_reply_is_non_empty_even_when_every_tool_fails(specialist: str, text: str) -> None:
    messages = [system(specialist), {"role": "user", "content": text}]
    _, reply, _ = await run(messages, tools_for(specialist), lambda n, a: not_ok("error", "Service unavailable."))
    assert reply.strip()


def test_order_ids_are_normalised_from_every_way_customers_write_them() -> None:
    assert extract("track #ORD-67890").order_ids == ("ORD-67890",)
    assert extract("it's order 67890").order_ids == ("ORD-67890",)
    assert extract("about #67890 and ORD-12345").order_ids == ("ORD-67890", "ORD-12345")
    assert extract("refund 249.99 dollars").amounts == (249.99,)
    assert extract("Please refund 1402.92 for order ORD-70001").amounts == (1402.92,)
    assert extract("yes please").affirmative and extract("no thanks").negative


def test_registration_is_idempotent() -> None:
    first = register_offline_provider()
    second = register_offline_provider()
    assert first is second and isinstance(first, OfflineSupportModel)
    assert [p["provider"] for p in litellm.custom_provider_map].count(PROVIDER) == 1


async def test_a_spec_question_is_answered_from_the_matching_spec() -> None:
    jacket = {"product": {"product_id": "P-3003", "name": "Trailblazer Jacket", "price": 129.0, "stock": 0,
                          "specs": {"material": "recycled nylon", "waterproof": "yes, 10,000 mm rating"}}}

    def answer(name: str, arguments: dict) -> ToolResult:
        if name == "list_orders":
            return ok(ORDERS)  # Sarah bought the Trailblazer Jacket: hers is the one asked about
        if name == "search_products":
            return ok({"products": [{"product_id": "P-3003", "name": "Trailblazer Jacket"}]})
        return ok(jacket)

    messages = [system("product_info"), {"role": "user", "content": "Is the Trailblazer jacket waterproof?"}]
    made, reply, _ = await run(messages, tools_for("product_info"), answer)
    assert [c["name"] for c in made] == ["list_orders", "search_products", "get_product"]
    assert made[1]["arguments"]["query"] == "Trailblazer Jacket"
    assert "The Trailblazer Jacket listing says: waterproof: yes, 10,000 mm rating." in reply
    # Only the spec asked about: no other specs, no stock line for a question that did not ask.
    assert "material" not in reply and "stock" not in reply


async def test_a_question_is_not_taken_as_a_yes_to_a_pending_proposal() -> None:
    pending = proposal("cancel_order", {"order_id": "ORD-11111", "reason": "customer request"}, "I'll cancel order ORD-11111.")
    messages = [system("order_tracking", pending),
                {"role": "user", "content": "Ok, but where is my other order ORD-22222 right now?"}]
    calls, _, _, _ = await call(messages, tools_for("order_tracking"))
    assert [c["name"] for c in calls] == ["track_shipment", "lookup_order"]
    assert calls[0]["arguments"] == {"order_id": "ORD-22222"}


async def test_a_new_delivery_address_is_parsed_into_the_tool_arguments() -> None:
    text = "Please send order 54321 to 12 Oak Street, Springfield, IL 62704, USA instead."
    calls, _, _, _ = await call([system("order_tracking"), {"role": "user", "content": text}], tools_for("order_tracking"))
    assert calls == [{"id": "call_1", "name": "change_shipping_address", "arguments": {
        "order_id": "ORD-54321", "street": "12 Oak Street", "city": "Springfield", "state": "IL",
        "postal_code": "62704", "country": "USA"}}]


async def test_markdown_in_snippets_becomes_plain_steps() -> None:
    snippet = ("[kb:mobile-app-troubleshooting#1] Mobile app troubleshooting: Crashes: ## The app crashes when "
               "signing in 1. **Update the app** from the App Store or Google Play. Older versions stop working. "
               "2. **Restart your phone.** 3. **Clear the cache.** | Step | Time |")
    messages = [system("technical_support", snippets=(snippet,)), {"role": "user", "content": "The app crashes"}]
    _, reply, _, _ = await call(messages, None)
    assert ("1. Update the app from the App Store or Google Play. Older versions stop working.\n2. Restart your phone."
            "\n3. Clear the cache." in reply)
    assert "#" not in reply and "*" not in reply and "|" not in reply


async def test_a_sentence_that_introduces_a_list_is_not_quoted_without_it() -> None:
    snippet = ("[kb:refund-status#0] Where is my refund: Open **Account > Orders** and choose the order. The return "
               "section shows one of these steps: - **Return started**: we emailed your RMA and label.")
    messages = [system("returns_refunds", snippets=(snippet,)),
                {"role": "user", "content": "Where is my refund? Which steps does the return section show?"}]
    _, reply, _, _ = await call(messages, None)
    assert "one of these steps" not in reply


CASE_RETURNED = {"order_id": "ORD-22222", "eligible": True, "reason": "Delivered 12 days ago, within the 30-day window.",
                 "days_since_delivery": 12, "window_days": 30, "refundable_amount": 14.03,
                 "items": [{"sku": "CB-9003", "name": "Braided USB-C Charging Cable", "quantity": 1, "price": 12.99,
                            "already_returned": False}]}
RETURNS = {"returns": [{"rma_id": "RMA-4821", "order_id": "ORD-22222", "status": "label_sent", "amount": 24.99,
                        "items": [{"sku": "CASE-SLIM-BLU", "name": "Slim Phone Case", "quantity": 1, "price": 24.99}]}],
           "refunds": []}
TWO_ITEMS = {"orders": [{**ORDERS["orders"][1], "items": ["Slim Phone Case", "Braided USB-C Charging Cable"]}]}


async def test_a_named_item_that_already_has_a_return_never_falls_back_to_another_item() -> None:
    """The case was returned; the same request again names its return, it does not propose the cable."""
    answers = {"list_orders": TWO_ITEMS, "check_return_eligibility": CASE_RETURNED, "list_returns": RETURNS}
    text = "I received a defective phone case and want to return it for a refund"
    made, reply, _ = await run([system("returns_refunds"), {"role": "user", "content": text}],
                               tools_for("returns_refunds"), lambda n, a: ok(answers[n]))
    assert [c["name"] for c in made] == ["list_orders", "check_return_eligibility", "list_returns"]
    assert "Slim Phone Case from order ORD-22222 already has a return, number RMA-4821" in reply
    assert "Cable" not in reply and "Shall I go ahead?" not in reply and "label_sent" not in reply


async def test_a_new_question_on_an_escalated_case_is_acknowledged_with_nothing_unrelated() -> None:
    escalation = json.dumps({"rule": "human_requested", "reason": "customer asked for a manager", "priority": "normal",
                             "follow_ups": ["The mobile app keeps crashing when I try to log in"]})
    messages = [system("escalation_manager", f"escalation: {escalation}"),
                {"role": "user", "content": "I was charged twice for ORD-67890, I want to speak to a manager"},
                {"role": "assistant", "content": "Of course — I'm passing you to a colleague."},
                {"role": "user", "content": "The mobile app keeps crashing when I try to log in"}]
    made, reply, _ = await run(messages, tools_for("escalation_manager"), lambda n, a: ok(ORDER))
    assert made == []  # the order and its charges were gathered when the case was escalated
    assert "added your question about the app or website not working to your case" in reply
    assert "ORD-67890" not in reply and "sorry" not in reply.lower()



async def test_a_calm_question_on_a_case_that_began_upset_gets_no_second_apology() -> None:
    escalation = json.dumps({"rule": "vip_negative", "reason": "premium customer with negative sentiment",
                             "priority": "high", "follow_ups": ["Do you ship to Canada?"]})
    messages = [system("escalation_manager", f"escalation: {escalation}"),
                {"role": "user", "content": "Can I return the headphones? They hurt my ears."},
                {"role": "assistant", "content": "I'm sorry this has been so frustrating, and thank you for your patience."},
                {"role": "user", "content": "Do you ship to Canada?"}]
    _, reply, _ = await run(messages, tools_for("escalation_manager"), lambda n, a: ok(ORDER))
    assert "to your case" in reply
    assert "sorry" not in reply.lower() and "frustrating" not in reply.lower()


LATE_AND_TWICE = "my order is late and I was also charged twice"
DOUBLE_CHARGE = {"charges": [{"charge_id": "ch_1", "order_id": "ORD-67890", "amount": 249.99, "created_at": "2026-11-20T10:00:00"},
                             {"charge_id": "ch_2", "order_id": "ORD-67890", "amount": 249.99, "created_at": "2026-11-20T10:02:00"}],
                 "duplicates": [{"order_id": "ORD-67890", "charge_ids": ["ch_1", "ch_2"], "amount": 249.99}]}
REFUND_QUOTE = {"action": "refund", "order_id": "ORD-67890", "amount": 249.99,
                "summary": "I'll refund $249.99 on order ORD-67890 to your Visa ending 4242."}


def billing_and_orders(name: str, arguments: dict) -> ToolResult:
    if name == "issue_refund":
        return {"status": "blocked", "result": {"proposal": REFUND_QUOTE}, "error": "Not done yet.", "rule": "customer_confirmation"}
    if name == "list_orders":
        return ok({"orders": [{**ORDER["order"], "placed_at": "2026-11-20T10:00:00", "estimated_delivery": "2026-11-28"}]})
    if name == "lookup_order":
        return ok({"order": {**ORDER["order"], "carrier": "UPS", "estimated_delivery": "2026-11-28"}})
    return ok(DOUBLE_CHARGE)


def test_a_message_is_split_into_its_requests_each_with_its_specialist() -> None:
    from support_tui.core.llm.offline.parts import split

    assert [(p.text, p.owner) for p in split(LATE_AND_TWICE)] == [
        ("my order is late", "order_tracking"), ("I was also charged twice", "billing_payment")]
    assert [p.owner for p in split("cancel my order, and can you reset my password")] == ["order_tracking", "technical_support"]
    # A piece that asks for nothing of its own stays with the request before it.
    assert [p.text for p in split("return the shoes and socks please")] == ["return the shoes and socks please"]


async def test_two_requests_the_specialist_can_read_are_both_answered_and_the_yes_question_comes_last() -> None:
    messages = [system("billing_payment"), {"role": "user", "content": LATE_AND_TWICE}]
    made, reply, _ = await run(messages, tools_for("billing_payment"), billing_and_orders)
    assert {"explain_charges", "issue_refund", "lookup_order"} <= {c["name"] for c in made}
    assert "$249.99 twice" in reply and "on its way with UPS and should arrive on Saturday 28 November" in reply
    assert reply.endswith("Shall I go ahead?")


async def test_a_request_for_another_specialist_is_named_offered_and_a_yes_takes_it_up() -> None:
    first = [system("order_tracking"), {"role": "user", "content": "Where is my order ORD-67890? Also I was charged twice"}]
    made, reply, _ = await run(first, tools_for("order_tracking"), tracking_answer)
    assert [c["name"] for c in made] == ["track_shipment", "lookup_order"]
    assert "on Saturday 28 November" in reply
    assert reply.endswith("You also asked about being charged twice. "
                          "Shall I pass you to our billing and payment specialist for that now?")
    then = [system("order_tracking"), first[1], {"role": "assistant", "content": reply}, {"role": "user", "content": "yes please"}]
    calls, _, _, _ = await call(then, tools_for("order_tracking"))
    assert [(c["name"], c["arguments"]["agent"]) for c in calls] == [("transfer_to_specialist", "billing_payment")]
    # The specialist it goes to reads the request the yes took up, not the bare "yes please".
    made, reply, _ = await run([system("billing_payment"), *then[1:]], tools_for("billing_payment"), billing_and_orders)
    assert [c["name"] for c in made][:2] == ["explain_charges", "issue_refund"] and "$249.99 twice" in reply


async def test_a_request_waiting_behind_a_confirmation_is_offered_once_the_action_is_done() -> None:
    first = [system("billing_payment"), {"role": "user", "content": "I was charged twice and I want to return the headphones"}]
    _, reply, _ = await run(first, tools_for("billing_payment"), billing_and_orders)
    assert "You also asked about a return. I'll pass you to our returns and refunds specialist for that once this is done." in reply
    assert reply.endswith("Shall I go ahead?")
    call_args = {"order_id": "ORD-67890", "amount": 249.99, "reason": "duplicate charge"}
    then = [system("billing_payment", proposal("issue_refund", call_args, REFUND_QUOTE["summary"], 249.99)),
            first[1], {"role": "assistant", "content": reply}, {"role": "user", "content": "yes"}]
    refunded = ok({"order_id": "ORD-67890", "amount": 249.99, "refund_id": "rf_1"})
    made, reply, _ = await run(then, tools_for("billing_payment"), lambda n, a: refunded)
    assert [c["name"] for c in made] == ["issue_refund"]
    assert reply.endswith("Now for your other question, about a return. "
                          "Shall I pass you to our returns and refunds specialist for that now?")


def test_a_yes_to_a_question_offering_one_order_picks_that_order() -> None:
    from support_tui.core.llm.offline.generic import NO_SKILL
    from support_tui.core.llm.offline.request import offered_order_ids
    from support_tui.core.shop.offline import Request

    offer = ("Order ORD-10001 hasn't been delivered yet, so it can't be returned until it arrives. "
             "Would you like me to return order ORD-10002 (ArmorFlex case)?")
    request = Request(NO_SKILL, latest="yes", offered_order_ids=offered_order_ids(offer), said=extract("yes"))
    assert request.picked_order_id == "ORD-10002"
    asked = "Which order would you like to return: ORD-10002 or ORD-10003?"
    two = Request(NO_SKILL, latest="yes", offered_order_ids=offered_order_ids(asked), said=extract("yes"))
    assert two.picked_order_id is None  # a yes does not choose between two


def test_a_product_variant_in_brackets_reads_inside_a_replys_brackets():
    from support_tui.core.shop.saying import items, product

    assert product("Northwind AeroSound Wireless Headphones (Midnight Black)") == \
        "Northwind AeroSound Wireless Headphones in Midnight Black"
    assert product("Pulse Earbuds earbuds") == "Pulse Earbuds"
    assert items([{"name": "ArmorFlex Case (Clear)", "quantity": 2}]) == "2 x ArmorFlex Case in Clear"
    assert items(["ArmorFlex Case (Black)", "Cable"]) == "ArmorFlex Case in Black and Cable"  # a list_orders line


THREE_ORDERS = {"orders": [
    {"order_id": "ORD-33333", "status": "shipped", "placed_at": "2026-11-20", "total": 89.0,
     "items": ["AeroSound Headphones"]},
    *ORDERS["orders"],
]}


async def under_flow(specialist: str, flow: str, text: str, result: Any) -> tuple[list[dict], str]:
    """One message the intent layer read as ``flow``, every tool answering ``result``: the calls and the reply."""
    lines = ("intent_decision: answer", f"intent: {flow}", f"intent_flow: {flow}")
    made, reply, _ = await run([system(specialist, *lines), {"role": "user", "content": text}],
                               tools_for(specialist), lambda name, arguments: ok(result))
    return made, reply


async def test_a_refund_for_an_item_is_asked_as_its_return() -> None:
    made, reply = await under_flow("returns_refunds", "return_item", "Can I get a refund on an item?", THREE_ORDERS)
    assert [c["name"] for c in made] == ["list_orders"]
    assert "hasn't been delivered yet" in reply and "ORD-33333" in reply
    assert reply.endswith("Would you like me to return order ORD-11111 (Trailblazer Jacket) for a refund?"), reply


async def test_a_product_no_order_holds_is_said_to_be_missing_before_the_choices() -> None:
    made, reply = await under_flow("returns_refunds", "exchange_item", "the boots are too tight, I want a bigger size", THREE_ORDERS)
    assert [c["name"] for c in made] == ["list_orders"]
    assert "I couldn't find boots in your recent orders." in reply, reply
    # What could be exchanged is said, but no offer to act on an order that may not be the one meant.
    assert reply.endswith("Is it in order ORD-11111 (Trailblazer Jacket)?") and "Would you like me" not in reply, reply
    made, reply = await under_flow("returns_refunds", "exchange_item", "the jacket is too tight", THREE_ORDERS)
    assert made[0]["name"] == "list_orders" and made[1]["arguments"].get("order_id") == "ORD-11111", made


async def test_an_exchange_offers_the_orders_still_in_their_window() -> None:
    made, reply = await under_flow("returns_refunds", "exchange_item", "I'd like to swap something for another size", THREE_ORDERS)
    assert [c["name"] for c in made] == ["list_orders"]
    assert "outside our window for exchanges" in reply and "nothing in it can be exchanged until it arrives" in reply
    assert reply.endswith("Would you like me to exchange an item from order ORD-11111 (Trailblazer Jacket)?"), reply


async def test_order_history_lists_every_order_with_no_question_after_it() -> None:
    made, reply = await under_flow("order_tracking", "order_history", "what have I ordered from you?", THREE_ORDERS)
    assert [c["name"] for c in made] == ["list_orders"]
    for oid in ("ORD-33333", "ORD-11111", "ORD-22222"):
        assert f"Your order {oid} (" in reply, reply
    assert "Which of these" not in reply and "Would you like me" not in reply, reply


@pytest.mark.parametrize(("text", "tracked"), [
    ("has my phone case arrived?", "ORD-22222"),                 # the order holding the product named
    ("it says delivered but it isn't here", "ORD-11111"),        # the newest order in the state named
    ("my order hasn't been delivered yet", "ORD-33333"),         # a state denied: the order on its way
    ("where is my order", "ORD-33333"),
])
async def test_a_delivery_question_tracks_the_order_it_is_about(text: str, tracked: str) -> None:
    made, _ = await under_flow("order_tracking", "track_order", text, THREE_ORDERS)
    assert made[0]["name"] == "list_orders" and made[1]["arguments"] == {"order_id": tracked}, made


CHARGES = {"charges": [
    {"charge_id": "ch_1", "order_id": "ORD-33333", "amount": 89.0, "created_at": "2026-11-20T10:00:00", "status": "captured"},
    {"charge_id": "ch_2", "order_id": "ORD-33333", "amount": 89.0, "created_at": "2026-11-20T10:01:00", "status": "captured"},
], "duplicates": [{"order_id": "ORD-33333", "amount": 89.0, "charge_ids": ["ch_1", "ch_2"]}]}


@pytest.mark.parametrize(("text", "lead"), [
    ("I was charged twice for my order", "You're right: order ORD-33333 was charged $89.00 twice"),
    ("can you explain the charges on my account", "I see that order ORD-33333 was charged $89.00 twice"),
])
async def test_a_duplicate_charge_is_agreed_with_only_when_the_customer_said_so(text: str, lead: str) -> None:
    made, reply = await under_flow("billing_payment", "charges", text, CHARGES)
    assert made and made[0]["name"] == "explain_charges", made
    assert lead in reply, reply
