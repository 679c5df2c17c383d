"""The specialist's reply: its agent loop (following transfers and escalations), guarded, stored, announced."""

from __future__ import annotations

import re
from typing import AsyncGenerator, AsyncIterator, Sequence

from support_tui.core import crashpoints
from support_tui.core.events import ConversationChanged, EscalationRaised, Event, Notice, ReplyCompleted, SentimentScored, Snippet, ToolCallFinished
from support_tui.core.shop import CustomerSummary, ToolCall
from support_tui.core.specialists import ESCALATION_MANAGER
from support_tui.core.store.records.values import PendingToolCall, StoredMessage, utcnow
from support_tui.core.turn.agent_loop import AgentLoop, LoopResult
from support_tui.core.turn.handoffs import Handoffs
from support_tui.core.turn.helpers import snippets_used
from support_tui.core.turn.parts import TurnParts
from support_tui.core.turn.prompts import HISTORY_LIMIT, assistant_tool_calls, history_messages, system_prompt
from support_tui.core.turn.state import Turn
from support_tui.core.turn.tools import ToolRunner

NO_REPLY = "I'm sorry, I couldn't put together an answer just now. A colleague will follow up."
DECLINED = ("I'm sorry, we can't go ahead with that as requested. A colleague has looked at it; "
            "is there anything else I can help you with?")
"""Said instead of a reply that repeated a person's internal words to the customer."""
_WORD = re.compile(r"[a-z0-9$.']+")
LEAK_WORDS = 5
"""A run of this many of a person's words, in order, in a reply counts as quoting them."""


def quotes_internal(reply: str, notes: Sequence[str]) -> bool:
    """True when the reply repeats a run of words from a person's internal note."""
    said = " ".join(_WORD.findall(reply.lower()))
    for note in notes:
        words = _WORD.findall(note.lower())
        if len(words) < LEAK_WORDS:
            if words and " ".join(words) in said and len(" ".join(words)) > 12:
                return True
            continue
        if any(" ".join(words[i:i + LEAK_WORDS]) in said for i in range(len(words) - LEAK_WORDS + 1)):
            return True
    return False


class ReplyWriter:
    """Runs specialists for a turn and stores what they say."""

    def __init__(
        self,
        parts: TurnParts,
        turn: Turn,
        *,
        customer: CustomerSummary | None = None,
        messages: Sequence[StoredMessage] | None = None,
        handoffs: Handoffs | None = None,
    ) -> None:
        self.parts = parts
        self.turn = turn
        self._customer = customer
        self._messages = messages
        self._handoffs = handoffs

    def runner(self, last_customer_message: str) -> ToolRunner:
        return ToolRunner(
            self.parts.shop, self.turn.state, self.turn.call_context(),
            approval_threshold=self.parts.settings.approval_threshold, last_customer_message=last_customer_message,
        )

    async def customer(self) -> CustomerSummary:
        if self._customer is None:
            found = await self.parts.shop.customer(self.turn.conv.customer_id)
            if found is None:
                raise LookupError(f"no customer {self.turn.conv.customer_id!r}")
            self._customer = found
        return self._customer

    async def messages(self) -> Sequence[StoredMessage]:
        if self._messages is None:
            self._messages = await self.parts.store.recent_messages(self.turn.conv.id, HISTORY_LIMIT)
        return self._messages

    async def handoffs(self) -> Handoffs:
        if self._handoffs is None:
            self._handoffs = Handoffs(self.parts, self.turn, await self.customer(), await self.messages())
        return self._handoffs

    async def _memories(self) -> list[str]:
        entries = await self.parts.remembered.memories(self.turn.conv.customer_id)
        return [f"{m.created_at[:10]} {m.summary}" for m in entries if m.conversation_id != self.turn.conv.id]

    async def _prompt(self, snippets: Sequence[Snippet] = (), clarify: Sequence[str] = (), memories: Sequence[str] = ()) -> tuple[str, tuple[str, ...]]:
        turn, parts = self.turn, self.parts
        specialist = parts.team[turn.agent or ESCALATION_MANAGER]
        offered = parts.offered_tools(specialist.name)
        prompt = system_prompt(
            specialist, shop_title=parts.shop.title, shop=parts.shop.name, customer=await self.customer(), mode=turn.conv.mode,
            escalated=turn.escalated, confirm_tools=parts.confirm_tools(offered), clarify_options=clarify,
            proposal=turn.state.proposal, escalation=turn.state.escalation if turn.escalated else None,
            memories=memories, snippets=snippets, internal_notes=turn.internal_notes, today=await parts.shop.today(),
            intent=turn.intent,
        )
        return prompt, offered

    def _chain(self) -> list[str]:
        from support_tui.core.llm import model_chain
        from support_tui.core.llm.offline import bring_skill

        bring_skill(self.parts.shop)  # the offline model serves this shop with the shop's own skill
        specialist = self.parts.team[self.turn.agent or ESCALATION_MANAGER]
        chain, _ = model_chain(self.turn.conv.model or specialist.model, self.parts.settings)
        return chain

    def _loop(self, offered: Sequence[str], last_message: str) -> AgentLoop:
        _, _, _, models = self.parts.loaded()
        return AgentLoop(models, self._chain(), self.runner(last_message), offered, self.turn.make,  # type: ignore[arg-type]
                         max_rounds=self.parts.settings.max_tool_rounds)

    async def reply(self, text: str, snippets: Sequence[Snippet], clarify: Sequence[str], just_escalated: bool) -> AsyncGenerator[Event, None]:
        """Run the specialist (following transfers and escalations, at most three) and store its reply."""
        from support_tui.core.llm import model_chain

        turn, parts = self.turn, self.parts
        history = history_messages(await self.messages())
        memories = await self._memories()
        sentiment = next((e for e in turn.events if isinstance(e, SentimentScored)), None)
        result = LoopResult()
        for _ in range(3):
            specialist = parts.team[turn.agent or ESCALATION_MANAGER]
            chain, skipped = model_chain(turn.conv.model or specialist.model, parts.settings)
            if skipped and not turn.state.offline_noticed:
                turn.state.offline_noticed = True
                missing = sorted({reason.split(": ", 1)[-1].removesuffix(" not set") for reason in skipped})
                yield turn.make(Notice, code="offline_model", message=f"Models for this conversation: {' → '.join(chain)}"
                                + (f" ({', '.join(missing)} not set)." if missing else "."))
            prompt, offered = await self._prompt(snippets, clarify, memories)
            loop = self._loop(offered, text)
            async for event in loop.run([{"role": "system", "content": prompt}, *history]):
                yield event
            result = self._account(loop)
            handoffs = await self.handoffs()
            if result.escalate is not None and not turn.escalated:
                yield await handoffs.escalate("agent_requested", result.escalate.reason, result.escalate.priority, sentiment)
                continue
            target = result.transfer.agent if result.transfer is not None else None
            if target and target in parts.team and target != turn.agent and not turn.escalated and result.transfer is not None:
                yield await handoffs.hand_off(turn.agent or "", target, result.transfer.reason, sentiment)
                continue
            break
        async for event in self.store_reply(result, snippets):
            yield event

    def _account(self, loop: AgentLoop) -> LoopResult:
        turn, result = self.turn, loop.result
        turn.add_timing("model", result.model_ms)
        turn.add_timing("tools", result.tools_ms)
        turn.usage = turn.usage + result.usage
        turn.model = result.model or turn.model
        calls = result.tool_events
        turn.state.failed_tool_calls += sum(
            1 for c in calls if c.status == "error" or (c.status == "blocked" and c.rule not in ("customer_confirmation", "human_denied"))
        )
        if any(c.status == "blocked" and c.rule not in ("customer_confirmation", "human_denied") for c in calls):
            turn.state.policy_blocked = True
        return result

    async def after_decision(self, pending: PendingToolCall, args: dict[str, object], *, approve: bool, reason: str | None) -> AsyncGenerator[Event, None]:
        """Run (or refuse) a call a person decided on, then let the agent tell the customer."""
        messages = await self.messages()
        last_customer = next((m.text for m in reversed(messages) if m.role == "customer"), "")
        prompt, offered = await self._prompt()
        loop = self._loop(offered, last_customer)
        chat = [{"role": "system", "content": prompt}, *history_messages(messages),
                assistant_tool_calls([(pending.call_id, ToolCall(tool=pending.name, arguments=dict(args)))])]
        async for event in loop.run_tool_call(pending.call_id, pending.name, args, chat, approved=approve,
                                              denied=None if approve else (reason or "no reason given")):
            yield event
        if not approve:
            loop.runner.settle(ToolCall(tool=pending.name, arguments=dict(pending.arguments)))
        # The call that ran settled the proposal (perhaps with arguments a person edited): a prompt
        # still showing it as pending made the agent try the original amount again.
        chat[0] = {"role": "system", "content": (await self._prompt())[0]}
        async for event in loop.run(chat):
            yield event
        result = self._account(loop)
        async for event in self.store_reply(result, []):
            yield event

    async def escalate_by_hand(self, reason: str, priority: str, by: str | None) -> EscalationRaised:
        """A person's escalation: the packet, the queue, and a plain line for the customer."""
        turn = self.turn
        sentiment = None  # the packet's mood comes from the conversation's state below
        level = priority if priority in ("low", "normal", "high", "urgent") else "high"
        event = await (await self.handoffs()).escalate("manual", reason, level, sentiment, by=by)  # type: ignore[arg-type]
        turn.make(ConversationChanged, change="escalated", status="escalated", by=by, detail=reason)
        # The reason is a person's words: the customer is told only that a colleague will take over.
        await self.parts.store.add_message(turn.conv.id, "system", "A colleague will pick up this conversation.")
        return event

    async def store_reply(self, result: LoopResult, snippets: Sequence[Snippet]) -> AsyncGenerator[Event, None]:
        """Store the agent's reply (a draft in supervised mode) and announce it."""
        turn = self.turn
        if result.pending_approval:
            turn.status = "awaiting_approval"
            await self._record_pending(result.tool_events)
        text = result.text or NO_REPLY
        if quotes_internal(text, turn.internal_notes):
            yield turn.make(Notice, level="warning", code="internal_words_withheld",
                            message="The reply repeated a person's internal note; a neutral sentence was sent instead.")
            text = DECLINED
        draft = turn.conv.mode == "supervised"
        crashpoints.reached("before_reply_stored")
        message_id = await self.parts.store.add_message(
            turn.conv.id, "ai", text, turn_id=turn.turn_id, agent=turn.agent, model=result.model,
            status="draft" if draft else "sent", reply_to=turn.queued_message,
        )
        crashpoints.reached("after_reply_stored")
        yield turn.make(
            ReplyCompleted, message_id=message_id, text=text, agent=turn.agent or "", model=result.model,
            fallbacks=result.fallbacks, draft=draft, used_snippets=snippets_used(text, snippets),
        )

    async def _record_pending(self, calls: list[ToolCallFinished]) -> None:
        turn = self.turn
        for call in calls:
            if call.status == "pending_approval":
                await self.parts.store.add_pending_call(PendingToolCall(
                    call_id=call.call_id, conversation_id=turn.conv.id, turn_id=turn.turn_id, agent=turn.agent or "",
                    name=call.name, arguments=call.arguments, rule=call.rule, reason=call.error, status="pending",
                    note=None, created_at=utcnow(),
                ))
