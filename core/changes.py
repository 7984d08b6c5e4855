"""Change records: how a domain tells the layers above it what it changed, without importing them.

A service records typed changes (small frozen dataclasses of ids, one class per kind of change, declared by the app
that makes the change) inside its transaction with `changes_record`. When the outermost `changes_collect()` block
ends — a record made outside any block is a block of its own — the batch, each change once and in the order first
recorded, goes to every listener named in `settings.CHANGE_LISTENERS`. They are called explicitly, in order, inside
the caller's transaction: a listener that writes (the OSOZ outbox) commits or rolls back with the change itself, and
one that must act only after commit (the live calendar) asks for that with `transaction.on_commit`.

Not Django signals: the listeners are one short list in settings, nothing subscribes itself on import, and a batch
lets a page of a hundred bookings be heard as one. A block that raises dispatches nothing; a change made in a
savepoint that is later rolled back is still heard, which costs a listener some harmless repeated work."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Change:
    """The base of every change record: subclasses are frozen dataclasses of ids and dates, so equal changes compare
    equal and a batch holds each one once."""


# The changes collected by the innermost open block of this thread or task: an ordered set.
_collected: ContextVar[dict[Change, None] | None] = ContextVar("changes_collected", default=None)


@contextmanager
def changes_collect() -> Iterator[None]:
    """Collect the changes recorded inside the block and hand them to the listeners when it ends. A block inside
    another one joins it."""
    if _collected.get() is not None:
        yield
        return
    collected: dict[Change, None] = {}
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
    if collected:
        batch = list(collected)
        for path in settings.CHANGE_LISTENERS:
            import_string(path)(batch)


def changes_record(*changes: Change) -> None:
    """Record changes in the caller's transaction (a batch of their own unless a `changes_collect` block is open)."""
    with changes_collect():
        _collected.get().update(dict.fromkeys(changes))
