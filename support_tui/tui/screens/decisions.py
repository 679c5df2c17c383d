"""A person's decisions from the console: tool calls, drafts, escalation with a priority, closing with an outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content

from support_tui.tui.screens.dialogs import JsonEditDialog, PickerDialog, RatingDialog, ReasonDialog, TextEditDialog
from support_tui.tui.screens.host import conversation_or_warn, idle_or_warn

if TYPE_CHECKING:
    from support_tui.tui.messages import DraftDecision, ToolDecision
    from support_tui.tui.screens.host import ConsoleHost

OUTCOME_CHOICES = [
    ("resolved", "resolved: the customer's problem is solved"),
    ("abandoned", "abandoned: the customer left"),
    ("escalated", "escalated elsewhere: another team has it"),
]
PRIORITY_CHOICES = [("urgent", "urgent"), ("high", "high"), ("normal", "normal"), ("low", "low")]
"""Most pressing first (it listed high before urgent)."""
DENY_PROMPT = "Why? For the agent and the trace only: the customer never sees these words"


class Decisions:
    """A person's decisions, owned by the console screen (which runs each as a worker in the ``dialog`` group).
    After every decision the composer has the focus again."""

    def __init__(self, host: ConsoleHost) -> None:
        self.host = host

    async def tool_decision(self, message: ToolDecision) -> None:
        host = self.host
        card = host.tools.card(message.call_id)
        if (cid := conversation_or_warn(self.host)) is None or card is None or not idle_or_warn(self.host):
            return
        arguments: dict[str, Any] | None = None
        reason: str | None = None
        if message.action == "edit":

            async def check(edited: dict[str, Any]) -> list[str]:
                return await host.engine.check_tool_arguments(cid, message.call_id, edited)

            arguments = await host.app.push_screen_wait(JsonEditDialog(f"Edit arguments of {card.tool_name}", card.arguments, check))
            if arguments is None:
                host.composer.focus()
                return
        elif message.action == "deny":
            reason = await host.app.push_screen_wait(ReasonDialog(f"Deny {card.tool_name}", DENY_PROMPT))
            if reason is None:
                host.composer.focus()
                return
        approve = message.action != "deny"
        stored = await host.engine.pending_call(message.call_id)
        if stored is not None and stored.status != "pending":  # a colleague decided it meanwhile (the store refuses anyway)
            card.resolved()
            host.update_badges()
            who = f" by {stored.decided_by}" if stored.decided_by else ""
            host.notify(f"{card.tool_name} was already {stored.status}{who}; nothing changed.", title="Decided elsewhere",
                        severity="warning", markup=False)
            host.composer.focus()
            return
        card.resolved()
        host.update_badges()
        host.composer.focus()
        host.run_events(host.engine.resolve_tool_call(cid, message.call_id, approve=approve, arguments=arguments,
                                                      reason=reason or None, by=host.person))

    async def draft_decision(self, message: DraftDecision) -> None:
        host = self.host
        bubble = host.chat.draft(message.message_id)
        if bubble is None:
            return
        try:
            if message.action == "reject":
                reason = await host.app.push_screen_wait(ReasonDialog("Reject the draft", "Reason (for the trace; optional)"))
                if reason is None:
                    return
                await host.engine.reject_draft(message.message_id, reason or None, by=host.person)
                bubble.set_status("rejected")
                return
            text: str | None = None
            if message.action == "edit":
                title = "The customer wrote since this draft: read, edit, then send" if bubble.stale else "Edit the draft, then send"
                text = await host.app.push_screen_wait(TextEditDialog(title, bubble.text))
                if text is None:
                    return
            await host.engine.approve_draft(message.message_id, text, by=host.person)
            if text is not None and text != bubble.text:
                await bubble.replace_text(text)
                bubble.edited_by = host.person
            bubble.set_status("sent")
        finally:
            host.update_badges()
            # Focus left on a decided bubble kept its draft keys in the footer, and typing went nowhere.
            host.composer.focus()

    async def escalate(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(self.host)) is None:
            return
        reason = await host.app.push_screen_wait(ReasonDialog("Escalate to a person", "Why does this need a person?"))
        if reason is None:
            return
        priority = await host.app.push_screen_wait(PickerDialog("Priority", [(p, Content(label)) for p, label in PRIORITY_CHOICES]))
        if priority is None:
            return
        event = await host.engine.escalate(cid, reason or "escalated by hand", priority=priority, by=host.person)
        await host.apply_event(event)
        host.composer.focus()

    async def close_conversation(self) -> None:
        host = self.host
        if (cid := conversation_or_warn(self.host)) is None or not idle_or_warn(self.host):
            return
        outcome = await host.app.push_screen_wait(PickerDialog("Close the conversation: how did it end?",
                                                               [(o, Content(label)) for o, label in OUTCOME_CHOICES]))
        if outcome is None:
            return
        await host.engine.close_conversation(cid, outcome, by=host.person)
        if host.demo:
            score = await host.app.push_screen_wait(RatingDialog("Rate this conversation"))
            if score:
                await host.engine.rate(cid, int(score))
                host.notify(f"Thanks: rated {score}/5.")
        host.composer.focus()
