"""Change notifications for the web processes' caches (issue 14).

Every change that can alter an availability answer (bookings, maintenance, block-outs, products, units,
the company itself) sends `NOTIFY rentcal_changes, '<company id>'` from a row trigger, so it is part of
the same transaction: delivered at commit, never for a rollback, whichever process made the change.
PostgreSQL folds identical notifications of one transaction into one, so a bulk import costs one per
company. Revoking an API token or changing a staff member's access sends 'auth'.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from migrations.raw_sql import raw_manager

ID = "2026-12-02T06:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change notifications for caches"

TABLES = ("booking", "maintenance_schedule", "availability_block", "product", "unit")

FORWARDS = (
    r"""
CREATE OR REPLACE FUNCTION rentcal_notify_company_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('rentcal_changes', OLD.company::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('rentcal_changes', NEW.company::text);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rentcal_notify_company_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rentcal_changes', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION rentcal_notify_auth_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rentcal_changes', 'auth');
    RETURN NULL;
END $$;
"""
    + "".join(
        f"""
DROP TRIGGER IF EXISTS {t}_notify_change ON {t};
CREATE TRIGGER {t}_notify_change AFTER INSERT OR UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION rentcal_notify_company_change();
"""
        for t in TABLES
    )
    + r"""
DROP TRIGGER IF EXISTS company_notify_change ON company;
CREATE TRIGGER company_notify_change AFTER UPDATE OR DELETE ON company
    FOR EACH ROW EXECUTE FUNCTION rentcal_notify_company_row();

-- last_used_at is written once a minute per token: it must not empty the caches.
DROP TRIGGER IF EXISTS api_token_notify_change ON api_token;
CREATE TRIGGER api_token_notify_change AFTER UPDATE OF revoked_at, token_hash, "user", company OR DELETE ON api_token
    FOR EACH ROW EXECUTE FUNCTION rentcal_notify_auth_change();
DROP TRIGGER IF EXISTS staff_user_notify_change ON staff_user;
CREATE TRIGGER staff_user_notify_change AFTER UPDATE OF active, role, company, email, name OR DELETE ON staff_user
    FOR EACH ROW EXECUTE FUNCTION rentcal_notify_auth_change();
"""
)

BACKWARDS = (
    "".join(
        f"DROP TRIGGER IF EXISTS {t}_notify_change ON {t};\n" for t in (*TABLES, "company", "api_token", "staff_user")
    )
    + """
DROP FUNCTION IF EXISTS rentcal_notify_company_change();
DROP FUNCTION IF EXISTS rentcal_notify_company_row();
DROP FUNCTION IF EXISTS rentcal_notify_auth_change();
"""
)


async def forwards() -> MigrationManager:
    return raw_manager(ID, "rental", DESCRIPTION, FORWARDS, BACKWARDS)
