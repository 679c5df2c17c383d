"""A person's decisions from the console: tool calls, drafts, escalation with a priority, closing with an outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.content import Content

from support_tui.tui.messages import DraftDecision, ToolDecision
from support_tui.tui.screens.dialogs import JsonEditDialog, PickerDialog, RatingDialog, ReasonDialog, TextEditDialog

if TYPE_CHECKING:
    from support_tui.tui.screens.console import ConsoleScreen

OUTCOME_CHOICES = [
    ("resolved", "resolved: the customer's problem is solved"),
    ("abandoned", "abandoned: the customer left"),
    ("escalated", "escalated elsewhere: another team has it"),
]
PRIORITY_CHOICES = [("urgent", "urgent"), ("high", "high"), ("normal", "normal"), ("low", "low")]
"""Most pressing first (it listed high before urgent)."""
DENY_PROMPT = "Why? For the agent and the trace only: the customer never sees these words"


class DecisionActions:
    """Mixed into ConsoleScreen. After every decision the composer has the focus again."""

    @work(group="dialog", exit_on_error=False)
    async def on_tool_decision(self: ConsoleScreen, message: ToolDecision) -> None:
        card = self.tools.card(message.call_id)
        if (cid := self._conversation_or_warn()) is None or card is None or not self._idle_or_warn():
            return
        arguments: dict[str, Any] | None = None
        reason: str | None = None
        if message.action == "edit":

            async def check(edited: dict[str, Any]) -> list[str]:
                return await self.engine.check_tool_arguments(cid, message.call_id, edited)

            arguments = await self.app.push_screen_wait(JsonEditDialog(f"Edit arguments of {card.tool_name}", card.arguments, check))
            if arguments is None:
                self.composer.focus()
                return
        elif message.action == "deny":
            reason = await self.app.push_screen_wait(ReasonDialog(f"Deny {card.tool_name}", DENY_PROMPT))
            if reason is None:
                self.composer.focus()
                return
        approve = message.action != "deny"
        stored = await self.engine.pending_call(message.call_id)
        if stored is not None and stored.status != "pending":  # a colleague decided it meanwhile (the store refuses anyway)
            card.resolved()
            self.update_badges()
            who = f" by {stored.decided_by}" if stored.decided_by else ""
            self.notify(f"{card.tool_name} was already {stored.status}{who}; nothing changed.", title="Decided elsewhere",
                        severity="warning", markup=False)
            self.composer.focus()
            return
        card.resolved()
        self.update_badges()
        self.composer.focus()
        self.busy = True
        self.turn_text = None
        self.consume(self.engine.resolve_tool_call(cid, message.call_id, approve=approve, arguments=arguments,
                                                   reason=reason or None, by=self.person))

    @work(group="dialog", exit_on_error=False)
    async def on_draft_decision(self: ConsoleScreen, message: DraftDecision) -> None:
        bubble = self.chat.draft(message.message_id)
        if bubble is None:
            return
        try:
            if message.action == "reject":
                reason = await self.app.push_screen_wait(ReasonDialog("Reject the draft", "Reason (for the trace; optional)"))
                if reason is None:
                    return
                await self.engine.reject_draft(message.message_id, reason or None, by=self.person)
                bubble.set_status("rejected")
                return
            text: str | None = None
            if message.action == "edit":
                title = "The customer wrote since this draft: read, edit, then send" if bubble.stale else "Edit the draft, then send"
                text = await self.app.push_screen_wait(TextEditDialog(title, bubble.text))
                if text is None:
                    return
            await self.engine.approve_draft(message.message_id, text, by=self.person)
            if text is not None and text != bubble.text:
                await bubble.replace_text(text)
                bubble.edited_by = self.person
            bubble.set_status("sent")
        finally:
            self.update_badges()
            # Focus left on a decided bubble kept its draft keys in the footer, and typing went nowhere.
            self.composer.focus()

    @work(group="dialog", exit_on_error=False)
    async def action_escalate(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None:
            return
        reason = await self.app.push_screen_wait(ReasonDialog("Escalate to a person", "Why does this need a person?"))
        if reason is None:
            return
        priority = await self.app.push_screen_wait(PickerDialog("Priority", [(p, Content(label)) for p, label in PRIORITY_CHOICES]))
        if priority is None:
            return
        event = await self.engine.escalate(cid, reason or "escalated by hand", priority=priority, by=self.person)
        await self.apply_event(event)
        self.composer.focus()

    @work(group="dialog", exit_on_error=False)
    async def action_close_conversation(self: ConsoleScreen) -> None:
        if (cid := self._conversation_or_warn()) is None or not self._idle_or_warn():
            return
        outcome = await self.app.push_screen_wait(PickerDialog("Close the conversation: how did it end?",
                                                               [(o, Content(label)) for o, label in OUTCOME_CHOICES]))
        if outcome is None:
            return
        await self.engine.close_conversation(cid, outcome, by=self.person)
        if self.demo:
            score = await self.app.push_screen_wait(RatingDialog("Rate this conversation"))
            if score:
                await self.engine.rate(cid, int(score))
                self.notify(f"Thanks: rated {score}/5.")
        self.composer.focus()
