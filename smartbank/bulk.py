"""Inserting many rows of one table at once, as fast as the database allows.

``insert_rows(model, rows)`` takes rows as dicts of field values and returns the saved
instances; ``bulk_insert(model, columns, rows, count=...)`` under it writes rows of column
values and returns their new primary keys in the order of the rows.

On PostgreSQL the rows are streamed with ``COPY FROM STDIN``, the server's bulk-load path:
one statement for any number of rows, nothing to build or parse per row, and several times
faster than multi-row INSERTs for an import's tens of thousands of rows. The keys are drawn
from the table's identity sequence first (COPY has no RETURNING), and each row is prepared
while the server stores the ones before it, so the two processes work side by side.
Elsewhere (SQLite) it is ``QuerySet.bulk_create``.

Nothing is bypassed: constraints, indexes and foreign keys are checked as for any insert,
and an error is Django's (IntegrityError, DataError) either way. As with bulk_create,
``save()`` and the save signals do not run.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models.base import ModelState
from django.db.models.signals import post_init
from django.utils import timezone

# Rows per INSERT where bulk_create is used; Django lowers it to what the database allows.
INSERT_BATCH_SIZE = 2000

T = TypeVar("T")
# Ids or keys per ``IN (...)`` list: below SQLite's 999 parameters of old, with room left for
# the other parameters of a query.
IN_LIST_CHUNK = 900


def chunked(items: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``: for lists of ids too long for
    one query, or one UPDATE."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    count: int | None = None,
    using: str | None = None,
) -> list[models.Model]:
    """Insert rows given as ``{field name or attname: value}``; return them saved, in order.

    ``rows`` is read once, as the rows are written: it may be a generator that prepares
    each row (``count`` then says how many it yields).

    What bulk_create does with model instances, without building one per row before the
    insert: a field a row leaves out gets its default (a callable default is called per
    row), an ``auto_now``/``auto_now_add`` field the time of the call; a foreign key given
    as an instance is stored by its key and stays cached on the returned object. Values go
    to the database as given, so give them in the field's type (Decimals rounded to the
    column's places, aware datetimes).
    """
    if count is None:
        count = len(rows)
    if not count:
        return []
    using = using or router.db_for_write(model)
    prepare = _RowPreparer(model)
    if connections[using].vendor != "postgresql":
        return _bulk_create(model, prepare, rows, count, using)
    prepared: list[tuple[list[Any], list | None]] = []

    def value_rows() -> Iterable[list[Any]]:
        for row in rows:
            values, related = prepare(row)
            prepared.append((values, related))
            yield values

    # A row that fails half way (a bad key, a constraint) fails the whole statement, as any
    # database error does: inside atomic(), catch it outside a savepoint (Django's rule).
    ids = bulk_insert(model, prepare.columns, value_rows(), count=count, using=using)
    load = _loader(model, using)
    objects = []
    for pk, (values, related) in zip(ids, prepared, strict=True):
        obj = load(pk, values)
        for field, value in related or ():
            field.set_cached_value(obj, value)
        objects.append(obj)
    return objects


def _bulk_create(model, prepare, rows, count, using) -> list[models.Model]:
    objects = []
    for row in rows:
        values, related = prepare(row)
        obj = model(**dict(zip(prepare.columns, values, strict=True)))
        for field, value in related or ():
            field.set_cached_value(obj, value)
        objects.append(obj)
    if len(objects) != count:
        raise ValueError(f"insert_rows was promised {count} rows and given {len(objects)}.")
    return model.objects.using(using).bulk_create(objects, batch_size=INSERT_BATCH_SIZE)


def bulk_insert(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    count: int,
    using: str = "default",
) -> list[int]:
    """Insert ``count`` rows (values in the order of ``columns``: attnames, no primary key)
    into ``model``'s table; return the new primary keys, one per row, in order."""
    if not count:
        return []
    connection = connections[using]
    if connection.vendor == "postgresql":
        return _copy_insert(connection, model, columns, rows, count)
    objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
    model.objects.using(using).bulk_create(objects, batch_size=INSERT_BATCH_SIZE)
    return [obj.pk for obj in objects]


def _copy_insert(connection, model, columns, rows, count) -> list[int]:
    from psycopg.copy import QueuedLibpqWriter

    opts = model._meta
    quote = connection.ops.quote_name
    column_of = {field.attname: field.column for field in opts.concrete_fields}
    names = [opts.pk.column, *(column_of[name] for name in columns)]
    statement = "COPY {} ({}) FROM STDIN".format(  # noqa: S608 (names from the model)
        quote(opts.db_table), ", ".join(quote(name) for name in names)
    )
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(opts.db_table), opts.pk.column, count],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        # The psycopg cursor itself (Django's wrapper has no COPY). The queued writer sends
        # from a thread, so preparing the next rows never waits for the network.
        psycopg_cursor = cursor.cursor
        with psycopg_cursor.copy(statement, writer=QueuedLibpqWriter(psycopg_cursor)) as copy:
            write_row = copy.write_row
            written = 0
            for row in rows:
                if written == count:
                    raise ValueError(f"bulk_insert was promised {count} rows and given more.")
                write_row((ids[written], *row))
                written += 1
            if written != count:
                raise ValueError(f"bulk_insert was promised {count} rows and given {written}.")
    return ids


class _RowPreparer:
    """Turns ``{field name or attname: value}`` into the model's column values, in order."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        # A key that names a column, and a foreign key's name (its value an instance).
        self.attnames = {field.attname: field.attname for field in fields}
        self.relations = {field.name: field for field in fields if field.is_relation}
        now = timezone.now()
        self.template: dict[str, Any] = {}
        self.per_row_defaults = []
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.template[field.attname] = now
            elif field.has_default() and callable(field.default):
                self.template[field.attname] = None
                self.per_row_defaults.append(field)
            else:
                self.template[field.attname] = field.get_default()
        self.columns = list(self.template)

    def __call__(self, row: Mapping[str, Any]) -> tuple[list[Any], list | None]:
        values = self.template.copy()
        for field in self.per_row_defaults:
            if field.attname not in row and field.name not in row:
                values[field.attname] = field.get_default()
        related = None
        attnames = self.attnames
        for key, value in row.items():
            attname = attnames.get(key)
            if attname is not None:
                values[attname] = value
                continue
            field = self.relations.get(key)
            if field is None:
                raise TypeError(f"{self.model.__name__} has no field {key!r} to insert")
            if value is not None:
                if value.pk is None:
                    raise ValueError(f"{key} is not saved: save it before inserting rows.")
                related = [*(related or ()), (field, value)]
                value = value.pk
            values[field.attname] = value
        return list(values.values()), related


def _loader(model: type[models.Model], using: str) -> Callable[[int, list[Any]], models.Model]:
    """Makes saved instances from a key and column values, as a query would load them.

    Without post_init receivers it sets the attributes directly, as Django does when it
    unpickles an instance: Model.__init__ goes through the descriptor of every foreign key
    and costs several times more for a hundred thousand rows.
    """
    fields = model._meta.concrete_fields
    pk_at = next(i for i, field in enumerate(fields) if field.primary_key)
    names = [field.attname for field in fields]
    if post_init.has_listeners(model):

        def load(pk: int, values: list[Any]) -> models.Model:
            return model.from_db(using, names, [*values[:pk_at], pk, *values[pk_at:]])

        return load

    pk_name = names[pk_at]
    other_names = names[:pk_at] + names[pk_at + 1 :]
    new = model.__new__

    def load(pk: int, values: list[Any]) -> models.Model:
        obj = new(model)
        state = ModelState()
        state.adding = False
        state.db = using
        obj.__dict__ = dict(zip(other_names, values, strict=True), _state=state)
        obj.__dict__[pk_name] = pk
        return obj

    return load
