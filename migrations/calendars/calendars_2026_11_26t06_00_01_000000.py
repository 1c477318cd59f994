"""Each invitation and each reminder happens once; value checks for the iCalendar tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T06:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "ical constraints"

FORWARDS = r"""
CREATE UNIQUE INDEX booking_mail_invite_once ON booking_mail (booking, method, sequence) WHERE kind = 'invite';
CREATE UNIQUE INDEX booking_mail_reminder_once ON booking_mail (booking, reminder, offset_minutes, recipient, target_at)
    WHERE kind = 'reminder';
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '')
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL));
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_status_valid
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped'));
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_role_valid CHECK (recipient_role IN ('customer', 'staff'));
ALTER TABLE feed_subscription ADD CONSTRAINT feed_subscription_kind_valid CHECK (
    kind IN ('assignments', 'company', 'product', 'deliveries', 'maintenance')
    AND (kind = 'product') = (product IS NOT NULL));
"""

BACKWARDS = r"""
ALTER TABLE feed_subscription DROP CONSTRAINT IF EXISTS feed_subscription_kind_valid;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_role_valid;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_status_valid;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
DROP INDEX IF EXISTS booking_mail_reminder_once;
DROP INDEX IF EXISTS booking_mail_invite_once;
"""


async def _run(sql: str) -> None:
    engine = engine_finder()
    assert engine is not None
    connection = await engine.get_new_connection()  # type: ignore[attr-defined]
    try:
        async with connection.transaction():
            await connection.execute(sql)
    finally:
        await connection.close()


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="calendars", description=DESCRIPTION)

    async def run_forwards() -> None:
        await _run(FORWARDS)

    async def run_backwards() -> None:
        await _run(BACKWARDS)

    manager.add_raw(run_forwards)
    manager.add_raw_backwards(run_backwards)
    return manager
