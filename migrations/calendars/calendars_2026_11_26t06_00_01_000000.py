"""Each invitation and each reminder happens once; value checks for the iCalendar tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

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


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
