"""Piccolo configuration: the database comes from DATABASE_URL (or the embedded server)."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from rentcal.db import database_url

DB = PostgresEngine(config={"dsn": database_url()})

APP_REGISTRY = AppRegistry(apps=["rental.piccolo_app", "calendars.piccolo_app"])
