"""Engine and unit-of-work session: one transaction per request, committed once at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _configure_sqlite(engine)
        return engine
    # Each worker process holds up to pool_size + max_overflow connections: size them so that
    # workers * (pool + overflow) stays under the server's max_connections.
    pool_size = int(os.environ.get("SLOTWISE_DB_POOL_SIZE", "10"))
    max_overflow = int(os.environ.get("SLOTWISE_DB_MAX_OVERFLOW", "20"))
    return create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN and break BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every write transaction takes the write lock up front, so a check-then-insert cannot
        # interleave with another writer (SQLite's answer to PostgreSQL's exclusion constraints).
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine plus two session factories: reads, and writes that lock SQLite up front."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.engine = make_engine(url, echo=echo)
        self.read = sessionmaker(self.engine, expire_on_commit=False)
        self.write = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    def dispose(self) -> None:
        self.engine.dispose()


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.db
    yield from _unit_of_work(db.write if request.method in _WRITE_METHODS else db.read)


def get_write_session(request: Request) -> Iterator[Session]:
    """For the rare GET that writes (a link opened from an email): SQLite's write lock up front."""
    db: Database = request.app.state.db
    yield from _unit_of_work(db.write)


# scope="function": the commit runs before the response is sent, so a commit that fails (a
# dropped connection, a serialization failure) becomes a 503 or a retry, never a 201 for a
# booking that was not saved (api/core/retry.py).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
