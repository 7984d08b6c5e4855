"""Helpers for hot paths."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a computation builds many short-lived, acyclic objects (the slot
    engine makes ~100k tuples per 8-week window): otherwise each few hundred allocations set off a collection that
    walks every object of the process, which doubled the engine's time. Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
