"""A newcomer can hold any runtime module in their head: none is over MAX_LINES lines. A
module that grows past it is split by subject into a package (see `drives/actions/`), not
trimmed. Migrations are generated and read by Django, not by people, so they do not count."""

from pathlib import Path

import pacesetter

MAX_LINES = 800
PACKAGE = Path(pacesetter.__file__).resolve().parent


def oversized(root: Path, limit: int) -> list[str]:
    """Every module under `root` (migrations aside) with more than `limit` lines, largest
    first, as "path: N lines"."""
    found = []
    for path in root.rglob("*.py"):
        if "migrations" in path.relative_to(root).parts:
            continue
        with path.open(encoding="utf-8") as lines:
            count = sum(1 for _ in lines)
        if count > limit:
            found.append((count, path.relative_to(root.parent).as_posix()))
    return [f"{name}: {count} lines" for count, name in sorted(found, reverse=True)]


def test_no_runtime_module_is_over_the_limit():
    too_long = oversized(PACKAGE, MAX_LINES)
    assert not too_long, f"over {MAX_LINES} lines, split by subject:\n" + "\n".join(too_long)


def test_the_check_names_every_long_module_and_skips_migrations(tmp_path):
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "big.py").write_text("x = 1\n" * 12)
    (root / "bigger.py").write_text("x = 1\n" * 20)
    (root / "small.py").write_text("x = 1\n" * 10)
    (root / "migrations" / "0001_initial.py").write_text("x = 1\n" * 50)
    assert oversized(root, 10) == ["app/bigger.py: 20 lines", "app/big.py: 12 lines"]
