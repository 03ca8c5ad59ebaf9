"""The import rule of docs/architecture.md: every app imports only from the floors below it.

Read from the source with `ast`, so a lazy import inside a function counts as much as one at the
top of a module; migrations are generated and leave out of it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import undersigned

PACKAGE = Path(undersigned.__file__).parent

# Bottom first. An app may import its own modules and any app on a lower floor, nothing else.
FLOORS: list[frozenset[str]] = [
    frozenset({"crypto"}),
    frozenset({"common"}),
    frozenset({"mail"}),
    frozenset({"letters"}),
    frozenset({"accounts"}),
    frozenset({"publiclog"}),
    frozenset({"signing"}),
    frozenset({"delivery"}),
    frozenset({"campaign"}),
    frozenset({"web"}),
    # The entry points: they start Django, so they may import anything.
    frozenset({"__init__", "settings", "__main__", "demo", "seed", "wsgi"}),
]

# Written-down exceptions: (importing app, imported app) -> why. Keep it empty if you can.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _floor(app: str) -> int:
    for number, floor in enumerate(FLOORS):
        if app in floor:
            return number
    raise AssertionError(f"{app} is on no floor: add it to FLOORS and docs/architecture.md")


def _app(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imported_apps(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "undersigned":
                names = [f"undersigned.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "undersigned" and len(parts) > 1:
                found.add(parts[1])
    return found


def wrong_way_imports() -> list[str]:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        app = _app(path)
        for imported in sorted(_imported_apps(ast.parse(path.read_text(), str(path)))):
            if imported == app or (app, imported) in EXCEPTIONS:
                continue
            same_floor_allowed = _floor(app) == len(FLOORS) - 1
            if _floor(imported) > _floor(app) or (
                _floor(imported) == _floor(app) and not same_floor_allowed
            ):
                wrong.append(f"{path.relative_to(PACKAGE)}: {app} imports {imported}")
    return wrong


def test_imports_follow_the_floors() -> None:
    assert wrong_way_imports() == []


def test_floors_cover_every_app() -> None:
    apps = {_app(path) for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}
    placed = set().union(*FLOORS)
    assert sorted(apps - placed) == []
