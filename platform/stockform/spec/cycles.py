"""Find dependency loops so they can be reported with the loop spelled out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def report_cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each elementary loop once, as [a, b, a]; nodes in stable order."""
    loops: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                loop = stack[stack.index(nxt) :] + [nxt]
                key = frozenset(loop)
                if key not in seen_sets:
                    seen_sets.add(key)
                    loops.append(loop)
            elif state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return loops
