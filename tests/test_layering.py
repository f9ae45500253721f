"""The layering rule of docs/architecture.md, read from the code's own imports: shared
packages never import a feature, features never import each other's routes, no
blueprint module defines views, no module takes part in an import circle, and the
crawler stays free of Flask and of us."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reedsailing"
SHARED = {"core", "security", "apidocs", "integrations", "models"}
NOT_FEATURES = SHARED | {"scheduler", "demo", "ops", "templates", "__pycache__"}


def imports_of(path):
    """Absolute module names a file imports (at any depth: function-level imports count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def package_files(name):
    return sorted((PACKAGE / name).rglob("*.py"))


def features():
    return sorted(path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name not in NOT_FEATURES)


def test_shared_packages_never_import_a_feature():
    feature_packages = {f"reedsailing.{name}" for name in features()}
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for shared in SHARED
        for path in package_files(shared)
        for name in imports_of(path)
        if ".".join(name.split(".")[:2]) in feature_packages
    ]
    assert not offenders, offenders


def test_features_never_import_another_features_routes():
    offenders = []
    for feature in features():
        for path in package_files(feature):
            for name in imports_of(path):
                parts = name.split(".")
                if (
                    len(parts) >= 3
                    and parts[0] == "reedsailing"
                    and parts[1] != feature
                    and parts[2] == "routes"
                ):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not offenders, offenders


def test_every_feature_with_views_has_the_same_rooms():
    """blueprint.py holds only the blueprint; routes.py imports it (no import circle)."""
    for feature in features():
        routes = PACKAGE / feature / "routes.py"
        if not routes.exists():
            continue
        blueprint = PACKAGE / feature / "blueprint.py"
        assert blueprint.exists(), feature
        tree = ast.parse(blueprint.read_text(encoding="utf-8"))
        assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
        assert [target.id for node in assigned for target in node.targets] == ["bp"], feature
        assert f"reedsailing.{feature}.blueprint" in imports_of(routes), feature
        assert not any(f"reedsailing.{feature}.routes" in imports_of(p) for p in package_files(feature))


def test_the_crawler_knows_neither_flask_nor_the_app():
    for path in sorted((ROOT / "crawler").rglob("*.py")):
        names = imports_of(path)
        assert not {name for name in names if name.split(".")[0] in {"flask", "reedsailing"}}, path


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_time_imports(tree):
    """The import statements a module runs when it is imported: at its top level, in its
    top-level if/try/with blocks (`if TYPE_CHECKING:` ones too: mypy follows them) and in
    class bodies; not those inside functions, which run later. (Relative imports are
    refused by the linter, so every name is absolute.)"""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def import_graph(modules):
    """module -> the modules of `modules` it imports at import time. `from a import b` is
    an edge to the module a.b when there is one, else to a."""
    graph = {}
    for name, tree in modules.items():
        targets = set()
        for node in import_time_imports(tree):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif node.module:
                targets.update(
                    f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                    for alias in node.names
                )
        graph[name] = {target for target in targets if target in modules}
    return graph


def find_cycles(graph):
    """One import circle (first module repeated last) per back edge of a depth-first walk:
    none exactly when the graph has no circle."""
    cycles, path, done = [], [], set()

    def visit(module):
        path.append(module)
        for target in sorted(graph[module]):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    return cycles


def test_no_module_takes_part_in_an_import_circle():
    modules = {
        module_name(path): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    cycles = find_cycles(import_graph(modules))
    assert not cycles, [" -> ".join(cycle) for cycle in cycles]


def test_the_circle_check_reads_what_runs_at_import():
    modules = {
        "a": ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from b import B\n"),
        "b": ast.parse("import c\ndef later():\n    from a import A\n"),
        "c": ast.parse("try:\n    from a import x\nexcept ImportError:\n    pass\n"),
        "d": ast.parse("from a import b\nfrom p import q, r\n"),
        "p": ast.parse(""),
        "p.q": ast.parse("import p\n"),
    }
    graph = import_graph(modules)
    assert graph == {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "p", "p.q"}, "p": set(), "p.q": {"p"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
