"""The package as a whole: every public function and class documented."""



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
