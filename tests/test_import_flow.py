"""Imports flow one way: a lower layer never imports a higher one.

Every module under src/pacesetter/ is parsed (not imported) and every import in it is checked,
at module level or inside a function alike: hiding an import in a function still makes the
lower app depend on the higher one. Only imports under `if TYPE_CHECKING:` are left out: they
name a type for an annotation and never run.

The layers, lowest first (docs/architecture.md draws them):

0. core: primitives every app uses.
1. accounts and audit, one layer: who is acting and what they may do (`accounts.permissions`)
   and the trail of what they did (`audit.actions`). Every action of every app writes its audit
   row under the current actor, accounts' own actions included, so the two stand together;
   neither imports a unit, a movement or anything above.
2. units: the tree every right is scoped to.
3. movements.
4. The web faces of accounts and audit: the role-grant pages and API and the audit trail's
   pages and API find a unit and a movement by its code or slug, so these modules sit above
   movements (and below the ledger) while the rest of their apps stays in layer 1.
5. ledger.
6. figures.
7. emulation, titles, drives, experience, reserves, voices: siblings, each above figures.
8. visits: an official's visit to a unit gathers what the layer-7 apps hold about it (the
   voices collected on the spot will be linked from here), so it sits above them all.
9. The project (settings, urls, api, cli, wsgi, asgi), the setup files (`apply`, `export`,
   which reach every app's actions) and the demo, above every app.

Imports within one layer are allowed (an app's own modules, and the accounts ↔ audit pair).
The bench suite (`pacesetter_bench`) lives outside the product package: nothing in it may
import the bench.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pacesetter

SOURCE = Path(pacesetter.__file__).resolve().parent

ABOVE_EVERYTHING = 9
BENCH = 10

# Module prefix → layer; the longest prefix that matches a module decides.
LAYERS: dict[str, int] = {
    "pacesetter.core": 0,
    "pacesetter.accounts": 1,
    "pacesetter.audit": 1,
    "pacesetter.units": 2,
    "pacesetter.movements": 3,
    "pacesetter.accounts.api": 4,
    "pacesetter.accounts.views": 4,
    "pacesetter.accounts.forms": 4,
    "pacesetter.accounts.urls": 4,
    "pacesetter.audit.api": 4,
    "pacesetter.audit.views": 4,
    "pacesetter.audit.urls": 4,
    "pacesetter.ledger": 5,
    "pacesetter.figures": 6,
    "pacesetter.emulation": 7,
    "pacesetter.titles": 7,
    "pacesetter.drives": 7,
    "pacesetter.experience": 7,
    "pacesetter.reserves": 7,
    "pacesetter.visits": 8,
    "pacesetter.voices": 7,
    "pacesetter.setup": ABOVE_EVERYTHING,
    "pacesetter.demo": ABOVE_EVERYTHING,
    "pacesetter": ABOVE_EVERYTHING,  # settings, urls, api, cli, wsgi, asgi
    "pacesetter_bench": BENCH,
}


def layer_of(module: str) -> int | None:
    """The layer of a module of ours, or None for any other (Django, the standard library)."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:length]))
        if layer is not None:
            return layer
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import that runs, anywhere in the file; `from a import b`
    counts as `a.b`, so importing a submodule by name is seen too."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            found.extend((node.lineno, f"{source}.{alias.name}") for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def violations() -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        importer = module_name(path)
        own = layer_of(importer)
        for line, imported in imports_of(path):
            theirs = layer_of(imported)
            if theirs is not None and own is not None and theirs > own:
                found.append(
                    f"{path.relative_to(SOURCE.parent)}:{line}: {importer} (layer {own}) "
                    f"imports {imported} (layer {theirs})"
                )
    return found


def test_no_import_runs_back_up():
    assert violations() == []


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path, monkeypatch):
    """A function-level import from a lower app to a higher one is found, with its line."""
    module = tmp_path / "pacesetter" / "core" / "sneaky.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pacesetter.units.models import Unit\n"
        "def f():\n"
        "    from ..figures import selectors\n"
        "    return selectors\n"
    )
    monkeypatch.setattr(f"{__name__}.SOURCE", tmp_path / "pacesetter")
    assert violations() == [
        "pacesetter/core/sneaky.py:5: pacesetter.core.sneaky (layer 0) "
        "imports pacesetter.figures.selectors (layer 6)"
    ]


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in SOURCE.glob("*/apps.py")}
    assert {app for app in apps if f"pacesetter.{app}" not in LAYERS} == set()
