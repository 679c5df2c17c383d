"""Import contracts: no module of support_tui imports itself back through others, and the layers hold."""

from __future__ import annotations

import grimp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_anywhere():
    # Imports under ``if TYPE_CHECKING:`` never run (a mixin naming its host screen for the type
    # checker); every import that runs, at the top of a module or inside a function, counts.
    graph = grimp.build_graph("support_tui", include_external_packages=False, exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_core_never_imports_the_console_the_command_line_or_a_shop_from_the_turn():
    graph = grimp.build_graph("support_tui", include_external_packages=False)
    core = {m for m in graph.modules if m.startswith("support_tui.core")}
    for module in core:
        imported = graph.find_modules_directly_imported_by(module)
        assert not {m for m in imported if m.startswith(("support_tui.tui", "support_tui.cli"))}, module
    for module in (m for m in graph.modules if m.startswith("support_tui.shops")):
        imported = graph.find_modules_directly_imported_by(module)
        assert not {m for m in imported if m.startswith("support_tui.core.turn")}, module
