from piccolo.conf.apps import AppConfig, table_finder

from rentcal.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="calendars",
    migrations_folder_path=str(ROOT / "migrations" / "calendars"),
    table_classes=table_finder(modules=["calendars.tables", "calendars.ical_tables"], exclude_imported=True),
    migration_dependencies=["rental.piccolo_app"],
    commands=[],
)
