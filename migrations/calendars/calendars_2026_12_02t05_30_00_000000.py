"""Writes a provider refused stay due for a later try (sync core v2)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sync due"

FORWARDS = r"""
CREATE TABLE sync_due (
    target integer NOT NULL REFERENCES calendar_target (id) ON DELETE CASCADE,
    item_key varchar(64) NOT NULL,
    company integer NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    integration integer NOT NULL REFERENCES calendar_integration (id) ON DELETE CASCADE,
    attempts integer NOT NULL DEFAULT 1,
    next_attempt_at timestamptz NOT NULL,
    last_error text NOT NULL DEFAULT '',
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, item_key)
);
CREATE INDEX sync_due_next ON sync_due (next_attempt_at);
CREATE INDEX sync_due_integration ON sync_due (integration);
ALTER TABLE calendar_integration ADD COLUMN last_audit jsonb;
"""

BACKWARDS = r"""
ALTER TABLE calendar_integration DROP COLUMN IF EXISTS last_audit;
DROP TABLE IF EXISTS sync_due;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
