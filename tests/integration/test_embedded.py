"""The embedded PostgreSQL and Redis a machine without either gets: started in the data directory,
reused when already there, stopped by `stop_all`."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg
import pytest
import redis

from rentcal import embedded
from rentcal.db import database_url
from rentcal.settings import get_settings


async def test_embedded_servers_start_in_the_data_dir_and_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session_handles = embedded._handles[:]  # a bare machine's test session runs on embedded servers too
    embedded._handles.clear()
    try:
        url = embedded.start_postgres(tmp_path, database="demo")
        assert embedded.start_postgres(tmp_path, database="demo") == url  # the database exists: reused
        monkeypatch.delenv("DATABASE_URL")
        monkeypatch.setenv("RENTCAL_DATA_DIR", str(tmp_path))
        get_settings.cache_clear()
        assert database_url() == embedded.start_postgres(tmp_path)  # no DATABASE_URL: the embedded server
        assert os.environ["DATABASE_URL"] == database_url()
        assert (tmp_path / "pg" / "PG_VERSION").is_file()
        connection = await asyncpg.connect(url)
        try:
            assert await connection.fetchval("SELECT current_database()") == "demo"
        finally:
            await connection.close()

        redis_url = embedded.start_redis(tmp_path)
        assert redis_url.startswith("unix://")
        client = redis.Redis.from_url(redis_url)
        assert client.set("k", "v") and client.get("k") == b"v"

        embedded.stop_all()
        assert embedded._handles == []
        with pytest.raises(redis.ConnectionError):
            redis.Redis.from_url(redis_url).ping()
        with pytest.raises((OSError, asyncpg.PostgresError)):
            await asyncpg.connect(url, timeout=5)
    finally:
        embedded.stop_all()
        embedded._handles[:] = session_handles
        get_settings.cache_clear()
