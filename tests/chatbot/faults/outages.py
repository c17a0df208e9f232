"""Making parts of the stack fail on purpose: the database (every backend, or really, PostgreSQL)."""

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import psycopg
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper


@contextmanager
def database_refusing_queries(*, queries: int | None = None) -> Iterator[list[str]]:
    """Queries in every thread fail as they do when the server went away (SQLite or PostgreSQL): all of
    them, or the next `queries` ones (the database comes back). Yields the SQL of each refused query."""
    execute = CursorWrapper._execute_with_wrappers
    refused: list[str] = []

    def refuse(self: CursorWrapper, sql: str, *args: object, **kwargs: object) -> object:
        if queries is not None and len(refused) >= queries:
            return execute(self, sql, *args, **kwargs)
        refused.append(sql)
        raise OperationalError("server closed the connection unexpectedly")

    with mock.patch.object(CursorWrapper, "_execute_with_wrappers", refuse):
        yield refused


@contextmanager
def postgres_outage() -> Iterator[None]:
    """The test database really unreachable: new connections refused, open ones terminated.

    Only this test process's own database (one per pytest process) is touched, through a superuser
    connection to the server's `postgres` database. The server ended Django's connections: the caller
    closes them afterwards (connections.close_all(), through database_sync_to_async in async code).
    """
    name = connection.settings_dict["NAME"]
    admin = psycopg.connect(
        host=connection.settings_dict["HOST"] or "127.0.0.1",
        port=connection.settings_dict["PORT"] or 5432,
        user=connection.settings_dict["USER"],
        password=connection.settings_dict["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    quoted = psycopg.sql.Identifier(name)
    try:
        admin.execute(psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(quoted))
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        yield
    finally:
        admin.execute(psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(quoted))
        admin.close()
