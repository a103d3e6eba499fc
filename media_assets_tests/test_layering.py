"""The import layering: pyproject's import-linter contracts hold, and no module imports a module
that imports it back."""

import subprocess
from collections import deque
from collections.abc import Iterable, Mapping
from itertools import pairwise

import grimp

from .helpers import ROOT
from .helpers.webserver import bin_path


def test_import_contracts_are_kept() -> None:
    """`lint-imports` from the project root, as CI runs it: every contract in pyproject.toml is kept."""
    done = subprocess.run(
        [bin_path("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def strongly_connected_components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Tarjan's algorithm, without recursion: every component, each sorted, components in no set order."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(graph[successor])))
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[node])
                if lowlink[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_cycle_through(start: str, graph: Mapping[str, Iterable[str]]) -> list[str]:
    """The modules on a shortest import path from `start` back to itself, `start` at both ends."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in graph[node]:
            if successor == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if successor not in came_from:
                came_from[successor] = node
                queue.append(successor)
    raise AssertionError(f"{start} is on no cycle")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """For each strongly connected component of more than one module, or a module importing itself,
    its shortest cycle (the first of those of that length)."""
    imports = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in graph.modules}
    return [
        min((shortest_cycle_through(module, imports) for module in component), key=len)
        for component in strongly_connected_components(imports)
        if len(component) > 1 or component[0] in imports[component[0]]
    ]


def describe(cycle: list[str], graph: grimp.ImportGraph) -> str:
    lines = []
    for importer, imported in pairwise(cycle):
        details = graph.get_import_details(importer=importer, imported=imported)
        where = ", ".join(f"l.{d['line_number']}: {d['line_contents']}" for d in details)
        lines.append(f"  {importer} -> {imported} ({where})")
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    """No media_assets module imports, even lazily or under TYPE_CHECKING, one that imports it back."""
    graph = grimp.build_graph("media_assets", exclude_type_checking_imports=False, cache_dir=None)
    assert "media_assets.sandbox.world" in graph.modules  # the graph is of the whole package
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n\n".join(describe(c, graph) for c in cycles)


def test_cycle_finder_sees_cycles() -> None:
    """The finder itself: a self-import and a three-module loop are found, a diamond is not a cycle."""
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "d")]:
        graph.add_import(importer=importer, imported=imported)
    for importer, imported in [("e", "f"), ("e", "g"), ("f", "h"), ("g", "h")]:
        graph.add_import(importer=importer, imported=imported)
    cycles = import_cycles(graph)
    assert sorted(cycles) == [["a", "b", "c", "a"], ["d", "d"]]
