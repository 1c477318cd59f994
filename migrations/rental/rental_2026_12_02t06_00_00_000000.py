"""Each booking keeps the name and contact given with it; the customer record is only linked.

Before, a booking with a known e-mail address renamed that customer on every earlier booking.
Existing bookings take their customer's current values; a row inserted without them (tools,
imports) gets them from its customer by a trigger.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking customer snapshot"

FORWARDS = r"""
ALTER TABLE booking ADD COLUMN customer_name varchar(200) NOT NULL DEFAULT '';
ALTER TABLE booking ADD COLUMN customer_email varchar(254) NOT NULL DEFAULT '';
ALTER TABLE booking ADD COLUMN customer_phone varchar(40) NOT NULL DEFAULT '';
UPDATE booking b SET customer_name = c.name, customer_email = c.email, customer_phone = c.phone
FROM customer c WHERE c.id = b.customer;

CREATE FUNCTION booking_customer_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer_name = '' AND NEW.customer_email = '' THEN
        SELECT name, email, phone INTO NEW.customer_name, NEW.customer_email, NEW.customer_phone
        FROM customer WHERE id = NEW.customer;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER booking_customer_snapshot BEFORE INSERT ON booking
    FOR EACH ROW EXECUTE FUNCTION booking_customer_snapshot();
"""

BACKWARDS = r"""
DROP TRIGGER IF EXISTS booking_customer_snapshot ON booking;
DROP FUNCTION IF EXISTS booking_customer_snapshot();
ALTER TABLE booking DROP COLUMN IF EXISTS customer_phone;
ALTER TABLE booking DROP COLUMN IF EXISTS customer_email;
ALTER TABLE booking DROP COLUMN IF EXISTS customer_name;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
