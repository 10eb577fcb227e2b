"""The layering contract of STYLE.md: an app imports only from apps below it."""

import ast
from pathlib import Path

import switchyard

LAYERS = [
    {"core"},
    {"accounts"},
    {"products"},
    {"sync"},
    {"monitoring"},
    {"trackers"},  # tickets are made from Sentry issues: trackers builds on monitoring
    {"support"},
    {"automation"},
    {"insights"},
    {"web"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
PACKAGE = Path(switchyard.__file__).parent


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {
        name.split(".")[1] for name in names if name.startswith("switchyard.") and name.count(".")
    }


def test_apps_import_only_downwards():
    violations = []
    for path in PACKAGE.rglob("*.py"):
        app = path.relative_to(PACKAGE).parts[0]
        if app not in RANK or "tests" in path.parts:
            continue
        for other in imported_apps(path):
            if other in RANK and RANK[other] > RANK[app]:
                violations.append(f"{path.relative_to(PACKAGE)} imports switchyard.{other}")
    assert violations == []


def test_every_app_is_placed_in_a_layer():
    apps = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps - {"fakes"} <= set(RANK)
