"""Website requests hold stock for a limited time: booking.hold_until and the statuses expired, unverified.

`unverified`: a request waiting for the customer to click the e-mail link (holds nothing yet);
`expired`: a request whose hold ran out before staff confirmed it (holds nothing any more).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T05:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking.hold_until, statuses expired and unverified"

FORWARDS = r"""
ALTER TABLE booking ADD COLUMN hold_until timestamptz NULL;
ALTER TABLE booking DROP CONSTRAINT IF EXISTS booking_status_valid;
ALTER TABLE booking ADD CONSTRAINT booking_status_valid CHECK (
    status IN ('pending', 'confirmed', 'picked_up', 'returned', 'cancelled', 'expired', 'unverified'));
CREATE INDEX booking_hold_due ON booking (hold_until) WHERE status IN ('pending', 'unverified');
"""

BACKWARDS = r"""
DROP INDEX IF EXISTS booking_hold_due;
UPDATE booking SET status = 'cancelled' WHERE status IN ('expired', 'unverified');
ALTER TABLE booking DROP CONSTRAINT IF EXISTS booking_status_valid;
ALTER TABLE booking ADD CONSTRAINT booking_status_valid
    CHECK (status IN ('pending', 'confirmed', 'picked_up', 'returned', 'cancelled'));
ALTER TABLE booking DROP COLUMN IF EXISTS hold_until;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
