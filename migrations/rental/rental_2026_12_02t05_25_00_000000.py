"""Time lookups for the schedule read model (rental.timeline): a month of the team calendar reads
maintenance, deliveries and block-outs by company and time, as bookings already are."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T05:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "schedule time indexes"

FORWARDS = r"""
CREATE INDEX IF NOT EXISTS maintenance_company_starts ON maintenance_schedule (company, starts_at);
CREATE INDEX IF NOT EXISTS delivery_company_starts ON delivery (company, starts_at);
CREATE INDEX IF NOT EXISTS availability_block_company_from ON availability_block (company, blocked_from);
"""

BACKWARDS = r"""
DROP INDEX IF EXISTS availability_block_company_from;
DROP INDEX IF EXISTS delivery_company_starts;
DROP INDEX IF EXISTS maintenance_company_starts;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
