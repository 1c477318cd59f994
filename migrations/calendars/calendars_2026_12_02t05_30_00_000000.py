"""Sync core v2: writes a provider refused stay due, the audit report, colours as palette names."""

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
ALTER TABLE calendar_integration ADD COLUMN full_sync_requested_at timestamptz;
-- booking colours: Google colorIds become names of the neutral palette (calendars/palette.py)
UPDATE company SET status_colors = (
    SELECT coalesce(jsonb_object_agg(key, CASE value #>> '{}' WHEN '1' THEN 'lavender' WHEN '2' THEN 'sage' WHEN '3' THEN 'grape' WHEN '4' THEN 'flamingo' WHEN '5' THEN 'banana' WHEN '6' THEN 'tangerine' WHEN '7' THEN 'peacock' WHEN '8' THEN 'graphite' WHEN '9' THEN 'blueberry' WHEN '10' THEN 'basil' WHEN '11' THEN 'tomato' ELSE value #>> '{}' END), '{}'::jsonb)
    FROM jsonb_each(status_colors))
WHERE jsonb_typeof(status_colors) = 'object';
"""

BACKWARDS = r"""
UPDATE company SET status_colors = (
    SELECT coalesce(jsonb_object_agg(key, CASE value #>> '{}' WHEN 'lavender' THEN '1' WHEN 'sage' THEN '2' WHEN 'grape' THEN '3' WHEN 'flamingo' THEN '4' WHEN 'banana' THEN '5' WHEN 'tangerine' THEN '6' WHEN 'peacock' THEN '7' WHEN 'graphite' THEN '8' WHEN 'blueberry' THEN '9' WHEN 'basil' THEN '10' WHEN 'tomato' THEN '11' ELSE value #>> '{}' END), '{}'::jsonb)
    FROM jsonb_each(status_colors))
WHERE jsonb_typeof(status_colors) = 'object';
ALTER TABLE calendar_integration DROP COLUMN IF EXISTS full_sync_requested_at;
ALTER TABLE calendar_integration DROP COLUMN IF EXISTS last_audit;
DROP TABLE IF EXISTS sync_due;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "calendars", DESCRIPTION, FORWARDS, BACKWARDS)
