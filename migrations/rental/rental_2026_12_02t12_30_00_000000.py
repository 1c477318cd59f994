"""The audit trail of bookings (issue 13): who changed what, when, and from where."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking change history"

FORWARDS = r"""
CREATE TABLE IF NOT EXISTS booking_change (
    id serial PRIMARY KEY,
    company integer NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    booking integer NOT NULL REFERENCES booking (id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    staff integer NULL REFERENCES staff_user (id) ON DELETE SET NULL,
    actor varchar(200) NOT NULL DEFAULT '',
    via varchar(16) NOT NULL DEFAULT 'system',
    action varchar(16) NOT NULL,
    changes jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS booking_change_company ON booking_change (company);
CREATE INDEX IF NOT EXISTS booking_change_booking ON booking_change (booking, at);
"""

BACKWARDS = "DROP TABLE IF EXISTS booking_change;"


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
