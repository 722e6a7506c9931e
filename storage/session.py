"""The session every unit of work uses: SQLAlchemy's, with a shorter way to flush the
most common change — plain columns of rows already stored (a case's state and times,
a timer's due time) — as one UPDATE of the changed columns per row, built once per set
of columns, without the unit of work's dependency machinery.

Anything else (a new or deleted object, a relationship or collection changed, a primary
key changed, objects of more than one class changed, flush events listened to) goes
through SQLAlchemy's own flush. The short way writes what the unit of work would: the
same UPDATE per row, in primary-key order, checked to match one row each (else
`StaleDataError`), and leaves the objects as it would (changes committed, registered
with the transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import ColumnProperty
from sqlalchemy.orm import Session as _Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState

_PK = "_pk_value"  # the bind parameter of the row's primary key (no column has this name)
_UPDATES: dict[Table, Any] = {}
_SIMPLE: dict[Any, Table | None] = {}  # mapper -> its table, None: not for the short way
_MISSING = object()


def _simple_table(mapper) -> Table | None:
    """The mapper's one table when its rows can be updated the short way."""
    if mapper not in _SIMPLE:
        table = mapper.local_table
        ok = (mapper.inherits is None and len(mapper.tables) == 1
              and len(mapper.primary_key) == 1 and mapper.version_id_col is None
              and isinstance(table, Table)
              and not any(c.onupdate is not None or c.server_onupdate is not None
                          for c in table.c))
        _SIMPLE[mapper] = table if ok else None
    return _SIMPLE[mapper]


def _update_by_pk(table: Table):
    if table not in _UPDATES:
        pk = next(iter(table.primary_key.columns))
        _UPDATES[table] = update(table).where(pk == bindparam(_PK))
    return _UPDATES[table]


class Session(_Session):
    def flush(self, objects=None) -> None:
        if objects is None and self.identity_map._modified and not self._flushing and \
                self._flush_columns_only():
            return
        super().flush(objects)

    def _flush_columns_only(self) -> bool:
        """Flush the short way when every pending change is to plain columns of stored
        rows of one class; False (nothing done) otherwise."""
        if self._new or self._deleted or self.dispatch.before_flush or \
                self.dispatch.after_flush:
            return False
        modified = list(self.identity_map._modified)
        if not modified:
            return False
        mapper = modified[0].mapper
        table = _simple_table(mapper)
        if table is None:
            return False
        plan: list[tuple[InstanceState, dict[str, Any]]] = []
        for state in modified:
            if state.mapper is not mapper or state.key is None or state.deleted:
                return False
            values: dict[str, Any] = {}
            for key, old in state.committed_state.items():
                prop = mapper._props.get(key)
                if not isinstance(prop, ColumnProperty) or len(prop.columns) != 1:
                    return False
                column = prop.columns[0]
                if column.table is not table or column.primary_key:
                    return False
                value = state.dict.get(key, _MISSING)
                if value is _MISSING:
                    return False
                if state.manager[key].impl.is_equal(value, old) is not True:
                    values[column.key] = value
            plan.append((state, values))
        plan.sort(key=lambda item: item[0].key[1])
        connection = self.connection()
        statement = _update_by_pk(table)
        for state, values in plan:
            if not values:
                continue
            matched = connection.execute(statement, {**values, _PK: state.key[1][0]}).rowcount
            if matched != 1 and connection.dialect.supports_sane_rowcount:
                raise StaleDataError(
                    f"UPDATE statement on table '{table.name}' expected to update 1 "
                    f"row(s); {matched} were matched.")
        states = [state for state, _values in plan]
        InstanceState._commit_all_states([(s, s.dict) for s in states], self.identity_map)
        self._register_altered(states)
        return True
