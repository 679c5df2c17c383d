"""The simulated customer of a tau-bench task: a Protocol, a model-backed user and a scripted one for tests."""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from support_tui.core.events import Usage
from support_tui.core.turn.parts import Models

STOP = "###STOP###"
"""What the simulated user writes, alone, when their goal is met (tau-bench's stop token)."""

GREETING = "Hi! How can I help you today?"
"""The agent's opening line the user model answers first, as tau-bench starts its conversations."""

USER_PROMPT = """You are a customer writing to an online shop's support agent. Play the customer described below.

Instruction: {instruction}

How to write:
- Write one message at a time, as the customer would type it: a line or two.
- Do not give away the whole instruction at once; give only what the agent needs for the current step.
- Never invent what the instruction does not say: if the agent asks for something you were not given
  (an order id, an email), say you do not remember it or do not have it.
- When the agent asks you to confirm an action the instruction wants, answer with an explicit "yes".
- Do not copy the instruction's wording; say it in your own words, in the personality it describes.
- When the instruction's goal is met (or cannot be met), write {stop} alone as your message to end the chat."""


class SimulatedUser(Protocol):
    """A customer played from a task's instruction: it opens, then answers each agent message in turn."""

    @property
    def usage(self) -> Usage:
        """Tokens and cost the simulation spent so far (zero for a scripted user)."""
        ...

    async def opening(self) -> str:
        """The customer's first message."""
        ...

    async def reply(self, agent_message: str) -> str:
        """The customer's answer to what the agent just said; contains ``STOP`` when the customer is done."""
        ...


class ScriptedUser:
    """A user who says the given lines in order, whatever the agent says, then ``STOP``."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        self.heard: list[str] = []
        """What the agent said to this user, in order."""
        self._next = 0

    @property
    def usage(self) -> Usage:
        return Usage()

    def _say(self) -> str:
        if self._next >= len(self.lines):
            return STOP
        line = self.lines[self._next]
        self._next += 1
        return line

    async def opening(self) -> str:
        return self._say()

    async def reply(self, agent_message: str) -> str:
        self.heard.append(agent_message)
        return self._say()


class UserSimulationError(RuntimeError):
    """The user model failed to answer (its message says why)."""


class ModelUser:
    """A user played by a model (any LiteLLM model string) through the project's model client.

    The model gets the instruction as its system prompt; the agent's messages reach it as the other
    side (``user`` role) and its own earlier messages as ``assistant``, as tau-bench's user simulation does.
    """

    def __init__(self, models: Models, model: str, instruction: str) -> None:
        self.models = models
        self.model = model
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": USER_PROMPT.format(instruction=instruction, stop=STOP)},
        ]
        self._usage = Usage()

    @property
    def usage(self) -> Usage:
        return self._usage

    async def opening(self) -> str:
        return await self.reply(GREETING)

    async def reply(self, agent_message: str) -> str:
        from support_tui.core.llm.client import ModelChainExhausted, ReplyDone

        self.messages.append({"role": "user", "content": agent_message or "(no reply)"})
        text = ""
        try:
            async for item in self.models.stream([self.model], self.messages, None):
                if isinstance(item, ReplyDone):
                    text = item.reply.text.strip()
                    self._usage = self._usage + item.reply.usage
        except ModelChainExhausted as exc:
            raise UserSimulationError(f"the user model failed: {exc}") from None
        if not text:
            raise UserSimulationError(f"the user model {self.model} gave an empty message")
        self.messages.append({"role": "assistant", "content": text})
        return text
