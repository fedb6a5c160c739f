#!/usr/bin/env python3
"""Lists import circles between the modules of each crate: module A uses B and B uses A,
directly or through others. A module and its own submodules count as related, not as a
circle (a parent owns what its children share), so only edges between modules neither of
which contains the other are followed.

Usage: scripts/module-cycles.py [CRATE_DIR ...]   (default: every workspace crate)
Exit status 1 when a circle is found, each printed as `crate: a -> b -> a`.
A reference is `crate::x::y` or `super::x` anywhere in a file (use lines and paths),
resolved to the deepest module file that exists; comments are skipped, `#[cfg(test)]`
modules are read too.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["chain", "cli", "examples", "gateway", "gateway-client", "indexer", "keeper", "ledger", "mirror", "payments", "tests"]
PATH = re.compile(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)+)")


def modules(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    found = {}
    for folder, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src)[:-3].split(os.sep)
            if rel[-1] == "mod" or (len(rel) == 1 and rel[0] in ("lib", "main")):
                rel = rel[:-1]
            if os.path.join(*rel or ["."]) .startswith("bin"):
                continue
            found[tuple(rel)] = os.path.join(folder, name)
    return found


def resolve(path, mods):
    """The deepest existing module a path names."""
    for end in range(len(path), 0, -1):
        if path[:end] in mods:
            return path[:end]
    return ()


def related(a, b):
    return a[: len(b)] == b or b[: len(a)] == a


def edges(mods):
    graph = {m: set() for m in mods}
    for module, file in mods.items():
        # Comments (doc links included) name modules without importing them.
        text = re.sub(r"//[^\n]*", "", open(file, encoding="utf-8").read())
        for base, rest in PATH.findall(text):
            parts = tuple(rest.split("::")[1:])
            if base == "crate":
                target = resolve(parts, mods)
            else:
                parent = module[:-1]
                steps = 1
                while parts and parts[0] == "super":
                    parent, parts, steps = parent[:-1], parts[1:], steps + 1
                target = resolve(parent + parts, mods) if parent + parts else ()
            if target != module and not related(module, target):
                graph[module].add(target)
    return graph


def circles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(module) or "(root)"


def main():
    crates = sys.argv[1:] or DEFAULT
    found = False
    for crate in crates:
        src = os.path.join(ROOT, crate, "src")
        if not os.path.isdir(src):
            src = os.path.join(ROOT, crate, "support") if os.path.isdir(os.path.join(ROOT, crate, "support")) else None
        if not src:
            continue
        graph = edges(modules(src))
        for component in circles(graph):
            found = True
            members = set(component)
            detail = "; ".join(
                f"{name(a)} -> {', '.join(name(b) for b in sorted(graph[a] & members))}" for a in component
            )
            print(f"{crate}: circle of {', '.join(name(m) for m in component)} ({detail})")
    if not found:
        print(f"no import circles in {', '.join(crates)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
