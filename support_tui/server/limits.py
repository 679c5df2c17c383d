"""What the channel refuses before anything is written: oversized or malformed bodies, and too many messages per token."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any, Callable

from starlette.requests import Request


class Refused(Exception):
    """A request the channel answers with an error status and one clear sentence."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


async def json_object(request: Request, max_bytes: int) -> dict[str, Any]:
    """The body as a JSON object: 413 past ``max_bytes`` (read no further), 400 when it is not a JSON object."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, f"the body is larger than {max_bytes} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise Refused(413, f"the body is larger than {max_bytes} bytes")
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise Refused(400, f"the body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:  # [[[[... thousands deep: the parser's stack ends before the body does
        raise Refused(400, "the body is nested too deeply") from None
    if not isinstance(value, dict):
        raise Refused(400, "the body must be a JSON object")
    return value


def text_field(body: dict[str, Any], name: str) -> str:
    """A required string field of a JSON body (400 when missing or not a string)."""
    value = body.get(name)
    if not isinstance(value, str):
        raise Refused(400, f'the body needs "{name}" as a string')
    return value


class RateLimiter:
    """A token bucket per key (a customer's token): ``burst`` at once, then ``per_minute`` on average.

    Kept in this process: each server counts its own, so N servers behind one address allow up to N
    times the rate. The oldest keys are forgotten past ``max_keys``.
    """

    def __init__(self, per_minute: float, burst: int, *, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Spend one request of ``key``: 0.0 when allowed, else the seconds until one is."""
        now = self._clock()
        tokens, since = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - since) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate if self.rate > 0 else 60.0
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait

    def give_back(self, key: str) -> None:
        """Return one request that ``take`` allowed but the channel then refused (it costs nothing)."""
        if key in self._buckets:
            tokens, since = self._buckets[key]
            self._buckets[key] = (min(self.burst, tokens + 1.0), since)
