"""The engine's writes. A step collects them and writes them before it
commits (and so before anything is announced): new legs and state-history
rows in one bulk insert each, and the updates of each row merged into one
statement, run with ``executemany`` per shape. A call lives through many
small changes; this keeps a simulated day to a minute of database time.

The module-level functions write at once (recovery uses them)."""

from collections import defaultdict

from django.db import connection

from hotline.telephony.models import Agent, AgentStateChange, Call, CallLeg


def call_insert(**fields) -> int:
    """The new call's id: one plain INSERT, as it runs for every call."""
    call = Call(**fields)
    columns = [f for f in Call._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(getattr(call, f.attname), connection) for f in columns]
    quote = connection.ops.quote_name
    # Table and column names come from the model; values are parameters.
    sql = (
        f"INSERT INTO {quote(Call._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(values))}) RETURNING {quote('id')}"
    )
    return fetch_one(sql, values)[0]


def fetch_one(sql: str, params) -> tuple | None:
    """One row of a statement that runs for every call. On PostgreSQL it is
    prepared once per connection (planning a small query costs more than
    running it); elsewhere it goes through Django's cursor."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def call_update(call_id: int, **fields) -> None:
    Call.objects.filter(pk=call_id).update(**fields)


def leg_update(leg_id: int, **fields) -> None:
    CallLeg.objects.filter(pk=leg_id).update(**fields)


def agent_state_write(
    *, agent_id: int, state: str, reason_id, at, call_id, extension_id=False
) -> None:
    writes = Writes()
    writes.agent_state(
        agent_id=agent_id,
        state=state,
        reason_id=reason_id,
        at=at,
        call_id=call_id,
        extension_id=extension_id,
    )
    writes.flush()


def _field(model, name: str):
    field = model._meta.get_field(name[:-3] if name.endswith("_id") and name != "id" else name)
    return field


class Writes:
    def __init__(self):
        self.new_legs: dict[str, dict] = {}
        self.updates: dict[tuple, dict] = {}
        self.state_changes: list[AgentStateChange] = []

    def __bool__(self) -> bool:
        return bool(self.new_legs or self.updates or self.state_changes)

    def call_update(self, call_id: int, **fields) -> None:
        self._update(Call, "id", call_id, fields)

    def leg_insert(self, **fields) -> None:
        self.new_legs[fields["switch_id"]] = fields

    def leg_update(self, switch_id: str, **fields) -> None:
        pending = self.new_legs.get(switch_id)
        if pending is not None:
            pending.update(fields)
        else:
            self._update(CallLeg, "switch_id", switch_id, fields)

    def agent_state(
        self, *, agent_id: int, state: str, reason_id, at, call_id, extension_id=False
    ) -> None:
        fields = {
            "state": state,
            "state_reason_id": reason_id,
            "state_since": at,
            "current_call_id": call_id,
        }
        if extension_id is not False:
            fields["extension_id"] = extension_id
        self._update(Agent, "id", agent_id, fields)
        self.state_changes.append(
            AgentStateChange(
                agent_id=agent_id, state=state, reason_id=reason_id, at=at, call_id=call_id
            )
        )

    def _update(self, model, key: str, value, fields: dict) -> None:
        self.updates.setdefault((model, key, value), {}).update(fields)

    def flush(self) -> None:
        if self.new_legs:
            CallLeg.objects.bulk_create([CallLeg(**fields) for fields in self.new_legs.values()])
            self.new_legs = {}
        if self.state_changes:
            AgentStateChange.objects.bulk_create(self.state_changes)
            self.state_changes = []
        if self.updates:
            self._run_updates()

    def _run_updates(self) -> None:
        shapes: dict[tuple, list] = defaultdict(list)
        for (model, key, value), fields in self.updates.items():
            names = tuple(sorted(fields))
            shapes[(model, key, names)].append((value, fields))
        self.updates = {}
        with connection.cursor() as cursor:
            for (model, key, names), rows in shapes.items():
                columns = [_field(model, name) for name in names]
                params = [
                    [
                        f.get_db_prep_save(fields[n], connection)
                        for f, n in zip(columns, names, strict=True)
                    ]
                    + [value]
                    for value, fields in rows
                ]
                if connection.vendor == "postgresql":
                    _update_from_values(cursor, model, key, columns, params)
                else:
                    _update_many(cursor, model, key, columns, params)


def _update_many(cursor, model, key: str, columns, params) -> None:
    """One statement run per row: cheap where the database is in-process."""
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    # Table and column names come from the models; values are parameters.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(key)} = %s"  # noqa: S608
    cursor.executemany(sql, params)


def _update_from_values(cursor, model, key: str, columns, params, chunk: int = 500) -> None:
    """All rows in one statement (``UPDATE … FROM (VALUES …)``): one round
    trip to the server instead of one per row."""
    quote = connection.ops.quote_name
    key_field = model._meta.get_field(key)
    types = [f.db_type(connection) for f in columns] + [key_field.db_type(connection)]
    names = [f"c{i}" for i in range(len(columns))] + ["k"]
    row_sql = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(columns))
    for start in range(0, len(params), chunk):
        part = params[start : start + chunk]
        values = ", ".join([row_sql] * len(part))
        sql = (
            f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v({', '.join(names)}) "  # noqa: S608
            f"WHERE {table}.{quote(key)} = v.k"
        )
        cursor.execute(sql, [value for row in part for value in row])
