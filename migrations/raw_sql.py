"""Raw SQL migration steps (constraints, triggers) that Piccolo's auto migrations cannot express."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder


async def run_script(sql: str) -> None:
    """Run several statements in one transaction (simple protocol: no prepared statement)."""
    engine = engine_finder()
    assert engine is not None
    connection = await engine.get_new_connection()
    try:
        async with connection.transaction():
            await connection.execute(sql)
    finally:
        await connection.close()


def raw_manager(migration_id: str, app_name: str, description: str, forwards: str, backwards: str) -> MigrationManager:
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run_forwards() -> None:
        await run_script(forwards)

    async def run_backwards() -> None:
        await run_script(backwards)

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
