"""The offline model's reply: plan dialogue acts over this turn's facts, then realise each for the customer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .facts import RENDERERS
from .humanize import join, money
from .knowledge import answers, best_answer, best_section, steps
from .message import Reading, clauses, intent_flow, read, read_turn, understood, requested
from .parts import ACTIONS, HANDOVER_OFFERS, OFFER, PROMISE, Part, promised, readable, side_parts, team_name
from .request import Request, ToolOutcome

HELP_AREAS = "your orders and deliveries, returns and refunds, payments, your account, and our products"
_RETRY = f"Could you try again in a moment, or {HANDOVER_OFFERS[1]}"
_ASK = {
    "order_tracking": "Could you tell me the order number from your confirmation email? Then I'll check where it is.",
    "returns_refunds": "Which order and item is this about? With the order number I can check whether it can be returned.",
    "product_info": "Which product do you mean? Its name is on the product page or in your order confirmation.",
    "billing_payment": "Which charge or order is this about? Then I'll look into it.",
    "technical_support": "Could you tell me what you see, including any error message, and whether it happens on the "
                         "website or in the app?",
    "account_management": "What would you like to change on your account, and what should the new value be?",
}
_TOPICS = {
    "order_tracking": "an order's delivery", "returns_refunds": "a return or refund", "product_info": "one of our products",
    "billing_payment": "a charge or payment", "technical_support": "a problem with the website or app",
    "account_management": "a change to your account",
}
_POLICY = {
    "return_window": "it is outside our return window", "cancel_before_shipping": "it has already shipped",
    "address_before_shipping": "it has already shipped", "refund_cap": "that is more than can still be refunded on it",
}


@dataclass(frozen=True)
class Act:
    """One thing the reply does: greet, answer, confirm, propose, clarify, apologise, hand over, decline, close."""

    kind: str
    text: str


def plan_acts(request: Request) -> list[Act]:
    """Decide what the reply does, from the message and this turn's typed facts."""
    reading = read_turn(request)
    if request.escalated:
        return _handing_over(request)
    if request.proposal_call and request.said.negative and not request.outcomes:
        return [_declined(request), _anything_else()]
    if reading.greeting and not request.outcomes:
        return [Act("greet", f"Hi{_name(request)}! How can I help you today? I can help with {HELP_AREAS}.")]
    if reading.thanks and not request.outcomes:
        return [Act("close", f"You're welcome{_name(request)} — glad I could help. Have a lovely day!")]
    if understood(request) and not request.outcomes and (request.intent_decision != "answer" or intent_flow(request) is None):
        return _understood(request)
    if reading.off_topic and not request.outcomes and request.intent_decision == "follow_up":
        # A short answer to our last question ("yes", "ok") is not off-topic: it asks what comes next.
        return [Act("clarify", f"Of course{_name(request)} — what can I help you with?")]
    if reading.off_topic and not request.outcomes and not understood(request):
        return [_decline(request)]
    acts = [Act("greet", f"Hi{_name(request)}.")] if not request.earlier_user else []
    acts += _facts(request)
    if understood(request):
        # The flow the intent layer chose answers with the customer's records, beside the article it read
        # the message as ("can I change the address on my order?": how it works, and what that means for
        # their order); other knowledge only when the look-ups said nothing at all.
        article = _article(request)
        acts += [article] if article else [] if acts else _knowledge(request, reading, False)
    elif reading.general or not any(a.kind in ("answer", "confirm", "propose") for a in acts):
        acts += _knowledge(request, reading, bool(acts))
    elif request.outcomes:
        acts += _general_clauses(request)
    if not any(a.kind in ("answer", "confirm", "propose", "clarify") for a in acts):
        acts.append(_clarify(request))
    acts = _with_other_requests(request, acts)
    if not any(a.text.rstrip().endswith("?") for a in acts):
        acts.append(_anything_else())
    return acts


def _decline(request: Request) -> Act:
    return Act("decline", f"I'm sorry{_name(request)}, I can't help with that here — I can help with {HELP_AREAS}.")


def _understood(request: Request) -> list[Act]:
    """The intent layer's decision, said: decline, ask which of two things is meant, ask for more words, or
    quote the answer section of the article that answers the message, whole."""
    decision = request.intent_decision
    if decision == "decline":
        return [_decline(request)]
    options = request.intent_options
    if decision == "ask" and len(options) >= 2:
        return [Act("clarify", f"Just so I help with the right thing{_name(request)}: is this about {options[0]} "
                               f"or {options[1]}?")]
    rephrase = Act("clarify", f"Could you tell me a little more about what you need{_name(request)}? "
                              f"I can help with {HELP_AREAS}.")
    quoted = _article(request) if decision == "answer" else None
    if quoted is None:
        return [rephrase]
    greet = [Act("greet", f"Hi{_name(request)}.")] if not request.earlier_user else []
    return [*greet, quoted, _anything_else()]


def _article(request: Request) -> Act | None:
    """The answer section of the article the intent layer chose, whole, or None when it has none."""
    if not request.intent_article:
        return None
    article = [s for s in request.snippets if s.chunk_id.split("#")[0] == request.intent_article]
    found = answers(article)
    quoted = found[0].text if found else best_section(request.latest, article, minimum=0)
    return Act("answer", quoted) if quoted else None


def write_reply(request: Request) -> str:
    """The full reply text for this request, grounded in its tool results and snippets."""
    return _join([a.text for a in plan_acts(request)])


def _name(request: Request) -> str:
    return f" {request.customer_first_name}" if request.customer_first_name else ""


def _declined(request: Request) -> Act:
    """A no to the open proposal: nothing runs, and the reply says what stays as it was."""
    call = request.proposal_call
    oid = request.proposal_quote.get("order_id") or (call[1].get("order_id") if call else None)
    what = f"order {oid} stays as it is" if oid else "nothing changes"
    return Act("answer", f"No problem{_name(request)} — I won't go ahead, so {what}.")


def _anything_else() -> Act:
    return Act("close", "Is there anything else I can help with?")


def _facts(request: Request) -> list[Act]:
    acts: list[Act] = []
    errors = [o for o in request.outcomes if o.status in ("error", "missing")]
    for o in request.outcomes:
        if o.ok:
            if o.name == "search_products" and request.last("get_product"):
                continue
            if o.name == "list_orders" and any(x.ok and x.name not in ("list_orders", "get_account") for x in request.outcomes):
                continue
            if o.name == "list_orders":
                acts += _choices(request, o)
                continue
            render = RENDERERS.get(o.name)
            acts += [Act("answer", s) for s in (render(o, request) if render else [])]
        elif o.status == "blocked":
            acts.append(_blocked(request, o))
        elif o.status == "pending_approval":
            acts.append(Act("answer", "That needs a colleague's approval first; you'll hear from us as soon as they've "
                                      "reviewed it."))
        elif o is errors[0]:
            failure = _failure(errors)
            acts.append(Act("clarify" if failure.endswith("?") else "answer", failure))
            if not any(x.ok for x in request.outcomes) and not failure.endswith("?"):
                acts.append(Act("clarify", _RETRY))
    return acts


def _blocked(request: Request, o: ToolOutcome) -> Act:
    if o.rule == "customer_confirmation":
        quote = (o.result or {}).get("proposal") if isinstance(o.result, dict) else None
        quote = quote if isinstance(quote, dict) else request.proposal_quote
        return Act("confirm", f"{_quote_sentence(quote, o)} Shall I go ahead?")
    if o.rule == "human_denied":
        # A person's reason is internal: say plainly it can't be done, and what comes next.
        return Act("answer", "I'm sorry, I can't do that as asked. A colleague has looked at it, and I'm happy to help "
                             f"find another way — {HANDOVER_OFFERS[0]}")
    oid = o.arguments.get("order_id")
    why = _POLICY.get(str(o.rule))
    what = {"cancel_order": "cancelled", "change_shipping_address": "re-addressed",
            "create_return": "returned", "issue_refund": "refunded"}.get(o.name, "changed")
    if o.rule == "refund_cap" and o.error:
        return Act("answer", f"I'm sorry, I can't refund that much: {str(o.error).strip()}")
    if oid and why:
        return Act("answer", f"I'm sorry, order {oid} can't be {what} because {why}.")
    return Act("answer", "I'm sorry, I can't do that under our store policy.")


def _quote_sentence(quote: dict[str, Any] | None, o: ToolOutcome) -> str:
    """The shop's own sentence for what the call will do, or its lines by name and amount."""
    quote = quote or {}
    if quote.get("summary"):
        return str(quote["summary"]).strip()
    lines = [f"{line.get('name')}" + (f" ({money(line['amount'], quote.get('currency'))})" if line.get("amount") is not None else "")
             for line in quote.get("lines") or [] if isinstance(line, dict)]
    action = str(quote.get("action") or o.name.replace("_", " "))
    target = join(lines) or (f"order {o.arguments.get('order_id')}" if o.arguments.get("order_id") else "this")
    return f"I'll {action}: {target}."


_POSSIBLE = {
    "cancel": (("pending", "processing"), "has already shipped, so it can no longer be cancelled",
               "was delivered, so it can't be cancelled; it can be returned instead", "cancel"),
    "change_address": (("pending", "processing"), "has already shipped, so its delivery address can no longer be changed",
                       "was already delivered, so its address can no longer be changed", "change the address of"),
    "return": (("delivered",), "hasn't been delivered yet, so it can't be returned until it arrives",
               "hasn't been delivered yet, so it can't be returned until it arrives", "return"),
}


def _choices(request: Request, o: ToolOutcome) -> list[Act]:
    """Orders the requested action is possible for, and plainly why the others are not."""
    from .facts import order_state

    orders = [x for x in o.value("orders") or [] if isinstance(x, dict) and x.get("status") != "cancelled"]
    if not orders:
        return [Act("answer", "I couldn't find any open orders on your account.")]
    wanted = next((k for k in ("cancel", "change_address", "return") if k in requested(request)), None)
    if wanted is None:
        shown = [Act("answer", f"Your order {x.get('order_id')} ({_items(x)}) {order_state(x, request)}.") for x in orders[:5]]
        return shown + ([Act("propose", "Which of these is it about?")] if len(orders) > 1 else [])
    ok_statuses, shipped_why, delivered_why, verb = _POSSIBLE[wanted]
    possible = [x for x in orders if x.get("status") in ok_statuses]
    if wanted == "return":
        possible = [x for x in possible if (_days_since(x, request) or 0) <= 30]
    acts: list[Act] = []
    others = [x for x in orders if x not in possible]
    for x in others[:2]:
        why = shipped_why if x.get("status") == "shipped" or wanted == "return" and x.get("status") != "delivered" else delivered_why
        if wanted == "return" and x.get("status") == "delivered":
            why = "was delivered more than 30 days ago, so it is outside our return window"
        acts.append(Act("answer", f"Order {x.get('order_id')} ({_items(x)}) {why}."))
    if len(others) > 2:
        rest = len(others) - 2
        acts.append(Act("answer", f"Your other order can't be either, for the same kind of reason." if rest == 1
                        else f"Your {rest} other orders can't be either, for the same kind of reason."))
    if not possible:
        return acts
    listed = join([f"{x.get('order_id')} ({_items(x)})" for x in possible], "or")
    question = f"Would you like me to {verb} order {listed}?" if len(possible) == 1 else f"Which order would you like to {verb.split(' of')[0]}: {listed}?"
    return acts + [Act("propose", question)]


def _items(order: dict[str, Any]) -> str:
    from .humanize import items

    return items(order.get("items")) or "no items listed"


def _days_since(order: dict[str, Any], request: Request) -> int | None:
    from .humanize import parse_day

    when = parse_day(order.get("delivered_at"))
    return (request.today - when).days if when else None


def _failure(errors: list[ToolOutcome]) -> str:
    error = str(errors[0].error or "").strip()
    if "not found" in error.lower():
        oid = next((o.arguments.get("order_id") for o in errors if o.arguments.get("order_id")), None)
        if oid:
            return f"I couldn't find order {oid} on your account. Could you double-check the number in your confirmation email?"
    return "I couldn't look that up just now."


def _knowledge(request: Request, reading: Reading, after_facts: bool) -> list[Act]:
    """Whole answers from the knowledge base: one per question in the message, or a guide's complete steps."""
    if request.specialist == "technical_support" and not reading.general and request.snippets:
        for snippet in request.snippets:
            found = steps(snippet)
            if found:
                numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(found, 1))
                return [Act("answer", f"Here's what usually fixes it:\n{numbered}")]
    acts: list[Act] = []
    questions = clauses(request.latest) or [request.latest]
    for question in questions:
        answer = best_answer(question, request.snippets, minimum=2 if len(questions) > 1 else 1)
        text = answer.text if answer else best_section(question, request.snippets)
        if text and all(text != a.text for a in acts):
            acts.append(Act("answer", text))
    return acts[:2]


def _general_clauses(request: Request) -> list[Act]:
    """The general questions in a message that also asks about the customer's own things."""
    out: list[Act] = []
    for question in clauses(request.latest):
        if read(question).general:
            answer = best_answer(question, request.snippets, minimum=2)
            if answer:
                out.append(Act("answer", answer.text))
    return out[:1]


_NEW_VALUES = (("change_email", "email address"), ("change_phone", "phone number"), ("change_name", "name"),
               ("change_address", "address"))
"""An account change asked for without its new value: the one question to ask."""


def _clarify(request: Request) -> Act:
    missing = next((label for intent, label in _NEW_VALUES if intent in request.said.intents), None)
    if missing and request.specialist == "account_management":
        return Act("clarify", f"What should the new {missing} be?")
    if request.route_clarify and len(request.route_options) >= 2 and all(o in _TOPICS for o in request.route_options[:2]):
        first, second = request.route_options[:2]
        return Act("clarify", f"Just so I help with the right thing: is this about {_TOPICS[first]} or {_TOPICS[second]}?")
    return Act("clarify", _ASK.get(request.specialist, "Could you tell me a little more about what you need?"))


def _with_other_requests(request: Request, acts: list[Act]) -> list[Act]:
    """Every other request of the message answered, or named and taken next; the reply's question last.

    A request this specialist could read is already answered by its facts; one the knowledge base
    answers gets that answer; any other is named, with an offer to pass it to its specialist (or, when
    the reply already asks for a yes, a promise to do so once that is done).
    """
    extra: list[Act] = []
    asking = any(a.text.rstrip().endswith("?") for a in acts)
    for part in side_parts(request):
        if readable(request, part):
            continue
        answer = None if part.intents & ACTIONS else best_answer(part.text, request.snippets, minimum=2)
        if answer and all(answer.text != a.text for a in acts):
            extra.append(Act("answer", answer.text))
            continue
        if part.owner is None:
            continue
        then = PROMISE if asking else OFFER
        extra.append(Act("pass_on" if asking else "propose",
                         f"You also asked about {_part_subject(part)}. {then.format(team=team_name(part.owner))}"))
        asking = True
    if any(o.ok and o.name in request.confirm_tools for o in request.outcomes):
        waiting = promised(request)
        if waiting is not None and waiting.owner:
            extra.append(Act("propose", f"Now for your other question, about {_part_subject(waiting)}. "
                                        f"{OFFER.format(team=team_name(waiting.owner))}"))
    questions = [a for a in acts if a.kind in ("confirm", "propose", "clarify") and a.text.rstrip().endswith("?")]
    return [a for a in acts if a not in questions] + extra + questions


def _part_subject(part: Part) -> str:
    return next((words for intent, words in _SUBJECTS if intent in part.intents), "your other question")


_UPSET_RULES = ("negative_sentiment", "vip_negative", "abusive", "policy_blocked", "repeated_failure")
"""Escalations that mean the customer has had a hard time: the hand-over starts with an apology."""


def _handing_over(request: Request) -> list[Act]:
    """The hand-over to a person: an apology only for an upset customer, a plain "of course" for a calm request."""
    from support_tui.core.sentiment import score_message

    # The look-ups made for the colleague's packet are told to the customer only when the message
    # asked about them: "I want to speak to a human" gets no order status it did not ask for.
    asked = request.said.intents - {"human"}
    body = [a for a in _facts(request) if a.kind == "answer"] if asked else []
    rule = (request.escalation or {}).get("rule")
    follow_ups = (request.escalation or {}).get("follow_ups") or []
    # A later question on the case is judged by its own words: the rule says how the case began, and a calm
    # "do you ship to Canada?" after an upset start got the same apology again.
    follow_up = bool(follow_ups) and follow_ups[-1] == request.latest
    compound, signals = score_message(request.latest) if request.latest else (0.0, [])
    upset = (rule in _UPSET_RULES and not follow_up) or compound <= -0.3 or bool(
        {"frustration_phrase", "shouting", "repeated_contact", "abuse"} & set(signals))
    priority = str((request.escalation or {}).get("priority") or "")
    urgent = f" I've marked your case {priority} priority." if priority in ("high", "urgent") else ""
    if upset:
        return [Act("apologise", "I'm sorry this has been so frustrating, and thank you for your patience."),
                *(body or [Act("answer", "I've noted everything you've told me.")]),
                Act("hand_over", "A human colleague will take over from here with everything gathered so far, so you "
                                 f"won't need to explain it again.{urgent}")]
    if follow_up:  # a new question on a case a person already has
        return [Act("hand_over", f"Thank you — I've added {_subject(request)} to your case, and "
                                 "the colleague who has it will answer it here."), *body]
    if rule is None:  # a later message in a case a person already has
        opening = "A colleague has your case and will reply here."
    elif rule in ("human_requested", "manual"):
        opening = "Of course — I'm passing you to a colleague."
    else:
        opening = "Thank you for telling me — I'm passing this to a colleague."
    return [Act("hand_over", opening), *body,
            Act("hand_over", "They'll have everything gathered so far, so you won't need to explain it again.")]


_SUBJECTS = (
    ("crash", "the app or website not working"), ("login", "signing in"), ("password", "your password"),
    ("duplicate_charge", "being charged twice"), ("charge", "a charge"), ("refund_status", "your refund"),
    ("return", "a return"), ("exchange", "an exchange"), ("refund", "a refund"), ("defective", "a faulty item"),
    ("cancel", "cancelling an order"), ("change_address", "a delivery address"), ("track", "a delivery"),
    ("compatible", "a product"), ("product_question", "a product"), ("change_email", "your email address"),
    ("change_phone", "your phone number"), ("change_name", "your name"),
)
"""What a new question is about, strongest signal first, as a reply names it."""


def _subject(request: Request) -> str:
    ids = request.said.order_ids
    found = next((words for intent, words in _SUBJECTS if intent in request.said.intents), None)
    if found and ids:
        return f"your question about {found} (order {ids[0]})"
    if found or ids:
        return f"your question about {found or 'order ' + ids[0]}"
    return "this"


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
