"""Database-level guards: no double booking, no overlap with maintenance, sane values.

Bookings and maintenance both occupy a unit. Exclusion constraints work within one table, so
triggers keep one `unit_occupancy` row per active booking and per maintenance window, and that
table carries the exclusion constraint. The embedded PostgreSQL has no btree_gist, hence
`int4range(unit, unit, '[]')` instead of `unit WITH =`.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-11-26T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "occupancy exclusion guard and value checks"

FORWARDS = r"""
CREATE TABLE unit_occupancy (
    id bigserial PRIMARY KEY,
    company integer NOT NULL REFERENCES company(id) ON DELETE CASCADE,
    unit integer NOT NULL REFERENCES unit(id) ON DELETE CASCADE,
    booking integer UNIQUE REFERENCES booking(id) ON DELETE CASCADE,
    maintenance integer UNIQUE REFERENCES maintenance_schedule(id) ON DELETE CASCADE,
    during tstzrange NOT NULL,
    CONSTRAINT unit_occupancy_one_source CHECK ((booking IS NULL) <> (maintenance IS NULL)),
    CONSTRAINT unit_occupancy_no_overlap
        EXCLUDE USING gist (int4range(unit, unit, '[]') WITH &&, during WITH &&)
);

ALTER TABLE booking ADD CONSTRAINT booking_time_order CHECK (ends_at > starts_at);
ALTER TABLE booking ADD CONSTRAINT booking_status_valid
    CHECK (status IN ('pending', 'confirmed', 'picked_up', 'returned', 'cancelled'));
ALTER TABLE maintenance_schedule ADD CONSTRAINT maintenance_time_order CHECK (ends_at > starts_at);
ALTER TABLE delivery ADD CONSTRAINT delivery_time_order CHECK (ends_at > starts_at);
ALTER TABLE delivery ADD CONSTRAINT delivery_kind_valid CHECK (kind IN ('delivery', 'pickup'));
ALTER TABLE availability_block ADD CONSTRAINT block_time_order CHECK (blocked_until > blocked_from);
ALTER TABLE staff_user ADD CONSTRAINT staff_role_valid
    CHECK (role IN ('admin', 'manager', 'driver', 'technician'));
CREATE INDEX booking_company_starts ON booking (company, starts_at);
CREATE INDEX unit_occupancy_unit ON unit_occupancy (unit, lower(during));
CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL;

CREATE FUNCTION booking_occupancy_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('pending', 'confirmed', 'picked_up') THEN
        INSERT INTO unit_occupancy (company, unit, booking, during)
        VALUES (NEW.company, NEW.unit, NEW.id, tstzrange(NEW.starts_at, NEW.ends_at, '[)'))
        ON CONFLICT (booking) DO UPDATE SET unit = EXCLUDED.unit, during = EXCLUDED.during;
    ELSE
        DELETE FROM unit_occupancy WHERE booking = NEW.id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER booking_occupancy
    AFTER INSERT OR UPDATE OF unit, starts_at, ends_at, status ON booking
    FOR EACH ROW EXECUTE FUNCTION booking_occupancy_sync();

CREATE FUNCTION maintenance_occupancy_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unit_occupancy (company, unit, maintenance, during)
    VALUES (NEW.company, NEW.unit, NEW.id, tstzrange(NEW.starts_at, NEW.ends_at, '[)'))
    ON CONFLICT (maintenance) DO UPDATE SET unit = EXCLUDED.unit, during = EXCLUDED.during;
    RETURN NEW;
END $$;

CREATE TRIGGER maintenance_occupancy
    AFTER INSERT OR UPDATE OF unit, starts_at, ends_at ON maintenance_schedule
    FOR EACH ROW EXECUTE FUNCTION maintenance_occupancy_sync();
"""

BACKWARDS = r"""
DROP TRIGGER IF EXISTS maintenance_occupancy ON maintenance_schedule;
DROP TRIGGER IF EXISTS booking_occupancy ON booking;
DROP FUNCTION IF EXISTS maintenance_occupancy_sync();
DROP FUNCTION IF EXISTS booking_occupancy_sync();
DROP INDEX IF EXISTS outbox_pending;
DROP INDEX IF EXISTS booking_company_starts;
DROP INDEX IF EXISTS unit_occupancy_unit;
ALTER TABLE staff_user DROP CONSTRAINT IF EXISTS staff_role_valid;
ALTER TABLE availability_block DROP CONSTRAINT IF EXISTS block_time_order;
ALTER TABLE delivery DROP CONSTRAINT IF EXISTS delivery_kind_valid;
ALTER TABLE delivery DROP CONSTRAINT IF EXISTS delivery_time_order;
ALTER TABLE maintenance_schedule DROP CONSTRAINT IF EXISTS maintenance_time_order;
ALTER TABLE booking DROP CONSTRAINT IF EXISTS booking_status_valid;
ALTER TABLE booking DROP CONSTRAINT IF EXISTS booking_time_order;
DROP TABLE IF EXISTS unit_occupancy;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
