"""Customer tokens: signed with HMAC-SHA256, scoped to one conversation, expiring.

A token is ``v1.<payload>.<signature>``: the payload is base64url JSON ``{"c": conversation id,
"e": expiry in epoch seconds}``, readable by the chat page (it needs the conversation id) but
useless without the signature, which only a holder of the server secret can make. Verification
compares signatures in constant time and names no reason to the caller beyond "invalid".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Callable


class InvalidToken(Exception):
    """The token is malformed, forged, expired or for another conversation."""


@dataclass(frozen=True)
class CustomerToken:
    """A verified token."""

    conversation_id: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Issues and checks customer tokens with one secret."""

    def __init__(self, secret: bytes, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must be at least 16 bytes")
        self._secret = secret
        self.ttl_s = ttl_s
        self._now = clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, f"v1.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, conversation_id: str, ttl_s: float | None = None) -> tuple[str, float]:
        """A token for this conversation and when it expires."""
        expires = round(self._now() + (self.ttl_s if ttl_s is None else ttl_s), 3)
        payload = _b64(json.dumps({"c": conversation_id, "e": expires}, separators=(",", ":")).encode())
        return f"v1.{payload}.{self._sign(payload)}", expires

    def verify(self, token: str, conversation_id: str) -> CustomerToken:
        """The token's claims when it is genuine, unexpired and for ``conversation_id``; else ``InvalidToken``."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            raise InvalidToken("malformed")
        _, payload, signature = parts
        if not hmac.compare_digest(self._sign(payload), signature):
            raise InvalidToken("bad signature")
        try:
            claims = json.loads(_unb64(payload))
            token_conversation, expires = str(claims["c"]), float(claims["e"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidToken("malformed payload") from exc
        if expires <= self._now():
            raise InvalidToken("expired")
        if not hmac.compare_digest(token_conversation.encode(), conversation_id.encode()):
            raise InvalidToken("another conversation's token")
        return CustomerToken(token_conversation, expires)
