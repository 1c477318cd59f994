"""Feed revision times for maintenance and deliveries; an all-day flag on block-outs (issue 10).

`updated_at` on maintenance_schedule and delivery is their feed DTSTAMP/LAST-MODIFIED, so a change
shows as a new revision (SEQUENCE already rose). `all_day` marks block-outs of whole local days:
feeds write them as DATE values. Existing blocks from a local midnight to a local midnight of their
company's zone are backfilled as all-day.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T12:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed revision times, all-day block-outs"

FORWARDS = r"""
ALTER TABLE maintenance_schedule ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
UPDATE maintenance_schedule SET updated_at = created_at;
ALTER TABLE delivery ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE availability_block ADD COLUMN all_day boolean NOT NULL DEFAULT false;
UPDATE availability_block b SET all_day = true
FROM company c
WHERE c.id = b.company
  AND (b.blocked_from AT TIME ZONE c.timezone)::time = '00:00'
  AND (b.blocked_until AT TIME ZONE c.timezone)::time = '00:00';
"""

BACKWARDS = r"""
ALTER TABLE availability_block DROP COLUMN IF EXISTS all_day;
ALTER TABLE delivery DROP COLUMN IF EXISTS updated_at;
ALTER TABLE maintenance_schedule DROP COLUMN IF EXISTS updated_at;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
