"""The build's heap: keep the cyclic garbage collector away from millions of long-lived objects.

A build of 100,000 records holds millions of small objects (records, fragments) for its whole
run. CPython's collector traverses every young object when it runs, and then again as survivors
move up the generations: on a build of that size it spent several seconds per step doing so, and
found nothing to free (records and fragments hold no reference cycles).

``long_lived()`` pauses the collector while a step allocates, and when the step leaves many new
objects behind (a large build), moves everything alive into the collector's permanent generation
(``gc.freeze``: https://docs.python.org/3/library/gc.html#gc.freeze), where it is not traversed
again. Frozen objects are still freed by reference counting when they are no longer used; only a
reference cycle among them would outlive its use. Small builds (tests, the real data set) stay
below the threshold and never freeze.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: New objects a step must leave behind before they are frozen.
FREEZE_OBJECTS = 200_000


@contextmanager
def long_lived() -> Iterator[None]:
    """Run the block without cyclic collections; freeze what it leaves if that is a lot."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # With collection disabled, generation 0's count is the number of objects allocated
        # (and still alive) since the last collection.
        if gc.get_count()[0] >= FREEZE_OBJECTS:
            gc.freeze()
        if was_enabled:
            gc.enable()
