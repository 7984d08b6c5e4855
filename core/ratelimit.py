"""How many times something happened within a window of time, counted in the shared cache (Redis in production,
in-process in development and tests): it holds back what clients nobody has authenticated can do — failed logins from
one address, refused webhook deliveries — and coalesces what they write to the audit log (core.services). Windows
are aligned to the clock, so one ends at the same moment in every process, and under a test's travelling clock too."""

import hashlib
import math
import time

from django.core.cache import cache


def _window(seconds: int) -> tuple[int, int]:
    """The index of the current window of `seconds`, and the whole seconds left of it."""
    now = time.time()
    index = int(now // seconds)
    return index, math.ceil((index + 1) * seconds - now)


def ratelimit_key(name: str, index: int | str) -> str:
    """The cache key of `name` (any text: an address, a reason) in window `index`, safe for every cache backend."""
    return f"ratelimit:{hashlib.sha256(name.encode()).hexdigest()}:{index}"


def ratelimit_hit(name: str, *, seconds: int, keep: int | None = None) -> tuple[int, int]:
    """Count `name` once more in the current window of `seconds`; returns the window's index and its count so far.
    The count is kept until the window ends, or `keep` seconds when it is read later (ratelimit_count)."""
    index, left = _window(seconds)
    key = ratelimit_key(name, index)
    cache.add(key, 0, timeout=keep or left + 1)
    return index, cache.incr(key)


def ratelimit_count(name: str, *, index: int) -> int:
    """How many times `name` was counted in window `index`."""
    return cache.get(ratelimit_key(name, index), 0)


def ratelimit_wait(name: str, *, limit: int, seconds: int) -> int | None:
    """The seconds until the current window of `seconds` ends once `name` has reached `limit` in it; None before."""
    index, left = _window(seconds)
    return left if ratelimit_count(name, index=index) >= limit else None


def ratelimit_clear(name: str, *, seconds: int) -> None:
    """Forget what `name` has counted in the current window of `seconds` (a successful login ends a run of failures)."""
    index, _left = _window(seconds)
    cache.delete(ratelimit_key(name, index))
