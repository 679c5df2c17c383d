"""The offline model's reply: tool facts, policy outcomes and knowledge-base text, nothing invented."""

from __future__ import annotations

from typing import Any

from .facts import RENDERERS
from .formats import money
from .knowledge import relevant_sentences, steps
from .request import Request, ToolOutcome

TOPICS = {
    "order_tracking": "an order's delivery",
    "returns_refunds": "a return or refund",
    "product_info": "a product's details",
    "billing_payment": "a charge",
    "technical_support": "a problem with the website or app",
    "account_management": "a change to your account",
}
"""How a clarifying question names each specialist's area."""

_POLICY = {
    "return_window": "our return window",
    "cancel_before_shipping": "our rule that orders can only be cancelled before they ship",
    "refund_cap": "our limit on refunds an assistant can issue",
}

_FALLBACK = {
    "order_tracking": "I don't have your order details yet. Could you share the order number from your "
                      "confirmation email? Then I can check where it is.",
    "returns_refunds": "Which order and item would you like help with? If you share the order number, I'll check "
                       "whether it can be returned.",
    "product_info": "I couldn't find that in our catalogue. Could you tell me the product's name?",
    "billing_payment": "Could you tell me which charge or order this is about? Then I'll look into it.",
    "technical_support": "I don't have a guide for this problem yet. Could you tell me what you see, including any "
                         "error message, and whether it happens on the website or in the app?",
    "account_management": "Could you tell me what you'd like to change on your account, and the new value?",
}
_LOOKUPS = {
    "lookup_order": "look up order {oid}",
    "list_orders": "look up your orders",
    "track_shipment": "check the tracking of order {oid}",
    "search_products": "search our catalogue",
    "get_product": "open that product's details",
    "check_return_eligibility": "check whether order {oid} can be returned",
    "list_returns": "look up your returns and refunds",
    "explain_charges": "look up your charges",
    "get_billing_history": "look up your billing history",
    "get_account": "open your account details",
    "transfer_to_specialist": "pass you to another specialist",
}
_RETRY = "Could you try again in a moment, or would you like me to pass this to a human colleague?"
_DEFAULT_FALLBACK = "I don't have enough information to answer that yet. Could you share a bit more detail?"


def describe_action(name: str, arguments: dict[str, Any]) -> str:
    """What a tool call would do, in words the customer can say yes to."""
    oid = arguments.get("order_id")
    if name == "create_return":
        items = f" (items {', '.join(map(str, arguments['skus']))})" if arguments.get("skus") else ""
        reason = f", reason: {arguments['reason']}" if arguments.get("reason") else ""
        return f"start a {arguments.get('kind', 'refund')} return for order {oid}{items}{reason}"
    if name == "issue_refund":
        return f"refund {money(arguments.get('amount'))} for order {oid}"
    if name == "cancel_order":
        return f"cancel order {oid}"
    if name == "change_shipping_address":
        parts = [str(arguments[k]) for k in ("street", "city", "state", "postal_code", "country") if arguments.get(k)]
        return f"change the delivery address of order {oid} to {', '.join(parts)}"
    if name == "update_account":
        return f"change the {arguments.get('field', 'details')} on your account to {arguments.get('value')}"
    if name == "send_login_link":
        return "send a sign-in link to the email on your account"
    if name == "escalate_to_human":
        return "pass your case to a human colleague"
    phrase = _LOOKUPS.get(name)
    if phrase:
        return phrase.format(oid=oid or "")
    if oid:
        return f"{name.replace('_', ' ')} for order {oid}"
    return name.replace("_", " ")


def policy_outcome(o: ToolOutcome) -> list[str]:
    """Sentences for a call that was blocked, is waiting for approval, or failed."""
    action = describe_action(o.name, o.arguments)
    if o.status == "blocked" and o.rule == "customer_confirmation":
        return [f"Before I go ahead: I'll {action}. Please reply yes to confirm, or no to leave it as it is."]
    if o.status == "blocked":
        policy = _POLICY.get(str(o.rule), "our store policy")
        why = f" {_sentence(o.error)}" if o.error else ""
        return [f"I can't {action} because of {policy}.{why}"]
    if o.status == "pending_approval":
        return [f"I've asked to {action}. This needs a supervisor's approval first, and you'll hear back from us "
                "once they've reviewed it."]
    if o.status in ("error", "missing"):
        return _failures([o])
    return []


def _sentence(text: Any) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def clarify(request: Request) -> str:
    options = [o for o in request.route_options if o in TOPICS][:2] or ["order_tracking", "billing_payment"]
    if len(options) == 1:
        options.append("billing_payment" if options[0] != "billing_payment" else "order_tracking")
    return (f"{_greeting(request)} Just so I help with the right thing: is this about {TOPICS[options[0]]} "
            f"or about {TOPICS[options[1]]}?")


def _greeting(request: Request) -> str:
    name = request.customer_first_name
    if request.earlier_user:
        return f"Thanks, {name}." if name else "Thanks."
    return f"Hi {name}." if name else "Hello."


def _failures(outcomes: list[ToolOutcome]) -> list[str]:
    """Failed calls sharing one error become one sentence: "I couldn't A or B: why."."""
    by_error: dict[str, list[str]] = {}
    for o in outcomes:
        by_error.setdefault(str(o.error or ""), []).append(describe_action(o.name, o.arguments))
    out = []
    for error, actions in by_error.items():
        out.append(f"I couldn't {' or '.join(dict.fromkeys(actions))}" + (f": {_sentence(error)}" if error else "."))
        if "not found" in error.lower() and any(o.arguments.get("order_id") for o in outcomes):
            out.append("Could you double-check the order number? It's in your order confirmation email.")
    return out


def _outcome_sentences(request: Request) -> list[str]:
    out: list[str] = []
    shown_list = any(o.ok and o.name not in ("list_orders", "get_account") for o in request.outcomes)
    errors = [o for o in request.outcomes if o.status in ("error", "missing")]
    for o in request.outcomes:
        if o in errors:
            if o is errors[0]:
                out.extend(_failures(errors))
        elif o.ok:
            if o.name == "list_orders" and shown_list:
                continue
            if o.name == "search_products" and request.last("get_product"):
                continue
            render = RENDERERS.get(o.name)
            out.extend(render(o, request) if render else [])
        else:
            out.extend(policy_outcome(o))
    return out


def _knowledge(request: Request) -> list[str]:
    if not request.snippets or request.escalated:
        return []
    if request.specialist == "technical_support":
        found = steps(request.snippets[0])
        if not found:
            return []
        title = request.snippets[0].title or "our help centre"
        numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(found, start=1))
        return [f"From our guide \"{title}\":\n{numbered}"]
    sentences = relevant_sentences(request)
    return [" ".join(sentences)] if sentences else []


def _ask(request: Request) -> str | None:
    """The one question to ask when an account change lacks its value or an order could not be chosen."""
    found = request.said.intents
    if request.specialist == "account_management" and not request.last("update_account"):
        for intent, field in (("change_email", "email address"), ("change_phone", "phone number"),
                              ("change_name", "name"), ("change_address", "address")):
            if intent in found:
                return f"What should the new {field} be? Once you tell me, I'll update it."
    listed = request.last("list_orders")
    if listed and listed.ok and listed.value("orders") and len(request.outcomes) == 1:
        return "Which of these orders is it about?"
    return None


def write_reply(request: Request) -> str:
    """The full reply text for this request, grounded in its tool results and snippets."""
    proposal = request.pending_proposal
    if proposal and request.said.negative and not request.outcomes:
        action = describe_action(str(proposal.get("name")), dict(proposal.get("arguments") or {}))
        return f"{_greeting(request)} No problem — I won't {action}. Is there anything else I can help with?"
    if request.route_clarify and not request.outcomes:
        return clarify(request)
    body = _outcome_sentences(request)
    # A yes to a proposal carries no question of its own: the help-centre text retrieved for "yes"
    # is whatever happened to be nearest (a price-match policy after a return was created).
    knowledge = [] if proposal and request.said.affirmative else _knowledge(request)
    question = _ask(request)
    parts = [_greeting(request)]
    if request.escalated:
        parts += _handing_over(request, body)
        priority = (request.escalation or {}).get("priority")
        if priority:
            parts.append(f"Your case is marked {priority} priority.")
        return _join(parts)
    # A request for the customer's yes goes last, after the facts and the help-centre text.
    confirm = [b for b in body if "reply yes" in b]
    parts += [b for b in body if b not in confirm] + knowledge + confirm
    if question:
        parts.append(question)
    oid = (request.said.order_ids or request.remembered.order_ids or ("",))[0]
    if not body and not knowledge and not question:
        if oid and request.specialist in ("order_tracking", "returns_refunds", "billing_payment"):
            parts += [f"I can't look up order {oid} from here right now.", _RETRY]
        else:
            parts.append(_FALLBACK.get(request.specialist, _DEFAULT_FALLBACK))
    elif any(o.status in ("error", "missing") for o in request.outcomes) and not any(o.ok for o in request.outcomes):
        parts.append(_RETRY)
    elif not question and not any(p.rstrip().endswith("?") or "reply yes" in p for p in parts):
        parts.append("Is there anything else I can help with?")
    return _join(parts)


_UPSET_RULES = ("negative_sentiment", "vip_negative", "abusive", "policy_blocked", "repeated_failure")
"""Escalations that mean the customer has had a hard time: the hand-over starts with an apology."""


def _handing_over(request: Request, body: list[str]) -> list[str]:
    """The hand-over to a person: an apology only for an upset customer, a plain "of course" for a calm request."""
    from support_tui.core.sentiment import score_message

    rule = (request.escalation or {}).get("rule")
    compound, signals = score_message(request.latest) if request.latest else (0.0, [])
    upset = rule in _UPSET_RULES or compound <= -0.3 or bool(
        {"frustration_phrase", "shouting", "repeated_contact", "abuse"} & set(signals))
    if upset:
        return ["I'm sorry this has been so frustrating, and thank you for your patience.",
                *(body or ["I've noted everything you've told me."]),
                "A human colleague will take over from here with everything gathered so far, so you won't "
                "need to explain it again."]
    if rule is None:  # a later message in a case a person already has
        opening = "A colleague has your case and will reply here."
    elif rule in ("human_requested", "manual"):
        opening = "Of course — I'm passing you to a colleague."
    else:
        opening = "Thank you for telling me — I'm passing this to a colleague."
    return [opening, *body, "They'll have everything gathered so far, so you won't need to explain it again."]


def _join(parts: list[str]) -> str:
    """Sentences run on one line; a multi-line block (numbered steps) gets lines of its own."""
    text, previous_block = "", False
    for part in (p.strip() for p in parts):
        if not part:
            continue
        block = "\n" in part
        text += ("" if not text else "\n" if block or previous_block else " ") + part
        previous_block = block
    return text
