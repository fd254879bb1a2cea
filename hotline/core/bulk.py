"""Prepared bulk SQL for writes of many thousands of rows (imports).

Django's ``bulk_create`` spends some 60 µs a row building instances and
compiling SQL, ``bulk_update`` builds a CASE per object and field, and a
long ``pk__in`` costs ~6 µs a value to prepare. These helpers compile one
statement per model and pass plain tuples as parameters through the cursor
(``executemany``, or multi-row ``INSERT … RETURNING``), in batches that stay
under the database's limit of query parameters. They run on SQLite and
PostgreSQL alike.

They write no change log and publish no event: the caller does both, in
bulk, as the customer import does.
"""

import sqlite3

from django.db import connection, models
from django.db.models.constants import OnConflict
from django.utils import timezone


class BulkInsert:
    """INSERTs rows of one model straight through the cursor. A row is a
    tuple of the ``names`` columns; the other columns take their field's
    default (``auto_now`` ones: the time the BulkInsert was made), prepared
    once."""

    def __init__(self, model, names: list[str]):
        opts = model._meta
        given = [opts.get_field(name) for name in names]
        others = [f for f in opts.concrete_fields if not f.primary_key and f not in given]
        now = timezone.now()
        self.constants = tuple(
            f.get_db_prep_save(now if _is_auto_now(f) else f.get_default(), connection)
            for f in others
        )
        self.converters = [(i, c) for i, f in enumerate(given) if (c := _converter(f))]
        quote = connection.ops.quote_name
        self.table = quote(opts.db_table)
        self.columns = ", ".join(quote(f.column) for f in given + others)
        self.placeholder = "(" + ", ".join(["%s"] * (len(given) + len(others))) + ")"
        self.pk = quote(opts.pk.column)
        self.width = len(given) + len(others)

    def _prepared(self, rows) -> list[tuple]:
        constants = self.constants
        if not self.converters:
            return [tuple(row) + constants for row in rows]
        prepared = []
        for row in rows:
            row = list(row)
            for index, convert in self.converters:
                row[index] = convert(row[index])
            prepared.append(tuple(row) + constants)
        return prepared

    def insert(self, rows, *, ignore_conflicts: bool = False) -> None:
        if not rows:
            return
        conflict = OnConflict.IGNORE if ignore_conflicts else None
        sql = (
            f"{connection.ops.insert_statement(on_conflict=conflict)} {self.table} "
            f"({self.columns}) VALUES {self.placeholder} "
            f"{connection.ops.on_conflict_suffix_sql([], conflict, [], []) if conflict else ''}"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, self._prepared(rows))

    def insert_returning_pks(self, rows) -> list[int]:
        """Multi-row INSERT … RETURNING, as bulk_create does (same row order)."""
        prepared = self._prepared(rows)
        size = max(1, min(1000, _max_query_params() // self.width))
        pks: list[int] = []
        with connection.cursor() as cursor:
            for start in range(0, len(prepared), size):
                batch = prepared[start : start + size]
                values = ", ".join([self.placeholder] * len(batch))
                # Table and column names come from the model; values are parameters.
                cursor.execute(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES {values} "  # noqa: S608
                    f"RETURNING {self.pk}",
                    [value for row in batch for value in row],
                )
                pks += [row[0] for row in cursor.fetchall()]
        return pks


def select_in(model, names: list[str], key: str, values: list) -> list[tuple]:
    """Rows (of the ``names`` columns) whose ``key`` is one of ``values``: the
    ORM spends ~6 µs preparing each value of a long IN list."""
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in names)
    size = max(1, _max_query_params() - 1)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            batch = values[start : start + size]
            cursor.execute(
                f"SELECT {columns} FROM {quote(opts.db_table)} "  # noqa: S608
                f"WHERE {quote(opts.get_field(key).column)} IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )
            found += cursor.fetchall()
    return found


def update_rows(objects: list, names: list[str]) -> None:
    """UPDATE the ``names`` fields of ``objects`` with one prepared statement
    (bulk_update builds a CASE per object and field, slow for thousands)."""
    if not objects:
        return
    opts = type(objects[0])._meta
    fields = [opts.get_field(name) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"  # noqa: S608
    rows = [
        (*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk)
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _is_auto_now(field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _converter(field):
    if isinstance(field, models.JSONField):
        empty = field.get_db_prep_save({}, connection)
        return lambda value: field.get_db_prep_save(value, connection) if value else empty
    if isinstance(field, models.DateField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _max_query_params() -> int:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65535
