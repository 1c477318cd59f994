"""Notices about website requests (the e-mail confirmation link, the hold ran out): once per booking."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T05:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking_mail notices"

FORWARDS = r"""
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '')
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL)
    OR (kind = 'notice' AND method = '' AND reminder IN ('confirm', 'expired')));
CREATE UNIQUE INDEX booking_mail_notice_once ON booking_mail (booking, reminder) WHERE kind = 'notice';
"""

BACKWARDS = r"""
DROP INDEX IF EXISTS booking_mail_notice_once;
DELETE FROM booking_mail WHERE kind = 'notice';
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '')
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL));
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
