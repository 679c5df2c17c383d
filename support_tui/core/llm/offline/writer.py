"""The offline model's reply: plan dialogue acts over this turn's facts, then realise each for the customer."""

from __future__ import annotations

from typing import Any

from support_tui.core.shop.offline import Act, Request, SeenCall
from support_tui.core.shop.saying import join

from .knowledge import answers, best_answer, best_section, steps
from .message import Reading, clauses, intent_flow, read_for, read_turn, understood, requested
from .parts import ACTIONS, HANDOVER_OFFERS, OFFER, PROMISE, Part, promised, readable, side_parts, team_name

_RETRY = f"Could you try again in a moment, or {HANDOVER_OFFERS[1]}"
_ASK_MORE = "Could you tell me a little more about what you need?"
"""The clarifying question of a specialist whose shop gives it none of its own."""


def plan_acts(request: Request) -> list[Act]:
    """Decide what the reply does, from the message and this turn's typed facts."""
    reading = read_turn(request)
    if request.escalated:
        return _handing_over(request)
    if request.proposal_call and request.said.negative and not request.outcomes:
        return [_declined(request), _anything_else()]
    if reading.greeting and not request.outcomes:
        return [Act("greet", f"Hi{_name(request)}! How can I help you today? "
                             f"I can help with {request.skill.help_areas}.")]
    if reading.thanks and not request.outcomes:
        return [Act("close", f"You're welcome{_vocative(request)} — glad I could help. Have a lovely day!")]
    if understood(request) and not request.outcomes and (request.intent_decision != "answer" or intent_flow(request) is None):
        return _understood(request)
    if reading.off_topic and not request.outcomes and request.intent_decision == "follow_up":
        # A short answer to our last question ("yes", "ok") is not off-topic: it asks what comes next.
        return [Act("clarify", f"Of course{_vocative(request)} — what can I help you with?")]
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
    elif request.intent_decision == "answer" and (article := _article(request)) is not None and article not in acts:
        # The article the intent layer read the message as, beside what the look-ups of the records it names
        # found ("my invoice for order ORD-67891": that order's charge, and how to get its invoice).
        acts += [article]
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
    return Act("decline", f"I'm sorry{_vocative(request)}, I can't help with that here — "
                          f"I can help with {request.skill.help_areas}.")


def _understood(request: Request) -> list[Act]:
    """The intent layer's decision, said: decline, ask which of two things is meant, ask for more words, or
    quote the answer section of the article that answers the message, whole."""
    decision = request.intent_decision
    if decision == "decline":
        return [_decline(request)]
    options = request.intent_options
    if decision == "ask" and len(options) >= 2:
        return [Act("clarify", f"Just so I help with the right thing{_vocative(request)}: is this about {options[0]} "
                               f"or {options[1]}?")]
    rephrase = Act("clarify", f"Could you tell me a little more about what you need{_vocative(request)}? "
                              f"I can help with {request.skill.help_areas}.")
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
    """The customer's first name after a greeting ("Hi Mia")."""
    return f" {request.customer_first_name}" if request.customer_first_name else ""


def _vocative(request: Request) -> str:
    """The customer's first name set off inside a sentence ("You're welcome, Mia —", "what you need, Mia?")."""
    return f", {request.customer_first_name}" if request.customer_first_name else ""


def _declined(request: Request) -> Act:
    """A no to the open proposal: nothing runs, and the reply says what stays as it was."""
    call = request.proposal_call
    oid = request.proposal_quote.get("order_id") or (call[1].get("order_id") if call else None)
    what = f"order {oid} stays as it is" if oid else "nothing changes"
    return Act("answer", f"No problem{_vocative(request)} — I won't go ahead, so {what}.")


def _anything_else() -> Act:
    return Act("close", "Is there anything else I can help with?")


def _facts(request: Request) -> list[Act]:
    acts: list[Act] = []
    errors = [o for o in request.outcomes if o.status in ("error", "missing")]
    wanted: frozenset[str] | None = None
    for o in request.outcomes:
        if o.ok:
            wanted = requested(request) if wanted is None else wanted
            said = request.skill.facts(o, request, wanted)
            acts += _engine_facts(o) if said is None else said
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


def _engine_facts(o: SeenCall) -> list[Act]:
    """What the engine's own tools (a transfer, a hand-over) did, said."""
    if o.name == "transfer_to_specialist":
        from support_tui.core.specialists import default_team

        agent = str(o.value("transfer_to") or o.arguments.get("agent") or "")
        team = default_team()
        title = team[agent].title if agent in team else "the right specialist"
        return [Act("answer", f"I'm passing you to {title.replace('the ', 'our ', 1)}, who can help with this and "
                              "will see our conversation so far.")]
    if o.name == "escalate_to_human":
        return [Act("answer", "I've asked a colleague to take over; they'll have everything we've discussed.")]
    return []


def _blocked(request: Request, o: SeenCall) -> Act:
    if o.rule == "customer_confirmation":
        quote = (o.result or {}).get("proposal") if isinstance(o.result, dict) else None
        quote = quote if isinstance(quote, dict) else request.proposal_quote
        return Act("confirm", f"{_quote_sentence(request, quote, o)} Shall I go ahead?")
    if o.rule == "human_denied":
        # A person's reason is internal: say plainly it can't be done, and what comes next.
        return Act("answer", "I'm sorry, I can't do that as asked. A colleague has looked at it, and I'm happy to help "
                             f"find another way — {HANDOVER_OFFERS[0]}")
    said = request.skill.blocked(o)
    if said:
        return Act("answer", said)
    return Act("answer", "I'm sorry, I can't do that under our store policy.")


def _quote_sentence(request: Request, quote: dict[str, Any] | None, o: SeenCall) -> str:
    """The shop's own sentence for what the call will do, or its lines by name and amount."""
    quote = quote or {}
    if quote.get("summary"):
        return str(quote["summary"]).strip()
    lines = [f"{line.get('name')}" + (f" ({request.skill.money(line['amount'], quote.get('currency'))})" if line.get("amount") is not None else "")
             for line in quote.get("lines") or [] if isinstance(line, dict)]
    action = str(quote.get("action") or o.name.replace("_", " "))
    target = join(lines) or (f"order {o.arguments.get('order_id')}" if o.arguments.get("order_id") else "this")
    return f"I'll {action}: {target}."


def _failure(errors: list[SeenCall]) -> str:
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
        if read_for(question, request.skill).general:
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
    topics = request.skill.specialist_topics
    if request.route_clarify and len(request.route_options) >= 2 and all(o in topics for o in request.route_options[:2]):
        first, second = request.route_options[:2]
        return Act("clarify", f"Just so I help with the right thing: is this about {topics[first]} or {topics[second]}?")
    return Act("clarify", request.skill.specialist_questions.get(request.specialist, _ASK_MORE))


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
