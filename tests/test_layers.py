"""The shape of the code: every SQL string and every query lives in mlpath/store."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

MLPATH = Path(__file__).resolve().parents[1] / "mlpath"
STORE = MLPATH / "store"
SQL = re.compile(  # BEGIN: and END: are iCalendar's (mlpath/ics.py), never SQL's
    r"\b(SELECT|INSERT|UPDATE|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)|DROP\s+TABLE"
    r"|ALTER\s+TABLE|PRAGMA|BEGIN(?!:)|COMMIT|ROLLBACK)\b"
)
QUERIES = {"execute", "executemany", "executescript", "query"}


def _outside_store() -> list[Path]:
    return sorted(p for p in MLPATH.rglob("*.py") if STORE not in p.parents)


def test_no_sql_outside_the_store_package() -> None:
    found = []
    for path in _outside_store():
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and SQL.search(token.string):
                found.append(f"{path.relative_to(MLPATH.parent)}:{token.start[0]}")
    assert found == [], "SQL belongs in mlpath/store"


def test_no_queries_run_outside_the_store_package() -> None:
    found = []
    for path in _outside_store():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr in QUERIES:
                found.append(f"{path.relative_to(MLPATH.parent)}:{node.lineno}")
    assert found == [], "queries belong in mlpath/store"


def test_the_check_finds_sql_where_there_is_some() -> None:
    """The two checks above would see SQL if it were there (they cannot pass vacuously)."""
    store_sql = sum(
        1
        for path in STORE.rglob("*.py")
        for token in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
        if token.type == tokenize.STRING and SQL.search(token.string)
    )
    assert store_sql > 50
