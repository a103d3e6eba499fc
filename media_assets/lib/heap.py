"""The heap a step's load starts with, kept out of Python's full garbage collections meanwhile."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen() -> Iterator[None]:  # a context manager, or a decorator: `@heap.frozen()`
    """Full collections skip every object alive when the block starts (modules, Dagster's and dlt's
    machinery, the definitions), and scan only what the block itself makes.

    A full collection of that heap (about 0.2 s here) holds the GIL from every request worker at
    once: 32 requests in flight became none. After the block the objects go back to the oldest
    generation, so garbage among them is still collected, later.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
