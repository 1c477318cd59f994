"""Staff invitations and an active flag on products (issue 13, settings a manager needs).

A manager invites a person by e-mail with a role; the link's token is stored only as its SHA-256,
expires (token_expires_at) and works once (accepted_at). One pending invitation per address and company.
A deactivated product takes no new bookings and is not offered in the widget; its bookings stay.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff invitations, product active flag"

FORWARDS = r"""
CREATE TABLE staff_invitation (
    id serial PRIMARY KEY,
    company integer NOT NULL REFERENCES company (id) ON DELETE CASCADE,
    email varchar(254) NOT NULL,
    role varchar(16) NOT NULL,
    invited_by integer NULL REFERENCES staff_user (id) ON DELETE SET NULL,
    sends integer NOT NULL DEFAULT 1,
    token_hash varchar(64) NULL UNIQUE,
    token_expires_at timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    accepted_at timestamptz NULL,
    staff integer NULL REFERENCES staff_user (id) ON DELETE SET NULL,
    CONSTRAINT staff_invitation_role_valid CHECK (role IN ('admin', 'manager', 'driver', 'technician'))
);
CREATE INDEX staff_invitation_company ON staff_invitation (company);
CREATE UNIQUE INDEX staff_invitation_pending_once ON staff_invitation (company, email) WHERE accepted_at IS NULL;
ALTER TABLE product ADD COLUMN active boolean NOT NULL DEFAULT true;
"""

BACKWARDS = r"""
ALTER TABLE product DROP COLUMN IF EXISTS active;
DROP TABLE IF EXISTS staff_invitation;
"""


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
