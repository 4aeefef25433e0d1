"""The statements a learner's action runs on every request, written as SQL.

Building a query through the ORM (the queryset, its compiler, an aggregate's subquery) costs
several times what the database then takes to run it. Measured in the workbench (CPU time per
call): `filter(...).aggregate(Max(...))` about 230 µs, `filter(...).first()` 310 µs,
`bulk_create(..., update_conflicts=True)` 175 µs; the same statements through a cursor 25 to
50 µs, a read through `Model.objects.raw` 70 µs (rows as model instances); the runtime floor's
whole handler takes about 5 ms. So the reads and writes that every action of every learner runs
are written here once: tables' and columns' names come from the models, quoted for the database
in use, and an upsert is written in each database's own documented syntax (`ON CONFLICT ... DO
UPDATE` in SQLite and PostgreSQL, `ON DUPLICATE KEY UPDATE` in MariaDB and MySQL), not with
Django's internal builders. Each statement's text is built once per process. Only identifiers
from the models' meta are put into a statement's text, every value goes as a parameter (hence
each `noqa: S608`, the linter's warning about SQL built from strings). Everything else in the
plugin app uses the ORM.
"""

from functools import lru_cache

from django.db import connections, router


def quoted(model, *fields: str) -> tuple[str, list[str]]:
    """A model's table and the columns of some of its fields, quoted for its database."""
    quote = connections[router.db_for_read(model)].ops.quote_name
    return quote(model._meta.db_table), [quote(model._meta.get_field(f).column) for f in fields]


@lru_cache(maxsize=32)
def _max_columns_sql(database: str, columns: tuple) -> str:
    parts = []
    for model, field in columns:
        table, (column, learner, usage) = quoted(model, field, "learner_id", "usage_id")
        parts.append(
            f"(SELECT MAX({column}) FROM {table} WHERE {learner} = %s AND {usage} = %s)"  # noqa: S608
        )
    return "SELECT " + ", ".join(parts)


def max_columns(learner_id: str, usage_id: str, columns: tuple) -> list[int | None]:
    """MAX(field) over one learner's rows at one block, for each (model, field) of `columns`,
    in one statement of scalar subqueries: one round trip for all their tables."""
    database = router.db_for_read(columns[0][0])
    with connections[database].cursor() as cursor:
        cursor.execute(_max_columns_sql(database, columns), [learner_id, usage_id] * len(columns))
        return list(cursor.fetchone())


def _inserted_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]


def _upsert_clause(connection, unique: list[str], update: list[str]) -> tuple[str, str]:
    """What follows VALUES (...) so that a row that exists is updated: (alias, clause)."""
    if connection.vendor == "mysql":
        if getattr(connection, "mysql_is_mariadb", False):
            sets = ", ".join(f"{c} = VALUES({c})" for c in update)
            return "", f"ON DUPLICATE KEY UPDATE {sets}"
        # MySQL 8.0.19 and later name the new row; VALUES() there is deprecated.
        sets = ", ".join(f"{c} = new_row.{c}" for c in update)
        return " AS new_row", f"ON DUPLICATE KEY UPDATE {sets}"
    if connection.vendor in ("postgresql", "sqlite"):
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
        return "", f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET {sets}"
    raise NotImplementedError(f"No upsert for the {connection.vendor} database")


@lru_cache(maxsize=32)
def _insert_sql(database: str, model, unique: tuple, update: tuple) -> str:
    connection = connections[database]
    quote = connection.ops.quote_name
    fields = _inserted_fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    statement = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    statement += "(" + ", ".join(["%s"] * len(fields)) + ")"
    if not update:
        return statement
    alias, clause = _upsert_clause(
        connection,
        [quote(model._meta.get_field(f).column) for f in unique],
        [quote(model._meta.get_field(f).column) for f in update],
    )
    return f"{statement}{alias} {clause}"


def insert(row, unique: tuple[str, ...] = (), update: tuple[str, ...] = ()) -> None:
    """INSERT one model instance (its primary key is not read back). With `update`: when a
    row with the same `unique` fields exists, bring its `update` fields up to date instead
    (what `bulk_create(update_conflicts=True)` writes, in one statement). Without: a row that
    exists raises IntegrityError (run it in a savepoint when the transaction must go on)."""
    model = type(row)
    database = router.db_for_write(model)
    connection = connections[database]
    values = [
        f.get_db_prep_save(f.pre_save(row, True), connection) for f in _inserted_fields(model)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(database, model, unique, update), values)
