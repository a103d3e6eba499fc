"""The throwaway PostgreSQL cluster the PostgreSQL tests share: real, password-protected, on loopback."""

import psycopg2
import pytest

from .helpers import postgres as pg


def test_cluster_serves_and_wants_its_password(postgres: pg.Cluster, pg_database: str) -> None:
    """A test's database takes connections with the cluster's password and refuses a wrong one."""
    with psycopg2.connect(pg_database) as con, con.cursor() as cur:
        cur.execute("select current_setting('server_version_num')::int")
        assert cur.fetchone()[0] >= 150000
    con.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(pg_database.replace(postgres.password, "wrong"))
