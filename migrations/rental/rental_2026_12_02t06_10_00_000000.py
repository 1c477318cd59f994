"""Minimum and maximum rental length per product (days, pickup and return day included), for the widget."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T06:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "product rental length limits"

FORWARDS = r"""
ALTER TABLE product ADD COLUMN min_rental_days integer NOT NULL DEFAULT 1;
ALTER TABLE product ADD COLUMN max_rental_days integer NULL;
ALTER TABLE product ADD CONSTRAINT product_rental_days_valid
    CHECK (min_rental_days >= 1 AND (max_rental_days IS NULL OR max_rental_days >= min_rental_days));
"""

BACKWARDS = r"""
ALTER TABLE product DROP CONSTRAINT IF EXISTS product_rental_days_valid;
ALTER TABLE product DROP COLUMN IF EXISTS max_rental_days;
ALTER TABLE product DROP COLUMN IF EXISTS min_rental_days;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
