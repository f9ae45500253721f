"""The layering rule of docs/architecture.md, read from the code's own imports: shared
packages never import a feature, features never import each other's routes, no
blueprint module defines views, and the crawler stays free of Flask and of us."""

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
