"""The demo is data (STYLE.md habit 12): its modules run the commands a person runs on setup
files and data files, and never write rows or call actions themselves. A demo module that did
would hide a missing door: the demo would show what no user can build."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pacesetter.demo

DEMO = Path(pacesetter.demo.__file__).resolve().parent
MODULES = sorted(p for p in DEMO.rglob("*.py") if "migrations" not in p.parts)

# Calls that write rows, whatever object they are called on.
WRITING = {
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "save",
    "delete",
    "update",
    "create_user",
    "create_superuser",
    "set_password",
}


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [alias.name for alias in node.names]
            if module.split(".")[-1] == "actions" or "actions" in names:
                problems.append(f"line {node.lineno}: imports actions ({module})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == "actions":
                    problems.append(f"line {node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in WRITING:
                problems.append(f"line {node.lineno}: calls .{name}()")
            if name in {"execute", "executemany"}:
                sql = node.args[0] if node.args else None
                pragma = (
                    isinstance(sql, ast.Constant)
                    and isinstance(sql.value, str)
                    and sql.value.lstrip().upper().startswith("PRAGMA")
                )
                if not pragma:
                    problems.append(f"line {node.lineno}: runs SQL")
    return problems


def test_the_demo_has_modules_to_check():
    assert any(p.name == "movements.py" for p in MODULES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(DEMO)))
def test_no_demo_module_writes_rows_or_calls_actions(path):
    assert _problems(path) == []


def test_the_check_catches_a_module_that_writes(tmp_path):
    module = tmp_path / "cheat.py"
    module.write_text(
        "from pacesetter.movements import actions\n"
        "from pacesetter.units.actions import import_units\n"
        "def load(user):\n"
        "    Unit.objects.create(code='X')\n"
        "    user.set_password('x')\n"
        "    connection.cursor().execute('DELETE FROM ledger_report')\n"
    )
    assert len(_problems(module)) == 5
