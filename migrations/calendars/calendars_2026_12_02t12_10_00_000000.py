"""Staff notifications (a change from a calendar applied or refused, a new website request) and the mails
they and the requests inbox send: booking_mail gains kind 'staff' (one per notification), the customer
notices 'received' and 'declined', and a note (the reason a request was declined)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T12:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff notifications, request acknowledgment and decline mails"

FORWARDS = r"""
CREATE TABLE staff_notification (
    id serial PRIMARY KEY,
    company integer NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    staff integer NOT NULL REFERENCES staff_user (id) ON DELETE CASCADE,
    kind varchar(24) NOT NULL,
    item_key varchar(64) NOT NULL DEFAULT '',
    message text NOT NULL DEFAULT '',
    source_event integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    CONSTRAINT staff_notification_kind_valid CHECK (kind IN ('new_request', 'change_applied', 'change_refused')),
    CONSTRAINT staff_notification_once UNIQUE (source_event, staff)
);
CREATE INDEX staff_notification_unread ON staff_notification (staff) WHERE read_at IS NULL;
ALTER TABLE booking_mail ALTER COLUMN booking DROP NOT NULL;
ALTER TABLE booking_mail ADD COLUMN notification integer REFERENCES staff_notification (id) ON DELETE CASCADE;
ALTER TABLE booking_mail ADD COLUMN note text NOT NULL DEFAULT '';
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '' AND booking IS NOT NULL)
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL
        AND booking IS NOT NULL)
    OR (kind = 'notice' AND method = '' AND reminder IN ('confirm', 'expired', 'received', 'declined')
        AND booking IS NOT NULL)
    OR (kind = 'staff' AND method = '' AND notification IS NOT NULL));
CREATE UNIQUE INDEX booking_mail_staff_once ON booking_mail (notification) WHERE kind = 'staff';
"""

BACKWARDS = r"""
DELETE FROM booking_mail WHERE kind = 'staff' OR (kind = 'notice' AND reminder IN ('received', 'declined'));
DROP INDEX IF EXISTS booking_mail_staff_once;
ALTER TABLE booking_mail DROP CONSTRAINT IF EXISTS booking_mail_kind_valid;
ALTER TABLE booking_mail ADD CONSTRAINT booking_mail_kind_valid CHECK (
    (kind = 'invite' AND method IN ('REQUEST', 'CANCEL') AND reminder = '')
    OR (kind = 'reminder' AND method = '' AND reminder IN ('pickup', 'return') AND target_at IS NOT NULL)
    OR (kind = 'notice' AND method = '' AND reminder IN ('confirm', 'expired')));
ALTER TABLE booking_mail DROP COLUMN note;
ALTER TABLE booking_mail DROP COLUMN notification;
ALTER TABLE booking_mail ALTER COLUMN booking SET NOT NULL;
DROP TABLE staff_notification;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
