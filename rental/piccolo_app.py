from piccolo.conf.apps import AppConfig, table_finder

from rentcal.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="rental",
    migrations_folder_path=str(ROOT / "migrations" / "rental"),
    table_classes=table_finder(modules=["rental.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
