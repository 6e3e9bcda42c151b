"""Rows by plain statements: one model instance for the few lookups every API call makes (its
token, its user, its movement), and the rows matching a long IN list.

Django's `Model.objects.filter(...)` compiles the query on every call and `raw()` inspects
the cursor's columns each time; on a one-report request those costs were larger than
SQLite's work. Here the column list and each column's converters (SQLite's dates arrive as
text, its booleans as integers) are worked out once per model and connection, and a row
becomes an instance through `Model.from_db`, as the ORM itself does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router

M = TypeVar("M", bound=models.Model)

Converters = list[tuple[Callable[[Any, Any, Any], Any], Any]]
IN_CHUNK = 5000
_PLANS: dict[tuple[type[models.Model], str], tuple[str, list[str], list[Converters]]] = {}


def _plan(model: type[models.Model], alias: str) -> tuple[str, list[str], list[Converters]]:
    """(select list, attribute names, converters per column) for `model` on `alias`."""
    key = (model, alias)
    if key not in _PLANS:
        connection = connections[alias]
        fields = list(model._meta.concrete_fields)
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
        converters = []
        for field in fields:
            column = field.get_col(model._meta.db_table)
            converters.append(
                [
                    (convert, column)
                    for convert in connection.ops.get_db_converters(column)
                    + field.get_db_converters(connection)
                ]
            )
        _PLANS[key] = (columns, [field.attname for field in fields], converters)
    return _PLANS[key]


def select_list(model: type[models.Model]) -> str:
    """The model's columns, table-qualified, to put after SELECT (extra columns may follow)."""
    return _plan(model, router.db_for_read(model))[0]


def fetch_one(
    model: type[M], sql: str, params: Sequence[Any], *, extra: Sequence[str] = ()
) -> M | None:
    """The first row of `sql` as a `model` instance, or None. `sql` must select
    `select_list(model)` first, then one column for each name in `extra`, which are set as
    attributes on the instance as they come."""
    found = fetch_models([model], sql, params, extra=extra)
    return None if found is None else found[0]


def fetch_models(
    models_: Sequence[type[models.Model]],
    sql: str,
    params: Sequence[Any],
    *,
    extra: Sequence[str] = (),
) -> list[Any] | None:
    """The first row of `sql` as one instance of each model (a join in one statement), or
    None. `sql` selects `select_list(model)` of each model in turn, then the `extra` columns,
    which are set as attributes on the first instance."""
    alias = router.db_for_read(models_[0])
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[Any] = []
    offset = 0
    for model in models_:
        _, names, converters = _plan(model, alias)
        values = []
        for value, column_converters in zip(row[offset:], converters, strict=False):
            for convert, column in column_converters:
                value = convert(value, column, connection)
            values.append(value)
        instances.append(model.from_db(alias, names, values))
        offset += len(names)
    for name, value in zip(extra, row[offset:], strict=True):
        setattr(instances[0], name, value)
    return instances


def one_of(column: str, values: Sequence) -> tuple[str, list]:
    """A condition that `column` is one of `values`, as one parameter whatever their number
    (an array on PostgreSQL, a JSON list on SQLite): no parameter limit, and one statement's
    text for any count, which PostgreSQL plans faster than a long IN list."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(values))]


def rows_in(sql: str, values: Sequence[str]) -> list[tuple]:
    """The rows of `sql` whose `{}` is an IN list, for every value, in chunks the database
    accepts. Plain SQL rather than `filter(field__in=...)`: for 10,000 values the ORM's
    preparation of each value took 40-70 ms per lookup, several times the query itself."""
    connection = connections[DEFAULT_DB_ALIAS]
    size = min(IN_CHUNK, connection.features.max_query_params or IN_CHUNK)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            cursor.execute(sql.format(", ".join(["%s"] * len(chunk))), chunk)
            found.extend(cursor.fetchall())
    return found


def _parameter_limit(connection) -> int:
    """How many parameters one statement may bind: Django says 999 for SQLite, the limit of
    SQLite before 3.32; ask the library itself (32,766 since)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65_535


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    suffix: str = "",
    returning: str | None = None,
) -> list[Any]:
    """Insert many rows; `suffix` follows the VALUES (an ON CONFLICT clause), and `returning`
    names a column to give back, row by row in the order given (as Django's bulk_create
    relies on). On SQLite, multi-row VALUES statements, as many rows a statement as the library
    takes parameters: half the time of executemany for thousands of rows of an indexed table.
    On PostgreSQL, psycopg's executemany (pipelined): a third of the time of multi-row VALUES
    for 5,000 event rows."""
    connection = connections[DEFAULT_DB_ALIAS]
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    tail = (f" {suffix}" if suffix else "") + (f" RETURNING {returning}" if returning else "")
    returned: list[Any] = []
    if not rows:
        return returned
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor
            raw.executemany(head + row_sql + tail, rows, returning=bool(returning))
            if returning:
                while True:
                    returned.extend(value for (value,) in raw.fetchall())
                    if not raw.nextset():
                        break
        return returned
    per_statement = max(1, min(1000, _parameter_limit(connection) // len(columns)))
    # SQLite's own placeholders: Django's cursor rewrites each %s into ? with a regular
    # expression, 2.3 ms for a statement of 16,000 of them against 0.7 ms to find none. Not
    # while queries are logged (DEBUG, tests counting them): the log formats with %s.
    if not connection.queries_logged:
        row_sql = "(" + ", ".join(["?"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                head + ", ".join([row_sql] * len(chunk)) + tail,
                [value for row in chunk for value in row],
            )
            if returning:
                returned.extend(value for (value,) in cursor.fetchall())
    return returned
