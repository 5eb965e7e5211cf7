"""PostgreSQL databases for tests, emptied and reused instead of created and dropped per test.

`CREATE DATABASE … TEMPLATE` copies every block of the template and `DROP DATABASE` forces a
checkpoint: together 1-3 s per test on a busy machine, more than most tests take to run. A
database handed back is emptied instead (its other connections ended, every row deleted, its
sequences restarted), so the next test sees exactly what a fresh copy of the template holds.
A test that changed more than rows (a migration test that downgrades, anything that alters
the schema, a database setting or the template's `alembic_version`) changes the catalog
fingerprint below, and that database is dropped as before.
"""

from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

# Everything a test could change besides rows, in every schema but the system ones. Column
# numbers are included: a column dropped and added again comes back at another position.
_USER_NAMESPACES = (
    "SELECT oid FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND nspname !~ '^pg_(toast|temp)'"
)
FINGERPRINT = f"""
SELECT md5(string_agg(item, E'\\n' ORDER BY item)) FROM (
    SELECT 'namespace ' || nspname || ' ' || coalesce(nspacl::text, '') AS item
      FROM pg_namespace WHERE oid IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT concat_ws(' ', 'relation', c.oid::regclass, c.relkind, c.relacl, c.reloptions,
                     c.relrowsecurity, c.relpersistence)
      FROM pg_class c WHERE c.relnamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT concat_ws(' ', 'column', a.attrelid::regclass, a.attnum, a.attname,
                     format_type(a.atttypid, a.atttypmod), a.attnotnull,
                     pg_get_expr(d.adbin, d.adrelid), a.attgenerated, a.attidentity)
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace IN ({_USER_NAMESPACES}) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT concat_ws(' ', 'constraint', conrelid::regclass, conname,
                     pg_get_constraintdef(oid), condeferrable, condeferred)
      FROM pg_constraint WHERE connamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c
        ON c.oid = i.indexrelid WHERE c.relnamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT concat_ws(' ', 'trigger', pg_get_triggerdef(oid), tgenabled) FROM pg_trigger
     WHERE NOT tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'function', p.oid::regprocedure, md5(p.prosrc), p.proacl)
      FROM pg_proc p WHERE p.pronamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT concat_ws(' ', 'type', t.oid::regtype, t.typtype)
      FROM pg_type t WHERE t.typnamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT concat_ws(' ', 'policy', polrelid::regclass, polname, pg_get_expr(polqual, polrelid))
      FROM pg_policy
    UNION ALL
    SELECT concat_ws(' ', 'rule', rulename, ev_class::regclass, md5(ev_action::text))
      FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
     WHERE c.relnamespace IN ({_USER_NAMESPACES})
    UNION ALL
    SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension
    UNION ALL
    SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT 'large objects ' || count(*) FROM pg_largeobject_metadata
    UNION ALL
    SELECT 'prepared ' || gid FROM pg_prepared_xacts WHERE database = current_database()
    UNION ALL
    SELECT 'migrated to ' || version_num FROM alembic_version
) AS catalog
"""
# The template's only rows (the fingerprint covers them): every other table starts empty.
KEPT_TABLE = "alembic_version"


class DirtyDatabase(Exception):
    """The database holds more than rows the template did not: it cannot be reused."""


class DatabasePool:
    """Databases copied from one template, each used by one test at a time."""

    def __init__(self, server_url: str, template: str) -> None:
        self.server_url = server_url
        self.template = template
        self.admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.free: list[str] = []
        self.fingerprint: str | None = None
        self.dropped = 0

    def url(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def acquire(self, template: str | None = None) -> str:
        """An empty migrated database, or a new copy of `template` (one built on the pool's
        own template, such as the demo clinic's); either is handed back with `release`."""
        if self.free and template is None:
            return self.free.pop()
        name = self.create(template or self.template)
        if self.fingerprint is None:
            # Read from the first copy: connecting to the template itself would block copying it.
            with self._connect(name) as conn:
                self.fingerprint = conn.exec_driver_sql(FINGERPRINT).scalar_one()
        return name

    def create(self, template: str) -> str:
        name = f"slotwise_t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def release(self, name: str) -> None:
        """Empties the database for the next test, or drops it if a test changed its schema."""
        try:
            self._empty(name)
        except (DirtyDatabase, sa.exc.SQLAlchemyError):
            self.drop(name)
            return
        self.free.append(name)

    def drop(self, name: str) -> None:
        self.dropped += 1
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        while self.free:
            self.drop(self.free.pop())
        self.admin.dispose()

    def _connect(self, name: str) -> Connection:
        return sa.create_engine(self.url(name), poolclass=NullPool).connect()

    def _empty(self, name: str) -> None:
        with self._connect(name) as conn:  # one transaction, committed at the end
            self._end_other_sessions(conn)
            if conn.exec_driver_sql(FINGERPRINT).scalar_one() != self.fingerprint:
                raise DirtyDatabase(name)
            tables = list(
                conn.exec_driver_sql(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename)"
                    f" FROM pg_tables WHERE schemaname = 'public' AND tablename <> '{KEPT_TABLE}'"
                ).scalars()
            )
            superuser = conn.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).scalar_one()
            if superuser:
                # Only the tables the test wrote to, without firing triggers or foreign-key
                # checks: every table ends up empty, so no reference is left dangling.
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table in _tables_with_rows(conn, tables):
                    conn.exec_driver_sql(f"DELETE FROM {table}")
            elif tables:
                conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} CASCADE")
            for sequence in conn.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)"
                " FROM pg_sequences WHERE last_value IS NOT NULL"
            ).scalars():
                conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")
            conn.commit()

    @staticmethod
    def _end_other_sessions(conn: Connection) -> None:
        """Ends the test's leftover connections and waits until they are gone, as
        `DROP DATABASE … WITH (FORCE)` does, so none can still commit afterwards."""
        sql = (
            "SELECT {} FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        conn.exec_driver_sql(sql.format("pg_terminate_backend(pid)")).all()
        deadline = time.monotonic() + 10
        while True:
            # pg_stat_activity is read once per transaction unless told to read it again.
            conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            if not conn.exec_driver_sql(sql.format("count(*)")).scalar_one():
                return
            if time.monotonic() > deadline:
                raise DirtyDatabase("connections did not end")
            time.sleep(0.02)


def _tables_with_rows(conn: Connection, tables: list[str]) -> list[str]:
    if not tables:
        return []
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables)
    return list(conn.exec_driver_sql(probe).scalars())
