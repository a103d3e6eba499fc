"""A step's load runs with the heap it started with frozen: full collections skip it meanwhile,
and its garbage is collected after."""

import gc
import weakref

from media_assets.lib import heap


class Node:
    """An object in a reference cycle: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_what_lived_before_the_load_is_skipped_by_collections_and_collected_after() -> None:
    node = Node()
    gone = weakref.ref(node)
    with heap.frozen():
        del node
        gc.collect()
        assert gone() is not None, "frozen: a full collection does not scan it"
        made_inside = Node()
        inside = weakref.ref(made_inside)
        del made_inside
        gc.collect()
        assert inside() is None, "what the load makes is collected as before"
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None, "back in the oldest generation: its garbage is collected"
