"""Invitation mails for new staff: booking_mail gains kind 'staff_invite', one per send of an invitation
(`sequence` is the invitation's send number)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff invitation mails"

FORWARDS = r"""
ALTER TABLE booking_mail ADD COLUMN invitation integer REFERENCES staff_invitation (id) ON DELETE CASCADE;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '' AND booking IS NOT NULL)
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL
        AND booking IS NOT NULL)
    OR (kind = 'notice' AND method = '' AND reminder IN ('confirm', 'expired', 'received', 'declined')
        AND booking IS NOT NULL)
    OR (kind = 'staff' AND method = '' AND notification IS NOT NULL)
    OR (kind = 'staff_invite' AND method = '' AND invitation IS NOT NULL AND booking IS NULL));
CREATE UNIQUE INDEX booking_mail_staff_invite_once ON booking_mail (invitation, sequence) WHERE kind = 'staff_invite';
"""

BACKWARDS = r"""
DELETE FROM booking_mail WHERE kind = 'staff_invite';
DROP INDEX IF EXISTS booking_mail_staff_invite_once;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '' AND booking IS NOT NULL)
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL
        AND booking IS NOT NULL)
    OR (kind = 'notice' AND method = '' AND reminder IN ('confirm', 'expired', 'received', 'declined')
        AND booking IS NOT NULL)
    OR (kind = 'staff' AND method = '' AND notification IS NOT NULL));
ALTER TABLE booking_mail DROP COLUMN invitation;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
