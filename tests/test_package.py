"""The package as a whole: every public function and class documented, no import cycle."""



def test_every_public_function_and_class_has_a_docstring():
    import ast

    from rsclip_utils.paths import repo_root

    missing = []
    for path in sorted((repo_root() / "rsclip_utils").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            items = [node]
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                items += [n for n in node.body if isinstance(n, ast.FunctionDef)]
            for n in items:
                kind = isinstance(n, (ast.FunctionDef, ast.ClassDef))
                if kind and not n.name.startswith("_") and not ast.get_docstring(n):
                    missing.append(f"{path.name}:{n.lineno} {n.name}")
    assert not missing, missing


def import_graph() -> dict[str, set[str]]:
    """Which of the package's modules each module imports: every ``import`` and ``from ...
    import`` statement, at the top or inside a function (a lazy import hides a cycle from
    Python, not from this graph), relative ones resolved. ``from . import name`` points at the
    submodule ``name`` when there is one; a module's own parent packages, which Python imports
    before any submodule, are not counted."""
    import ast

    from rsclip_utils.paths import repo_root

    package = repo_root() / "rsclip_utils"
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)

    def known(name: str) -> str | None:  # the innermost module of the package that ``name`` is in
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
                targets |= {known(f"{base}.{a.name}") if f"{base}.{a.name}" in modules
                            else known(base) for a in node.names}
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        graph[name] = targets - {None, name} - ancestors
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path that ends where it starts, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_finds_a_cycle_and_its_parts():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    graph = import_graph()
    assert "rsclip_utils.recipe" in graph["rsclip_utils.training"]  # a relative import
    assert "rsclip_utils.datasets.values" in graph["rsclip_utils.datasets.boxtxt"]  # from . import
    assert "rsclip_utils.training" in graph["rsclip_utils.pipeline"]  # inside a function


def test_the_package_has_no_import_cycle():
    """Each module can be read, imported and tested after the modules it imports; a lazy import
    that only hides a cycle counts as the cycle it hides."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_recipe_imports_nothing_else_of_the_package():
    """The training recipe is data: the profiles, the loop, its checkpoints and the pipeline's
    stamps read it, and it reads none of them."""
    assert import_graph()["rsclip_utils.recipe"] == set()


def test_colour_for_gives_distinct_labels_distinct_colours():
    """viz.colour_for: the DOTA and DIOR names that shared a colour before (harbor and
    small-vehicle, ship and vehicle) differ now, and a label keeps its colour."""
    from rsclip_utils import viz

    viz._label_colours.clear()  # as in a fresh kernel
    names = ["harbor", "small-vehicle", "ship", "vehicle", "forest", "barren land"]
    names += [f"class {k}" for k in range(40)]
    colours = [viz.colour_for(n) for n in names]
    assert len(set(colours)) == len(names)
    assert [viz.colour_for(n) for n in names] == colours
