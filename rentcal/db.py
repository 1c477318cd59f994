"""Database URL resolution and the connection pool lifecycle."""

from __future__ import annotations

import os

from rentcal.settings import get_settings


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    from rentcal.embedded import start_postgres

    url = start_postgres(get_settings().data_dir)
    os.environ["DATABASE_URL"] = url
    return url


async def open_pool(max_size: int = 20) -> None:
    from piccolo.engine import engine_finder

    engine = engine_finder()
    if engine is not None:
        await engine.start_connection_pool(min_size=min(2, max_size), max_size=max_size)  # type: ignore[call-arg]


async def close_pool() -> None:
    from piccolo.engine import engine_finder

    engine = engine_finder()
    if engine is not None:
        await engine.close_connection_pool()
