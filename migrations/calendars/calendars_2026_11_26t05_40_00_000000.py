"""Uniqueness the sync engine relies on (one event per item per calendar) and value checks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-11-26T05:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar sync constraints"

FORWARDS = r"""
ALTER TABLE calendar_event ADD CONSTRAINT calendar_event_one_per_target UNIQUE (target, item_key);
ALTER TABLE external_busy ADD CONSTRAINT external_busy_one_per_target UNIQUE (target, external_id);
CREATE INDEX external_busy_staff_time ON external_busy (staff, starts_at, ends_at);
ALTER TABLE calendar_integration ADD CONSTRAINT integration_direction_valid
    CHECK (direction IN ('two_way', 'one_way_to_external', 'one_way_from_external'));
ALTER TABLE calendar_integration ADD CONSTRAINT integration_status_valid
    CHECK (status IN ('active', 'needs_reconnect', 'disconnected'));
ALTER TABLE calendar_integration ADD CONSTRAINT integration_on_remote_delete_valid
    CHECK (on_remote_delete IN ('restore', 'flag'));
"""

BACKWARDS = r"""
ALTER TABLE calendar_integration DROP CONSTRAINT IF EXISTS integration_on_remote_delete_valid;
ALTER TABLE calendar_integration DROP CONSTRAINT IF EXISTS integration_status_valid;
ALTER TABLE calendar_integration DROP CONSTRAINT IF EXISTS integration_direction_valid;
DROP INDEX IF EXISTS external_busy_staff_time;
ALTER TABLE external_busy DROP CONSTRAINT IF EXISTS external_busy_one_per_target;
ALTER TABLE calendar_event DROP CONSTRAINT IF EXISTS calendar_event_one_per_target;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
