"""Block-outs say what they block: handover (no pickup or return that day) or equipment.

Company-wide block-outs (closures, holidays) keep blocking handover; unit and product block-outs
(repairs, inspections) make the equipment unavailable.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "availability_block.blocks: handover or equipment"

FORWARDS = r"""
ALTER TABLE availability_block ADD COLUMN blocks varchar(16) NOT NULL DEFAULT 'handover';
UPDATE availability_block SET blocks = 'equipment' WHERE unit IS NOT NULL OR product IS NOT NULL;
ALTER TABLE availability_block ADD CONSTRAINT block_kind_valid CHECK (blocks IN ('handover', 'equipment'));
"""

BACKWARDS = r"""
ALTER TABLE availability_block DROP CONSTRAINT IF EXISTS block_kind_valid;
ALTER TABLE availability_block DROP COLUMN IF EXISTS blocks;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
